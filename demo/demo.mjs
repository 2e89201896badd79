// `make demo`: a podbug-server, three probe'd "pods" of one service, and a scripted DAP client
// that sets one breakpoint for the whole fleet and prints each stop and its stack readably; then
// the podbug CLI, without an IDE: a conditional snapshot and a logpoint while the pods run on; last,
// a hot reload of a rebuilt library across three other pods, and its rollback.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildDir, CheckedClient, markerLine, repoRoot, Server, Target, waitFor, watchdog } from '../tests/integration/lib/harness.mjs';

const say = (s = '') => process.stdout.write(`${s}\n`);
const source = path.join(repoRoot, 'tests/targets/worker.c');
const line = markerLine(source, 'BP:compute_fee');

async function printStop(client, ev) {
  const threads = (await client.threadsRequest()).body.threads;
  const thread = threads.find((t) => t.id === ev.body.threadId);
  const process = thread.name.split(' ')[0];
  const stoppedThreads = threads.filter((t) => t.name.startsWith(`${process} `)).length;
  say(`  ${thread.name} stopped (reason: ${ev.body.reason}; all ${stoppedThreads} threads of ${process} are stopped)`);
  const frames = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames;
  frames.forEach((f, i) => {
    const where = f.source ? `${path.relative(repoRoot, f.source.path)}:${f.line}` : `(${f.moduleId ?? 'no symbols'})`;
    say(`    #${i} ${f.name.padEnd(28)} ${where}`);
  });
}

/** Prints frame 0's arguments, one level expanded, and an expression evaluated in that frame. */
async function printVariables(client, threadId) {
  const frame = (await client.stackTraceRequest({ threadId, levels: 1 })).body.stackFrames[0];
  const scopes = (await client.scopesRequest({ frameId: frame.id })).body.scopes;
  const args = scopes.find((sc) => sc.name === 'Arguments');
  for (const v of (await client.variablesRequest({ variablesReference: args.variablesReference })).body.variables) {
    say(`    ${v.type} ${v.name} = ${v.value}`);
    if (!v.variablesReference) continue;
    const [pointee] = (await client.variablesRequest({ variablesReference: v.variablesReference })).body.variables;
    const fields = (await client.variablesRequest({ variablesReference: pointee.variablesReference })).body.variables;
    say(`      ${pointee.name} = { ${fields.map((f) => `${f.name} = ${f.value}`).join(', ')} }`);
  }
  const expr = 'req->amount / 100 > 40 ? 40 : req->amount / 100';
  const result = await client.evaluateRequest({ expression: expr, frameId: frame.id, context: 'repl' });
  say(`    evaluate ${expr}  ->  ${result.body.result}`);
}

/** Runs build/podbug with args against the server; prints its stdout indented, as it comes. */
function podbugCli(server, args) {
  return new Promise((resolve, reject) => {
    const cli = spawn(path.join(buildDir, 'podbug'),
      [...args, '--server', `ws://127.0.0.1:${server.port}`, '--dap-port', String(server.dapPort)],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    let errors = '';
    cli.stdout.on('data', (d) => {
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const l of lines) if (l) say(`           ${l}`);
    });
    cli.stderr.on('data', (d) => { errors += d; });
    const timer = setTimeout(() => cli.kill('SIGTERM'), 30000);
    cli.on('exit', (code) => {
      clearTimeout(timer);
      if (pending) say(`           ${pending}`);
      if (code === 0) resolve();
      else reject(new Error(`podbug ${args[0]} exited with ${code}: ${errors.trim()}`));
    });
  });
}

/** The CLI part: a conditional snapshot and a logpoint in every pod, while they keep running. */
async function cliDemo(server) {
  const where = `tests/targets/worker.c:${line}`;
  const condition = 'req->amount > 4900';
  say();
  say('without an IDE: the podbug CLI talks DAP to the same server');
  say(`$ podbug snap ${where} --if '${condition}' --selector app=checkout --count 1`);
  say('         (snapshot mode: the hitting thread copies its stack and variables and runs on; no pod stops)');
  await podbugCli(server, ['snap', path.join(repoRoot, where.split(':')[0]) + `:${line}`, '--if', condition,
    '--selector', 'app=checkout', '--count', '1']);
  const message = 'request {req->id} from {req->user}: amount {req->amount}';
  say(`$ podbug log ${where} '${message}' --if 'req->amount < 30' --count 3`);
  await podbugCli(server, ['log', path.join(repoRoot, where.split(':')[0]) + `:${line}`, message,
    '--if', 'req->amount < 30', '--selector', 'app=checkout', '--count', '3']);
}

/** The last status line of a reload_app pod, as numbers (results: one per worker thread). */
function handlersStatus(pod) {
  const line = pod.output.stdout.split('\n').filter((l) => l.startsWith('calls=')).pop() ?? '';
  return Object.fromEntries([...line.matchAll(/(\w+)=(\S+)/g)].map(([, k, v]) => [k, k === 'results' ? v.split(',').map(Number) : Number(v)]));
}

async function showAnswers(pods, expected) {
  await waitFor(`every pod to answer ${expected}`, () => pods.every((p) => handlersStatus(p).results?.every((r) => r === expected)));
  for (const p of pods) {
    const st = handlersStatus(p);
    say(`         ${p.name}: handle() answers ${st.last} in both threads; ${st.calls} calls so far, ${st.bad} failed`);
  }
}

/** Hot reload: three pods call handle() of libhandlers.so in a loop; v2 replaces v1 while they run. */
async function reloadDemo(server) {
  const libDir = path.join(buildDir, 'targets/reload/O2');
  const selector = ['--selector', 'app=handlers'];
  say();
  say('hot reload: three more pods call handle() of libhandlers.so (v1: amount * 2) in two busy threads each');
  const pods = [];
  try {
    for (const name of ['handlers-1', 'handlers-2', 'handlers-3']) {
      const t = await Target.start('reload/O2/reload_app', { serverUrl: server.probeUrl, pod: name, namespace: 'shop', labels: 'app=handlers', stdin: true, args: ['linked', '--threads', '2', '--status-ms', '100'] });
      t.name = name;
      pods.push(t);
    }
    await server.waitForPods(6);
    await showAnswers(pods, 20);
    say('$ podbug reload --lib build/targets/reload/O2/v2/libhandlers.so --selector app=handlers');
    say('         (v2 answers amount * 3 + 1; the server sends the file, each probe swaps the changed functions)');
    await podbugCli(server, ['reload', '--lib', path.join(libDir, 'v2/libhandlers.so'), ...selector]);
    await showAnswers(pods, 31);
    say('$ podbug reload --rollback --name libhandlers.so --selector app=handlers');
    await podbugCli(server, ['reload', '--rollback', '--name', 'libhandlers.so', ...selector]);
    await showAnswers(pods, 20);
    for (const p of pods) {
      p.proc.kill('SIGTERM');
      await p.exited;
      const [, calls, total, here, bad, inner] = /final calls=(\d+) total=(\d+) here=(\d+) bad=(\d+) fn_static=(\d+)/.exec(p.output.stdout);
      say(`         ${p.name} stopped: ${calls} calls; its global, file-static and function-static counters say ${total}, ${here}, ${inner}; ${bad} failed`);
    }
  } finally {
    for (const p of pods) await p.stop();
  }
}

async function main() {
  say('podbug demo: one breakpoint, set once, armed in every pod of a service');
  say();
  const server = await Server.start();
  say(`server   podbug-server on 127.0.0.1:${server.port} (DAP on TCP ${server.dapPort})`);
  const pods = [];
  for (const name of ['checkout-1', 'checkout-2', 'checkout-3']) {
    const t = await Target.start('worker-O2', { serverUrl: server.probeUrl, pod: name, namespace: 'shop', labels: 'app=checkout', args: ['3', '50000'] });
    pods.push(t);
    say(`pod      ${name}: pid ${t.pid}, 3 worker threads, probe preloaded`);
  }
  await server.waitForPods(3);
  const client = await CheckedClient.connect(server);
  const stopWatchdog = watchdog(server, 'demo');
  try {
    await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const initialized = client.waitForEvent('initialized');
    await client.attachRequest({ selector: { app: 'checkout' } });
    await initialized;
    say('ide      attached with selector {"app": "checkout"}');
    const stops = [];
    client.on('stopped', (ev) => stops.push(ev));
    const condition = 'req->amount > 4800';
    const set = await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line, condition }] });
    const bp = set.body.breakpoints[0];
    say(`ide      breakpoint at tests/targets/worker.c:${line} if ${condition}: verified=${bp.verified} (${bp.message})`);
    say('         (the condition runs inside each process; calls where it is false never leave the pod)');
    await client.configurationDoneRequest();
    await waitFor('every pod to stop', () => stops.length >= 3);
    say();
    say('each pod stopped on its own, at a call where the condition holds; the others were not touched:');
    for (const [i, ev] of stops.splice(0, 3).entries()) {
      await printStop(client, ev);
      if (i === 0) await printVariables(client, ev.body.threadId);
      await client.continueRequest({ threadId: ev.body.threadId });
    }
    say();
    say('after continue, a pod stops again at the next hit:');
    await waitFor('a pod to stop again', () => stops.length >= 1);
    await printStop(client, stops[0]);
    await client.disconnectRequest({});
    say();
    say('ide      disconnected: breakpoints removed from every pod, all pods running');
    await cliDemo(server);
    await reloadDemo(server);
    say();
    const listed = await server.pods();
    for (const p of listed) say(`pod      ${p.pod.padEnd(11)} pid ${p.pid}  ${p.state}  build-id ${p.build_id.slice(0, 12)}…`);
    const problems = client.violations();
    say(problems.length ? `DAP schema problems: ${problems.join('; ')}` : 'every DAP message the server sent matched the official schema');
  } finally {
    await client.close();
    for (const t of pods) await t.stop();
    await server.stop();
    stopWatchdog();
  }
}

main().catch((e) => {
  console.error(`demo failed: ${e.message}`);
  process.exit(1);
});
