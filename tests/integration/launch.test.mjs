// DAP launch (tests/targets/launched.c, -O0 and -O2): the server starts the program with the probe
// preloaded and held, so a breakpoint on main's first line stops; args, env and cwd reach it and
// its stdout and stderr come back as output events; its exit brings `exited` {exitCode} then
// `terminated` (a crash: 128 + 11 and "killed by SIGSEGV"); stopOnEntry stops with reason entry;
// terminate, disconnect (terminateDebuggee true by default, then SIGKILL after 2 s for a program
// that ignores SIGTERM) and disconnect with terminateDebuggee false; a program that cannot start
// or exits before its probe registers fails the launch with the reason, the server running on.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildDir, CheckedClient, markerLine, repoRoot, Server, sleep, waitFor } from './lib/harness.mjs';

const source = path.join(repoRoot, 'tests/targets/launched.c');
const mainLine = markerLine(source, 'BP:main-first-line');
// Under `make asan` the probe needs the ASan runtime loaded: the launch's env preloads it after the
// probe the server puts first, and ASan ends a crashing program with status 1 after its report.
const asanRuntime = process.env.PODBUG_PRELOAD_FIRST;
const asanEnv = asanRuntime ? { LD_PRELOAD: asanRuntime, ASAN_OPTIONS: 'verify_asan_link_order=0:detect_leaks=0' } : {};

// DebugClient's waitForEvent has no timeout over a socket: fail instead of hanging.
function within(promise, what, ms = 10000) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no ${what} after ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const processExists = (pid) => fs.existsSync(`/proc/${pid}`);

/** Everything the session received as output events of category. */
function outputOf(client, category) {
  return client.events('output').filter((e) => e.body.category === category).map((e) => e.body.output).join('');
}

for (const opt of ['O0', 'O2']) {
  describe(`launch (-${opt})`, () => {
    const program = path.join(buildDir, 'targets', `launched-${opt}`);
    let server;
    let client;
    before(async () => { server = await Server.start(); });
    after(async () => {
      await client?.close();
      await server?.stop();
    });

    /** A client that initialized and launched program with args (answered once the probe registered). */
    async function launch(args) {
      client = await CheckedClient.connect(server);
      await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
      const initialized = within(client.waitForEvent('initialized'), 'initialized');
      const response = await client.launchRequest({ program, ...args, env: { ...asanEnv, ...args.env } });
      assert.equal(response.success, true);
      await initialized;
      return client;
    }

    /** The pid of the session's one process (from the thread list: "<pod>/<pid> <name>"). */
    async function launchedPid() {
      const threads = (await client.threadsRequest()).body.threads;
      assert.equal(threads.length, 1, JSON.stringify(threads));
      return Number(threads[0].name.match(/\/(\d+) /)[1]);
    }

    /** Launches program with args, lets it start and waits until it printed; returns its pid. */
    async function launchRunning(args) {
      await launch({ args });
      await client.configurationDoneRequest();
      await waitFor('the program to print', () => outputOf(client, 'stderr').includes('a line on stderr'));
      return launchedPid();
    }

    async function endSession() {
      assert.deepEqual(client.violations(), []);
      await client.close();
      client = undefined;
    }

    it('stops at a breakpoint on main\'s first line, passes args, env and cwd, and reports the exit code', async () => {
      const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'podbug-launch-'));
      await launch({ args: ['exit', '7', 'two words'], env: { LAUNCH_GREETING: 'hello there' }, cwd });
      const pod = (await server.pods()).find((p) => p.labels?.['podbug.launch']);
      assert.equal(pod?.pod, `launched-${opt}`, JSON.stringify(await server.pods()));
      const set = await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: mainLine }] });
      assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
      const stopped = within(client.waitForEvent('stopped'), 'a stop at main');
      await client.configurationDoneRequest();
      const ev = await stopped;
      assert.equal(ev.body.reason, 'breakpoint');
      const frames = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames;
      assert.equal(frames[0].name, 'main');
      // At -O2 main's first statement shares its address with main's opening line, which the line
      // table lists last for it.
      assert.ok(frames[0].line === mainLine || (opt === 'O2' && frames[0].line === mainLine - 1), `line ${frames[0].line}`);
      assert.equal(outputOf(client, 'stdout'), '', 'nothing ran before main');

      const exited = within(client.waitForEvent('exited'), 'exited');
      const terminated = within(client.waitForEvent('terminated'), 'terminated');
      await client.continueRequest({ threadId: ev.body.threadId });
      assert.equal((await exited).body.exitCode, 7);
      await terminated;
      const kinds = client.received.filter((m) => m.type === 'event' && ['exited', 'terminated'].includes(m.event)).map((m) => m.event);
      assert.deepEqual(kinds, ['exited', 'terminated']);
      const stdout = outputOf(client, 'stdout');
      assert.match(stdout, /^args: \[exit\] \[7\] \[two words\]$/m);
      assert.match(stdout, /^greeting: hello there$/m);
      assert.ok(stdout.includes(`cwd: ${cwd}\n`), stdout);
      assert.match(outputOf(client, 'stderr'), /a line on stderr/);
      assert.match(outputOf(client, 'console'), /exited with code 7/);
      await client.disconnectRequest({});
      await endSession();
      fs.rmSync(cwd, { recursive: true });
    });

    it('runs in the program\'s directory by default and stops on entry when asked', async () => {
      await launch({ stopOnEntry: true });
      const stopped = within(client.waitForEvent('stopped'), 'a stop on entry');
      await client.configurationDoneRequest();
      const ev = await stopped;
      assert.equal(ev.body.reason, 'entry');
      const frames = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames;
      assert.equal(frames[0].name, 'main');
      const exited = within(client.waitForEvent('exited'), 'exited');
      await client.continueRequest({ threadId: ev.body.threadId });
      assert.equal((await exited).body.exitCode, 0);
      assert.ok(outputOf(client, 'stdout').includes(`cwd: ${path.dirname(program)}\n`), outputOf(client, 'stdout'));
      await client.disconnectRequest({});
      await endSession();
    });

    it('reports a crash as exit code 128 + 11 with "killed by SIGSEGV"', async () => {
      await launch({ args: ['crash'] });
      const exited = within(client.waitForEvent('exited'), 'exited');
      const terminated = within(client.waitForEvent('terminated'), 'terminated');
      await client.configurationDoneRequest();
      const { exitCode } = (await exited).body;
      await terminated;
      if (asanRuntime) {
        assert.equal(exitCode, 1, 'ASan ends the process after its report');
      } else {
        assert.equal(exitCode, 128 + 11);
        assert.match(outputOf(client, 'console'), /killed by SIGSEGV/);
      }
      await client.disconnectRequest({});
      await endSession();
    });

    it('terminate ends the program with SIGTERM', async () => {
      const pid = await launchRunning(['wait']);
      const exited = within(client.waitForEvent('exited'), 'exited');
      const terminated = within(client.waitForEvent('terminated'), 'terminated');
      await client.terminateRequest({});
      assert.equal((await exited).body.exitCode, 128 + 15);
      await terminated;
      await client.disconnectRequest({});
      assert.equal(processExists(pid), false);
      await endSession();
    });

    it('disconnect ends the program (terminateDebuggee by default), with SIGKILL when it ignores SIGTERM', async () => {
      for (const mode of ['wait', 'stubborn']) {
        const pid = await launchRunning([mode]);
        const start = Date.now();
        await client.disconnectRequest({});
        const took = Date.now() - start;
        assert.equal(processExists(pid), false, `${mode}: the process is gone when disconnect is answered`);
        if (mode === 'stubborn') assert.ok(took >= 1900, `SIGKILL came after the 2 s grace (${took} ms)`);
        await endSession();
      }
    });

    it('disconnect with terminateDebuggee false leaves the program running', async () => {
      const pid = await launchRunning(['wait']);
      await client.disconnectRequest({ terminateDebuggee: false });
      await endSession();
      await sleep(500);
      assert.equal(processExists(pid), true, 'the program runs on');
      process.kill(pid, 'SIGKILL');
      await waitFor('the server to reap it', () => !processExists(pid));
    });

    it('holds the program until configurationDone even without breakpoints', async () => {
      await launch({ args: ['exit', '0'] });
      await sleep(300);
      assert.equal(outputOf(client, 'stdout'), '', 'held before configurationDone');
      const exited = within(client.waitForEvent('exited'), 'exited');
      await client.configurationDoneRequest();
      assert.equal((await exited).body.exitCode, 0);
      await client.disconnectRequest({});
      await endSession();
    });

    it('explains a launch that cannot start, and the server runs on', async () => {
      const cases = [
        [{ program: '/nonexistent/prog' }, /program \/nonexistent\/prog: No such file or directory/],
        [{ program: source }, /is not an executable file/],
        [{ program, cwd: '/nonexistent-dir' }, /cwd \/nonexistent-dir: No such file or directory/],
        [{ program, args: ['x', 3] }, /args\[1\] is not a string/],
        [{ program, env: { A: 1 } }, /'env' entry 'A' must have a string value/],
        [{}, /'program' is required/],
        // The probe refuses a bad PODBUG_LABELS and never registers: the program runs and exits.
        [{ program, args: ['exit', '3'], env: { PODBUG_LABELS: 'bad' } }, /exited with code 3 before its probe registered/],
      ];
      for (const [args, message] of cases) {
        client = await CheckedClient.connect(server);
        await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
        await assert.rejects(client.launchRequest({ ...args, env: { ...asanEnv, ...args.env } }), (err) => {
          assert.match(err.message, message);
          return true;
        });
        await endSession();
      }
      assert.ok((await fetch(`http://127.0.0.1:${server.port}/healthz`)).ok);
    });
  });
}
