// Variables and evaluate latency through the whole chain (DAP client -> server -> probe -> DWARF ->
// memory -> back), stopped in tests/targets/wide.c: expanding a struct of 50 fields, and evaluating
// req->user->name. Prints p50/p99 over repeated requests; writes JSON when given a path.
import path from 'node:path';
import { latencyRow, reportLatencyRows } from './lib/latency.mjs';
import { CheckedClient, markerLine, repoRoot, Server, Target, watchdog } from '../tests/integration/lib/harness.mjs';

const ROUNDS = 50;
const outFile = process.argv[2];
const source = path.join(repoRoot, 'tests/targets/wide.c');
const line = markerLine(source, 'BP:handle');
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

async function timed(rounds, fn) {
  const out = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    out.push(ms(t0));
  }
  return out;
}

const server = await Server.start();
const target = await Target.start('wide-O0', { serverUrl: server.probeUrl, pod: 'bench-vars', stdin: true });
await server.waitForPods(1);
const client = await CheckedClient.connect(server);
const stopWatchdog = watchdog(server, 'variables_latency');
let rows;
try {
  await client.initializeRequest({ adapterID: 'podbug' });
  const initialized = client.waitForEvent('initialized');
  await client.attachRequest({ selector: { pod: 'bench-vars' } });
  await initialized;
  const bp = (await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line }] })).body.breakpoints[0];
  if (!bp.verified) throw new Error(`breakpoint not armed: ${bp.message}`);
  await client.configurationDoneRequest();
  const stopped = client.waitForEvent('stopped');
  target.send('5');
  const ev = await stopped;
  const frame = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames[0];
  const wide = await client.evaluateRequest({ expression: '*req->wide', frameId: frame.id, context: 'watch' });
  const ref = wide.body.variablesReference;
  const first = await timed(1, () => client.variablesRequest({ variablesReference: ref }));
  const fields = (await client.variablesRequest({ variablesReference: ref })).body.variables.length;
  if (fields !== 50) throw new Error(`expected 50 fields, got ${fields}`);
  const variables = await timed(ROUNDS, () => client.variablesRequest({ variablesReference: ref }));
  const name = await client.evaluateRequest({ expression: 'req->user->name', frameId: frame.id, context: 'repl' });
  if (!name.body.result.includes('"alice"')) throw new Error(`unexpected result ${name.body.result}`);
  const evaluate = await timed(ROUNDS, () => client.evaluateRequest({ expression: 'req->user->name', frameId: frame.id, context: 'repl' }));
  await client.disconnectRequest({});
  rows = [
    { name: 'variables: struct of 50 fields (first request)', p50_ms: first[0], p99_ms: first[0], n: 1 },
    latencyRow('variables: struct of 50 fields', variables),
    latencyRow('evaluate req->user->name', evaluate),
  ];
} finally {
  await client.close();
  await target.stop();
  await server.stop();
  stopWatchdog();
}
reportLatencyRows(rows, 56, outFile);
