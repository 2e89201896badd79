// The fast breakpoint path: a real DAP client sets conditional breakpoints, logpoints and snapshot
// breakpoints in tests/targets/fastpath.c (built -O0 and -O2) on a short function, a line starting
// with a global's load, a loop body (a branch target) and a function with a switch table; the
// program's checksums are identical with and without them over millions of hits, counts and
// captured values equal the trap path's, unsafe sites fall back to the trap with the reason, and
// arming and disarming under load never breaks a thread.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckedClient, markerLine, repoRoot, Server, sleep, Target, textDifferences, waitFor } from './lib/harness.mjs';

const source = path.join(repoRoot, 'tests/targets/fastpath.c');
const lines = Object.fromEntries(['short', 'rip', 'loop', 'switch'].map((m) => [m, markerLine(source, `BP:${m}`)]));
const budgets = { conditionCpuPercent: 100, logLinesPerSecond: 100000, logBytesPerSecond: 1073741824, snapshotsPerSecond: 100 };

/** Runs "run THREADS N" and returns the checksum the target prints. */
async function run(target, threads, iterations) {
  const before = target.output.stdout.length;
  target.send(`run ${threads} ${iterations}`);
  return waitFor(`the run of ${threads} x ${iterations}`, () => /checksum (\d+)\n/.exec(target.output.stdout.slice(before))?.[1], 120000);
}

async function setLines(client, bps) {
  return (await client.setBreakpointsRequest({ source: { path: source }, breakpoints: bps })).body.breakpoints;
}

async function session(server, attachArgs = {}) {
  return CheckedClient.attachSession(server, { selector: { app: 'fast' }, budgets, ...attachArgs });
}

for (const opt of ['O0', 'O2']) {
  describe(`fast breakpoints (-${opt})`, () => {
    const pod = `fast-${opt}`;
    let server;
    let target;
    let client;
    const baseline = {};

    before(async () => {
      server = await Server.start();
      target = await Target.start(`fastpath-${opt}`, { serverUrl: server.probeUrl, pod, labels: 'app=fast', stdin: true });
      await server.waitForPods(1);
      client = await session(server);
      for (const [threads, n] of [[2, 1000000], [4, 20000000], [1, 100000], [2, 100000]]) baseline[`${threads}x${n}`] = await run(target, threads, n);
    });
    after(async () => {
      await client?.close();
      await target?.stop();
      await server?.stop();
    });

    const logLines = () => client.events('output').filter((m) => m.body.output.startsWith(`${pod}/${target.pid}: `));

    it('arms conditional breakpoints through the fast path and says so; a switch table falls back to the trap with the reason', async () => {
      const set = await setLines(client, [
        { line: lines.short, condition: 'a == -1' },
        { line: lines.rip, condition: 'i == -5' },
        { line: lines.loop, condition: 'k == 100' },
        { line: lines.switch, condition: 'v == -3' },
      ]);
      for (const bp of set.slice(0, 3)) assert.equal(bp.message, 'armed in 1 process (fast)', `line ${bp.line}`);
      assert.match(set[3].message, new RegExp(`^armed in 1 process \\(trap: ${pod}/${target.pid}: 'classify' has an indirect jump`));
      assert.equal(await run(target, 2, 1000000), baseline['2x1000000'], 'the same checksum over millions of false hits');
      assert.equal(client.events('stopped').length, 0);
      await setLines(client, []);
      assert.deepEqual(textDifferences(target.pid, target.exe), [], 'every byte restored');
    });

    it('counts logpoint hits exactly as the trap path does', async () => {
      // a % 1000 == 7: 100 hits per thread of 100000 iterations
      const bp = (await setLines(client, [{ line: lines.short, condition: 'a % 1000 == 7', logMessage: 'a={a} b={b}' }]))[0];
      assert.equal(bp.message, 'armed in 1 process (fast)');
      const before = logLines().length;
      assert.equal(await run(target, 2, 100000), baseline['2x100000']);
      await waitFor('200 lines', () => logLines().length >= before + 200, 20000);
      await sleep(300);
      const got = logLines().slice(before).map((m) => m.body.output.slice(`${pod}/${target.pid}: `.length)).sort();
      const expected = [];
      for (let t = 0; t < 2; t++) for (let a = 7; a < 100000; a += 1000) expected.push(`a=${a} b=${t}\n`);
      assert.deepEqual(got, expected.sort(), 'one line per true hit, values exact');
      await setLines(client, []);

      const trapClient = await session(server, { fastBreakpoints: false });
      const trapBp = (await setLines(trapClient, [{ line: lines.short, condition: 'a % 1000 == 7', logMessage: 'a={a} b={b}' }]))[0];
      assert.match(trapBp.message, /^armed in 1 process \(trap: .*fastBreakpoints: false/);
      const trapLines = () => trapClient.events('output').filter((m) => m.body.output.startsWith(`${pod}/${target.pid}: `));
      assert.equal(await run(target, 2, 100000), baseline['2x100000']);
      await waitFor('200 lines', () => trapLines().length >= 200, 20000);
      await sleep(300);
      assert.deepEqual(trapLines().map((m) => m.body.output.slice(`${pod}/${target.pid}: `.length)).sort(),
        expected, 'the trap path logs the same lines');
      await setLines(trapClient, []);
      await trapClient.close();
    });

    it('stops at the exact counted hit with the program\'s stack and variables', async () => {
      // one thread: the condition holds for i = 0, 3, 6, ...; its 777th true hit is i = 2328
      const bp = (await setLines(client, [{ line: lines.rip, condition: 'i % 3 == 0', hitCondition: '== 777' }]))[0];
      assert.equal(bp.message, 'armed in 1 process (fast)');
      const stopped = client.waitForEvent('stopped');
      target.send('run 1 100000');
      const stop = (await stopped).body;
      assert.equal(stop.reason, 'breakpoint');
      const frames = (await client.stackTraceRequest({ threadId: stop.threadId, levels: 5 })).body.stackFrames;
      assert.equal(frames[0].name.replace(/\(.*$/, ''), 'weigh');
      // at -O2 the address of the line's first statement belongs to the next line's row
      assert.ok(opt === 'O0' ? frames[0].line === lines.rip : [lines.rip, lines.rip + 1].includes(frames[0].line), `line ${frames[0].line}`);
      assert.equal(frames[1].name.replace(/\(.*$/, ''), 'worker');
      const scopes = (await client.scopesRequest({ frameId: frames[0].id })).body.scopes;
      const vars = (await client.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
      assert.equal(vars.find((v) => v.name === 'i')?.value, '2328');
      const evaluated = (await client.evaluateRequest({ expression: 'it->id', frameId: frames[0].id, context: 'watch' })).body;
      assert.equal(evaluated.result, '2328');
      await setLines(client, []);
      await client.continueRequest({ threadId: stop.threadId });
      await waitFor('the run to finish', () => target.output.stdout.endsWith(`checksum ${baseline['1x100000']}\n`), 20000);
    });

    it('captures a snapshot through the fast path with the program\'s frames', async () => {
      const bp = (await setLines(client, [{ line: lines.loop, condition: 'k == 5 && items[k].weight == 10', mode: 'snapshot' }]))[0];
      assert.equal(bp.message, 'armed in 1 process (fast)');
      const snap = client.waitForEvent('stopped');
      await run(target, 1, 300);
      const stop = (await snap).body;
      assert.equal(stop.reason, 'snapshot');
      const frames = (await client.stackTraceRequest({ threadId: stop.threadId, levels: 5 })).body.stackFrames;
      assert.equal(frames[0].name.replace(/\(.*$/, ''), 'loop_sum');
      assert.equal(frames[0].line, bp.line);
      assert.equal(frames[1].name.replace(/\(.*$/, ''), 'worker');
      const k = (await client.evaluateRequest({ expression: 'k', frameId: frames[0].id, context: 'watch' })).body;
      assert.equal(k.result, '5');
      await client.continueRequest({ threadId: stop.threadId });
      await setLines(client, []);
    });

    it('loses no thread while breakpoints are armed and disarmed under load', async () => {
      const before = target.output.stdout.length;
      target.send('run 4 20000000');
      for (let cycle = 0; cycle < 20; cycle++) {
        const set = await setLines(client, [
          { line: lines.short, condition: `a == -${cycle + 1}` },
          { line: lines.rip, condition: 'i == -1' },
          { line: lines.loop, condition: 'k == 99' },
        ]);
        assert.ok(set.every((b) => b.verified), set.map((b) => b.message).join('; '));
        await setLines(client, []);
      }
      const sum = await waitFor('the loaded run', () => /checksum (\d+)\n/.exec(target.output.stdout.slice(before))?.[1], 120000);
      assert.equal(sum, baseline['4x20000000']);
      assert.equal(target.alive(), true);
      assert.deepEqual(textDifferences(target.pid, target.exe), []);
      assert.deepEqual(client.violations(), []);
    });
  });
}

describe('PODBUG_BREAKPOINTS=trap', () => {
  it('forces traps in that process and says why', async () => {
    const server = await Server.start();
    const target = await Target.start('fastpath-O2', { serverUrl: server.probeUrl, pod: 'forced', labels: 'app=fast', stdin: true,
      env: { PODBUG_BREAKPOINTS: 'trap' } });
    try {
      await server.waitForPods(1);
      const client = await session(server);
      const bp = (await setLines(client, [{ line: lines.short, condition: 'a == -1' }]))[0];
      assert.match(bp.message, new RegExp(`^armed in 1 process \\(trap: forced/${target.pid}: PODBUG_BREAKPOINTS=trap`));
      await client.close();
    } finally {
      await target.stop();
      await server.stop();
    }
  });
});
