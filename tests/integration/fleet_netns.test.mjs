// A fleet of pods as network namespaces (each its own address, the server on the host side), all
// running tests/targets/orders.c -O2 with different orders: conditional stops, a late pod, a killed
// pod, a killed and restarted server, and sessions with different selectors. Needs root for ip netns.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckedClient, markerLine, repoRoot, Server, sleep, Target, waitFor } from './lib/harness.mjs';
import { execInNetns, inNetns, NetnsFleet, netnsPids, netnsUnavailable } from './lib/netns.mjs';

const source = path.join(repoRoot, 'tests/targets/orders.c');
const line = markerLine(source, 'BP:handle_order');
const condition = 'o->amount > 1000'; // every pod gets small orders; a big one goes to one pod only
// Probes connect to the host side of their veth pair; off loopback the server needs a token file
// (Server.start's tokens: the harness's token is the probes' PODBUG_TOKEN and the clients' token).
const listenAll = ['--listen', '0.0.0.0'];
const skip = netnsUnavailable();
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a fleet of pods in network namespaces', { skip: skip ?? false }, () => {
  let fleet;
  let server;
  const pods = []; // { n, ns, target, sent }
  const clients = [];

  async function startPod(n) {
    const ns = fleet.add(n);
    const target = await Target.start('orders-O2', {
      serverUrl: `ws://${ns.hostAddr}:${server.port}/probe`, token: server.token, pod: `pod-${n}`, labels: 'app=orders', stdin: true, wrap: inNetns(ns.name),
    });
    const pod = { n, ns, target, sent: 0 };
    pods.push(pod);
    return pod;
  }

  /** Sends one order to the pod; returns the result line it will print. */
  function send(pod, amount) {
    const id = ++pod.sent;
    pod.target.send(`${amount} alice 1 2 3`);
    return `order id=${id} user=alice total=${amount + 6}\n`;
  }

  const printed = (pod, result) => waitFor(`pod-${pod.n} to print ${result.trim()}`, () => pod.target.output.stdout.includes(result));

  async function session(selector) {
    const c = await CheckedClient.attachSession(server, { selector });
    clients.push(c);
    return c;
  }

  async function setBreakpoint(c, bp) {
    return (await c.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line, ...bp }] })).body.breakpoints[0];
  }

  /** Waits for the session's stop number `count` (1-based) and returns it with its thread's name. */
  async function stop(c, count) {
    const ev = await waitFor(`stop ${count}`, () => c.events('stopped')[count - 1]);
    const name = (await c.threadsRequest()).body.threads.find((t) => t.id === ev.body.threadId)?.name;
    return { ev, name };
  }

  const threadNames = async (c) => (await c.threadsRequest()).body.threads.map((t) => t.name);

  before(async () => {
    fleet = new NetnsFleet();
    server = await Server.start({ extraArgs: listenAll, tokens: {} });
    for (const n of [1, 2, 3]) await startPod(n);
    await server.waitForPods(3);
  });

  after(async () => {
    try {
      for (const c of clients) await c.close();
      for (const p of pods) await p.target.stop();
      await server?.stop();
    } finally {
      fleet?.destroy();
    }
  });

  it('runs each pod in its own namespace, connected from its own address', async () => {
    const registered = await server.pods();
    const hostSide = execFileSync('ss', ['-Htn', 'state', 'established', 'sport', '=', `:${server.port}`], { encoding: 'utf8' })
      .replace(/\[::ffff:([\d.]+)\]/g, '$1'); // the server's socket is IPv6, its IPv4 peers mapped
    for (const p of pods) {
      assert.equal(registered.find((r) => r.pod === `pod-${p.n}`)?.pid, p.target.pid);
      assert.deepEqual(netnsPids(p.ns.name), [p.target.pid], `only the target lives in ${p.ns.name}`);
      const podSide = execInNetns(p.ns.name, 'ss', '-Htnp', 'state', 'established', 'dst', `${p.ns.hostAddr}:${server.port}`);
      assert.match(podSide, new RegExp(`${escape(p.ns.podAddr)}:\\d+\\s+${escape(p.ns.hostAddr)}:${server.port}\\s.*pid=${p.target.pid},`),
        `the probe of pod-${p.n} connects from ${p.ns.podAddr}`);
      assert.match(hostSide, new RegExp(`${escape(p.ns.hostAddr)}:${server.port}\\s+${escape(p.ns.podAddr)}:\\d+`),
        `the server sees pod-${p.n} at ${p.ns.podAddr}`);
    }
  });

  it('stops exactly the pod whose data matches the condition', async () => {
    const c = await session({ app: 'orders' });
    const bp = await setBreakpoint(c, { condition });
    assert.equal(bp.message, 'armed in 3 processes (fast)');
    for (const p of pods) await printed(p, send(p, 100 * p.n));

    const [, pod2] = pods;
    const big = send(pod2, 5000);
    const { ev, name } = await stop(c, 1);
    assert.deepEqual(ev.body.hitBreakpointIds, [bp.id]);
    assert.match(name, new RegExp(`^pod-2/${pod2.target.pid} `));
    const frame = (await c.stackTraceRequest({ threadId: ev.body.threadId, levels: 1 })).body.stackFrames[0];
    assert.equal(frame.name, 'handle_order');
    assert.equal(frame.line, line);
    assert.equal((await c.evaluateRequest({ expression: 'o->amount', frameId: frame.id, context: 'watch' })).body.result, '5000');

    // The other pods run on while pod-2 is stopped, and their small orders do not stop.
    for (const p of [pods[0], pods[2]]) await printed(p, send(p, 900));
    assert.ok(!pod2.target.output.stdout.includes(big), 'pod-2 is stopped');
    await c.continueRequest({ threadId: ev.body.threadId });
    await printed(pod2, big);
    await sleep(200);
    assert.equal(c.events('stopped').length, 1, 'no other pod stopped');
    assert.deepEqual(c.violations(), []);
  });

  it('stops a pod started after the breakpoint was set', async () => {
    const [c] = clients;
    const pod4 = await startPod(4);
    await waitFor('the breakpoint to arm in the new pod', () => c.events('breakpoint').some((e) => e.body.breakpoint.message === 'armed in 4 processes (fast)'));
    const result = send(pod4, 4000);
    const { ev, name } = await stop(c, 2);
    assert.match(name, new RegExp(`^pod-4/${pod4.target.pid} `));
    await c.continueRequest({ threadId: ev.body.threadId });
    await printed(pod4, result);
    assert.deepEqual(c.violations(), []);
  });

  it('keeps the session working when a pod is killed mid-session, and its threads are gone', async () => {
    const [c] = clients;
    const [pod1, , , pod4] = pods;
    const result1 = send(pod1, 1001);
    send(pod4, 4001);
    const stops = [await stop(c, 3), await stop(c, 4)];
    const stopOf = (p) => stops.find((s) => s.name.startsWith(`pod-${p.n}/${p.target.pid} `));
    assert.ok(stopOf(pod1) && stopOf(pod4), `both pods stopped: ${stops.map((s) => s.name)}`);

    pod4.target.proc.kill('SIGKILL');
    await pod4.target.exited;
    const gone = stopOf(pod4).ev.body.threadId;
    await waitFor('the killed pod\'s thread to exit', () => c.events('thread').some((e) => e.body.reason === 'exited' && e.body.threadId === gone));
    const names = await threadNames(c);
    assert.ok(!names.some((n) => n.startsWith('pod-4/')), `no thread of pod-4 is left: ${names}`);
    for (const n of [1, 2, 3]) assert.ok(names.some((t) => t.startsWith(`pod-${n}/`)), `pod-${n} is still listed: ${names}`);
    assert.deepEqual(netnsPids(pod4.ns.name), []);
    await waitFor('the server to forget pod-4', async () => !(await server.pods()).some((r) => r.pod === 'pod-4'));

    await c.continueRequest({ threadId: stopOf(pod1).ev.body.threadId });
    await printed(pod1, result1);
    assert.deepEqual(c.violations(), []);
  });

  it('gets the probes back after the server is killed and restarted, and the reattached IDE stops again', async () => {
    const live = pods.filter((p) => p.target.alive());
    const { port } = server;
    server.proc.kill('SIGKILL');
    await server.exited;
    server = null;
    clients.splice(0, 1); // the IDE's connection died with the server (a disconnect would never be answered)
    // Without a server the programs run on, and a probe never stops them.
    for (const p of live) await printed(p, send(p, 7000));

    server = await Server.start({ port, extraArgs: listenAll, tokens: {} });
    // The probes retry with a backoff of at most 5 s between attempts.
    await waitFor('the probes to come back', async () => (await server.pods()).length === live.length, 20000, 200);
    const pids = (list) => list.map((x) => x.pid).sort();
    assert.deepEqual(pids(await server.pods()), pids(live.map((p) => p.target)), 'the same processes registered again');
    const c = await session({ app: 'orders' });
    const bp = await setBreakpoint(c, { condition });
    assert.equal(bp.message, `armed in ${live.length} processes (fast)`);
    const pod3 = pods[2];
    for (const p of live) await printed(p, send(p, 10 * p.n));
    const big = send(pod3, 3000);
    const { ev, name } = await stop(c, 1);
    assert.deepEqual(ev.body.hitBreakpointIds, [bp.id]);
    assert.match(name, new RegExp(`^pod-3/${pod3.target.pid} `));
    await c.continueRequest({ threadId: ev.body.threadId });
    await printed(pod3, big);
    await c.disconnectRequest({});
    assert.deepEqual(c.violations(), []);
  });

  it('keeps sessions with different selectors apart', async () => {
    const [pod1, , pod3] = pods;
    const one = await session({ pod: 'pod-1' });
    const three = await session({ pod: 'pod-3' });
    assert.deepEqual((await threadNames(one)).map((n) => n.split(' ')[0]), [`pod-1/${pod1.target.pid}`]);
    assert.deepEqual((await threadNames(three)).map((n) => n.split(' ')[0]), [`pod-3/${pod3.target.pid}`]);
    assert.equal((await setBreakpoint(one, {})).message, 'armed in 1 process');
    assert.equal((await setBreakpoint(three, {})).message, 'armed in 1 process');

    const result1 = send(pod1, 11);
    const s1 = await stop(one, 1);
    assert.match(s1.name, new RegExp(`^pod-1/${pod1.target.pid} `));
    await one.continueRequest({ threadId: s1.ev.body.threadId });
    await printed(pod1, result1);

    const result3 = send(pod3, 33);
    const s3 = await stop(three, 1);
    assert.match(s3.name, new RegExp(`^pod-3/${pod3.target.pid} `));
    await three.continueRequest({ threadId: s3.ev.body.threadId });
    await printed(pod3, result3);

    await sleep(300);
    assert.equal(one.events('stopped').length, 1, 'the pod-1 session saw only its own stop');
    assert.equal(three.events('stopped').length, 1, 'the pod-3 session saw only its own stop');
    await one.disconnectRequest({});
    await three.disconnectRequest({});
    assert.deepEqual([...one.violations(), ...three.violations()], []);
  });
});
