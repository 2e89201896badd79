// Hot reload latency under load: 1, 10 and 50 processes of reload_app (-O2, linked with v1, each
// with calling threads in a tight loop) get libhandlers.so v2 through the DAP request podbug/reload,
// then a rollback, for several rounds. Times, from the request: the response (every probe answered)
// and, independently, the moment the last calling thread of the last process saw v2's result (the
// apps' switched_ns, CLOCK_MONOTONIC like process.hrtime). And the longest pause a calling thread
// sees: the apps' maxgap_ns (longest time between two consecutive calls) in the status periods
// around each swap, against the same statistic over as many periods with no reload.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pct } from './lib/latency.mjs';
import { buildDir, CheckedClient, Server, Target, waitFor, watchdog } from '../tests/integration/lib/harness.mjs';

const SIZES = (process.env.PODBUG_BENCH_RELOAD_FLEET || '1,10,50').split(',').map(Number);
const ROUNDS = 6;               // reload + rollback pairs per fleet; the first reload is shown apart
const STATUS_MS = 10;           // the apps' status period: the resolution of the pause windows
const START_BATCH = 10;
const V1 = 20;                  // handle() of {amount 10} in v1 and v2 (tests/targets/reload/handlers.h)
const V2 = 31;
const outFile = process.argv[2];
const ms = (ns) => Number(ns) / 1e6;
const now = () => process.hrtime.bigint();

const children = [];
// No process outlives the bench: the apps also stop when their stdin (a pipe from here) closes.
process.on('exit', () => { for (const c of children) try { c.kill('SIGKILL'); } catch { /* gone */ } });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(1));

function libraryArgs(version) {
  const bytes = fs.readFileSync(path.join(buildDir, 'targets/reload/O2', version, 'libhandlers.so'));
  return { name: 'libhandlers.so', library: bytes.toString('base64'), sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
}

function request(client, command, args) {
  return new Promise((resolve, reject) => client.doSend(command, args, (r) => (r.success ? resolve(r) : reject(new Error(`${command}: ${r.message}`)))));
}

/** Status lines of app from character offset `from` on, as objects. */
function statusSince(app, from) {
  return app.output.stdout.slice(from).split('\n').filter((l) => l.startsWith('calls=')).map((l) => {
    const f = {};
    for (const [, k, v] of l.matchAll(/(\w+)=(\S+)/g)) f[k] = k === 'results' ? v.split(',').map(Number) : Number(v);
    return f;
  });
}

/** pinned: the calling threads run alone on CPU 1, the probe's agent (the app is started on CPU
 *  0 and only its workers move), the server and this bench on CPU 0, so that a pause measures
 *  the swap itself rather than a wait for a core. */
async function startFleet(server, n, threads, pinned) {
  const apps = [];
  for (let first = 0; first < n; first += START_BATCH) {
    const batch = [];
    for (let i = first; i < Math.min(n, first + START_BATCH); i++) {
      batch.push(Target.start('reload/O2/reload_app', {
        serverUrl: server.probeUrl, pod: `reload-${i}`, labels: 'app=reload-bench', stdin: true,
        args: ['linked', '--threads', String(threads), '--status-ms', String(STATUS_MS), ...(pinned ? ['--pin', '1'] : [])],
        wrap: pinned ? ['taskset', '-c', '0'] : [],
      }));
    }
    for (const t of await Promise.all(batch)) { apps.push(t); children.push(t.proc); }
  }
  await server.waitForPods(n);
  return apps;
}

/** One swap to `result`: response time and, with calling threads, the time until every app's
 *  threads all answer it and the longest gap any thread saw in the status periods from the request
 *  to two periods after that. */
async function swap(client, apps, args, result, calling) {
  const offsets = apps.map((a) => a.output.stdout.length);
  const t0 = now();
  await request(client, 'podbug/reload', args);
  const responded = now() - t0;
  if (!calling) return { responded };
  let switched = 0n;
  for (const [i, app] of apps.entries()) {
    const line = await waitFor(`${app.pid} to answer ${result}`,
      () => statusSince(app, offsets[i]).find((s) => s.results.every((r) => r === result)), 20000, 5);
    if (BigInt(line.switched_ns) - t0 > switched) switched = BigInt(line.switched_ns) - t0;
  }
  await new Promise((r) => setTimeout(r, 2 * STATUS_MS));
  const windows = apps.map((a, i) => statusSince(a, offsets[i]));
  return {
    responded,
    switched,
    maxGap: Math.max(...windows.flat().map((s) => s.maxgap_ns)),
    periods: Math.max(...windows.map((w) => w.length)),
  };
}

/** The longest gap in windows of `periods` status periods with no reload, one window per round. */
async function quietGaps(apps, periods, rounds) {
  const gaps = [];
  for (let r = 0; r < rounds; r++) {
    const offsets = apps.map((a) => a.output.stdout.length);
    await waitFor('quiet status periods', () => apps.every((a, i) => statusSince(a, offsets[i]).length >= periods), 20000, 5);
    gaps.push(Math.max(...apps.flatMap((a, i) => statusSince(a, offsets[i]).slice(0, periods).map((s) => s.maxgap_ns))));
  }
  return gaps;
}

async function measure(n, threads, pinned = false) {
  const server = await Server.start({ extraArgs: ['--log-level', 'warn', '--probe-timeout-ms', '60000'] });
  children.push(server.proc);
  if (pinned) for (const pid of [server.proc.pid, process.pid]) execFileSync('taskset', ['-a', '-p', '-c', '0', String(pid)], { stdio: 'ignore' });
  const stopWatchdog = watchdog(server, `reload_latency ${n}`, 180000);
  let apps = [];
  const client = await CheckedClient.connect(server);
  try {
    apps = await startFleet(server, n, threads, pinned);
    await client.initializeRequest({ adapterID: 'podbug' });
    const initialized = client.waitForEvent('initialized');
    await client.attachRequest({ selector: { app: 'reload-bench' } });
    await initialized;
    const v2 = libraryArgs('v2');
    const reloads = [];
    const rollbacks = [];
    const calling = threads > 0;
    for (let round = 0; round < ROUNDS; round++) {
      reloads.push(await swap(client, apps, v2, V2, calling));
      rollbacks.push(await swap(client, apps, { rollback: true, name: 'libhandlers.so' }, V1, calling));
    }
    const swaps = [...reloads, ...rollbacks].slice(1);
    const quiet = calling ? await quietGaps(apps, Math.max(...swaps.map((s) => s.periods)), swaps.length) : [];
    const warm = reloads.slice(1);
    const p50 = (xs) => (calling ? pct(xs, 0.5) : null);
    const max = (xs) => (calling ? Math.max(...xs) : null);
    return {
      name: `${n} process${n > 1 ? 'es' : ''}, ${threads || 'no'} calling thread${threads === 1 ? '' : 's'}${pinned ? ', pinned alone' : ''}`,
      processes: n,
      threads,
      first_response_ms: ms(reloads[0].responded),
      response_p50_ms: pct(warm.map((s) => ms(s.responded)), 0.5),
      response_max_ms: Math.max(...warm.map((s) => ms(s.responded))),
      switched_p50_ms: p50(warm.map((s) => ms(s.switched))),
      switched_max_ms: max(warm.map((s) => ms(s.switched))),
      rollback_p50_ms: pct(rollbacks.map((s) => ms(s.responded)), 0.5),
      pause_swap_p50_us: p50(swaps.map((s) => s.maxGap / 1e3)),
      pause_swap_max_us: max(swaps.map((s) => s.maxGap / 1e3)),
      pause_quiet_p50_us: p50(quiet.map((g) => g / 1e3)),
      pause_quiet_max_us: max(quiet.map((g) => g / 1e3)),
      rounds: ROUNDS,
    };
  } finally {
    await client.close();
    for (const a of apps) await a.stop();
    await server.stop();
    stopWatchdog();
    if (pinned) execFileSync('taskset', ['-a', '-p', '-c', `0-${os.cpus().length - 1}`, String(process.pid)], { stdio: 'ignore' });
  }
}

// Busy fleets (one thread calling handle() in a tight loop per process, so 2 cores are shared by
// N such threads plus the probes' agents) and idle ones (the probes alone: what a reload costs).
const fleets = SIZES.filter((n) => n > 1);
const cases = [[1, 1], [1, 4], ...fleets.map((n) => [n, 1]), ...fleets.map((n) => [n, 0])];
const rows = [];
if (os.cpus().length >= 2) rows.push(await measure(1, 1, true));
for (const [n, threads] of cases) rows.push(await measure(n, threads));

const columns = [
  ['1st ms', 'first_response_ms'], ['resp p50', 'response_p50_ms'], ['resp max', 'response_max_ms'],
  ['sw p50', 'switched_p50_ms'], ['sw max', 'switched_max_ms'], ['rb p50', 'rollback_p50_ms'],
  ['pause p50', 'pause_swap_p50_us'], ['pause max', 'pause_swap_max_us'],
  ['quiet p50', 'pause_quiet_p50_us'], ['quiet max', 'pause_quiet_max_us'],
];
const cell = (x) => (x === null ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(2)).padStart(10);
console.log(`${'fleet'.padEnd(34)}${columns.map(([title]) => title.padStart(10)).join('')}   (ms; pauses in us)`);
for (const r of rows) console.log(`${r.name.padEnd(34)}${columns.map(([, key]) => cell(r[key])).join('')}`);
if (outFile) fs.writeFileSync(outFile, JSON.stringify(rows, null, 2));
