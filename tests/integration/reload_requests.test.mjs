// podbug/reload on the server side, with scripted probes (WebSocket clients speaking probe protocol
// v1) instead of real processes: arguments refused with the field named, the reload fanned out with
// progress events, all or nothing, a probe that disconnects mid-reload, canary, rollback, crash
// rollback across the fleet, and the `podbug reload` command line (once, --json, --watch).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { buildDir, CheckedClient, Server, sleep, waitFor } from './lib/harness.mjs';

const library = Buffer.from('\x7fELF pretend library bytes for the transport tests');
const libraryBase64 = library.toString('base64');
const librarySha = crypto.createHash('sha256').update(library).digest('hex');

/** A scripted probe: registers like libpodbug-probe.so and answers reload and reload.rollback as
 *  `behaviour` says (default: success); every request it receives is kept in `requests`. */
class FakeProbe {
  static async connect(server, { pod, pid, labels = { app: 'fake' }, behaviour = {} }) {
    const p = new FakeProbe();
    p.pod = pod;
    p.pid = pid;
    p.name = `${pod}/${pid}`;
    p.behaviour = behaviour;
    p.requests = [];
    p.generation = 0;
    p.ws = new WebSocket(`ws://127.0.0.1:${server.port}/probe`, 'podbug.probe.v1');
    await new Promise((resolve, reject) => { p.ws.on('open', resolve); p.ws.on('error', reject); });
    p.closed = new Promise((resolve) => p.ws.on('close', resolve));
    const welcome = new Promise((resolve) => p.ws.once('message', resolve));
    p.send('hello', { pod, namespace: 'default', labels, pid, exe: '/app/server', build_id: '', start_time_ms: 1700000000000 + pid, probe_version: 'fake' }, 1);
    await welcome;
    p.ws.on('message', (m) => p.onMessage(JSON.parse(m.toString())));
    return p;
  }

  send(type, body, id = 0) { this.ws.send(JSON.stringify({ v: 1, type, id, body })); }

  async onMessage(msg) {
    if (!msg.id || msg.type === 'result' || msg.type === 'error') return;
    this.requests.push({ ...msg, at: Date.now() });
    const act = this.behaviour[msg.type];
    const answer = act ? await act(msg.body, this) : this.succeed(msg.type, msg.body);
    if (answer === 'close') this.ws.close();
    else if (answer?.error) this.send('error', { message: answer.error }, msg.id);
    else if (answer) this.send('result', answer, msg.id);
  }

  succeed(type, body) {
    if (type === 'reload') {
      this.generation++;
      this.reloadId = body.reload_id;
      return { module: `/app/${body.name}`, generation: this.generation, patched: ['handle'], n_patched: 1, unchanged: 4, added: 0, time_us: 400 };
    }
    if (type === 'reload.rollback') {
      this.generation = Math.max(0, this.generation - 1);
      return { module: `/app/${body.name ?? 'libhandlers.so'}`, generation: this.generation, restored: 1, time_us: 100 };
    }
    return {};
  }

  /** A crash snapshot in the code of reload `reloadId`, as the probe's crash guard sends it. */
  crash(reloadId) {
    this.send('snapshot', {
      id: 0, tid: this.pid, thread_name: 'worker-1', time_ms: Date.now(), capture_ns: 1000, truncated: false, dropped: 0,
      reason: 'crash', description: 'SIGSEGV: invalid read at 0x0',
      exception: { signal: 'SIGSEGV', code: 1, address: '0x0' },
      frames: [
        { pc: '0x7f0000001136', function: 'handle', file: '/src/handlers.c', line: 12, module: '/app/libhandlers.so', scopes: [] },
        { pc: '0x401200', function: 'worker', file: '/src/reload_app.c', line: 40, module: '/app/reload_app', scopes: [] },
      ],
      threads: [],
      reload: { reload_id: reloadId, module: '/app/libhandlers.so', generation: this.generation },
    });
  }

  received(type) { return this.requests.filter((r) => r.type === type); }

  async close() {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close();
    await this.closed;
  }
}

const reloadArgs = (extra = {}) => ({ name: 'libhandlers.so', library: libraryBase64, ...extra });

async function session(server, selector = { app: 'fake' }) {
  const client = await CheckedClient.connect(server);
  await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, pathFormat: 'path', supportsProgressReporting: true });
  const initialized = client.waitForEvent('initialized');
  await client.attachRequest({ selector });
  await initialized;
  await client.configurationDoneRequest();
  return client;
}

/** The response to podbug/reload, failed or not (customRequest rejects a failure). */
const reload = (client, args) => new Promise((resolve) => client.doSend('podbug/reload', args, resolve));

const progress = (client, event) => client.received.filter((m) => m.type === 'event' && m.event === event);

describe('podbug/reload: arguments', () => {
  let server;
  let probe;
  let client;
  before(async () => {
    server = await Server.start();
    probe = await FakeProbe.connect(server, { pod: 'pod-a', pid: 101 });
    await server.waitForPods(1);
    client = await session(server);
  });
  after(async () => {
    await client?.close();
    await probe?.close();
    await server?.stop();
  });

  it('refuses bad arguments naming the field, and keeps serving', async () => {
    const refused = async (args, pattern) => {
      await assert.rejects(client.customRequest('podbug/reload', args), (e) => {
        assert.match(e.message, pattern);
        return true;
      });
    };
    await refused({ library: libraryBase64 }, /^podbug\/reload: 'name' is required/);
    await refused({ name: 'lib/x.so', library: libraryBase64 }, /^podbug\/reload: 'name' must be the library's file name/);
    await refused({ name: 'libhandlers.so' }, /^podbug\/reload: 'library' is required/);
    await refused(reloadArgs({ library: 42 }), /^podbug\/reload: 'library' must be a string/);
    await refused(reloadArgs({ library: 'abc' }), /^podbug\/reload: 'library': not valid base64: its length 3 is not a multiple of 4/);
    await refused(reloadArgs({ library: 'ab!d' }), /^podbug\/reload: 'library': not valid base64: '!' at offset 2/);
    await refused(reloadArgs({ library: '' }), /^podbug\/reload: 'library' is empty/);
    await refused(reloadArgs({ sha256: 'abc' }), /^podbug\/reload: 'sha256' must be 64 hex digits/);
    await refused(reloadArgs({ sha256: '0'.repeat(64) }), new RegExp(`^podbug/reload: 'sha256' does not match the library: its ${library.length} bytes have SHA-256 ${librarySha}`));
    await refused(reloadArgs({ canarySeconds: -1 }), /^podbug\/reload: 'canarySeconds' must be a number 0\.\.3600/);
    await refused(reloadArgs({ canarySeconds: 3601 }), /^podbug\/reload: 'canarySeconds' must be a number 0\.\.3600/);
    await refused(reloadArgs({ canarySeconds: '5' }), /^podbug\/reload: 'canarySeconds' must be a number 0\.\.3600/);
    await refused(reloadArgs({ canary: 'yes' }), /^podbug\/reload: 'canary' must be true or false/);
    await refused(reloadArgs({ rollback: 1 }), /^podbug\/reload: 'rollback' must be true or false/);
    await refused(reloadArgs({ selector: 'tier=x' }), /^podbug\/reload: 'selector' must be an object/);
    await refused(reloadArgs({ selector: { tier: 'none' } }), /^podbug\/reload: no process matches \(the session is attached to app=fake; 'selector': tier=none\)/);
    assert.deepEqual(probe.received('reload'), [], 'nothing reached the probe');
    assert.ok(server.alive());
    const ok = await reload(client, reloadArgs({ sha256: librarySha.toUpperCase() }));
    assert.equal(ok.success, true, ok.message);
    assert.deepEqual(client.violations(), []);
  });

  it('refuses a session that is not attached, and one attached to nothing', async () => {
    const loose = await CheckedClient.connect(server);
    await loose.initializeRequest({ adapterID: 'podbug' });
    await assert.rejects(loose.customRequest('podbug/reload', reloadArgs()), /^Error: podbug\/reload: attach first/);
    await loose.close();
    const empty = await session(server, { app: 'nothing-here' });
    await assert.rejects(empty.customRequest('podbug/reload', reloadArgs()), /no process matches \(the session is attached to app=nothing-here; 'selector': none\)/);
    await empty.close();
  });
});

describe('podbug/reload: fan-out, all or nothing, canary, rollback', () => {
  let server;
  const probes = [];
  const clients = [];
  before(async () => { server = await Server.start(); });
  after(async () => {
    for (const c of clients) await c.close();
    for (const p of probes) await p.close();
    await server?.stop();
  });

  /** n probes labelled app=<app> (pods <app>-1.. with pids 201..), and a session attached to them. */
  async function fleet(app, behaviours = []) {
    const list = [];
    for (let i = 0; i < behaviours.length; i++) {
      const p = await FakeProbe.connect(server, { pod: `${app}-${i + 1}`, pid: 201 + i, labels: { app }, behaviour: behaviours[i] });
      probes.push(p);
      list.push(p);
    }
    await waitFor('the probes to register', async () => (await server.pods()).filter((x) => x.labels.app === app).length === list.length);
    const client = await session(server, { app });
    clients.push(client);
    return { list, client };
  }

  it('reloads every process at once, with progress and a summary', async () => {
    const { list, client } = await fleet('ok', [{}, {}, {}]);
    const r = await reload(client, reloadArgs());
    assert.equal(r.success, true, r.message);
    assert.equal(r.body.summary, 'reloaded libhandlers.so in 3 of 3 processes: patched handle; 4 functions unchanged; slowest 0.4 ms');
    assert.equal(r.body.processes.length, 3);
    for (const p of r.body.processes) {
      assert.equal(p.status, 'reloaded');
      assert.deepEqual({ ...p, process: undefined, pod: undefined, pid: undefined }, {
        process: undefined, pod: undefined, pid: undefined, status: 'reloaded', message: '', module: '/app/libhandlers.so',
        generation: 1, patched: ['handle'], unchanged: 4, added: 0, timeMs: 0.4,
      });
    }
    assert.deepEqual(r.body.processes.map((p) => p.process).sort(), list.map((p) => p.name).sort());
    for (const p of list) {
      const [req] = p.received('reload');
      assert.deepEqual(req.body, { name: 'libhandlers.so', library: libraryBase64, sha256: librarySha, reload_id: r.body.reloadId });
    }
    const spread = Math.max(...list.map((p) => p.requests[0].at)) - Math.min(...list.map((p) => p.requests[0].at));
    assert.ok(spread < 500, `sent to all at once (spread ${spread} ms)`);
    const [start] = progress(client, 'progressStart');
    assert.equal(start.body.title, 'Hot reload libhandlers.so');
    assert.equal(start.body.message, '3 processes');
    const updates = progress(client, 'progressUpdate');
    assert.deepEqual(updates.map((u) => u.body.message).sort(), list.map((p) => `${p.name}: patched handle (0.4 ms)`).sort());
    assert.deepEqual(updates.map((u) => Math.round(u.body.percentage)), [33, 67, 100]);
    assert.ok(updates.every((u) => u.body.progressId === start.body.progressId));
    const [end] = progress(client, 'progressEnd');
    assert.equal(end.body.message, r.body.summary);
    assert.deepEqual(client.violations(), []);
  });

  it('rolls back the others when one process refuses, and says which and why', async () => {
    const refusal = 'refused: struct request changed layout: size 8 -> 16';
    const { list, client } = await fleet('refuse', [{}, { reload: () => ({ error: refusal }) }, {}]);
    const r = await reload(client, reloadArgs());
    assert.equal(r.success, false);
    const [good1, bad, good2] = list;
    assert.equal(r.message, `reload of libhandlers.so failed in ${bad.name}: ${refusal}; the others were rolled back: ${good1.name} and ${good2.name}`);
    assert.equal(r.body.summary, r.message);
    const byName = Object.fromEntries(r.body.processes.map((p) => [p.process, p]));
    assert.equal(byName[bad.name].status, 'refused');
    assert.equal(byName[bad.name].message, refusal);
    for (const p of [good1, good2]) {
      assert.equal(byName[p.name].status, 'rolled back');
      assert.equal(byName[p.name].message, `the reload failed in ${bad.name}`);
      assert.equal(byName[p.name].generation, 0);
      assert.deepEqual(p.received('reload.rollback').map((q) => q.body), [{ name: 'libhandlers.so', reload_id: r.body.reloadId }]);
    }
    assert.deepEqual(bad.received('reload.rollback'), []);
    assert.ok(progress(client, 'progressUpdate').some((u) => u.body.message === `${good1.name}: rolled back: the reload failed in ${bad.name}`));
    assert.deepEqual(client.violations(), []);
  });

  it('counts a probe that disconnects mid-reload as failed', async () => {
    const { list, client } = await fleet('gone', [{}, { reload: () => 'close' }]);
    const r = await reload(client, reloadArgs());
    assert.equal(r.success, false);
    assert.equal(r.message, `reload of libhandlers.so failed in ${list[1].name}: the process disconnected during the reload; the others were rolled back: ${list[0].name}`);
    assert.equal(list[0].received('reload.rollback').length, 1);
  });

  it('refuses a second reload of a process while the first is in progress', async () => {
    let release;
    const held = new Promise((r) => { release = r; });
    const { list, client } = await fleet('busy', [{ reload: async (body, p) => { await held; return p.succeed('reload', body); } }]);
    const first = reload(client, reloadArgs());
    await waitFor('the first reload to reach the probe', () => list[0].received('reload').length === 1);
    await assert.rejects(client.customRequest('podbug/reload', reloadArgs()), new RegExp(`${list[0].name} is in a reload still in progress`));
    release();
    const done = await first;
    assert.equal(done.success, true, done.message);
  });

  it('reloads a canary first and the rest once it stayed healthy', async () => {
    const { list, client } = await fleet('canary', [{}, {}, {}]);
    const started = Date.now();
    const r = await reload(client, reloadArgs({ canary: true, canarySeconds: 0.6 }));
    assert.equal(r.success, true, r.message);
    const [canary, ...rest] = list;
    assert.equal(r.body.processes[0].process, canary.name, 'the longest connected is the canary');
    const canaryAt = canary.received('reload')[0].at;
    for (const p of rest) assert.ok(p.received('reload')[0].at - canaryAt >= 550, 'the others wait for the window');
    assert.ok(Date.now() - started >= 600);
    const [start] = progress(client, 'progressStart');
    assert.equal(start.body.message, `3 processes; canary first: ${canary.name}`);
    assert.ok(progress(client, 'progressUpdate').some((u) => u.body.message === `canary ${canary.name} reloaded; the other 2 processes follow if it stays healthy for 0.6 s`));
  });

  it('stops at a canary that crashes in the new code, and reports the crash', async () => {
    const { list, client } = await fleet('crashy', [{ reload: (body, p) => { setTimeout(() => p.crash(body.reload_id), 100); return p.succeed('reload', body); } }, {}]);
    const r = await reload(client, reloadArgs({ canary: true, canarySeconds: 30 }));
    assert.equal(r.success, false);
    const [canary, other] = list;
    assert.equal(r.message, `reload of libhandlers.so failed in canary ${canary.name}: crashed in the reloaded code: SIGSEGV: invalid read at 0x0; 1 process not attempted`);
    assert.deepEqual(r.body.processes.map((p) => p.status), ['failed', 'not attempted']);
    assert.deepEqual(other.requests.filter((q) => q.type.startsWith('reload')), []);
    const [crashed] = progress(client, 'podbug/reloadCrashed');
    assert.deepEqual({ ...crashed.body, frames: crashed.body.frames.map((f) => f.function) }, {
      reloadId: r.body.reloadId, module: 'libhandlers.so', process: canary.name, description: 'SIGSEGV: invalid read at 0x0',
      frames: ['handle', 'worker'], rolledBack: [], notRolledBack: [],
    });
    const important = client.received.filter((m) => m.event === 'output' && m.body.category === 'important');
    assert.match(important[0].body.output, /crashed crashy-1\/201: SIGSEGV: invalid read at 0x0\n {4}#0 handle \(\/src\/handlers\.c:12\)\n {4}#1 worker/);
    assert.deepEqual(client.violations(), []);
  });

  it('fails a canary that leaves during its window', async () => {
    const { list, client } = await fleet('leaver', [{ reload: (body, p) => { setTimeout(() => p.ws.close(), 100); return p.succeed('reload', body); } }, {}]);
    const r = await reload(client, reloadArgs({ canarySeconds: 30 }));
    assert.equal(r.success, false);
    assert.equal(r.message, `reload of libhandlers.so failed in canary ${list[0].name}: the process left during the canary window; 1 process not attempted`);
    assert.deepEqual(list[1].received('reload'), []);
  });

  it('rolls everything back when a process crashes in the new code while others still reload', async () => {
    let release;
    const held = new Promise((r) => { release = r; });
    const { list, client } = await fleet('midway', [
      { reload: (body, p) => { setTimeout(() => p.crash(body.reload_id), 50); return p.succeed('reload', body); } },
      { reload: async (body, p) => { await held; return p.succeed('reload', body); } },
    ]);
    const pending = reload(client, reloadArgs());
    const crashed = client.waitForEvent('podbug/reloadCrashed');
    await waitFor('the crash to arrive', () => client.received.some((m) => m.event === 'progressUpdate' && /crashed in the reloaded code/.test(m.body.message)));
    release();
    const r = await pending;
    const [victim, other] = list;
    assert.equal(r.success, false);
    assert.equal(r.message, `reload of libhandlers.so failed in ${victim.name}: crashed in the reloaded code: SIGSEGV: invalid read at 0x0; the others were rolled back: ${other.name}`);
    assert.deepEqual(other.received('reload.rollback').map((q) => q.body), [{ name: 'libhandlers.so', reload_id: r.body.reloadId }]);
    assert.deepEqual(victim.received('reload.rollback'), []);
    assert.deepEqual((await crashed).body.rolledBack, [other.name]);
  });

  it('rolls a reload back everywhere else when it crashes a process later', async () => {
    const { list, client } = await fleet('later', [{}, {}, {}]);
    const r = await reload(client, reloadArgs());
    assert.equal(r.success, true, r.message);
    const [victim, ...others] = list;
    const crashed = client.waitForEvent('podbug/reloadCrashed');
    victim.crash(r.body.reloadId);
    const event = await crashed;
    assert.deepEqual(event.body.rolledBack.sort(), others.map((p) => p.name).sort());
    assert.equal(event.body.process, victim.name);
    for (const p of others) assert.deepEqual(p.received('reload.rollback').map((q) => q.body), [{ name: 'libhandlers.so', reload_id: r.body.reloadId }]);
    assert.deepEqual(victim.received('reload.rollback'), []);
    const text = client.received.filter((m) => m.event === 'output' && m.body.category === 'important').at(-1).body.output;
    assert.match(text, new RegExp(`reload ${r.body.reloadId} was rolled back in `));
    // the first process to crash is left alone (it is dying); were it still there, a later crash
    // of the same reload elsewhere rolls it back, and nothing else is left to roll back
    const again = client.waitForEvent('podbug/reloadCrashed');
    others[0].crash(r.body.reloadId);
    assert.deepEqual((await again).body.rolledBack, [victim.name]);
  });

  it('rolls back on request in every process', async () => {
    const { list, client } = await fleet('back', [{}, {}]);
    assert.equal((await reload(client, reloadArgs())).success, true);
    const r = await reload(client, { rollback: true });
    assert.equal(r.success, true, r.message);
    assert.equal(r.body.summary, 'rolled back the module reloaded last in 2 of 2 processes; slowest 0.1 ms');
    assert.deepEqual(r.body.processes.map((p) => [p.status, p.generation, p.restored]), [['rolled back', 0, 1], ['rolled back', 0, 1]]);
    for (const p of list) assert.deepEqual(p.received('reload.rollback').map((q) => q.body), [{}]);
    const [start] = progress(client, 'progressStart').slice(-1);
    assert.equal(start.body.title, 'Roll back the module reloaded last');
    const nothing = await reload(client, { rollback: true, name: 'libother.so' });
    assert.equal(nothing.success, true, 'the fake probes roll back whatever they are asked');
  });
});

describe('podbug reload (command line)', () => {
  let server;
  let dir;
  const probes = [];
  before(async () => {
    server = await Server.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podbug-reload-cli-'));
    fs.writeFileSync(path.join(dir, 'libhandlers.so'), library);
    probes.push(await FakeProbe.connect(server, { pod: 'cli-1', pid: 301, labels: { app: 'cli' } }));
    probes.push(await FakeProbe.connect(server, { pod: 'cli-2', pid: 302, labels: { app: 'cli' }, behaviour: { 'reload.rollback': () => ({ error: 'nothing to roll back' }) } }));
    probes.push(await FakeProbe.connect(server, { pod: 'other', pid: 303, labels: { app: 'other' } }));
    await server.waitForPods(3);
  });
  after(async () => {
    for (const p of probes) await p.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function podbug(args, { signalAfter } = {}) {
    return new Promise((resolve) => {
      const child = spawn(path.join(buildDir, 'podbug'), [...args, '--server', `ws://127.0.0.1:${server.port}`, '--dap-port', String(server.dapPort)]);
      const out = { stdout: '', stderr: '', child };
      child.stdout.on('data', (d) => { out.stdout += d; });
      child.stderr.on('data', (d) => { out.stderr += d; });
      child.on('exit', (code) => resolve({ ...out, code }));
      signalAfter?.(out);
    });
  }

  it('reloads, printing a line per process and the summary', async () => {
    const r = await podbug(['reload', '--lib', path.join(dir, 'libhandlers.so'), '--selector', 'app=cli']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 2).sort(), ['cli-1/301  reloaded  patched handle  0.4 ms', 'cli-2/302  reloaded  patched handle  0.4 ms']);
    assert.equal(lines[2], 'reloaded libhandlers.so in 2 of 2 processes: patched handle; 4 functions unchanged; slowest 0.4 ms');
    assert.equal(probes[2].received('reload').length, 0, 'the selector kept the other pod out');
    assert.equal(probes[0].received('reload')[0].body.sha256, librarySha);
  });

  it('prints the answer as JSON with --json, and fails with a one-line reason', async () => {
    const r = await podbug(['reload', '--rollback', '--name', 'libhandlers.so', '--selector', 'app=cli', '--json']);
    assert.equal(r.code, 1);
    const body = JSON.parse(r.stdout);
    assert.deepEqual(body.processes.map((p) => p.status).sort(), ['failed', 'rolled back']);
    assert.equal(r.stderr, `podbug reload: ${body.summary}\n`);
    assert.match(body.summary, /^rollback of libhandlers\.so failed in cli-2\/302: nothing to roll back; rolled back in cli-1\/301$/);
  });

  it('says why when the file is missing or too large, and on usage errors', async () => {
    const missing = await podbug(['reload', '--lib', path.join(dir, 'nope.so')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^podbug reload: cannot read .*nope\.so: No such file or directory\n$/);
    const big = path.join(dir, 'libbig.so');
    fs.writeFileSync(big, Buffer.alloc(16 * 1024 * 1024 + 1));
    const tooBig = await podbug(['reload', '--lib', big]);
    assert.equal(tooBig.code, 1);
    assert.match(tooBig.stderr, /libbig\.so is 16777217 bytes; a reload carries at most 16777216 \(16 MiB\)/);
    const usage = await podbug(['reload', '--watch', big, '--rollback']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /give one of --lib PATH, --watch PATH or --rollback/);
  });

  it('reloads after each rebuild with --watch until interrupted', async () => {
    const file = path.join(dir, 'libhandlers.so');
    const before = probes[0].received('reload').length;
    const r = await podbug(['reload', '--watch', file, '--selector', 'pod=cli-1'], {
      signalAfter: async (out) => {
        await waitFor('the watch to start', () => out.stderr.includes('watching'));
        await sleep(300);
        assert.equal(probes[0].received('reload').length, before, 'nothing is reloaded before a rebuild');
        const tmp = path.join(dir, 'libhandlers.so.tmp');
        fs.writeFileSync(tmp, Buffer.concat([library, Buffer.from('v2')]));
        fs.renameSync(tmp, file);
        await waitFor('the reload', () => out.stdout.includes('reloaded libhandlers.so in 1 of 1 process'));
        fs.writeFileSync(file, Buffer.concat([library, Buffer.from('v3')]));
        await waitFor('the second reload', () => out.stdout.split('reloaded libhandlers.so in').length === 3);
        probes[0].crash(probes[0].reloadId);
        await waitFor('the crash report', () => out.stdout.includes('crashed cli-1/301'));
        out.child.kill('SIGINT');
      },
    });
    assert.equal(r.code, 0, r.stderr);
    const reloads = probes[0].received('reload').slice(before);
    assert.equal(reloads.length, 2);
    assert.equal(reloads[0].body.sha256, crypto.createHash('sha256').update(Buffer.concat([library, Buffer.from('v2')])).digest('hex'));
    assert.match(r.stdout, /podbug reload: reload \d+ of libhandlers\.so crashed cli-1\/301: SIGSEGV: invalid read at 0x0\n {4}#0 handle \(\/src\/handlers\.c:12\)\n {4}#1 worker \(\/src\/reload_app\.c:40\)\npodbug reload: rolled back in no other process\n/);
  });
});
