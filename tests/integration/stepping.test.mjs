// Stepping and pause: next over a call, stepIn and stepOut, next over a recursive call (stays in
// the same frame), stepIn/stepOut of an inlined call and next over it, a step while another thread
// has a breakpoint, a step onto and over a fast conditional breakpoint (false and true), a step of
// a thread stopped alone (stopAll false), pause of a spinning process, and instruction
// granularity, on the steps target built -O0 and -O2.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckedClient, markerLine, repoRoot, Server, Target } from './lib/harness.mjs';

const source = path.join(repoRoot, 'tests/targets/steps.c');
const line = (m) => markerLine(source, `STEP:${m}`);

async function stopAt(client, lines) {
  const stopped = client.waitForEvent('stopped');
  const set = await client.setBreakpointsRequest({ source: { path: source }, breakpoints: lines.map((l) => ({ line: l })) });
  for (const bp of set.body.breakpoints) assert.equal(bp.verified, true, `breakpoint not verified: ${bp.message}`);
  const ev = await stopped;
  return ev.body;
}

async function clearBreakpoints(client) {
  await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
}

async function top(client, threadId) {
  const st = await client.stackTraceRequest({ threadId, startFrame: 0, levels: 2 });
  return st.body.stackFrames;
}

/** Sends a step request and returns its stopped event's body. */
async function step(client, command, args) {
  const stopped = client.waitForEvent('stopped');
  const reply = await client.send(command, args);
  assert.equal(reply.success, true);
  return (await stopped).body;
}

for (const opt of ['O0', 'O2']) {
  describe(`stepping (-${opt})`, () => {
    let server;
    let target;
    let client;
    before(async () => {
      server = await Server.start();
      target = await Target.start(`steps-${opt}`, { serverUrl: server.probeUrl, pod: `steps-${opt}`, labels: 'app=steps' });
      await server.waitForPods(1);
      client = await CheckedClient.attachSession(server, { selector: { app: 'steps' } });
    });
    after(async () => {
      await client?.close();
      await target?.stop();
      await server?.stop();
    });

    it('steps over a line with a call, into a function and out of it', async () => {
      const hit = await stopAt(client, [line('call_leaf')]);
      await clearBreakpoints(client);
      const tid = hit.threadId;
      let ev = await step(client, 'next', { threadId: tid });
      assert.equal(ev.reason, 'step');
      assert.equal(ev.threadId, tid);
      let frames = await top(client, tid);
      assert.equal(frames[0].name, 'stepper_main');
      assert.notEqual(frames[0].line, line('call_leaf'), 'next left the line');
      if (opt === 'O0') assert.equal(frames[0].line, line('after_leaf'));
      await client.continueRequest({ threadId: tid });

      // Back to the call line, then into leaf and out again.
      const again = await stopAt(client, [line('call_leaf')]);
      await clearBreakpoints(client);
      ev = await step(client, 'stepIn', { threadId: again.threadId });
      assert.equal(ev.reason, 'step');
      frames = await top(client, again.threadId);
      assert.equal(frames[0].name, 'leaf');
      assert.ok(frames[0].line >= line('leaf_first') && frames[0].line <= line('leaf_first') + 2, `in leaf's body (line ${frames[0].line})`);
      assert.equal(frames[1].name, 'stepper_main');
      if (opt === 'O0') assert.equal(frames[0].line, line('leaf_first'));
      ev = await step(client, 'stepOut', { threadId: again.threadId });
      assert.equal(ev.reason, 'step');
      frames = await top(client, again.threadId);
      assert.equal(frames[0].name, 'stepper_main');
      await client.continueRequest({ threadId: again.threadId });
    });

    it('steps over a recursive call and stays in the same frame', async () => {
      const hit = await stopAt(client, [line('call_fact')]);
      await clearBreakpoints(client);
      const tid = hit.threadId;
      let ev = await step(client, 'stepIn', { threadId: tid });
      let frames = await top(client, tid);
      assert.equal(frames[0].name, 'fact');
      if (opt === 'O0') assert.equal(frames[0].line, line('fact_first'));
      const depth = (await client.stackTraceRequest({ threadId: tid })).body.totalFrames;
      // next until the line after the recursive call
      for (let i = 0; i < 4 && frames[0].line !== line('fact_after'); i++) {
        ev = await step(client, 'next', { threadId: tid });
        assert.equal(ev.reason, 'step');
        frames = await top(client, tid);
        assert.equal(frames[0].name, 'fact');
      }
      assert.equal(frames[0].line, line('fact_after'));
      const st = (await client.stackTraceRequest({ threadId: tid })).body;
      assert.equal(st.totalFrames, depth, 'the same frame as before the recursive call');
      if (opt === 'O0') {
        const n = await client.evaluateRequest({ expression: 'n', frameId: st.stackFrames[0].id, context: 'watch' });
        assert.equal(n.body.result, '4');
      }
      await client.continueRequest({ threadId: tid });
    });

    it('steps into an inlined call and out of it, and over it', async () => {
      const hit = await stopAt(client, [line('call_inline')]);
      await clearBreakpoints(client);
      const tid = hit.threadId;
      let ev = await step(client, 'stepIn', { threadId: tid });
      assert.equal(ev.reason, 'step');
      let frames = await top(client, tid);
      assert.equal(frames[0].name, 'twice_plus', 'the inlined call is frame 0');
      assert.ok(frames[0].line >= line('inline_first') && frames[0].line <= line('inline_second') + 1, `in its body (line ${frames[0].line})`);
      assert.equal(frames[1].name, 'stepper_main');
      if (opt === 'O0') assert.equal(frames[0].line, line('inline_first'));
      ev = await step(client, 'stepOut', { threadId: tid });
      assert.equal(ev.reason, 'step');
      frames = await top(client, tid);
      assert.equal(frames[0].name, 'stepper_main', 'out of the inlined call, not out of stepper_main');
      assert.ok([line('call_inline'), line('after_inline')].includes(frames[0].line), `back on the caller's line (line ${frames[0].line})`);
      await client.continueRequest({ threadId: tid });

      const again = await stopAt(client, [line('call_inline')]);
      await clearBreakpoints(client);
      ev = await step(client, 'next', { threadId: again.threadId });
      assert.equal(ev.reason, 'step');
      frames = await top(client, again.threadId);
      assert.equal(frames[0].name, 'stepper_main', 'next did not stop inside the inlined body');
      assert.equal(frames[0].line, line('after_inline'));
      await client.continueRequest({ threadId: again.threadId });
    });

    it('ends a step on the stepping thread and reports another thread\'s breakpoint after it', async () => {
      const hit = await stopAt(client, [line('call_leaf')]);
      const tid = hit.threadId;
      // other_work's breakpoint: its thread stays stopped while this one steps
      await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: line('call_leaf') }, { line: line('other') }] });
      const ev = await step(client, 'next', { threadId: tid });
      assert.equal(ev.reason, 'step');
      assert.equal(ev.threadId, tid);
      await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: line('other') }] });
      const stopped = client.waitForEvent('stopped');
      await client.continueRequest({ threadId: tid });
      const other = (await stopped).body;
      assert.equal(other.reason, 'breakpoint');
      assert.notEqual(other.threadId, tid);
      assert.equal((await top(client, other.threadId))[0].name, 'other_work');
      await clearBreakpoints(client);
      await client.continueRequest({ threadId: other.threadId });
    });

    it('stops at a breakpoint reached during a step with reason breakpoint', async () => {
      let hit = await stopAt(client, [line('call_leaf'), line('leaf_first')]);
      if ((await top(client, hit.threadId))[0].name !== 'stepper_main') { // it was inside leaf already
        const next = client.waitForEvent('stopped');
        await client.continueRequest({ threadId: hit.threadId });
        hit = (await next).body;
      }
      assert.equal((await top(client, hit.threadId))[0].name, 'stepper_main');
      const ev = await step(client, 'next', { threadId: hit.threadId });
      assert.equal(ev.reason, 'breakpoint');
      assert.equal(ev.threadId, hit.threadId);
      assert.equal((await top(client, hit.threadId))[0].name, 'leaf');
      await clearBreakpoints(client);
      await client.continueRequest({ threadId: hit.threadId });
    });

    it('steps onto and over a line with a fast conditional breakpoint, false and true', async () => {
      for (const [condition, reason] of [['sink < 0', 'step'], ['sink >= 0', 'breakpoint']]) {
        const hit = await stopAt(client, [line('call_leaf')]);
        const tid = hit.threadId;
        const set = await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: line('after_leaf'), condition }] });
        assert.equal(set.body.breakpoints[0].verified, true);
        if (opt === 'O0') assert.match(set.body.breakpoints[0].message, /\(fast\)/);
        let ev = await step(client, 'next', { threadId: tid });
        assert.equal(ev.threadId, tid);
        let frames = await top(client, tid);
        assert.equal(frames[0].name, 'stepper_main');
        if (opt === 'O0') {
          assert.equal(ev.reason, reason, `condition ${condition}`);
          assert.equal(frames[0].line, line('after_leaf'));
        }
        ev = await step(client, 'next', { threadId: tid }); // from the site: its relocated instructions
        assert.equal(ev.reason, 'step');
        frames = await top(client, tid);
        assert.equal(frames[0].name, 'stepper_main');
        if (opt === 'O0') assert.equal(frames[0].line, line('call_fact'));
        await clearBreakpoints(client);
        await client.continueRequest({ threadId: tid });
      }
    });

    it('steps one instruction', async () => {
      const hit = await stopAt(client, [line('call_leaf')]);
      await clearBreakpoints(client);
      const before = (await top(client, hit.threadId))[0];
      const ev = await step(client, 'next', { threadId: hit.threadId, granularity: 'instruction' });
      assert.equal(ev.reason, 'step');
      const after = (await top(client, hit.threadId))[0];
      const delta = Number(BigInt(after.instructionPointerReference) - BigInt(before.instructionPointerReference));
      assert.ok(delta !== 0, 'the pc moved');
      if (opt === 'O0') assert.ok(delta > 0 && delta <= 15, `one instruction further (moved ${delta} bytes)`);
      await client.continueRequest({ threadId: hit.threadId });
      assert.deepEqual(client.violations(), []);
    });
  });

  describe(`stepping a thread stopped alone (-${opt})`, () => {
    let server;
    let target;
    let client;
    before(async () => {
      server = await Server.start();
      target = await Target.start(`steps-${opt}`, { serverUrl: server.probeUrl, pod: `alone-${opt}`, labels: 'app=alone' });
      await server.waitForPods(1);
      client = await CheckedClient.attachSession(server, { selector: { app: 'alone' }, stopAll: false });
    });
    after(async () => {
      await client?.close();
      await target?.stop();
      await server?.stop();
    });

    it('ends next with a stop of that thread alone while the other thread runs on', async () => {
      const hit = await stopAt(client, [line('call_leaf')]);
      assert.equal(hit.allThreadsStopped, false);
      await clearBreakpoints(client);
      const tid = hit.threadId;
      const ev = await step(client, 'next', { threadId: tid });
      assert.equal(ev.reason, 'step');
      assert.equal(ev.threadId, tid);
      assert.equal(ev.allThreadsStopped, false);
      const frames = await top(client, tid);
      assert.equal(frames[0].name, 'stepper_main');
      assert.notEqual(frames[0].line, line('call_leaf'));
      // The other thread was never stopped: it reaches a breakpoint while the stepped one waits.
      const stopped = client.waitForEvent('stopped');
      await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: line('other') }] });
      const other = (await stopped).body;
      assert.equal(other.reason, 'breakpoint');
      assert.notEqual(other.threadId, tid);
      assert.equal(other.allThreadsStopped, false);
      assert.equal((await top(client, other.threadId))[0].name, 'other_work');
      assert.equal((await top(client, tid))[0].name, 'stepper_main', 'the stepped thread is still stopped');
      await clearBreakpoints(client);
      for (const t of [other.threadId, tid]) assert.equal((await client.continueRequest({ threadId: t })).success, true);
      assert.deepEqual(client.violations(), []);
    });
  });

  describe(`pause (-${opt})`, () => {
    let server;
    let spinner;
    let bystander;
    before(async () => {
      server = await Server.start();
      spinner = await Target.start(`steps-${opt}`, { serverUrl: server.probeUrl, pod: 'spin', labels: 'app=spin', args: ['spin'] });
      bystander = await Target.start(`steps-${opt}`, { serverUrl: server.probeUrl, pod: 'bystander', labels: 'app=spin' });
      await server.waitForPods(2);
    });
    after(async () => {
      await spinner?.stop();
      await bystander?.stop();
      await server?.stop();
    });

    it('pauses a process spinning in a loop and shows the loop', async () => {
      const client = await CheckedClient.attachSession(server, { selector: { pod: 'spin' } });
      try {
        const threads = (await client.threadsRequest()).body.threads;
        assert.equal(threads.length, 1);
        const stopped = client.waitForEvent('stopped');
        const reply = await client.pauseRequest({ threadId: threads[0].id });
        assert.equal(reply.success, true);
        const ev = (await stopped).body;
        assert.equal(ev.reason, 'pause');
        assert.equal(ev.allThreadsStopped, true);
        const frames = (await client.stackTraceRequest({ threadId: ev.threadId })).body.stackFrames;
        assert.equal(frames[0].name, 'spin_forever');
        assert.ok([line('spin') - 1, line('spin')].includes(frames[0].line), `in the loop (line ${frames[0].line})`);
        assert.equal((await client.pauseRequest({ threadId: ev.threadId })).success, true, 'pausing a stopped process succeeds');
        const spins = await client.evaluateRequest({ expression: 'spins', frameId: frames[0].id, context: 'watch' });
        assert.ok(Number(spins.body.result) > 0);
        await client.continueRequest({ threadId: ev.threadId });
        assert.deepEqual(client.violations(), []);
      } finally {
        await client.close();
      }
    });
  });
}
