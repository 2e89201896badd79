// `podbug log` and `podbug snap` against a real server and a real orders target: the exact lines and
// snapshots for known orders, --count and SIGTERM exits that remove the breakpoint, arming reports, usage errors.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildDir, freePort, markerLine, repoRoot, Server, Target, textDifferences, waitFor } from './lib/harness.mjs';

const ordersSource = path.join(repoRoot, 'tests/targets/orders.c');
const ordersLine = markerLine(ordersSource, 'BP:handle_order');
const where = `orders.c:${ordersLine}`;
const podbugPath = path.join(buildDir, 'podbug');

const orders = [
  { amount: 250, user: 'alice', items: [1, 2, 3] },
  { amount: 50, user: 'bob', items: [0, 5, 1] },
  { amount: 120, user: '-', items: [4, 4, 4] },
  { amount: 300, user: 'bob', items: [1, 1, 1] },
];
const total = (o) => o.amount + o.items.reduce((a, b) => a + b, 0);

/** Starts build/podbug with args; its output accumulates in run.stdout / run.stderr. */
function startPodbug(args) {
  const run = { stdout: '', stderr: '' };
  run.proc = spawn(podbugPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  run.proc.stdout.on('data', (d) => { run.stdout += d; });
  run.proc.stderr.on('data', (d) => { run.stderr += d; });
  run.exited = new Promise((r) => run.proc.on('exit', (code, signal) => r({ code, signal })));
  return run;
}

async function exitOf(run, ms = 15000) {
  const timer = setTimeout(() => run.proc.kill('SIGKILL'), ms);
  const result = await run.exited;
  clearTimeout(timer);
  return result;
}

const armed = (run) => waitFor('podbug to arm', () => /: armed in 1 process \(fast\)\n/.test(run.stderr));

describe('podbug log and podbug snap', () => {
  let server;
  let target;
  const late = [];
  let connection;

  before(async () => {
    server = await Server.start();
    target = await Target.start('orders-O0', { serverUrl: server.probeUrl, pod: 'orders-cli', labels: 'app=orders', stdin: true });
    await server.waitForPods(1);
    connection = ['--server', `ws://127.0.0.1:${server.port}`, '--dap-port', String(server.dapPort)];
  });
  after(async () => {
    for (const t of late) await t.stop();
    await target?.stop();
    await server?.stop();
  });

  /** Sends the orders to t, waits for each result line; returns the ids they got. */
  async function sendAll(t = target, list = orders) {
    const ids = [];
    for (const o of list) {
      t.sent = (t.sent ?? 0) + 1;
      const id = t.sent;
      ids.push(id);
      t.send(`${o.amount} ${o.user} ${o.items.join(' ')}`);
      const result = `order id=${id} user=${o.user} total=${total(o)}\n`;
      await waitFor(`the result line ${result}`, () => t.output.stdout.includes(result), 10000, 10);
    }
    return ids;
  }

  const noBreakpointLeft = () => waitFor('the int3 to be removed', () => textDifferences(target.pid, target.exe).length === 0);

  it('podbug log prints the exact line of each matching hit and exits after --count', async () => {
    const run = startPodbug(['log', where, 'order {o->id} by {o->user} amount {o->amount}', '--if', 'o->amount > 100',
      '--selector', 'app=orders', '--count', '2', ...connection]);
    await armed(run);
    const ids = await sendAll();
    const { code } = await exitOf(run);
    assert.equal(code, 0, run.stderr);
    assert.equal(run.stdout,
      `orders-cli/${target.pid}: order ${ids[0]} by "alice" amount 250\n` +
      `orders-cli/${target.pid}: order ${ids[2]} by "-" amount 120\n`);
    assert.equal(run.stderr, 'podbug: attached to app=orders: 1 process now, more as they start\npodbug log: armed in 1 process (fast)\n');
    await noBreakpointLeft();
  });

  it('podbug log runs until SIGTERM, then removes the logpoint and exits 0', async () => {
    const run = startPodbug(['log', where, 'user {o->user}', ...connection]);
    await armed(run);
    await sendAll(target, orders.slice(0, 1));
    await waitFor('the log line', () => run.stdout.includes('user "alice"'));
    run.proc.kill('SIGTERM');
    const { code, signal } = await exitOf(run);
    assert.equal(signal, null);
    assert.equal(code, 0, run.stderr);
    assert.equal(run.stdout, `orders-cli/${target.pid}: user "alice"\n`);
    await noBreakpointLeft();
  });

  it('podbug log says why it is not armed yet, then arms in a pod that starts later', async () => {
    const run = startPodbug(['log', where, 'late {o->amount}', '--selector', 'app=late', '--count', '1', ...connection]);
    await waitFor('the not-armed line', () => run.stderr.includes('podbug log: not armed yet: no process matching the selector yet\n'));
    const t = await Target.start('orders-O2', { serverUrl: server.probeUrl, pod: 'late-1', labels: 'app=late', stdin: true });
    late.push(t);
    await armed(run);
    await sendAll(t, orders.slice(3));
    const { code } = await exitOf(run);
    assert.equal(code, 0, run.stderr);
    assert.equal(run.stdout, `late-1/${t.pid}: late 300\n`);
  });

  it('podbug log reports a message that does not compile and keeps waiting', async () => {
    const run = startPodbug(['log', where, 'order {o->amout}', '--selector', 'pod=orders-cli', ...connection]);
    await waitFor('the not-armed line', () => run.stderr.includes(
      `podbug log: not armed yet: orders-cli/${target.pid}: {o->amout}: no member 'amout' in 'const struct order'\n`));
    run.proc.kill('SIGINT');
    const { code } = await exitOf(run);
    assert.equal(code, 0, run.stderr);
    assert.equal(run.stdout, '');
  });

  it('podbug snap prints two snapshots of the matching orders with their variables', async () => {
    const run = startPodbug(['snap', where, '--if', 'o->amount > 100', '--selector', 'app=orders', '--count', '2', ...connection]);
    await armed(run);
    const ids = await sendAll();
    const { code } = await exitOf(run, 30000);
    assert.equal(code, 0, run.stderr);
    const snapshots = run.stdout.split('\n\n').filter(Boolean);
    assert.equal(snapshots.length, 2, run.stdout);
    for (const [n, [i, o]] of [[0, orders[0]], [2, orders[2]]].entries()) {
      const lines = snapshots[n].split('\n');
      assert.match(lines[0], new RegExp(`^snapshot ${n + 1} of bp \\d+  orders-cli/${target.pid} orders-O0  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}$`));
      assert.equal(lines[1], `#0 handle_order (orders.c:${ordersLine})`);
      // The pointer with its pointee's members, one per line (too long for one line).
      const at = lines.findIndex((l) => /^    o = 0x[0-9a-f]+ -> \{$/.test(l));
      assert.ok(at > 1, snapshots[n]);
      assert.deepEqual(lines.slice(at + 1, at + 5).map((l) => l.replace(/0x[0-9a-f]+/, 'ADDR')), [
        `        id = ${ids[i]}`,
        `        amount = ${o.amount}`,
        `        user = ADDR "${o.user}"`,
        `        items = {${o.items.join(', ')}}`,
      ]);
      assert.ok(lines.includes(`    subtotal = ${total(o)}`), snapshots[n]);
      assert.ok(lines.some((l) => /^#1 main \(orders\.c:\d+\)$/.test(l)), snapshots[n]);
    }
    await noBreakpointLeft();
  });

  it('podbug snap --json prints one object per snapshot per line', async () => {
    const run = startPodbug(['snap', where, '--if', 'o->amount == 300', '--selector', 'app=orders', '--count', '1', '--json', ...connection]);
    await armed(run);
    const ids = await sendAll();
    const { code } = await exitOf(run, 30000);
    assert.equal(code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const snap = JSON.parse(lines[0]);
    assert.equal(snap.pod, 'orders-cli');
    assert.equal(snap.pid, target.pid);
    assert.equal(snap.snapshot, 1);
    const [top] = snap.frames;
    assert.equal(top.name, 'handle_order');
    assert.equal(top.source, ordersSource);
    assert.equal(top.line, ordersLine);
    const o = top.scopes.flatMap((s) => s.variables).find((v) => v.name === 'o');
    const members = Object.fromEntries(o.children[0].children.map((m) => [m.name, m.value]));
    assert.equal(members.id, String(ids[3]));
    assert.equal(members.amount, '300');
  });

  it('refuses a bad FILE:LINE with status 2 and one line', () => {
    const r = spawnSync(podbugPath, ['snap', 'orders.c', ...connection], { encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 2);
    assert.equal(r.stderr,
      "podbug snap: FILE:LINE must name a file and a line number, e.g. orders.c:44, not 'orders.c' (see podbug snap --help)\n");
    const selector = spawnSync(podbugPath, ['log', where, 'x', '--selector', 'app'], { encoding: 'utf8', timeout: 10000 });
    assert.equal(selector.status, 2);
    assert.match(selector.stderr, /^podbug log: --selector wants LABEL=VALUE\[,LABEL=VALUE\.\.\.\].* not 'app' \(see podbug log --help\)\n$/);
  });

  it('fails with status 1 and one line when the server is not there', async () => {
    const port = await freePort();
    const r = spawnSync(podbugPath, ['log', where, 'x', '--dap-port', String(port)], { encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `podbug log: cannot connect to the server's DAP port 127.0.0.1:${port}: Connection refused\n`);
  });
});
