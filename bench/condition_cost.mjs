// Cost per hit of a breakpoint whose condition is false (r->amount > 1000000000), measured inside
// the target (tests/targets/hotloop.c, -O2) in one run: no breakpoint, podbug's breakpoint with
// the condition evaluated in the probe, podbug's logpoint with a true condition (rate-limited to
// 100 lines/s, as in production), and gdb's conditional breakpoint in batch mode.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildDir, CheckedClient, markerLine, repoRoot, Server, Target, waitFor, watchdog } from '../tests/integration/lib/harness.mjs';

const outFile = process.argv[2];
const source = path.join(repoRoot, 'tests/targets/hotloop.c');
const line = markerLine(source, 'BP:hot');
const exe = path.join(buildDir, 'targets', 'hotloop-O2');
const condition = 'r->amount > 1000000000';

/** Sends one "N" line and returns the target's own ns per call. */
async function measure(target, calls) {
  const before = target.output.stdout.length;
  target.send(String(calls));
  const text = await waitFor('the loop to finish', () => {
    const m = /ns_per_call ([\d.]+)/.exec(target.output.stdout.slice(before));
    return m && m[1];
  }, 120000);
  return Number(text);
}

async function podbugRows() {
  const server = await Server.start();
  const target = await Target.start('hotloop-O2', { serverUrl: server.probeUrl, pod: 'bench-cond', stdin: true });
  await server.waitForPods(1);
  const client = await CheckedClient.connect(server);
  const stopWatchdog = watchdog(server, 'condition_cost', 180000);
  try {
    const plain = await measure(target, 20000000);
    await client.initializeRequest({ adapterID: 'podbug' });
    const initialized = client.waitForEvent('initialized');
    await client.attachRequest({ selector: { pod: 'bench-cond' } });
    await initialized;
    const bp = (await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line, condition }] })).body.breakpoints[0];
    if (!bp.verified) throw new Error(`breakpoint not armed: ${bp.message}`);
    await client.configurationDoneRequest();
    const falseCondition = await measure(target, 200000);
    const log = { line, condition: 'r->amount > 0', logMessage: 'amount {r->amount}' };
    const lp = (await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [log] })).body.breakpoints[0];
    if (!lp.verified) throw new Error(`logpoint not armed: ${lp.message}`);
    const trueLogpoint = await measure(target, 200000);
    await client.disconnectRequest({});
    return { plain, falseCondition, trueLogpoint };
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

const { plain, falseCondition, trueLogpoint } = await podbugRows();
const gdb = await gdbRow(2000);
const rows = [
  { name: 'plain call (no breakpoint)', ns_per_hit: plain },
  { name: 'podbug: false condition, evaluated in the probe', ns_per_hit: falseCondition },
  { name: 'podbug: true condition + logpoint (100 lines/s)', ns_per_hit: trueLogpoint },
  { name: 'gdb -batch: false condition', ns_per_hit: gdb },
];
for (const r of rows) r.ratio_to_plain = r.ns_per_hit / plain;
for (const r of rows) console.log(`${r.name.padEnd(52)} ${r.ns_per_hit.toFixed(1).padStart(12)} ns/hit  ${r.ratio_to_plain.toFixed(0).padStart(8)}x plain`);
console.log(`gdb / podbug per false-condition hit: ${(gdb / falseCondition).toFixed(0)}x`);
if (outFile) fs.writeFileSync(outFile, JSON.stringify(rows, null, 2));
