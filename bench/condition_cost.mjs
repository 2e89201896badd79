// Cost per hit of a breakpoint whose condition is false (r->amount > 1000000000), measured inside
// the target (tests/targets/hotloop.c, -O2) in one run: no breakpoint, podbug's breakpoint with
// the condition evaluated in the probe through a trap (a session with fastBreakpoints: false) and
// through the fast path (a jump to a trampoline), podbug's logpoint with a true condition
// (rate-limited to 100 lines/s, as in production) each way, a snapshot of 10 frames with their
// locals (every hit captured: the hitting thread's cost, and the capture alone as the probe timed
// it), and gdb's conditional breakpoint in batch mode.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildDir, CheckedClient, markerLine, repoRoot, Server, Target, waitFor, watchdog } from '../tests/integration/lib/harness.mjs';

const outFile = process.argv[2];
const source = path.join(repoRoot, 'tests/targets/hotloop.c');
const line = markerLine(source, 'BP:hot');
const exe = path.join(buildDir, 'targets', 'hotloop-O2');
const condition = 'r->amount > 1000000000';

/** Sends one "N" (or "deep N") line and returns the target's own ns per call. */
async function measure(target, calls, mode = '') {
  const before = target.output.stdout.length;
  target.send(mode ? `${mode} ${calls}` : String(calls));
  const text = await waitFor('the loop to finish', () => {
    const m = /ns_per_call ([\d.]+)/.exec(target.output.stdout.slice(before));
    return m && m[1];
  }, 120000);
  return Number(text);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/** A snapshot breakpoint at the bottom of ten frames (descend() in hotloop.c). Rounds of 8 calls
 *  (the probe's pool holds 8 snapshots), each round waiting until its snapshots have reached the
 *  server, so that every hit is captured; the target times each round itself. */
async function snapshotRows(client, target) {
  const deepLine = markerLine(source, 'BP:deep');
  const plainDeep = await measure(target, '2000000', 'deep');
  const bp = (await client.setBreakpointsRequest({ source: { path: source },
    breakpoints: [{ line: deepLine, mode: 'snapshot' }] })).body.breakpoints[0];
  if (!bp.verified) throw new Error(`snapshot breakpoint not armed: ${bp.message}`);
  const perRound = [];
  const stored = async () => (await client.customRequest('podbug/snapshots', { breakpointId: bp.id })).body;
  for (let round = 0; round < 25; round++) {
    const before = (await stored()).breakpoints[0]?.captured ?? 0;
    perRound.push(await measure(target, '8', 'deep'));
    await waitFor('the round\'s snapshots', async () => ((await stored()).breakpoints[0]?.captured ?? 0) >= before + 8, 20000);
  }
  const body = await stored();
  if (body.breakpoints[0].dropped !== 0) throw new Error(`${body.breakpoints[0].dropped} snapshots dropped`);
  const captures = body.snapshots.map((s) => s.captureNs);
  const frames = (await client.stackTraceRequest({ threadId: body.snapshots[0].threadId })).body.totalFrames;
  return { plainDeep, snapshotHit: median(perRound), captureP50: median(captures), captureP99: percentile(captures, 0.99), frames,
    truncated: body.snapshots.some((s) => s.truncated) };
}

/** The false-condition and true-logpoint rows of one path (fast: the session's fastBreakpoints),
 *  and with snapshots the snapshot rows too. */
async function podbugRows(fast, withSnapshots) {
  const server = await Server.start();
  const target = await Target.start('hotloop-O2', { serverUrl: server.probeUrl, pod: 'bench-cond', stdin: true });
  await server.waitForPods(1);
  const client = await CheckedClient.connect(server);
  const stopWatchdog = watchdog(server, 'condition_cost', 180000);
  try {
    const plain = await measure(target, 20000000);
    await client.initializeRequest({ adapterID: 'podbug' });
    const initialized = client.waitForEvent('initialized');
    await client.attachRequest({ selector: { pod: 'bench-cond' }, fastBreakpoints: fast,
      budgets: { conditionCpuPercent: 100, snapshotsPerSecond: 100000, snapshotBytesPerSecond: 1073741824, snapshotFrames: 10 } });
    await initialized;
    const bp = (await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line, condition }] })).body.breakpoints[0];
    if (!bp.verified || !bp.message.includes(fast ? '(fast)' : '(trap')) throw new Error(`breakpoint not armed as wanted: ${bp.message}`);
    await client.configurationDoneRequest();
    const falseCondition = await measure(target, fast ? 20000000 : 200000);
    const log = { line, condition: 'r->amount > 0', logMessage: 'amount {r->amount}' };
    const lp = (await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [log] })).body.breakpoints[0];
    if (!lp.verified) throw new Error(`logpoint not armed: ${lp.message}`);
    const trueLogpoint = await measure(target, 200000);
    await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
    const snapshot = withSnapshots ? await snapshotRows(client, target) : {};
    await client.disconnectRequest({});
    return { plain, falseCondition, trueLogpoint, ...snapshot };
  } finally {
    await client.close();
    await target.stop();
    await server.stop();
    stopWatchdog();
  }
}

/** gdb -batch with the same conditional breakpoint; the target reports its own ns per call. */
function gdbRow(calls) {
  return new Promise((resolve, reject) => {
    const gdb = spawn('gdb', ['-nx', '-batch', '-ex', `break hotloop.c:${line} if ${condition}`, '-ex', 'run', '--args', exe],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    gdb.stdout.on('data', (d) => { out += d; });
    gdb.stderr.on('data', (d) => { out += d; });
    gdb.stdin.end(`${calls}\n`);
    const timer = setTimeout(() => { gdb.kill('SIGKILL'); reject(new Error('gdb took too long')); }, 180000);
    gdb.on('exit', () => {
      clearTimeout(timer);
      const m = /ns_per_call ([\d.]+)/.exec(out);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`gdb run gave no figure:\n${out.slice(-1500)}`));
    });
  });
}

const trap = await podbugRows(false, false);
const { plain, falseCondition, trueLogpoint, plainDeep, snapshotHit, captureP50, captureP99, frames, truncated } = await podbugRows(true, true);
const gdb = await gdbRow(2000);
const rows = [
  { name: 'plain call (no breakpoint)', ns_per_hit: plain, ratio_to_plain: 1 },
  { name: 'podbug: false condition via trap', ns_per_hit: trap.falseCondition },
  { name: 'podbug: false condition via jump (fast path)', ns_per_hit: falseCondition },
  { name: 'podbug: true condition + logpoint via trap (100 lines/s)', ns_per_hit: trap.trueLogpoint },
  { name: 'podbug: true condition + logpoint via jump (100 lines/s)', ns_per_hit: trueLogpoint },
  { name: 'plain call 10 frames deep (no breakpoint)', ns_per_hit: plainDeep, ratio_to_plain: 1 },
  { name: `podbug: snapshot of ${frames} frames with locals`, ns_per_hit: snapshotHit, base: plainDeep },
  { name: '  of which the capture (probe-timed, p50)', ns_per_hit: captureP50, base: plainDeep },
  { name: '  of which the capture (probe-timed, p99)', ns_per_hit: captureP99, base: plainDeep },
  { name: 'gdb -batch: false condition', ns_per_hit: gdb },
];
for (const r of rows) r.ratio_to_plain ??= r.ns_per_hit / (r.base ?? plain);
for (const r of rows) delete r.base;
for (const r of rows) console.log(`${r.name.padEnd(58)} ${r.ns_per_hit.toFixed(1).padStart(12)} ns/hit  ${r.ratio_to_plain.toFixed(0).padStart(8)}x plain`);
console.log(`gdb / podbug per false-condition hit: ${(gdb / trap.falseCondition).toFixed(0)}x via trap, ${(gdb / falseCondition).toFixed(0)}x via jump`);
console.log(`fast path: ${(falseCondition - plain).toFixed(1)} ns per false hit above a plain call (goal < 10 ns)`);
console.log(`snapshot: ${frames} frames captured${truncated ? ' (some truncated by the budget)' : ''}; goal < 50 us of the hitting thread's time`);
if (outFile) fs.writeFileSync(outFile, JSON.stringify(rows, null, 2));
