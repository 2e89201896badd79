// Latency of DAP stepping through the whole chain, measured with a real DAP client: a `next`
// request -> probe single-steps the thread in-process -> "stopped" event (reason step). Rows: a
// simple line (`sink += a`), and a line whose call is stepped over (`leaf(...)`), p50/p99 over 200.
import path from 'node:path';
import { latencyRow, reportLatencyRows } from './lib/latency.mjs';
import { CheckedClient, markerLine, repoRoot, Server, Target, watchdog } from '../tests/integration/lib/harness.mjs';

const SAMPLES = 200;
const outFile = process.argv[2];
const source = path.join(repoRoot, 'tests/targets/steps.c');
const simpleLine = markerLine(source, 'STEP:after_leaf');
const callLine = markerLine(source, 'STEP:call_leaf');
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const server = await Server.start();
const target = await Target.start('steps-O0', { serverUrl: server.probeUrl, pod: 'bench' });
await server.waitForPods(1);
const client = await CheckedClient.attachSession(server, { selector: { pod: 'bench' } });
const stopWatchdog = watchdog(server, 'step_latency', 120000);
const simple = [];
const overCall = [];
try {
  const hit = client.waitForEvent('stopped');
  await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: callLine }] });
  const threadId = (await hit).body.threadId;
  await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
  let line = callLine;
  while (simple.length < SAMPLES || overCall.length < SAMPLES) {
    const stopped = client.waitForEvent('stopped');
    const t0 = process.hrtime.bigint();
    await client.nextRequest({ threadId });
    await stopped;
    const took = ms(t0);
    if (line === simpleLine) simple.push(took);
    else if (line === callLine) overCall.push(took);
    line = (await client.stackTraceRequest({ threadId, levels: 1 })).body.stackFrames[0].line;
  }
  await client.disconnectRequest({});
} finally {
  await client.close();
  await target.stop();
  await server.stop();
  stopWatchdog();
}
const rows = [
  latencyRow('next on a simple line -> DAP stopped (-O0)', simple),
  latencyRow('next over a call -> DAP stopped (-O0)', overCall),
];
reportLatencyRows(rows, 48, outFile);
