// Several IDE sessions at once: each sees only the processes its selector matches and only the
// stops of its own breakpoints; two sessions' breakpoints on the same line of one process both
// work, and removing one leaves the other armed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckedClient, markerLine, repoRoot, Server, sleep, Target } from './lib/harness.mjs';

const source = path.join(repoRoot, 'tests/targets/worker.c');
const feeLine = markerLine(source, 'BP:compute_fee');

async function session(server, selector) {
  const c = await CheckedClient.connect(server);
  await c.initializeRequest({ adapterID: 'podbug' });
  const initialized = c.waitForEvent('initialized');
  await c.attachRequest({ selector });
  await initialized;
  await c.configurationDoneRequest();
  c.stops = [];
  c.on('stopped', (ev) => c.stops.push(ev));
  return c;
}

async function threadName(client, threadId) {
  const threads = (await client.threadsRequest()).body.threads;
  return threads.find((t) => t.id === threadId)?.name;
}

describe('several sessions at once', () => {
  let server;
  let blue;
  let green;
  before(async () => {
    server = await Server.start();
    // stdin mode with no worker threads: the line runs only when a test sends a request.
    blue = await Target.start('worker-O0', { serverUrl: server.probeUrl, pod: 'blue-1', labels: 'app=blue', args: ['0', '0', 'stdin'], stdin: true });
    green = await Target.start('worker-O0', { serverUrl: server.probeUrl, pod: 'green-1', labels: 'app=green', args: ['0', '0', 'stdin'], stdin: true });
    await server.waitForPods(2);
  });
  after(async () => {
    await blue?.stop();
    await green?.stop();
    await server?.stop();
  });

  it('keeps sessions with different selectors apart', async () => {
    const a = await session(server, { app: 'blue' });
    const b = await session(server, { app: 'green' });
    try {
      const threadsA = (await a.threadsRequest()).body.threads.map((t) => t.name);
      assert.deepEqual(threadsA.map((n) => n.split(' ')[0]), [`blue-1/${blue.pid}`]);
      const setA = await a.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: feeLine }] });
      assert.match(setA.body.breakpoints[0].message, /^armed in 1 process$/);
      const setB = await b.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: feeLine }] });
      assert.match(setB.body.breakpoints[0].message, /^armed in 1 process$/);

      green.send('100');
      const evB = await b.waitForEvent('stopped');
      assert.match(await threadName(b, evB.body.threadId), new RegExp(`^green-1/${green.pid} `));
      await sleep(300);
      assert.equal(a.stops.length, 0, 'the blue session does not see the green stop');
      await b.continueRequest({ threadId: evB.body.threadId });

      blue.send('200');
      const evA = await a.waitForEvent('stopped');
      assert.match(await threadName(a, evA.body.threadId), new RegExp(`^blue-1/${blue.pid} `));
      await a.continueRequest({ threadId: evA.body.threadId });
      await sleep(300);
      assert.equal(b.stops.length, 1, 'the green session saw only its own stop');
      await a.disconnectRequest({});
      await b.disconnectRequest({});
      assert.deepEqual([...a.violations(), ...b.violations()], []);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('arms two sessions breakpoints on the same line of one process, independently', async () => {
    const a = await session(server, { app: 'blue' });
    const b = await session(server, { pod: 'blue-1' });
    try {
      const idA = (await a.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: feeLine }] })).body.breakpoints[0].id;
      const idB = (await b.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: feeLine, condition: 'req->amount > 1000' }] })).body.breakpoints[0].id;

      blue.send('500'); // only a's breakpoint wants this call
      const ev1 = await a.waitForEvent('stopped');
      assert.deepEqual(ev1.body.hitBreakpointIds, [idA]);
      await a.continueRequest({ threadId: ev1.body.threadId });
      await sleep(200);
      assert.equal(b.stops.length, 0, 'b was not told about a stop that only a wanted');

      await a.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
      blue.send('5000'); // a's breakpoint is gone; b's still holds
      const ev2 = await b.waitForEvent('stopped');
      assert.deepEqual(ev2.body.hitBreakpointIds, [idB]);
      await b.continueRequest({ threadId: ev2.body.threadId });
      await b.disconnectRequest({});
      await a.disconnectRequest({});
      await sleep(200);
      assert.equal(a.stops.length, 1);
      assert.deepEqual([...a.violations(), ...b.violations()], []);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
