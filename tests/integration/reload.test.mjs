// Hot reload end to end (tests/targets/reload, -O0 and -O2): pods running reload_app, whose worker
// threads call handle() of libhandlers.so in a tight loop, get a rebuilt library through the DAP
// request podbug/reload or `podbug reload`: every pod switches, no call fails, the global, file-static
// and function-static counters keep counting; a struct layout change is refused; rollbacks, a
// dlopened library, breakpoints that re-bind, the podbug_reload_state hook, canary, crash rollback,
// all or nothing, and the CLI with --watch.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildDir, CheckedClient, markerLine, repoRoot, Server, Target, waitFor } from './lib/harness.mjs';

const sourceDir = path.join(repoRoot, 'tests/targets/reload');
// Every version is compiled as this one file (see the Makefile), as a rebuild of one source is.
const handlersSource = path.join(sourceDir, 'handlers.c');
const handleLine = markerLine(path.join(sourceDir, 'handlers_v1.c'), 'BP:handle');
const RESULT = { v1: 20, v2: 31, v3: 53 }; // handle() of {amount 10} in each version (handlers.h)
const asan = Boolean(process.env.PODBUG_PRELOAD_FIRST);

const library = (opt, version) => path.join(buildDir, 'targets/reload', opt, version, 'libhandlers.so');

// DebugClient has no timeouts over a socket: fail instead of hanging.
function within(promise, what, ms = 15000) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no ${what} after ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The whole response, whether it succeeded or not. */
function request(client, command, args, ms = 20000) {
  return within(new Promise((resolve) => client.doSend(command, args, resolve)), `${command} response`, ms);
}

function reloadArgs(opt, version, extra = {}) {
  const bytes = fs.readFileSync(library(opt, version));
  return {
    name: 'libhandlers.so',
    library: bytes.toString('base64'),
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    ...extra,
  };
}

const reload = (client, opt, version, extra) => request(client, 'podbug/reload', reloadArgs(opt, version, extra));
const rollback = (client) => request(client, 'podbug/reload', { rollback: true, name: 'libhandlers.so' });

/** A session that reports progress, attached to the pods labelled app=<app>. */
async function attach(server, app) {
  const client = await CheckedClient.connect(server);
  await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path', supportsProgressReporting: true });
  const initialized = client.waitForEvent('initialized');
  await client.attachRequest({ selector: { app } });
  await within(initialized, 'initialized event');
  await client.configurationDoneRequest();
  return client;
}

/** reload_app as pod <pod> labelled app=<app>: linked with v1, or dlopening `dlopen` (a path). */
async function startApp(server, opt, { pod, app, dlopen, threads = 4, ids = 1000 }) {
  const name = dlopen ? `reload/${opt}/reload_app_unlinked` : `reload/${opt}/reload_app`;
  const mode = dlopen ? ['dlopen', dlopen] : ['linked'];
  const t = await Target.start(name, {
    serverUrl: server.probeUrl, pod, labels: `app=${app}`, stdin: true,
    args: [...mode, '--threads', String(threads), '--ids', String(ids)],
  });
  t.pod = pod;
  t.process = `${pod}/${t.pid}`;
  return t;
}

async function waitForPods(server, pods) {
  await waitFor(`${pods.map((p) => p.pod).join(', ')} to register`, async () => {
    const registered = (await server.pods()).map((p) => `${p.pod}/${p.pid}`);
    return pods.every((p) => registered.includes(p.process));
  });
}

function parseFields(line) {
  const fields = {};
  for (const [, key, value] of line.matchAll(/(\w+)=(\S+)/g)) {
    fields[key] = key === 'results' ? value.split(',').map(Number) : Number(value);
  }
  return fields;
}

const statusLines = (app) => app.output.stdout.split('\n').filter((l) => l.startsWith('calls=')).map(parseFields);

/** Waits until app prints a status line in which every worker (or, with none, the last call) got
 *  `result`; then checks that the next line says so too. Returns the first such line. */
async function waitForResult(app, result) {
  const allGot = (s) => s.last === result && s.results.every((r) => r === result);
  let index = -1;
  await waitFor(`${app.process} to answer ${result}`, () => {
    const lines = statusLines(app);
    index = lines.findLastIndex((s) => !allGot(s)) + 1;
    return index < lines.length;
  }, 10000).catch((e) => { throw new Error(`${e.message}; it says: ${app.output.stdout.trim().split('\n').pop()}`); });
  const first = statusLines(app)[index];
  await waitFor(`another status line of ${app.process}`, () => statusLines(app).length > index + 1, 5000);
  const next = statusLines(app)[index + 1];
  assert.ok(allGot(next), `${app.process} keeps answering ${result}: ${JSON.stringify(next)}`);
  assert.equal(next.bad, 0, `${app.process}: no call failed`);
  return first;
}

/** Stops app with SIGTERM and checks its final counters: nothing lost by the swaps, no bad result. */
async function stopAndCheckCounters(app) {
  app.proc.kill('SIGTERM');
  const exit = await within(app.exited, `${app.process} to exit`);
  assert.equal(exit.code, 0, `${app.process} exits 0: ${app.output.stderr.slice(-500)}`);
  const final = /^final calls=(\d+) total=(\d+) here=(\d+) bad=(\d+) fn_static=(\d+)$/m.exec(app.output.stdout);
  assert.ok(final, `a final line from ${app.process}: ${app.output.stdout.slice(-300)}`);
  const [calls, total, here, bad, fnStatic] = final.slice(1).map(Number);
  assert.ok(calls > 0);
  assert.deepEqual({ total, here, fnStatic, bad }, { total: calls, here: calls, fnStatic: calls, bad: 0 },
    `${app.process}: every call counted once in the global, the file static and the function static`);
}

function assertDiedOfSegv(exit, app) {
  if (asan) assert.equal(exit.code, 1, `ASan ends ${app.process}: ${app.output.stderr.slice(-300)}`);
  else assert.equal(exit.sig, 'SIGSEGV', `${app.process} died of SIGSEGV (${JSON.stringify(exit)})`);
}

const entryOf = (response, app) => response.body?.processes?.find((p) => p.process === app.process);

/** The reload response's entries for apps, in their order (it lists these and no others). */
function entriesFor(response, apps) {
  assert.ok(response.body?.processes, `a body with processes: ${JSON.stringify(response)}`);
  assert.equal(response.body.processes.length, apps.length, JSON.stringify(response.body.processes));
  return apps.map((app) => {
    const entry = entryOf(response, app);
    assert.ok(entry, `${app.process} is in ${JSON.stringify(response.body.processes)}`);
    assert.equal(entry.pod, app.pod);
    assert.equal(entry.pid, app.pid);
    return entry;
  });
}

/** The reload response says `status` for every app; returns the entries in apps' order. */
function assertStatuses(response, apps, status) {
  const entries = entriesFor(response, apps);
  assert.deepEqual(entries.map((e) => e.status), apps.map(() => status), JSON.stringify(entries));
  return entries;
}

/** The mapping of /proc/PID/maps that holds address: its path. */
function mappingOf(pid, address) {
  for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m && BigInt(`0x${m[1]}`) <= address && address < BigInt(`0x${m[2]}`)) return m[3];
  }
  return '';
}

for (const opt of ['O0', 'O2']) {
  describe(`hot reload (-${opt})`, () => {
    let server;
    before(async () => { server = await Server.start(); });
    after(async () => { await server?.stop(); });

    describe('three linked pods with four threads each', () => {
      const apps = [];
      let client;
      const app = `shop-${opt}`;
      before(async () => {
        for (const i of [1, 2, 3]) apps.push(await startApp(server, opt, { pod: `shop-${i}-${opt}`, app }));
        await waitForPods(server, apps);
        client = await attach(server, app);
      });
      after(async () => {
        await client?.close();
        for (const a of apps) await a.stop();
      });

      it('reloads v2 in every pod with progress; every thread switches and no call fails', async () => {
        for (const a of apps) await waitForResult(a, RESULT.v1);
        const response = await reload(client, opt, 'v2');
        assert.equal(response.success, true, response.message);
        assert.ok(response.body.reloadId >= 1);
        for (const entry of assertStatuses(response, apps, 'reloaded')) {
          assert.equal(entry.message, '');
          assert.ok(entry.module.endsWith(`/${opt}/v1/libhandlers.so`), entry.module);
          assert.equal(entry.generation, 1);
          assert.ok(entry.patched.includes('handle'), JSON.stringify(entry.patched));
          assert.ok(Number.isInteger(entry.unchanged) && Number.isInteger(entry.added), JSON.stringify(entry));
          assert.ok(entry.timeMs >= 0, JSON.stringify(entry));
        }
        assert.match(response.body.summary, /^reloaded libhandlers\.so in 3 of 3 processes: patched [^;]*\bhandle\b/);
        for (const a of apps) await waitForResult(a, RESULT.v2);

        const start = client.events('progressStart').at(-1);
        assert.ok(start, 'a progressStart event');
        assert.equal(start.body.title, 'Hot reload libhandlers.so');
        assert.equal(start.body.message, '3 processes');
        const id = start.body.progressId;
        const updates = client.events('progressUpdate').filter((e) => e.body.progressId === id);
        assert.deepEqual(updates.map((u) => u.body.message.split(':')[0]).sort(), apps.map((a) => a.process).sort());
        for (const u of updates) assert.match(u.body.message, /: patched .*handle.*\([\d.]+ ms\)$/);
        const end = client.events('progressEnd').find((e) => e.body.progressId === id);
        assert.equal(end?.body.message, response.body.summary);
      });

      it('refuses a struct layout change, naming struct request; v2 keeps running', async () => {
        const response = await reload(client, opt, 'layout');
        assert.equal(response.success, false);
        for (const entry of assertStatuses(response, apps, 'refused')) {
          assert.match(entry.message, /^refused: struct request changed layout: size 8 -> 16; member id: int at 0 -> long at 0/);
        }
        assert.match(response.message, /struct request changed layout/);
        for (const a of apps) await waitForResult(a, RESULT.v2);
      });

      it('reloads v3 on top; rollbacks return to v2, then to the original v1; then nothing is left', async () => {
        const v3 = await reload(client, opt, 'v3');
        assert.equal(v3.success, true, v3.message);
        for (const entry of assertStatuses(v3, apps, 'reloaded')) assert.equal(entry.generation, 2);
        for (const a of apps) await waitForResult(a, RESULT.v3);

        const first = await rollback(client);
        assert.equal(first.success, true, first.message);
        for (const entry of assertStatuses(first, apps, 'rolled back')) assert.equal(entry.generation, 1);
        for (const a of apps) await waitForResult(a, RESULT.v2);

        const second = await rollback(client);
        assert.equal(second.success, true, second.message);
        for (const entry of assertStatuses(second, apps, 'rolled back')) assert.equal(entry.generation, 0);
        for (const a of apps) await waitForResult(a, RESULT.v1);

        const third = await rollback(client);
        assert.equal(third.success, false, 'nothing to roll back');
        for (const a of apps) await waitForResult(a, RESULT.v1);
      });

      it('reloads the podbug_reload_state hook variant, which takes over the counters itself', async () => {
        const response = await reload(client, opt, 'hook');
        assert.equal(response.success, true, response.message);
        assertStatuses(response, apps, 'reloaded');
        for (const a of apps) await waitForResult(a, RESULT.v2);
        const back = await rollback(client);
        assert.equal(back.success, true, back.message);
        for (const a of apps) await waitForResult(a, RESULT.v1);
      });

      it('canary: reloads one pod first and, after canarySeconds, the others', async () => {
        const t0 = Date.now();
        const response = await reload(client, opt, 'v2', { canary: true, canarySeconds: 1 });
        assert.equal(response.success, true, response.message);
        assert.ok(Date.now() - t0 >= 1000, `the others waited for the canary (${Date.now() - t0} ms)`);
        assertStatuses(response, apps, 'reloaded');
        const switched = [];
        for (const a of apps) switched.push((await waitForResult(a, RESULT.v2)).switched_ns);
        // switched_ns is CLOCK_MONOTONIC, one clock for every process of this machine
        const order = [...switched].sort((x, y) => x - y);
        assert.ok(order[1] - order[0] >= 0.9e9, `one pod switched a second before the others: ${switched.join(', ')}`);
      });

      it('kept every call: the counters equal the calls made, through all the swaps', async () => {
        for (const a of apps) await stopAndCheckCounters(a);
        assert.deepEqual(client.violations(), []);
      });
    });

    it('reloads a library the program dlopened itself (RTLD_LOCAL)', async () => {
      const app = await startApp(server, opt, { pod: `plugin-${opt}`, app: `plugin-${opt}`, dlopen: library(opt, 'v1') });
      const client = await attach(server, `plugin-${opt}`);
      try {
        await waitForPods(server, [app]);
        await waitForResult(app, RESULT.v1);
        const response = await reload(client, opt, 'v2');
        assert.equal(response.success, true, response.message);
        const [entry] = assertStatuses(response, [app], 'reloaded');
        assert.ok(entry.module.endsWith(`/${opt}/v1/libhandlers.so`), entry.module);
        await waitForResult(app, RESULT.v2);
        await stopAndCheckCounters(app);
        assert.deepEqual(client.violations(), []);
      } finally {
        await client.close();
        await app.stop();
      }
    });

    /** A breakpoint (bp: the DAP SourceBreakpoint's extra fields) in handle() set before a reload
     *  hits in the new code after it, and in the old after a rollback. */
    async function breakpointAcrossReload(name, bp) {
      const app = await startApp(server, opt, { pod: `${name}-${opt}`, app: `${name}-${opt}`, threads: 0 });
      await waitForPods(server, [app]);
      const client = await attach(server, `${name}-${opt}`);
      try {
        const set = await client.setBreakpointsRequest({ source: { path: handlersSource }, breakpoints: [{ line: handleLine, ...bp }] });
        assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
        if (bp.condition) assert.match(set.body.breakpoints[0].message, /\(fast\)/);

        /** One "call" that stops at the breakpoint: the path of the code it stopped in. */
        async function callAndStop(expected) {
          const stopped = client.waitForEvent('stopped');
          const printed = app.output.stdout.split('result=').length;
          app.send('call');
          const ev = await within(stopped, 'stopped event');
          assert.equal(ev.body.reason, 'breakpoint');
          // At -O2 the line is the inlined record_call(): frames of their own above handle's.
          const frames = (await client.stackTraceRequest({ threadId: ev.body.threadId, levels: 4 })).body.stackFrames;
          const handleFrame = frames.findIndex((f) => f.name === 'handle');
          assert.ok(handleFrame >= 0, JSON.stringify(frames.map((f) => f.name)));
          assert.ok(frames.slice(0, handleFrame).every((f) => ['record_call', 'count_call'].includes(f.name)), JSON.stringify(frames.map((f) => f.name)));
          assert.equal(frames[handleFrame].line, handleLine);
          const where = mappingOf(app.pid, BigInt(frames[0].instructionPointerReference));
          await client.continueRequest({ threadId: ev.body.threadId });
          await waitFor(`result=${expected}`, () => app.output.stdout.split('result=').length > printed);
          assert.equal(app.output.stdout.split('\n').filter((l) => l.startsWith('result=')).at(-1), `result=${expected}`);
          return where;
        }

        assert.ok((await callAndStop(RESULT.v1)).endsWith(`/${opt}/v1/libhandlers.so`));
        const response = await reload(client, opt, 'v2');
        assert.equal(response.success, true, response.message);
        const newCode = await callAndStop(RESULT.v2);
        assert.ok(!newCode.endsWith('/v1/libhandlers.so') && newCode.includes('libhandlers.so'), `stopped in the new library: ${newCode}`);
        const back = await rollback(client);
        assert.equal(back.success, true, back.message);
        assert.ok((await callAndStop(RESULT.v1)).endsWith(`/${opt}/v1/libhandlers.so`));
        assert.deepEqual(client.violations(), []);
      } finally {
        await client.close();
        await app.stop();
      }
    }

    it('a breakpoint set in handle() before a reload hits in the new code after it, and in the old after a rollback', async () => {
      await breakpointAcrossReload('bp', {});
    });

    it('a fast conditional breakpoint in handle() does the same across a reload and a rollback', async () => {
      await breakpointAcrossReload('fastbp', { condition: 'handled_total >= 0' });
    });

    it('canary: a crashing version crashes the canary pod only; the others never get it', async () => {
      const app = `canary-${opt}`;
      // The workers make requests with id 999 at once: the crashing version crashes at its first calls.
      const apps = [];
      for (const i of [1, 2, 3]) apps.push(await startApp(server, opt, { pod: `canary-${i}-${opt}`, app, threads: 2 }));
      await waitForPods(server, apps);
      const client = await attach(server, app);
      try {
        const response = await reload(client, opt, 'crash', { canary: true, canarySeconds: 2 });
        assert.equal(response.success, false, 'the canary crashed');
        const dead = await waitFor('the canary to die', () => apps.find((a) => !a.alive()));
        assertDiedOfSegv(await dead.exited, dead);
        const survivors = apps.filter((a) => a !== dead);
        assert.equal(survivors.length, 2);
        const entries = entriesFor(response, apps);
        assert.notEqual(entries[apps.indexOf(dead)].status, 'reloaded');
        for (const a of survivors) {
          assert.equal(entries[apps.indexOf(a)].status, 'not attempted');
          await waitForResult(a, RESULT.v1);
          assert.ok(statusLines(a).every((s) => s.last === RESULT.v1), `${a.process} never ran the crashing code`);
          await stopAndCheckCounters(a);
        }
        assert.deepEqual(client.violations(), []);
        // A crash in the first microseconds after the swap is a crash in reloaded code too.
        const event = await waitFor("the canary's crash report (podbug/reloadCrashed)", () => client.events('podbug/reloadCrashed')[0], 5000);
        assert.equal(event.body.process, dead.process);
        assert.deepEqual(event.body.rolledBack, []);
      } finally {
        await client.close();
        for (const a of apps) await a.stop();
      }
    });

    it('without canary, a crash in reloaded code rolls the other pods back and reports the crash', async () => {
      const app = `crash-${opt}`;
      // No worker makes a request with id 999; the first pod's main thread does once all reloaded.
      const apps = [];
      for (const i of [1, 2, 3]) apps.push(await startApp(server, opt, { pod: `crash-${i}-${opt}`, app, threads: 2, ids: 999 }));
      await waitForPods(server, apps);
      const client = await attach(server, app);
      try {
        const response = await reload(client, opt, 'crash');
        assert.equal(response.success, true, response.message);
        assertStatuses(response, apps, 'reloaded');
        for (const a of apps) await waitForResult(a, RESULT.v2);
        const crashed = within(client.waitForEvent('podbug/reloadCrashed'), 'podbug/reloadCrashed event');
        apps[0].send('call 999');
        const event = await crashed;
        assert.equal(event.body.reloadId, response.body.reloadId);
        assert.equal(event.body.process, apps[0].process);
        assert.match(event.body.description, /SIGSEGV/);
        const first = event.body.frames[0];
        assert.match(typeof first === 'string' ? first : (first.name ?? first.function), /\bhandle\b/, JSON.stringify(event.body.frames));
        assert.deepEqual([...event.body.rolledBack].sort(), [apps[1].process, apps[2].process].sort());
        assertDiedOfSegv(await within(apps[0].exited, 'the crashing pod to die'), apps[0]);
        const important = client.events('output').filter((e) => e.body.category === 'important').map((e) => e.body.output).join('');
        assert.match(important, /SIGSEGV/);
        assert.match(important, /\bhandle\b/);
        for (const a of apps.slice(1)) {
          await waitForResult(a, RESULT.v1);
          await stopAndCheckCounters(a);
        }
        assert.deepEqual(client.violations(), []);
      } finally {
        await client.close();
        for (const a of apps) await a.stop();
      }
    });

    it('all or nothing: a pod that refuses gets the others rolled back, with a status per process', async () => {
      const app = `mixed-${opt}`;
      // The third pod runs the hook variant itself: its podbug_reload_state finds no handled_here there.
      const apps = [
        await startApp(server, opt, { pod: `mixed-1-${opt}`, app, threads: 2 }),
        await startApp(server, opt, { pod: `mixed-2-${opt}`, app, threads: 2 }),
        await startApp(server, opt, { pod: `mixed-3-${opt}`, app, threads: 2, dlopen: library(opt, 'hook') }),
      ];
      await waitForPods(server, apps);
      const client = await attach(server, app);
      try {
        const response = await reload(client, opt, 'hook');
        assert.equal(response.success, false);
        assert.match(response.message, new RegExp(`${apps[2].process}.*podbug_reload_state returned 1`));
        assert.match(response.message, /rolled back/);
        const entries = entriesFor(response, apps);
        assert.deepEqual(entries.map((e) => e.status), ['rolled back', 'rolled back', 'refused']);
        assert.match(entries[2].message, /^refused: the library's podbug_reload_state returned 1$/);
        for (const a of apps.slice(0, 2)) await waitForResult(a, RESULT.v1);
        await waitForResult(apps[2], RESULT.v2);
        for (const a of apps) await stopAndCheckCounters(a);
        assert.deepEqual(client.violations(), []);
      } finally {
        await client.close();
        for (const a of apps) await a.stop();
      }
    });
  });
}

describe('podbug reload (the CLI, -O2)', () => {
  const opt = 'O2';
  let server;
  const apps = [];
  const app = 'cli-reload';
  before(async () => {
    server = await Server.start();
    for (const i of [1, 2]) apps.push(await startApp(server, opt, { pod: `cli-${i}`, app, threads: 2 }));
    await waitForPods(server, apps);
  });
  after(async () => {
    for (const a of apps) await a.stop();
    await server?.stop();
  });

  const where = () => ['--selector', `app=${app}`, '--server', `ws://127.0.0.1:${server.port}`, '--dap-port', String(server.dapPort)];
  const podbug = (...args) => spawnSync(path.join(buildDir, 'podbug'), ['reload', ...args, ...where()], { encoding: 'utf8', timeout: 30000 });

  it('reloads with --lib, printing a line per process and the summary; exit 0', async () => {
    const r = podbug('--lib', library(opt, 'v2'));
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    for (const a of apps) {
      assert.ok(lines.some((l) => new RegExp(`^${a.process}\\s+reloaded\\s+patched .*\\bhandle\\b.*\\s[\\d.]+ ms$`).test(l)), r.stdout);
    }
    assert.match(lines.at(-1), /^reloaded libhandlers\.so in 2 of 2 processes: patched [^;]*\bhandle\b/);
    for (const a of apps) await waitForResult(a, RESULT.v2);
  });

  it('a refused library exits 1 with one line naming struct request; v2 keeps running', async () => {
    const r = podbug('--lib', library(opt, 'layout'));
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /struct request changed layout/);
    for (const a of apps) await waitForResult(a, RESULT.v2);
  });

  it('rolls back with --rollback --json', async () => {
    const r = podbug('--rollback', '--name', 'libhandlers.so', '--json');
    assert.equal(r.status, 0, r.stderr);
    const body = JSON.parse(r.stdout);
    assert.deepEqual(body.processes.map((p) => p.status), ['rolled back', 'rolled back']);
    for (const a of apps) await waitForResult(a, RESULT.v1);
  });

  it('--watch reloads when the watched file is rebuilt, until it is stopped', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podbug-watch-'));
    const watched = path.join(dir, 'libhandlers.so');
    fs.copyFileSync(library(opt, 'v1'), watched);
    const cli = spawn(path.join(buildDir, 'podbug'), ['reload', '--watch', watched, ...where()], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    cli.stdout.on('data', (d) => { out.stdout += d; });
    cli.stderr.on('data', (d) => { out.stderr += d; });
    const exited = new Promise((r) => cli.on('exit', (code, sig) => r({ code, sig })));
    try {
      await waitFor('the CLI to watch', () => out.stderr.includes(`watching ${watched}`));
      for (const a of apps) assert.equal(statusLines(a).at(-1).last, RESULT.v1, 'nothing reloaded before a rebuild');
      // a rebuild as a linker does it: write a new file, rename it over the old one
      fs.copyFileSync(library(opt, 'v2'), `${watched}.tmp`);
      fs.renameSync(`${watched}.tmp`, watched);
      for (const a of apps) await waitForResult(a, RESULT.v2);
      await waitFor('the CLI to print the result', () => /reloaded libhandlers\.so in 2 of 2 processes/.test(out.stdout));
      assert.ok(cli.exitCode === null, `still watching: ${out.stderr}`);
      cli.kill('SIGINT');
      const exit = await within(exited, 'the CLI to exit');
      assert.equal(exit.code, 0, out.stderr);
    } finally {
      cli.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
    for (const a of apps) await stopAndCheckCounters(a);
  });
});
