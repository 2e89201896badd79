// Fatal signals as exception breakpoints (tests/targets/crash.c, -O0 and -O2): a null dereference
// caught in stop mode (reason exception, exceptionInfo, the faulting frame and its local; continue
// lets the process die by SIGSEGV) and in snapshot mode (the process dies as without podbug, the
// crash snapshot shows the faulting function and local and is listed by podbug/snapshots), an
// assert's abort() in stop mode, a program's own SIGSEGV handler kept with the filter off and on.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckedClient, markerLine, repoRoot, Server, Target, waitFor } from './lib/harness.mjs';

const crashSource = path.join(repoRoot, 'tests/targets/crash.c');
const crashLine = markerLine(crashSource, 'CRASH:record_total');
// Under `make asan` the ASan runtime is preloaded first: its SIGSEGV handler is the program's
// disposition we chain to, and it ends the process with exit status 1 after its report instead
// of the signal's default action.
const asan = Boolean(process.env.PODBUG_PRELOAD_FIRST);

// DebugClient's waitForEvent has no timeout over a socket: fail instead of hanging.
function within(promise, what, ms = 10000) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no ${what} after ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function assertDiedOf(exit, signal, target) {
  if (asan && signal === 'SIGSEGV') {
    assert.equal(exit.code, 1, `ASan ends the process: ${target.output.stderr.slice(-400)}`);
    assert.match(target.output.stderr, /AddressSanitizer: SEGV/);
  } else {
    assert.equal(exit.sig, signal, `died of ${signal} (exit ${JSON.stringify(exit)})`);
  }
}

for (const opt of ['O0', 'O2']) {
  describe(`fatal signals in stop mode (-${opt})`, () => {
    let server;
    let target;
    let client;
    before(async () => { server = await Server.start(); });
    after(async () => {
      await client?.close();
      await target?.stop();
      await server?.stop();
    });

    async function startSession(pod, args = []) {
      target = await Target.start(`crash-${opt}`, { serverUrl: server.probeUrl, pod, labels: `app=${pod}`, stdin: true, args });
      await waitFor(`${pod} to register`, async () => (await server.pods()).some((p) => p.pod === pod));
      client = await CheckedClient.attachSession(server, { selector: { app: pod } });
    }

    async function endSession() {
      assert.deepEqual(client.violations(), []);
      await client.close();
      client = undefined;
      await target.stop();
      target = undefined;
    }

    it('offers one exception filter per fatal signal, with stop and snapshot modes', async () => {
      const c = await CheckedClient.connect(server);
      try {
        const caps = (await c.initializeRequest({ adapterID: 'podbug' })).body;
        assert.deepEqual(caps.exceptionBreakpointFilters.map((f) => f.filter), ['SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGABRT']);
        assert.equal(caps.exceptionBreakpointFilters[0].label, 'SIGSEGV: invalid memory access');
        assert.equal(caps.supportsExceptionInfoRequest, true);
        const exceptionModes = caps.breakpointModes.filter((m) => m.appliesTo.includes('exception')).map((m) => m.mode);
        assert.deepEqual(exceptionModes, ['stop', 'snapshot']);
        assert.deepEqual(c.violations(), []);
      } finally {
        await c.close();
      }
    });

    it('stops a null dereference with reason exception; continue lets SIGSEGV kill the process', async () => {
      await startSession(`null-${opt}`);
      const set = await client.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'SIGSEGV', mode: 'stop' }] });
      assert.deepEqual(set.body.breakpoints, [{ verified: true }]);
      const stopped = client.waitForEvent('stopped');
      target.send('null');
      const ev = await within(stopped, 'stopped event');
      assert.equal(ev.body.reason, 'exception');
      assert.match(ev.body.description, /^SIGSEGV: invalid read at 0x[04]$/);
      assert.equal(ev.body.allThreadsStopped, true);

      const info = (await client.exceptionInfoRequest({ threadId: ev.body.threadId })).body;
      assert.equal(info.exceptionId, 'SIGSEGV');
      assert.equal(info.breakMode, 'always');
      assert.match(info.description, /invalid read at 0x[04]$/);
      assert.equal(info.details.typeName, 'SIGSEGV');

      const frames = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames;
      assert.equal(frames[0].name, 'record_total');
      assert.equal(frames[0].line, crashLine);
      assert.equal(frames[1].name, 'main');
      const scopes = (await client.scopesRequest({ frameId: frames[0].id })).body.scopes;
      const locals = scopes.find((s) => s.name === 'Locals');
      const vars = (await client.variablesRequest({ variablesReference: locals.variablesReference })).body.variables;
      assert.equal(vars.find((v) => v.name === 'scaled')?.value, '21');
      const threads = (await client.threadsRequest()).body.threads;
      assert.ok(threads.some((t) => t.name.endsWith(' idler')), 'the other thread is listed');

      await client.continueRequest({ threadId: ev.body.threadId });
      assertDiedOf(await within(target.exited, 'process exit'), 'SIGSEGV', target);
      await endSession();
    });

    it('stops an assert that fails with reason exception and SIGABRT', async () => {
      await startSession(`abort-${opt}`);
      await client.setExceptionBreakpointsRequest({ filters: ['SIGABRT'] });
      const stopped = client.waitForEvent('stopped');
      target.send('abort');
      const ev = await within(stopped, 'stopped event');
      assert.equal(ev.body.reason, 'exception');
      assert.equal(ev.body.description, 'SIGABRT: abort() called');
      const info = (await client.exceptionInfoRequest({ threadId: ev.body.threadId })).body;
      assert.equal(info.exceptionId, 'SIGABRT');
      const names = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames.map((f) => f.name);
      assert.ok(names.includes('check_positive'), `check_positive on the stack: ${names.join(', ')}`);
      await client.continueRequest({ threadId: ev.body.threadId });
      assertDiedOf(await within(target.exited, 'process exit'), 'SIGABRT', target);
      await endSession();
    });

    it('in snapshot mode sends a crash snapshot before the process dies of SIGSEGV', async () => {
      await startSession(`snap-${opt}`);
      await client.setExceptionBreakpointsRequest({ filterOptions: [{ filterId: 'SIGSEGV', mode: 'snapshot' }] });
      const stopped = client.waitForEvent('stopped');
      target.send('null');
      assertDiedOf(await within(target.exited, 'process exit'), 'SIGSEGV', target);
      const ev = await within(stopped, 'stopped event');
      assert.equal(ev.body.reason, 'exception');
      assert.match(ev.body.description, new RegExp(`^SIGSEGV: invalid read at 0x[04] in snap-${opt}/${target.pid} \\(crash snapshot\\)$`));

      // the snapshot thread answers from the copy, after the process is gone
      const info = (await client.exceptionInfoRequest({ threadId: ev.body.threadId })).body;
      assert.equal(info.exceptionId, 'SIGSEGV');
      assert.match(info.description, /^SIGSEGV: invalid read at 0x[04]$/);
      const frames = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames;
      assert.equal(frames[0].name, 'record_total');
      assert.equal(frames[0].line, crashLine);
      const scopes = (await client.scopesRequest({ frameId: frames[0].id })).body.scopes;
      const locals = scopes.find((s) => s.name === 'Locals');
      const vars = (await client.variablesRequest({ variablesReference: locals.variablesReference })).body.variables;
      assert.equal(vars.find((v) => v.name === 'scaled')?.value, '21');

      // "why did pod X crash?" after the fact
      const listed = (await client.customRequest('podbug/snapshots', {})).body.snapshots;
      const crash = listed.find((s) => s.pod === `snap-${opt}`);
      assert.ok(crash, 'the crash snapshot is listed');
      assert.equal(crash.reason, 'crash');
      assert.match(crash.description, /^SIGSEGV: invalid read at 0x[04]$/);
      assert.equal(crash.function, 'record_total');
      assert.equal(crash.line, crashLine);
      const idler = crash.threads.find((t) => t.name === 'idler');
      assert.ok(idler, `the other thread's stack is kept: ${JSON.stringify(crash.threads)}`);
      assert.ok(idler.frames.some((f) => f.function === 'idler'), JSON.stringify(idler.frames));
      await endSession();
    });

    it("keeps the program's own SIGSEGV handler, with the filter off and on", async () => {
      await startSession(`own-${opt}`, ['own-handler']);
      await client.setExceptionBreakpointsRequest({ filters: ['SIGABRT'] });
      target.send('null');
      await waitFor('the program to recover by itself', () => target.output.stdout.includes('recovered'));
      assert.equal(client.events('stopped').length, 0, 'no stop with SIGSEGV off');

      await client.setExceptionBreakpointsRequest({ filters: ['SIGSEGV'] });
      const stopped = client.waitForEvent('stopped');
      target.send('null');
      const ev = await within(stopped, 'stopped event');
      assert.equal(ev.body.reason, 'exception');
      await client.continueRequest({ threadId: ev.body.threadId });
      await waitFor('the program to recover again', () => target.output.stdout.split('recovered').length === 3);
      target.send('ok');
      await waitFor('the program to go on', () => target.output.stdout.includes('ok 8'));
      assert.ok(target.alive());
      await endSession();
    });
  });
}
