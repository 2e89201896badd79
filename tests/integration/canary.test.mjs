// Canary arming: with the attach argument `canary`, a new or changed breakpoint is armed in one
// process (the longest connected) and in the others only after the canary window passed without a
// breach. Three pods of tests/targets/orders.c (-O2) show it with logpoints: one pod logs during
// the window, all after it; a canary killed during the window keeps the logpoint from the others;
// a changed spec starts a new canary; removing or detaching during the window cancels it; with no
// process yet, the first to join is the canary and later joiners wait for the promotion. Three
// pods of tests/targets/hotloop.c show a condition that overruns its CPU budget in the canary
// stopping the rollout.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckedClient, markerLine, repoRoot, Server, sleep, Target, waitFor } from './lib/harness.mjs';

const ordersSource = path.join(repoRoot, 'tests/targets/orders.c');
const ordersLine = markerLine(ordersSource, 'BP:handle_order');
const hotSource = path.join(repoRoot, 'tests/targets/hotloop.c');
const hotLine = markerLine(hotSource, 'BP:hot');

const events = (client, name) => client.received.filter((m) => m.type === 'event' && m.event === name);

/** Starts a server and three pods of target (registered one after the other, so pod 1 is the
 *  longest connected), and a client attached with attachArgs. */
async function fleetOfThree(target, podPrefix, app, attachArgs) {
  const server = await Server.start();
  const pods = [];
  for (let i = 1; i <= 3; i++) {
    const name = `${podPrefix}-${i}`;
    pods.push({ name, target: await Target.start(target, { serverUrl: server.probeUrl, pod: name, labels: `app=${app}`, stdin: true }), sent: 0 });
    await server.waitForPods(i);
  }
  const client = await connect(server, { selector: { app }, ...attachArgs });
  return { server, pods, client };
}

async function connect(server, attachArgs) {
  const client = await CheckedClient.connect(server);
  await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const initialized = client.waitForEvent('initialized');
  await client.attachRequest(attachArgs);
  await initialized;
  await client.configurationDoneRequest();
  return client;
}

const label = (pod) => `${pod.name}/${pod.target.pid}`;
/** The output lines of logpoints that pod printed, as text. */
const logLines = (client, pod) => events(client, 'output').map((m) => m.body.output).filter((o) => o.startsWith(`${label(pod)}: `));
/** The breakpoint events about id. */
const bpEvents = (client, id) => events(client, 'breakpoint').map((m) => m.body.breakpoint).filter((b) => b.id === id);

describe('canary arming (-O2)', () => {
  let server;
  let pods;
  let client;

  before(async () => ({ server, pods, client } = await fleetOfThree('orders-O2', 'orders', 'orders', { canary: { seconds: 1 } })));
  after(async () => {
    await client?.close();
    for (const pod of pods ?? []) await pod.target.stop();
    await server?.stop();
  });

  async function setLogpoint(logMessage) {
    const set = await client.setBreakpointsRequest({ source: { path: ordersSource }, breakpoints: [{ line: ordersLine, logMessage }] });
    return set.body.breakpoints[0];
  }

  /** Sends one order to each pod and waits for its result line. */
  async function orderEach(which) {
    for (const pod of which) {
      const id = ++pod.sent;
      pod.target.send('100 alice 1 2 3');
      const result = `order id=${id} user=alice total=106\n`;
      await waitFor(`${pod.name} to handle order ${id}`, () => pod.target.output.stdout.includes(result), 10000, 5);
    }
  }

  it('refuses a bad canary argument with the reason', async () => {
    const other = await CheckedClient.connect(server);
    await other.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    await assert.rejects(other.attachRequest({ selector: { app: 'orders' }, canary: { seconds: 0 } }),
      /attach: canary.seconds must be a number 0.1..3600/);
    await assert.rejects(other.attachRequest({ selector: { app: 'orders' }, canary: 'yes' }),
      /attach: 'canary' must be true, false or an object like \{"seconds": 2\}/);
    assert.deepEqual(other.violations(), []);
    await other.close();
  });

  it('arms a new logpoint in one process first and in all three after the window', async () => {
    const start = Date.now();
    const bp = await setLogpoint('first {o->id}');
    assert.equal(bp.verified, true, bp.message);
    assert.equal(bp.message, `canary: armed in ${label(pods[0])}; the other 2 processes follow after 1 s`);
    await orderEach(pods);
    assert.ok(Date.now() - start < 1000, 'the orders were handled within the canary window');
    await waitFor('the canary to log', () => logLines(client, pods[0]).length === 1);
    await sleep(200);
    assert.deepEqual(logLines(client, pods[0]), [`${label(pods[0])}: first 1\n`]);
    assert.deepEqual(logLines(client, pods[1]), [], 'not armed in pod 2 yet');
    assert.deepEqual(logLines(client, pods[2]), [], 'not armed in pod 3 yet');

    const promoted = await waitFor('the promotion', () => bpEvents(client, bp.id).find((b) => b.message === 'armed in 3 processes (fast)'), 5000);
    assert.equal(promoted.verified, true);
    await orderEach(pods);
    await waitFor('every pod to log', () => pods.every((pod) => logLines(client, pod).some((l) => l === `${label(pod)}: first ${pod.sent}\n`)));
    assert.equal(events(client, 'stopped').length, 0, 'no stop');
    assert.deepEqual(client.violations(), []);
  });

  it('keeps a changed logpoint from the others when its canary is killed in the window', async () => {
    const [canary, ...rest] = pods;
    const bp = await setLogpoint('second {o->id}');
    assert.equal(bp.verified, true, bp.message);
    assert.equal(bp.message, `canary: armed in ${label(canary)}; the other 2 processes follow after 1 s`);
    const killedAs = label(canary);
    canary.target.proc.kill('SIGKILL');
    await canary.target.exited;
    const failed = await waitFor('the canary failure', () => bpEvents(client, bp.id).find((b) => !b.verified));
    assert.equal(failed.message, `canary failed in ${killedAs}: the process exited`);
    assert.ok(events(client, 'output').some((m) => m.body.output ===
      `podbug: canary failed in ${killedAs}: the process exited; breakpoint ${bp.id} (orders.c:${ordersLine}) is kept from the other processes until it is changed\n`));

    await sleep(1500); // past the window: nothing is promoted
    const before = rest.map((pod) => logLines(client, pod).length);
    await orderEach(rest);
    await sleep(300);
    assert.deepEqual(rest.map((pod) => logLines(client, pod).length), before,
      'neither the changed logpoint nor its old version is armed in the others');
    const afterFailure = bpEvents(client, bp.id).slice(bpEvents(client, bp.id).indexOf(failed) + 1);
    assert.deepEqual(afterFailure.filter((b) => b.verified), [], 'never reported armed again');
    // Sent again unchanged, it stays failed.
    const unchanged = await setLogpoint('second {o->id}');
    assert.equal(unchanged.verified, false);
    assert.equal(unchanged.message, `canary failed in ${killedAs}: the process exited`);
    assert.deepEqual(client.violations(), []);
  });

  it('starts a new canary when the failed logpoint is changed', async () => {
    const rest = pods.slice(1);
    const bp = await setLogpoint('third {o->id}');
    assert.equal(bp.verified, true, bp.message);
    assert.equal(bp.message, `canary: armed in ${label(rest[0])}; the other process follows after 1 s`);
    await waitFor('the promotion', () => bpEvents(client, bp.id).find((b) => b.message === 'armed in 2 processes (fast)'), 5000);
    await orderEach(rest);
    await waitFor('both pods to log', () => rest.every((pod) => logLines(client, pod).includes(`${label(pod)}: third ${pod.sent}\n`)));
    assert.deepEqual(client.violations(), []);
  });

  it('cancels a canary when its breakpoint is removed or its session detaches in the window', async () => {
    const rest = pods.slice(1);
    const eventsBefore = events(client, 'breakpoint').length;
    const logBefore = server.output.stderr.length;
    const removed = await setLogpoint('fourth {o->id}');
    assert.match(removed.message, /^canary: armed in /);
    await client.setBreakpointsRequest({ source: { path: ordersSource }, breakpoints: [] });

    const other = await connect(server, { selector: { app: 'orders' }, canary: true });
    const set = await other.setBreakpointsRequest({ source: { path: ordersSource }, breakpoints: [{ line: ordersLine, logMessage: 'fifth {o->id}' }] });
    const detached = set.body.breakpoints[0];
    assert.equal(detached.message, `canary: armed in ${label(rest[0])}; the other process follows after 2 s`);
    await other.disconnectRequest({});
    await other.close();

    await sleep(2500);
    const before = rest.map((pod) => logLines(client, pod).length);
    await orderEach(rest);
    await sleep(300);
    assert.deepEqual(rest.map((pod) => logLines(client, pod).length), before, 'nothing armed');
    assert.deepEqual(events(client, 'breakpoint').slice(eventsBefore), [], 'no event about the removed breakpoint');
    assert.doesNotMatch(server.output.stderr.slice(logBefore), / ran .* without a breach/, 'no promotion');
    assert.deepEqual(client.violations(), []);
  });

  it('makes the first process that joins the canary, and holds the logpoint from later joiners until promoted', async () => {
    const late = await connect(server, { selector: { app: 'late' }, canary: { seconds: 3 } });
    const joiners = [];
    try {
      const set = await late.setBreakpointsRequest({ source: { path: ordersSource }, breakpoints: [{ line: ordersLine, logMessage: 'late {o->id}' }] });
      const bp = set.body.breakpoints[0];
      assert.equal(bp.verified, false);
      assert.equal(bp.message, 'no process matching the selector yet');
      const start = Date.now(); // the window starts later, when the first joiner binds it
      for (let i = 1; i <= 2; i++) {
        const name = `late-${i}`;
        joiners.push({ name, target: await Target.start('orders-O2', { serverUrl: server.probeUrl, pod: name, labels: 'app=late', stdin: true }), sent: 0 });
        if (i === 1) {
          const armed = await waitFor('the canary', () => bpEvents(late, bp.id).find((b) => b.verified));
          assert.equal(armed.message, `canary: armed in ${label(joiners[0])}; processes that join follow after 3 s`);
        }
      }
      await waitFor('the second joiner', async () => (await server.pods()).some((p) => p.pod === 'late-2'));
      await orderEach(joiners);
      assert.ok(Date.now() - start < 3000, 'the orders were handled within the canary window');
      await waitFor('the canary to log', () => logLines(late, joiners[0]).length === 1);
      await sleep(200);
      assert.deepEqual(logLines(late, joiners[1]), [], 'a joiner in the window does not get it');
      await waitFor('the promotion', () => bpEvents(late, bp.id).find((b) => b.message === 'armed in 2 processes (fast)'), 5000);
      await orderEach(joiners);
      await waitFor('both joiners to log', () => joiners.every((pod) => logLines(late, pod).includes(`${label(pod)}: late ${pod.sent}\n`)));
      assert.deepEqual(late.violations(), []);
    } finally {
      await late.close();
      for (const pod of joiners) await pod.target.stop();
    }
  });
});

describe('canary arming stops at a CPU budget breach (-O2)', () => {
  let server;
  let pods;
  let client;

  before(async () => ({ server, pods, client } = await fleetOfThree('hotloop-O2', 'hot', 'hot',
    { budgets: { conditionCpuPercent: 1 }, canary: { seconds: 5 } })));
  after(async () => {
    await client?.close();
    for (const pod of pods ?? []) await pod.target.stop();
    await server?.stop();
  });

  it('switches the condition off in the canary and never arms it in the others', async () => {
    const [canary, ...rest] = pods;
    const start = Date.now();
    const set = await client.setBreakpointsRequest({ source: { path: hotSource },
      breakpoints: [{ line: hotLine, condition: 'r->id < 3', logMessage: 'hit {r->id}' }] });
    const bp = set.body.breakpoints[0];
    assert.equal(bp.verified, true, bp.message);
    assert.equal(bp.message, `canary: armed in ${label(canary)}; the other 2 processes follow after 5 s`);
    canary.target.send('3000000');
    const failed = await waitFor('the canary failure', () => bpEvents(client, bp.id).find((b) => !b.verified), 20000);
    assert.ok(Date.now() - start < 5000, `the breach came within the window (${Date.now() - start} ms)`);
    assert.match(failed.message, new RegExp(`^canary failed in ${label(canary)}: switched off: its condition used .* over its budget of 1% of a core$`));
    assert.ok(events(client, 'output').some((m) => /^podbug: canary failed in .*; breakpoint \d+ \(hotloop.c:\d+\) is kept from the other processes until it is changed\n$/.test(m.body.output)));
    assert.deepEqual(logLines(client, canary), [0, 1, 2].map((i) => `${label(canary)}: hit ${i}\n`), 'the canary logged while it ran');

    await sleep(Math.max(0, start + 5500 - Date.now())); // past the window
    for (const pod of rest) {
      pod.target.send('5');
      await waitFor(`${pod.name} to finish`, () => pod.target.output.stdout.includes('calls 5\n'));
    }
    await sleep(300);
    for (const pod of rest) assert.deepEqual(logLines(client, pod), [], `${pod.name} never got the logpoint`);
    assert.deepEqual(bpEvents(client, bp.id).filter((b) => b.verified), [], 'never reported armed');
    assert.deepEqual(client.violations(), []);
  });
});
