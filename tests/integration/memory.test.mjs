// readMemory, disassemble and modules: a DAP client stops tests/targets/orders.c (-O0 and -O2)
// in handle_order, reads the order's user string through the memoryReference of a pointer, reads
// an unmapped address, disassembles around the pc (original bytes under the breakpoint's int3,
// source lines interleaved) and lists the loaded modules with the executable's build-id.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckedClient, readMemory, repoRoot, Server, Target } from './lib/harness.mjs';

const source = path.join(repoRoot, 'tests/targets/orders.c');

for (const opt of ['O0', 'O2']) {
  describe(`readMemory, disassemble and modules (-${opt})`, () => {
    let server;
    let target;
    let client;
    let stop; // { threadId, frame }

    before(async () => {
      server = await Server.start();
      target = await Target.start(`orders-${opt}`, { serverUrl: server.probeUrl, pod: `orders-${opt}`, labels: 'app=orders', stdin: true });
      await server.waitForPods(1);
      client = await CheckedClient.connect(server);
      const caps = (await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' })).body;
      assert.equal(caps.supportsReadMemoryRequest, true);
      assert.equal(caps.supportsDisassembleRequest, true);
      assert.equal(caps.supportsModulesRequest, true);
      const initialized = client.waitForEvent('initialized');
      await client.attachRequest({ selector: { app: 'orders' } });
      await initialized;
      await client.configurationDoneRequest();
      const [bp] = (await client.send('setFunctionBreakpoints', { breakpoints: [{ name: 'handle_order' }] })).body.breakpoints;
      assert.equal(bp.verified, true, bp.message);
      const stopped = client.waitForEvent('stopped');
      target.send('250 alice 1 2 3');
      const ev = await stopped;
      const frames = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames;
      stop = { threadId: ev.body.threadId, frame: frames[0] };
    });
    after(async () => {
      await client?.close();
      await target?.stop();
      await server?.stop();
    });

    it('reads a string through the memoryReference of a pointer, and counts unreadable bytes', async () => {
      const user = (await client.evaluateRequest({ expression: 'o->user', frameId: stop.frame.id, context: 'watch' })).body;
      assert.match(user.memoryReference, /^0x[0-9a-f]+@\d+$/);
      const read = (await client.send('readMemory', { memoryReference: user.memoryReference, count: 6 })).body;
      assert.equal(Buffer.from(read.data, 'base64').toString('latin1'), 'alice\0');
      assert.equal(read.unreadableBytes ?? 0, 0);
      const offset = (await client.send('readMemory', { memoryReference: user.memoryReference, offset: 1, count: 4 })).body;
      assert.equal(Buffer.from(offset.data, 'base64').toString('latin1'), 'lice');
      const process = user.memoryReference.split('@')[1];
      const bad = (await client.send('readMemory', { memoryReference: `0x10@${process}`, count: 16 })).body;
      assert.equal(bad.unreadableBytes, 16);
      assert.equal(Buffer.from(bad.data ?? '', 'base64').length, 0);
      assert.deepEqual(client.violations(), []);
    });

    it('gives pointer variables a memoryReference too', async () => {
      const scopes = (await client.scopesRequest({ frameId: stop.frame.id })).body.scopes;
      const args = (await client.variablesRequest({ variablesReference: scopes.find((sc) => sc.name === 'Arguments').variablesReference })).body.variables;
      const o = args.find((v) => v.name === 'o');
      assert.match(o.memoryReference, /^0x[0-9a-f]+@\d+$/);
      assert.equal(o.memoryReference.split('@')[0], o.value);
      const fields = (await client.variablesRequest({ variablesReference: (await client.variablesRequest({ variablesReference: o.variablesReference })).body.variables[0].variablesReference })).body.variables;
      assert.equal(fields.find((v) => v.name === 'amount').memoryReference, undefined, 'an int has none');
      const user = fields.find((v) => v.name === 'user');
      const read = (await client.send('readMemory', { memoryReference: user.memoryReference, count: 5 })).body;
      assert.equal(Buffer.from(read.data, 'base64').toString('latin1'), 'alice');
      assert.deepEqual(client.violations(), []);
    });

    it('disassembles around the pc with the original bytes under the breakpoint and source lines', async () => {
      const pc = BigInt(stop.frame.instructionPointerReference);
      assert.equal(readMemory(target.pid, pc, 1)[0], 0xcc, 'the breakpoint is armed at the pc');
      const { instructions } = (await client.send('disassemble', {
        memoryReference: stop.frame.instructionPointerReference, instructionOffset: -4, instructionCount: 12, resolveSymbols: true,
      })).body;
      assert.equal(instructions.length, 12);
      const atPc = instructions.findIndex((i) => BigInt(i.address) === pc);
      assert.equal(atPc, 4, 'four instructions before the pc, decoded from the function entry');
      assert.doesNotMatch(instructions[atPc].instructionBytes, /^cc/, 'the original instruction, not int3');
      assert.notEqual(instructions[atPc].instruction, 'int3');
      assert.match(instructions[atPc].symbol, /^handle_order\+\d+$/);
      for (let i = 1; i < instructions.length; i++) {
        assert.ok(BigInt(instructions[i].address) > BigInt(instructions[i - 1].address), 'addresses increase');
      }
      const lines = instructions.filter((i) => i.location);
      assert.ok(lines.length > 0, 'source lines are interleaved');
      assert.ok(lines.every((i) => i.location.path === source && i.line > 0));
      assert.deepEqual(client.violations(), []);
    });

    it('lists the loaded modules: the executable with its build-id, and libc', async () => {
      const { modules } = (await client.send('modules', {})).body;
      const exe = modules.find((m) => m.path === target.exe);
      assert.ok(exe, `the executable among ${modules.map((m) => m.path).join(', ')}`);
      assert.match(exe.buildId, /^[0-9a-f]{40}$/);
      assert.equal(exe.symbolStatus, 'debug information');
      assert.match(exe.addressRange, /^0x[0-9a-f]+-0x[0-9a-f]+$/);
      assert.ok(modules.some((m) => /\/libc\.so\.6$/.test(m.path)), 'libc');
      await client.continueRequest({ threadId: stop.threadId });
      assert.deepEqual(client.violations(), []);
    });
  });
}
