// Faults a fleet must survive without harming a target: the server SIGKILLed during a stop and
// restarted, a probe's process SIGKILLed while stopped and while running, and a pod's network cut.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CheckedClient, markerLine, repoRoot, Server, Target, textDifferences, waitFor } from './lib/harness.mjs';
import { inNetns, NetnsFleet, netnsUnavailable } from './lib/netns.mjs';

const source = path.join(repoRoot, 'tests/targets/worker.c');
const line = markerLine(source, 'BP:handle_request');
const stopAmount = 7777; // the worker threads' own requests never reach 5000: only ours stop
const condition = `req->amount == ${stopAmount}`;

/** worker-O0 with three busy worker threads whose main thread handles one request per stdin line. */
function startWorker(serverUrl, pod, wrap = [], token = undefined) {
  return Target.start('worker-O0', { serverUrl, pod, labels: 'app=faults', stdin: true, args: ['3', '20000', 'stdin'], wrap, token });
}

const fees = (t) => t.output.stdout.split('\n').filter((l) => l.startsWith('fee ')).length;

/** Sends one request to t; returns a promise of the moment (Date.now()) t printed its answer. */
function request(t, amount, timeoutMs = 10000) {
  const before = fees(t);
  t.send(String(amount));
  return waitFor(`${t.exe} pid ${t.pid} to answer request ${amount}`, () => fees(t) > before && Date.now(), timeoutMs, 20);
}

async function setBreakpoint(c) {
  return (await c.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line, condition }] })).body.breakpoints[0];
}

/** Waits for the session's stop number `count` (1-based) in t, every thread of it parked. */
async function stopIn(c, t, count) {
  const ev = await waitFor(`stop ${count}`, () => c.events('stopped')[count - 1]);
  assert.equal(ev.body.allThreadsStopped, true);
  const threads = (await c.threadsRequest()).body.threads.filter((th) => th.name.includes(`/${t.pid} `));
  assert.ok(threads.length >= 4, `main and three workers of ${t.pid} listed: ${threads.map((th) => th.name)}`);
  return ev;
}

/** Sends t the request that stops, waits for the session's stop number `count` there, continues
 *  it and waits for the answer. */
async function hitAndContinue(c, t, count) {
  const answered = request(t, stopAmount);
  const ev = await stopIn(c, t, count);
  await c.continueRequest({ threadId: ev.body.threadId });
  await answered;
}

/** Ends session c and checks that it received nothing malformed. */
async function finish(c) {
  await c.disconnectRequest({});
  assert.deepEqual(c.violations(), []);
}

/** Runs every cleanup step, last registered first, and then throws the first error (a server's
 *  sanitizer report, say). */
async function runCleanup(steps) {
  const errors = [];
  for (const step of steps.reverse()) {
    try { await step(); } catch (e) { errors.push(e); }
  }
  if (errors.length) throw errors[0];
}

const podNames = async (c) => (await c.customRequest('podbug/pods')).body.pods.map((p) => p.pod);
const threadExited = (c, id) => c.events('thread').some((e) => e.body.reason === 'exited' && e.body.threadId === id);

describe('faults', () => {
  const cleanup = [];
  after(() => runCleanup(cleanup));

  it('resumes a process stopped at a breakpoint when the server is SIGKILLed, and reconnects to a new server', async () => {
    let server = await Server.start();
    const { port } = server;
    cleanup.push(() => server.stop());
    const target = await startWorker(server.probeUrl, 'kill-server');
    cleanup.push(() => target.stop());
    await server.waitForPods(1);
    const c = await CheckedClient.attachSession(server, { selector: { app: 'faults' } });
    assert.equal((await setBreakpoint(c)).message, 'armed in 1 process (fast)');
    const answered = request(target, stopAmount, 30000);
    await stopIn(c, target, 1);
    assert.deepEqual(c.violations(), []);

    const killedAt = Date.now();
    server.proc.kill('SIGKILL');
    await server.exited;
    // The IDE's connection died with the server: nothing to close (a disconnect would never be answered).
    // The probe sees the connection close, resumes every thread and removes its breakpoints.
    const resumedAfter = (await answered) - killedAt;
    assert.ok(resumedAfter < 20000, `resumed ${resumedAfter} ms after the kill`);
    await request(target, stopAmount); // the same request does not stop it again: the breakpoint is gone
    assert.deepEqual(textDifferences(target.pid, target.exe), [], 'no breakpoint left in its code');

    server = await Server.start({ port });
    // The probe retries with a backoff of at most 5 s between attempts.
    await waitFor('the probe to register with the new server', async () => (await server.pods()).some((p) => p.pid === target.pid), 20000, 200);
    const again = await CheckedClient.attachSession(server, { selector: { app: 'faults' } });
    cleanup.push(() => again.close());
    assert.equal((await setBreakpoint(again)).message, 'armed in 1 process (fast)');
    await hitAndContinue(again, target, 1);
    await finish(again);
  });

  it('drops a probe whose process is SIGKILLed, stopped or running, and the others keep working', async () => {
    const server = await Server.start();
    cleanup.push(() => server.stop());
    const targets = {};
    for (const pod of ['killed-stopped', 'killed-running', 'survivor']) {
      targets[pod] = await startWorker(server.probeUrl, pod);
      cleanup.push(() => targets[pod].stop());
    }
    await server.waitForPods(3);
    const c = await CheckedClient.attachSession(server, { selector: { app: 'faults' } });
    cleanup.push(() => c.close());
    assert.equal((await setBreakpoint(c)).message, 'armed in 3 processes (fast)');

    // Killed while stopped: its threads exit in the session, the server forgets it.
    const victim = targets['killed-stopped'];
    victim.send(String(stopAmount)); // never answered: it dies stopped
    const ev = await stopIn(c, victim, 1);
    victim.proc.kill('SIGKILL');
    await victim.exited;
    await waitFor('the stopped thread to exit', () => threadExited(c, ev.body.threadId));
    await waitFor('the server to forget killed-stopped', async () => !(await podNames(c)).includes('killed-stopped'));

    // Killed while running: the entry of the running process exits.
    const runner = targets['killed-running'];
    const entry = (await c.threadsRequest()).body.threads.find((th) => th.name.startsWith(`killed-running/${runner.pid} `));
    assert.ok(entry, 'the running process is listed');
    runner.proc.kill('SIGKILL');
    await runner.exited;
    await waitFor('the running process to exit', () => threadExited(c, entry.id));
    await waitFor('the server to forget killed-running', async () => !(await podNames(c)).includes('killed-running'));
    assert.deepEqual(await podNames(c), ['survivor']);

    // The session and the last pod work on.
    await hitAndContinue(c, targets.survivor, 2);
    await finish(c);
  });
});

const skip = netnsUnavailable();
describe('a pod whose network is cut', { skip: skip ?? false }, () => {
  let fleet;
  const cleanup = [];
  after(async () => {
    try {
      await runCleanup(cleanup);
    } finally {
      fleet?.destroy();
    }
  });

  const link = (ns, state) => execFileSync('ip', ['link', 'set', ns.hostIf, state]);

  it('is dropped after the silence limit, resumes by itself, and reconnects with its breakpoint armed when the link is back', async () => {
    fleet = new NetnsFleet();
    const server = await Server.start({ extraArgs: ['--listen', '0.0.0.0'], tokens: {} }); // off loopback: tokens
    cleanup.push(() => server.stop());
    const ns = fleet.add(1);
    const target = await startWorker(`ws://${ns.hostAddr}:${server.port}/probe`, 'cut', inNetns(ns.name), server.token);
    cleanup.push(() => target.stop());
    await server.waitForPods(1);
    const c = await CheckedClient.attachSession(server, { selector: { app: 'faults' } });
    cleanup.push(() => c.close());
    assert.equal((await setBreakpoint(c)).message, 'armed in 1 process (fast)');

    // Cut during a stop: neither side hears the other any more.
    const answered = request(target, stopAmount, 40000);
    const ev = await stopIn(c, target, 1);
    const cutAt = Date.now();
    link(ns, 'down');
    cleanup.push(async () => link(ns, 'up'));
    // The server drops the pod once it has been silent for 15 s; the probe gives the server up
    // after the same silence, resumes the process and removes its breakpoints.
    await waitFor('the server to drop the silent pod', async () => !(await podNames(c)).includes('cut'), 30000, 200);
    assert.ok(threadExited(c, ev.body.threadId), 'the session saw the stopped thread go');
    const resumedAfter = (await answered) - cutAt;
    assert.ok(resumedAfter < 30000, `resumed ${resumedAfter} ms after the cut`);
    assert.deepEqual(textDifferences(target.pid, target.exe), [], 'no breakpoint left in its code');

    const breakpointEvents = c.events('breakpoint').length;
    link(ns, 'up');
    await waitFor('the probe to reconnect', async () => (await podNames(c)).includes('cut'), 40000, 200);
    await waitFor('the breakpoint to be armed again', () => c.events('breakpoint').slice(breakpointEvents)
      .some((e) => e.body.breakpoint.message === 'armed in 1 process (fast)'));
    await hitAndContinue(c, target, 2);
    await finish(c);
  });
});
