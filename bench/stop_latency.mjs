// Stop latency through the whole chain, measured with a real DAP client: a target thread reaches an
// armed breakpoint -> trap -> every thread stopped -> probe -> server -> DAP "stopped" event.
// Also: setBreakpoints round trip (resolve + arm in one process). Prints p50/p99; writes JSON.
import path from 'node:path';
import { latencyRow, reportLatencyRows } from './lib/latency.mjs';
import { CheckedClient, markerLine, repoRoot, Server, Target, watchdog } from '../tests/integration/lib/harness.mjs';

const ROUNDS = 30;
const outFile = process.argv[2];
const source = path.join(repoRoot, 'tests/targets/worker.c');
const line = markerLine(source, 'BP:compute_fee');
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const server = await Server.start();
// 4 idle worker threads (they call the code once at start, then sleep 100 s) + the main thread on stdin.
const target = await Target.start('worker-O2', { serverUrl: server.probeUrl, pod: 'bench', args: ['4', '100000000', 'stdin'], stdin: true });
await server.waitForPods(1);
const client = await CheckedClient.connect(server);
const stopWatchdog = watchdog(server, 'stop_latency');
const stopLatency = [];
const setLatency = [];
try {
  await client.initializeRequest({ adapterID: 'podbug' });
  const initialized = client.waitForEvent('initialized');
  await client.attachRequest({ selector: { pod: 'bench' } });
  await initialized;
  for (let i = 0; i < 10; i++) {
    const t0 = process.hrtime.bigint();
    await client.setBreakpointsRequest({ source: { path: source }, breakpoints: i % 2 ? [] : [{ line }] });
    setLatency.push(ms(t0));
  }
  await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line }] });
  await client.configurationDoneRequest();
  for (let i = 0; i < ROUNDS; i++) {
    const stopped = client.waitForEvent('stopped');
    const t0 = process.hrtime.bigint();
    target.send(String(100 * i));
    const ev = await stopped;
    stopLatency.push(ms(t0));
    await client.continueRequest({ threadId: ev.body.threadId });
  }
  await client.disconnectRequest({});
} finally {
  await client.close();
  await target.stop();
  await server.stop();
  stopWatchdog();
}
const rows = [
  latencyRow('trigger -> DAP stopped event (5 threads stopped)', stopLatency),
  latencyRow('setBreakpoints round trip (resolve + arm, 1 process)', setLatency),
];
reportLatencyRows(rows, 56, outFile);
