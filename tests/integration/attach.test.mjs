// `podbug attach --pid N` and DAP attach {pid, inject: true}: the probe is loaded into a running
// process started without it (tests/targets/busy.c, -O0 and -O2), which then registers and hits
// breakpoints; its threads' nanosleep, pipe read, futex wait and CPU loop go on as if nothing
// happened, whichever thread the injection ran in; a second attach, no permission and a process
// that does not exist are explained.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildDir, CheckedClient, Server, sleep, Target, waitFor } from './lib/harness.mjs';

const podbugBin = path.join(buildDir, 'podbug');
const podbug = (...args) => spawnSync(podbugBin, args, { encoding: 'utf8', timeout: 30000 });
// Two whole 2 s sleeps of the sleeper thread after the attach.
const SETTLE_MS = 4600;

// Under `make asan` the probe is built with AddressSanitizer: only a process whose first library is
// the sanitizer's runtime can load it, so busy gets that runtime (and nothing of podbug) preloaded.
const asanRuntime = process.env.PODBUG_PRELOAD_FIRST ? { LD_PRELOAD: process.env.PODBUG_PRELOAD_FIRST } : {};

async function startBusy(server, name) {
  return Target.start(name, { serverUrl: server.probeUrl, preload: false, stdin: true, env: asanRuntime });
}

/** A server and one busy process without the probe for the tests of the enclosing describe. */
function serverAndBusy(name) {
  const ctx = {};
  before(async () => {
    ctx.server = await Server.start();
    ctx.target = await startBusy(ctx.server, name);
  });
  after(async () => {
    await ctx.target?.stop();
    await ctx.server?.stop();
  });
  return ctx;
}

/** The tids busy printed at start: { main, sleeper, reader, futex, cpu }. */
function busyThreads(target) {
  const line = target.output.stdout.split('\n').find((l) => l.startsWith('ready '));
  return Object.fromEntries(line.slice(6).split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
}

/** The counters of busy's next status line. */
async function busyStatus(target) {
  const before = target.output.stdout.split('\n').filter((l) => l.startsWith('status ')).length;
  target.send('status');
  const line = await waitFor('a status line', () => target.output.stdout.split('\n').filter((l) => l.startsWith('status '))[before]);
  return Object.fromEntries(line.slice(7).split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
}

function assertUndisturbed(status, what) {
  assert.equal(status.eintr, 0, `${what}: a call returned EINTR: ${JSON.stringify(status)}`);
  assert.equal(status.short_sleeps, 0, `${what}: a sleep was cut short: ${JSON.stringify(status)}`);
  assert.equal(status.lost, 0, `${what}: bytes were lost on the pipe: ${JSON.stringify(status)}`);
  assert.equal(status.spurious, 0, `${what}: a futex wait returned without a wake: ${JSON.stringify(status)}`);
  assert.ok(status.sleeps >= 2, `${what}: the sleeper slept on: ${JSON.stringify(status)}`);
  assert.ok(status.written - status.bytes <= 1, `${what}: every byte written was read: ${JSON.stringify(status)}`);
  assert.ok(status.wakes >= 10 && status.work > 0, `${what}: the futex and CPU threads ran on: ${JSON.stringify(status)}`);
}

/** Sets a function breakpoint on busy_work in an attached session and waits for its hit. */
async function breakOnBusyWork(client) {
  const stopped = client.waitForEvent('stopped', 15000);
  const set = await client.send('setFunctionBreakpoints', { breakpoints: [{ name: 'busy_work' }] });
  assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
  const ev = await stopped;
  assert.equal(ev.body.reason, 'function breakpoint');
  const frames = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames;
  assert.equal(frames[0].name, 'busy_work');
  assert.equal(frames[1].name, 'cpu_loop');
  await client.send('setFunctionBreakpoints', { breakpoints: [] });
  await client.continueRequest({ threadId: ev.body.threadId });
}

/** In a session attached with stopAll false (only the hitting thread parks, so the other threads'
 *  calls are not signalled): checks, a busy_work hit, disconnect; then busy's calls are still fine. */
async function hitThenCheckUndisturbed(client, target, what, checks = async () => {}) {
  try {
    await checks();
    await breakOnBusyWork(client);
    await client.disconnectRequest({});
    assert.deepEqual(client.violations(), []);
  } finally {
    await client.close();
  }
  await sleep(SETTLE_MS);
  assertUndisturbed(await busyStatus(target), what);
}

for (const opt of ['O0', 'O2']) {
  describe(`podbug attach to a running process (-${opt})`, () => {
    const ctx = serverAndBusy(`busy-${opt}`);

    it('loads the probe; the pod registers, its calls go on undisturbed, a breakpoint hits', async () => {
      const { server, target } = ctx;
      assert.deepEqual(await server.pods(), []);
      const r = podbug('attach', '--pid', String(target.pid), '--server', `ws://127.0.0.1:${server.port}`,
        '--pod', `busy-${opt}`, '--labels', 'app=busy');
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^attached: probe loaded into ${target.pid} \\(pod busy-${opt}\\); thread \\d+ was stopped for \\d+\\.\\d ms\\n$`));
      const stoppedMs = Number(/for ([\d.]+) ms/.exec(r.stdout)[1]);
      assert.ok(stoppedMs < 1000, `the thread was stopped for ${stoppedMs} ms`);
      const [pod] = await server.waitForPods(1);
      assert.equal(pod.pod, `busy-${opt}`);
      assert.equal(pod.pid, target.pid);
      assert.deepEqual(pod.labels, { app: 'busy' });

      await sleep(SETTLE_MS);
      assertUndisturbed(await busyStatus(target), 'after the attach');

      const client = await CheckedClient.attachSession(server, { selector: { app: 'busy' }, stopAll: false });
      await hitThenCheckUndisturbed(client, target, 'after the breakpoint');
      assert.ok(target.alive());
    });

    it('a second attach is a no-op that says so', () => {
      const { server, target } = ctx;
      const r = podbug('attach', '--pid', String(target.pid), '--server', `ws://127.0.0.1:${server.port}`);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^the probe is already loaded in ${target.pid} \\(.*libpodbug-probe\\.so\\)\\n$`));
      const j = podbug('attach', '--pid', String(target.pid), '--json');
      assert.equal(j.status, 0, j.stderr);
      const answer = JSON.parse(j.stdout);
      assert.equal(answer.already_loaded, true);
      assert.equal(answer.pid, target.pid);
    });
  });
}

describe('podbug attach runs its calls in any kind of thread (-O2)', () => {
  let server;
  const targets = {};
  before(async () => {
    server = await Server.start();
    for (const kind of ['sleeper', 'reader', 'futex', 'cpu']) targets[kind] = await startBusy(server, 'busy-O2');
  });
  after(async () => {
    for (const t of Object.values(targets)) await t.stop();
    await server?.stop();
  });

  it('a thread in nanosleep, in a pipe read, in a futex wait or in a CPU loop resumes exactly', async () => {
    const attaches = Object.entries(targets).map(([kind, target]) => new Promise((resolve) => {
      const tid = busyThreads(target)[kind];
      const child = spawn(podbugBin, ['attach', '--pid', String(target.pid), '--thread', String(tid), '--json',
        '--server', `ws://127.0.0.1:${server.port}`, '--pod', kind], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { err += d; });
      child.on('exit', (status) => resolve({ kind, tid, status, out, err }));
    }));
    for (const a of await Promise.all(attaches)) {
      assert.equal(a.status, 0, `${a.kind}: ${a.err}`);
      const answer = JSON.parse(a.out);
      assert.equal(answer.thread, a.tid);
      assert.equal(answer.pod, a.kind);
      assert.equal(answer.already_loaded, false);
      assert.equal(answer.copied, false);
      assert.ok(answer.stopped_ms > 0 && answer.stopped_ms < 1000, `${a.kind}: stopped ${answer.stopped_ms} ms`);
    }
    await server.waitForPods(4);
    await sleep(SETTLE_MS);
    for (const [kind, target] of Object.entries(targets)) assertUndisturbed(await busyStatus(target), `injected in the ${kind} thread`);
  });
});

describe('podbug attach explains what it cannot do', () => {
  const ctx = serverAndBusy('busy-O0');

  it('without permission to trace the process: status 1 and why', () => {
    const { target } = ctx;
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all',
      '--bounding-set=-all', podbugBin, 'attach', '--pid', String(target.pid)], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^podbug attach: no permission to [a-z ]+ ${target.pid}: run as root or with CAP_SYS_PTRACE.*\\n$`));
    assert.equal(r.stdout, '');
  });

  it('a process that does not exist', () => {
    const gone = spawnSync('true').pid;
    const r = podbug('attach', '--pid', String(gone));
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `podbug attach: process ${gone} does not exist\n`);
    const j = podbug('attach', '--pid', String(gone), '--json');
    assert.deepEqual(JSON.parse(j.stdout), { pid: gone, error: `process ${gone} does not exist` });
  });

  it('usage errors: status 2', () => {
    assert.equal(podbug('attach').status, 2);
    assert.match(podbug('attach').stderr, /^podbug attach: which process\? \(--pid N\)/);
    assert.equal(podbug('attach', '--pid', 'x').status, 2);
    assert.equal(podbug('attach', '--pid', '1', '--labels', 'novalue').status, 2);
    assert.match(podbug('attach', '--help').stdout, /--thread TID/);
  });

  it('leaves the process alone after all that', async () => {
    const { server, target } = ctx;
    assert.deepEqual(await server.pods(), []);
    const status = await busyStatus(target);
    assert.equal(status.eintr, 0, JSON.stringify(status));
    assert.equal(status.lost, 0, JSON.stringify(status));
  });
});

for (const opt of ['O0', 'O2']) {
  describe(`DAP attach with pid and inject (-${opt})`, () => {
    const ctx = serverAndBusy(`busy-${opt}`);

    it('loads the probe into a process that has none, then attaches and hits a breakpoint', async () => {
      const { server, target } = ctx;
      const client = await CheckedClient.attachSession(server, { pid: target.pid, inject: true, selector: { app: 'shop' }, stopAll: false });
      await hitThenCheckUndisturbed(client, target, 'after the DAP attach', async () => {
        const pods = await server.pods();
        assert.equal(pods.length, 1);
        assert.equal(pods[0].pid, target.pid);
        assert.deepEqual(pods[0].labels, { app: 'shop' });
        const console = client.events('output').map((e) => e.body.output).join('');
        assert.match(console, new RegExp(`loaded the probe into ${target.pid}; thread \\d+ was stopped for [\\d.]+ ms`));
        assert.match(console, /attached to .*: 1 process now/);
      });
    });

    it('a second inject of the same pid attaches without loading anything', async () => {
      const { server, target } = ctx;
      const client = await CheckedClient.attachSession(server, { pid: target.pid, inject: true });
      try {
        const console = client.events('output').map((e) => e.body.output).join('');
        assert.doesNotMatch(console, /loaded the probe/);
        assert.match(console, /1 process now/);
      } finally {
        await client.close();
      }
    });

    it('a pid with no process is refused with the reason', async () => {
      const { server } = ctx;
      const client = await CheckedClient.connect(server);
      try {
        await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
        const gone = spawnSync('true').pid;
        await assert.rejects(client.attachRequest({ pid: gone, inject: true }), new RegExp(`no process ${gone} on the server's host`));
        await assert.rejects(client.attachRequest({ inject: true }), /'inject' needs the 'pid'/);
        assert.deepEqual(client.violations(), []);
      } finally {
        await client.close();
      }
    });
  });
}
