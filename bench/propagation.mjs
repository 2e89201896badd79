// Breakpoint propagation across a fleet: the setBreakpoints round trip (the server answers once the
// breakpoint is resolved and armed in every matching probe) with 1, 10, 100 and 500 probe'd processes on
// this machine: the first (cold: every probe reads its DWARF) round apart, then p50/p99 over 20 warm
// rounds; and the server's resident memory per connected probe.
import fs from 'node:fs';
import path from 'node:path';
import { pct } from './lib/latency.mjs';
import { CheckedClient, markerLine, repoRoot, Server, Target, watchdog } from '../tests/integration/lib/harness.mjs';

const SIZES = (process.env.PODBUG_BENCH_FLEET || '1,10,100,500').split(',').map(Number);
const ROUNDS = 20;
const START_BATCH = 25;            // targets started at once: enough to be quick, few enough for 2 cores
const PROBE_TIMEOUT_MS = 60000;    // the server's --probe-timeout-ms: a cold round of 500 probes on 2 cores
                                   // takes longer than the default 3 s (see bench/README.md)
const FDS_PER_TARGET = 4;          // three pipes in this process, one WebSocket in the server
const outFile = process.argv[2];
const source = path.join(repoRoot, 'tests/targets/worker.c');
const line = markerLine(source, 'BP:compute_fee');
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const openFilesLimit = () => Number(/Max open files\s+(\d+)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'))[1]);

/** Kills every child process still alive (server, targets, including a target whose start failed
 *  before the harness returned it). Synchronous, so that it can run in the 'exit' handler. */
function killChildren() {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try { stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8'); } catch { continue; }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === process.pid) {
      try { process.kill(Number(entry), 'SIGKILL'); } catch { /* already gone */ }
    }
  }
}
// Whatever ends the bench (an exception, the watchdog's process.exit, Ctrl-C), no process outlives it.
process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(1));

/** Starts n idle targets, START_BATCH at a time, into `targets` (filled even when a start fails). */
async function startFleet(server, n, targets) {
  for (let first = 0; first < n; first += START_BATCH) {
    const batch = [];
    for (let i = first; i < Math.min(n, first + START_BATCH); i++) {
      // Processes that never reach the line (stdin mode, no worker threads): arming, not hitting.
      batch.push(Target.start('worker-O2', { serverUrl: server.probeUrl, pod: `fleet-${i}`, labels: 'app=fleet', args: ['0', '0', 'stdin'], stdin: true }));
    }
    const started = await Promise.allSettled(batch);
    for (const s of started) if (s.status === 'fulfilled') targets.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

async function measure(n) {
  const limit = openFilesLimit();
  if (n * FDS_PER_TARGET + 64 > limit) {
    throw new Error(`${n} probes need about ${n * FDS_PER_TARGET + 64} file descriptors; ulimit -n is ${limit}: raise it`);
  }
  const server = await Server.start({ extraArgs: ['--log-level', 'warn', '--probe-timeout-ms', String(PROBE_TIMEOUT_MS)] });
  const stopWatchdog = watchdog(server, `propagation ${n}`, 300000);
  const targets = [];
  const client = await CheckedClient.connect(server);
  client.defaultTimeout = PROBE_TIMEOUT_MS + 10000;
  try {
    const before = rssKiB(server.proc.pid);
    await startFleet(server, n, targets);
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
    await Promise.all(targets.map((t) => t.stop()));
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
