// Function breakpoints: a DAP client breaks on functions of tests/targets/orders.c (-O0 and -O2)
// by name, with a condition and a hit condition. The trap sits after the prologue, so the
// arguments are valid when the condition runs and at the stop; the stop's reason is
// "function breakpoint"; an unknown function is unverified with the reason.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckedClient, markerLine, repoRoot, Server, Target, waitFor } from './lib/harness.mjs';

const source = path.join(repoRoot, 'tests/targets/orders.c');
const bodyLine = markerLine(source, 'BP:handle_order') - 1; // handle_order's first line of code

for (const opt of ['O0', 'O2']) {
  describe(`function breakpoints (-${opt})`, () => {
    const pod = `orders-${opt}`;
    let server;
    let target;
    let client;
    let sent = 0;

    before(async () => {
      server = await Server.start();
      target = await Target.start(`orders-${opt}`, { serverUrl: server.probeUrl, pod, labels: 'app=orders', stdin: true });
      await server.waitForPods(1);
      client = await CheckedClient.connect(server);
      const caps = (await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' })).body;
      assert.equal(caps.supportsFunctionBreakpoints, true);
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

    const setFunctionBreakpoints = async (breakpoints) =>
      (await client.send('setFunctionBreakpoints', { breakpoints })).body.breakpoints;

    /** Sends an order; when it must stop, checks the stop with check(frameId, stop), continues. */
    async function sendOrder(amount, user, mustStop, check) {
      const id = ++sent;
      const stopsBefore = client.events('stopped').length;
      const stopped = mustStop ? client.waitForEvent('stopped') : null;
      target.send(`${amount} ${user} 1 2 3`);
      if (mustStop) {
        const ev = await stopped;
        assert.equal(ev.body.reason, 'function breakpoint');
        const frames = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames;
        await check(frames, id, ev);
        await client.continueRequest({ threadId: ev.body.threadId });
      }
      const result = `order id=${id} user=${user} total=`;
      await waitFor(`the result of order ${id}`, () => target.output.stdout.includes(result), 10000, 10);
      assert.equal(client.events('stopped').length, stopsBefore + (mustStop ? 1 : 0), `order ${id}`);
    }

    const evaluate = async (frameId, expression) =>
      (await client.evaluateRequest({ expression, frameId, context: 'watch' })).body.result;

    it('stops after the prologue of a function when its condition holds, with valid arguments', async () => {
      const [bp] = await setFunctionBreakpoints([{ name: 'handle_order', condition: 'o->amount > 100' }]);
      assert.equal(bp.verified, true, bp.message);
      assert.match(bp.message, /inlined copies are not covered/);
      const check = async (frames, id, ev) => {
        assert.deepEqual(ev.body.hitBreakpointIds, [bp.id]);
        assert.equal(frames[0].name, 'handle_order');
        if (opt === 'O0') assert.equal(frames[0].line, bodyLine, 'the first line of the body');
        assert.equal(await evaluate(frames[0].id, 'o->id'), String(id));
        assert.equal(await evaluate(frames[0].id, 'o->amount'), '250');
      };
      await sendOrder(250, 'alice', true, check);
      await sendOrder(50, 'bob', false);
      await sendOrder(250, 'carol', true, check);
      assert.deepEqual(client.violations(), []);
    });

    it('counts hits with a hit condition, and reads the arguments of another function', async () => {
      const [bp] = await setFunctionBreakpoints([{ name: 'discount', hitCondition: '2' }]);
      assert.equal(bp.verified, true, bp.message);
      await sendOrder(10, 'alice', false);
      await sendOrder(20, 'bob', true, async (frames) => {
        assert.equal(frames[0].name, 'discount');
        assert.equal(await evaluate(frames[0].id, 'subtotal'), String(20 + 1 + 2 + 3));
        assert.equal(await evaluate(frames[0].id, 'o->amount'), '20');
      });
      await sendOrder(30, 'carol', false);
      assert.deepEqual(client.violations(), []);
    });

    it('leaves an unknown function unverified, naming the process and what was searched', async () => {
      const [bp, known] = await setFunctionBreakpoints([{ name: 'nope' }, { name: 'handle_order', condition: 'o->amout > 1' }]);
      assert.equal(bp.verified, false);
      assert.match(bp.message, new RegExp(`^${pod}/${target.pid}: no function named 'nope' \\(searched \\d+ modules\\)$`));
      assert.equal(known.verified, false);
      assert.match(known.message, /no member 'amout'/);
      await sendOrder(500, 'alice', false);
      await setFunctionBreakpoints([]);
      await sendOrder(500, 'alice', false);
      assert.deepEqual(client.violations(), []);
    });
  });
}
