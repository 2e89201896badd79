// stopAll false: a breakpoint hit parks only the hitting worker thread while the others run on
// (and hit it too, each with its own stopped event); continue resumes that thread alone.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckedClient, markerLine, repoRoot, Server, Target } from './lib/harness.mjs';

const source = path.join(repoRoot, 'tests/targets/worker.c');
const feeLine = markerLine(source, 'BP:compute_fee');

/** Collects stopped events until n distinct threads stopped. */
function distinctStops(client, n) {
  return new Promise((resolve) => {
    const seen = new Map();
    client.on('stopped', function onStopped(ev) {
      seen.set(ev.body.threadId, ev.body);
      if (seen.size === n) {
        client.off('stopped', onStopped);
        resolve([...seen.values()]);
      }
    });
  });
}

for (const opt of ['O0', 'O2']) {
  describe(`stopAll false (-${opt})`, () => {
    let server;
    let target;
    let client;
    before(async () => {
      server = await Server.start();
      target = await Target.start(`worker-${opt}`, { serverUrl: server.probeUrl, pod: `alone-${opt}`, labels: 'app=alone', args: ['3', '2000'] });
      await server.waitForPods(1);
      client = await CheckedClient.attachSession(server, { selector: { app: 'alone' }, stopAll: false });
    });
    after(async () => {
      await client?.close();
      await target?.stop();
      await server?.stop();
    });

    it('stops each hitting worker alone and continues it alone', async () => {
      const stops = distinctStops(client, 3);
      const set = await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: feeLine }] });
      assert.equal(set.body.breakpoints[0].verified, true);
      const events = await stops; // three workers stopped one by one: the others ran on meanwhile
      for (const ev of events) {
        assert.equal(ev.reason, 'breakpoint');
        assert.equal(ev.allThreadsStopped, false);
      }
      const threads = (await client.threadsRequest()).body.threads;
      for (const ev of events) assert.ok(threads.some((t) => t.id === ev.threadId && /worker-\d/.test(t.name)), JSON.stringify(threads));
      assert.ok(threads.some((t) => new RegExp(`alone-${opt}/\\d+ worker-${opt}`).test(t.name)), JSON.stringify(threads));
      const tid = events[0].threadId;
      const st = await client.stackTraceRequest({ threadId: tid, startFrame: 0, levels: 3 });
      assert.equal(st.body.stackFrames[0].name, 'compute_fee');
      assert.equal(st.body.stackFrames[0].line, feeLine);
      const again = client.waitForEvent('stopped');
      const cont = await client.continueRequest({ threadId: tid });
      assert.equal(cont.body.allThreadsContinued, false);
      const ev = await again; // only that worker ran: it is the one that hits next
      assert.equal(ev.body.threadId, tid);
      assert.equal(ev.body.allThreadsStopped, false);
      await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
      for (const e of events) {
        const r = await client.continueRequest({ threadId: e.threadId });
        assert.equal(r.success, true);
      }
      const running = (await client.threadsRequest()).body.threads;
      assert.equal(running.length, 1, JSON.stringify(running));
    });
  });
}
