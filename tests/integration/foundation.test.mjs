// Foundation: a real DAP client attaches through podbug-server to real multithreaded targets
// (built -O0 and -O2), stops at a line breakpoint, sees a correct stack, continues, disconnects.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckedClient, markerLine, repoRoot, Server, sleep, Target, textDifferences } from './lib/harness.mjs';

const workerSource = path.join(repoRoot, 'tests/targets/worker.c');
const feeLine = markerLine(workerSource, 'BP:compute_fee');
const handleLine = markerLine(workerSource, 'BP:handle_request');

async function attach(client, args) {
  await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const initialized = client.waitForEvent('initialized');
  await client.attachRequest(args);
  await initialized;
}

for (const opt of ['O0', 'O2']) {
  describe(`a line breakpoint in a worker thread (-${opt})`, () => {
    let server;
    let target;
    before(async () => {
      server = await Server.start();
      target = await Target.start(`worker-${opt}`, { serverUrl: server.probeUrl, pod: `pod-${opt}`, labels: 'app=worker', args: ['4', '2000'] });
      await server.waitForPods(1);
    });
    after(async () => {
      await target?.stop();
      await server?.stop();
    });

    it('stops with the right stack, hits again after continue, and leaves no int3 behind', async () => {
      const client = await CheckedClient.connect(server);
      try {
        await attach(client, { selector: { app: 'worker' } });
        // Breakpoints arm as soon as they are set: the stop may come before configurationDone.
        const stopped = client.waitForEvent('stopped');
        const set = await client.setBreakpointsRequest({ source: { path: workerSource }, breakpoints: [{ line: feeLine }] });
        const bp = set.body.breakpoints[0];
        assert.equal(bp.verified, true, `breakpoint not verified: ${bp.message}`);
        assert.equal(bp.line, feeLine);
        await client.configurationDoneRequest();
        const ev = await stopped;
        assert.equal(ev.body.reason, 'breakpoint');
        assert.equal(ev.body.allThreadsStopped, true);
        assert.deepEqual(ev.body.hitBreakpointIds, [bp.id]);

        const threads = (await client.threadsRequest()).body.threads;
        const hit = threads.find((t) => t.id === ev.body.threadId);
        assert.ok(hit, 'the stopped thread is listed');
        assert.match(hit.name, new RegExp(`^pod-${opt}/${target.pid} worker-\\d$`));
        assert.ok(threads.length >= 5, `all threads listed while stopped (got ${threads.length})`);

        const st = await client.stackTraceRequest({ threadId: ev.body.threadId });
        const frames = st.body.stackFrames;
        assert.ok(frames.length >= 3, `stack of at least 3 frames (got ${frames.length})`);
        assert.equal(frames[0].name, 'compute_fee');
        assert.equal(frames[0].source.path, workerSource);
        assert.equal(frames[0].line, feeLine);
        assert.equal(frames[1].name, 'handle_request');
        assert.equal(frames[1].line, handleLine);
        assert.equal(frames[2].name, 'worker_main');
        assert.equal(frames[2].source.name, 'worker.c');

        const again = client.waitForEvent('stopped');
        const cont = await client.continueRequest({ threadId: ev.body.threadId });
        assert.equal(cont.body.allThreadsContinued, true);
        const ev2 = await again;
        assert.equal(ev2.body.reason, 'breakpoint');
        const st2 = await client.stackTraceRequest({ threadId: ev2.body.threadId, startFrame: 0, levels: 1 });
        assert.equal(st2.body.stackFrames.length, 1);
        assert.equal(st2.body.stackFrames[0].line, feeLine);

        await client.disconnectRequest({});
        await sleep(300);
        assert.ok(target.alive(), 'the target keeps running after disconnect');
        assert.deepEqual(textDifferences(target.pid, target.exe), [], 'the target text is as on disk');
        assert.deepEqual(client.violations(), []);
      } finally {
        await client.close();
      }
      assert.ok(server.alive());
    });

    it('refuses a line without code with a reason, and reports unknown requests', async () => {
      const client = await CheckedClient.connect(server);
      try {
        await attach(client, { selector: { app: 'worker' } });
        const set = await client.setBreakpointsRequest({ source: { path: workerSource }, breakpoints: [{ line: 1 }] });
        const bp = set.body.breakpoints[0];
        assert.equal(bp.verified, false);
        assert.match(bp.message, /no code at \S*worker\.c:1; nearest line with code: \d+/);
        await assert.rejects(client.send('frobnicate', {}), /does not support the request 'frobnicate'/);
        await client.disconnectRequest({});
        assert.deepEqual(client.violations(), []);
      } finally {
        await client.close();
      }
    });
  });
}
