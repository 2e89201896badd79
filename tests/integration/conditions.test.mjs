// Conditions and hit conditions: a real DAP client sets conditional breakpoints in
// tests/targets/orders.c (built -O0 and -O2), sends a known list of orders, and checks that exactly
// the matching orders stop (with the right order at each stop), that a condition failing at run
// time is reported once and never harms the program, and that bad conditions are unverified.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckedClient, markerLine, repoRoot, Server, sleep, Target, waitFor } from './lib/harness.mjs';

const source = path.join(repoRoot, 'tests/targets/orders.c');
const line = markerLine(source, 'BP:handle_order');

// One round of orders: the target gives them ids in the order it reads them.
const customers = { alice: 1, bob: 2, carol: 3 };
const orders = [
  { amount: 250, user: 'alice', items: [1, 2, 3] },
  { amount: 50, user: 'bob', items: [0, 5, 1] },
  { amount: 120, user: '-', items: [4, 4, 4] },
  { amount: 80, user: 'carol', items: [2, 5, 0] },
  { amount: 300, user: 'bob', items: [1, 1, 1] },
  { amount: 20, user: 'alice', items: [0, 0, 9] },
];
const total = (o) => o.amount + o.items.reduce((a, b) => a + b, 0);
const ordinals = (pred) => orders.flatMap((o, i) => (pred(o, i) ? [i + 1] : []));

// [what, condition, hitCondition, the 1-based orders of a round that stop]
const stopping = [
  ['an int, true', 'o->amount > 100', undefined, ordinals((o) => o.amount > 100)],
  ['an int, false', 'o->amount > 1000', undefined, []],
  ['a null pointer test', 'o->customer == 0', undefined, ordinals((o) => !(o.user in customers))],
  ['a struct field through a pointer', 'o->customer != 0 && o->customer->tier == 2', undefined,
    ordinals((o) => customers[o.user] === 2)],
  ['a char array member', 'o->customer && $streq(o->customer->name, "carol")', undefined,
    ordinals((o) => o.user === 'carol')],
  ['an array element', 'o->items[1] == 5', undefined, ordinals((o) => o.items[1] === 5)],
  ['a string, true', '$streq(o->user, "bob")', undefined, ordinals((o) => o.user === 'bob')],
  ['a string, false', '$streq(o->user, "dave")', undefined, []],
  ['hit count 3', undefined, '3', [3]],
  ['hit count >= 4', undefined, '>= 4', [4, 5, 6]],
  ['hit count % 2', undefined, '% 2', [2, 4, 6]],
  ['hits counted after the condition', 'o->amount > 100', '2', [3]],
];

const conditionFailure = /^podbug: the condition of breakpoint (\d+) failed in (\S+): (.*) \(treated as false; reported once\)\n$/;

for (const opt of ['O0', 'O2']) {
  describe(`conditions and hit conditions (-${opt})`, () => {
    const pod = `orders-${opt}`;
    let server;
    let target;
    let client;
    let sent = 0; // orders sent so far: the next one gets id sent + 1

    before(async () => {
      server = await Server.start();
      target = await Target.start(`orders-${opt}`, { serverUrl: server.probeUrl, pod, labels: 'app=orders', stdin: true });
      await server.waitForPods(1);
      client = await CheckedClient.connect(server);
      const caps = (await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' })).body;
      assert.equal(caps.supportsConditionalBreakpoints, true);
      assert.equal(caps.supportsHitConditionalBreakpoints, true);
      const initialized = client.waitForEvent('initialized');
      await client.attachRequest({ selector: { app: 'orders' } });
      await initialized;
      await client.configurationDoneRequest();
    });
    after(async () => {
      await client?.close();
      await target?.stop();
      await server?.stop();
    });

    const events = (name) => client.received.filter((m) => m.type === 'event' && m.event === name);
    const conditionReports = () => events('output').filter((m) => conditionFailure.test(m.body.output));

    async function setBreakpoint(bp) {
      const set = await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line, ...bp }] });
      return set.body.breakpoints[0];
    }

    /** Sends one order; when it must stop, checks the stop and the order it holds, continues;
     *  then waits for the order's result line and checks that nothing else stopped. */
    async function sendOrder(order, bpId, mustStop) {
      const id = ++sent;
      const stopsBefore = events('stopped').length;
      const stopped = mustStop ? client.waitForEvent('stopped') : null;
      target.send(`${order.amount} ${order.user} ${order.items.join(' ')}`);
      if (mustStop) {
        const ev = await stopped;
        assert.equal(ev.body.reason, 'breakpoint');
        assert.deepEqual(ev.body.hitBreakpointIds, [bpId]);
        const frames = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames;
        assert.equal(frames[0].name, 'handle_order');
        const frameId = frames[0].id;
        const evaluate = async (expression) => (await client.evaluateRequest({ expression, frameId, context: 'watch' })).body.result;
        assert.equal(await evaluate('o->id'), String(id), `order ${id} stopped`);
        assert.equal(await evaluate('o->amount'), String(order.amount));
        await client.continueRequest({ threadId: ev.body.threadId });
      }
      const result = `order id=${id} user=${order.user} total=${total(order)}\n`;
      await waitFor(`the result line ${result}`, () => target.output.stdout.includes(result), 10000, 10);
      assert.equal(events('stopped').length, stopsBefore + (mustStop ? 1 : 0), `order ${id}: ${mustStop ? 'one stop' : 'no stop'}`);
    }

    /** One round of orders with the breakpoint bpId; `stops` lists the 1-based orders that stop. */
    async function round(bpId, stops) {
      for (let i = 0; i < orders.length; i++) await sendOrder(orders[i], bpId, stops.includes(i + 1));
    }

    it('stops exactly where the condition and the hit condition hold', async () => {
      let previousId;
      for (const [what, condition, hitCondition, stops] of stopping) {
        const bp = await setBreakpoint({ condition, hitCondition });
        assert.equal(bp.verified, true, `${what}: not verified: ${bp.message}`);
        // The same line keeps its breakpoint; a changed condition re-arms it with a fresh count.
        if (previousId !== undefined) assert.equal(bp.id, previousId, `${what}: same breakpoint`);
        previousId = bp.id;
        await round(bp.id, stops);
      }
      assert.equal(conditionReports().length, 0, 'no condition failed');
      assert.deepEqual(client.violations(), []);
    });

    it('reports a condition that dereferences null once, treats it as false, and the program runs on', async () => {
      const bp = await setBreakpoint({ condition: 'o->coupon->percent > 10' });
      assert.equal(bp.verified, true, `not verified: ${bp.message}`);
      await round(bp.id, []);
      const report = await waitFor('the report of the failed condition', () => conditionReports()[0]);
      assert.equal(report.body.category, 'console');
      const [, id, where, message] = conditionFailure.exec(report.body.output);
      assert.equal(Number(id), bp.id);
      assert.equal(where, `${pod}/${target.pid}`);
      assert.equal(message, 'cannot dereference a null pointer');
      await round(bp.id, []);
      await sleep(300);
      assert.equal(conditionReports().length, 1, 'reported once');
      assert.equal(target.alive(), true);
      assert.deepEqual(client.violations(), []);
    });

    it('leaves a breakpoint whose condition or hit condition is bad unverified, with the reason', async () => {
      const misspelt = await setBreakpoint({ condition: 'o->amout > 1' });
      assert.equal(misspelt.verified, false);
      assert.match(misspelt.message, new RegExp(`^${pod}/${target.pid}: no member 'amout' in 'const struct order'`));
      await sendOrder(orders[0], misspelt.id, false);

      const unparsable = await setBreakpoint({ condition: 'o->amount >' });
      assert.equal(unparsable.verified, false);
      assert.match(unparsable.message, new RegExp(`^${pod}/${target.pid}: .*expected`));

      const badCount = await setBreakpoint({ hitCondition: 'every 2' });
      assert.equal(badCount.verified, false);
      assert.equal(badCount.message,
        `${pod}/${target.pid}: hit condition 'every 2' is not a count: use N, == N, >= N, > N or % N`);
      await sendOrder(orders[1], badCount.id, false);

      // Fixed: armed again, and its message no longer names the old failure.
      const fixed = await setBreakpoint({ condition: 'o->amount == 50' });
      assert.equal(fixed.verified, true, fixed.message);
      assert.doesNotMatch(fixed.message, /not/);
      await round(fixed.id, ordinals((o) => o.amount === 50));
      await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
      await sendOrder(orders[1], fixed.id, false);
      assert.deepEqual(client.violations(), []);
    });
  });
}
