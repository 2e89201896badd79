// Breakpoint propagation across a fleet: the setBreakpoints round trip (the server answers once the
// breakpoint is resolved and armed in every matching probe) with 1, 10 and 100 probe'd processes on
// this machine: the first (cold: every probe reads its DWARF) round apart, then p50/p99 over 20 warm
// rounds; and the server's resident memory per connected probe.
import fs from 'node:fs';
import path from 'node:path';
import { CheckedClient, markerLine, repoRoot, Server, Target, watchdog } from '../tests/integration/lib/harness.mjs';

const SIZES = (process.env.PODBUG_BENCH_FLEET || '1,10,100').split(',').map(Number);
const ROUNDS = 20;
const outFile = process.argv[2];
const source = path.join(repoRoot, 'tests/targets/worker.c');
const line = markerLine(source, 'BP:compute_fee');
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

async function measure(n) {
  const server = await Server.start({ extraArgs: ['--log-level', 'warn'] });
  const stopWatchdog = watchdog(server, `propagation ${n}`, 300000);
  const targets = [];
  const client = await CheckedClient.connect(server);
  try {
    const before = rssKiB(server.proc.pid);
    // Processes that never reach the line (stdin mode, no worker threads): arming, not hitting.
    for (let i = 0; i < n; i++) {
      targets.push(await Target.start('worker-O2', { serverUrl: server.probeUrl, pod: `fleet-${i}`, labels: 'app=fleet', args: ['0', '0', 'stdin'], stdin: true }));
    }
    await server.waitForPods(n);
    const perProbeKiB = (rssKiB(server.proc.pid) - before) / n;
    await client.initializeRequest({ adapterID: 'podbug' });
    const initialized = client.waitForEvent('initialized');
    await client.attachRequest({ selector: { app: 'fleet' } });
    await initialized;
    const times = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const t0 = process.hrtime.bigint();
      const set = await client.setBreakpointsRequest({ source: { path: source }, breakpoints: round % 2 ? [] : [{ line }] });
      times.push(ms(t0));
      if (round % 2 === 0 && !set.body.breakpoints[0].message.startsWith(`armed in ${n} process`)) {
        throw new Error(`not armed everywhere: ${set.body.breakpoints[0].message}`);
      }
    }
    await client.disconnectRequest({});
    const [cold, ...warm] = times;
    return { name: `setBreakpoints armed in ${n} process${n === 1 ? '' : 'es'}`, probes: n, cold_ms: cold, p50_ms: pct(warm, 0.5), p99_ms: pct(warm, 0.99), server_kib_per_probe: perProbeKiB };
  } finally {
    await client.close();
    for (const t of targets) await t.stop();
    await server.stop();
    stopWatchdog();
  }
}

const rows = [];
for (const n of SIZES) rows.push(await measure(n));
for (const r of rows) {
  console.log(`${r.name.padEnd(40)} cold ${r.cold_ms.toFixed(1).padStart(7)} ms   warm p50 ${r.p50_ms.toFixed(2).padStart(6)} ms   p99 ${r.p99_ms.toFixed(2).padStart(6)} ms   server RSS ${r.server_kib_per_probe.toFixed(0).padStart(4)} KiB/probe`);
}
if (outFile) fs.writeFileSync(outFile, JSON.stringify(rows, null, 2));
