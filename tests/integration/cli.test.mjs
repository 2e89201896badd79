// The podbug command line against a real server and real probe'd processes: `podbug pods` as a
// table and as JSON, and its exit status and one-line reason when something is wrong.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildDir, freePort, Server, Target } from './lib/harness.mjs';

const podbug = (...args) => spawnSync(path.join(buildDir, 'podbug'), args, { encoding: 'utf8', timeout: 20000 });

describe('podbug pods', () => {
  let server;
  const targets = [];
  before(async () => {
    server = await Server.start();
    targets.push(await Target.start('worker-O0', { serverUrl: server.probeUrl, pod: 'cart-1', namespace: 'shop', labels: 'app=cart,tier=web', args: ['1', '100000'] }));
    targets.push(await Target.start('worker-O2', { serverUrl: server.probeUrl, pod: 'cart-2', namespace: 'shop', labels: 'app=cart', args: ['1', '100000'] }));
    await server.waitForPods(2);
  });
  after(async () => {
    for (const t of targets) await t.stop();
    await server?.stop();
  });

  it('lists every registered process as a table', () => {
    const r = podbug('pods', '--server', `ws://127.0.0.1:${server.port}`);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^POD\s+NAMESPACE\s+PID\s+STATE\s+EXECUTABLE\s+LABELS$/);
    assert.equal(lines.length, 3);
    const row = lines.find((l) => l.startsWith('cart-1 '));
    assert.match(row, new RegExp(`^cart-1\\s+shop\\s+${targets[0].pid}\\s+running\\s+worker-O0\\s+app=cart,tier=web$`));
    assert.ok(lines.some((l) => new RegExp(`^cart-2\\s+shop\\s+${targets[1].pid}\\s+running\\s+worker-O2\\s+app=cart$`).test(l)));
  });

  it('prints the same as JSON, with --server before the command', () => {
    const r = podbug('--server', `ws://127.0.0.1:${server.port}`, 'pods', '--json');
    assert.equal(r.status, 0, r.stderr);
    const pods = JSON.parse(r.stdout);
    const one = pods.find((p) => p.pod === 'cart-1');
    assert.equal(one.pid, targets[0].pid);
    assert.deepEqual(one.labels, { app: 'cart', tier: 'web' });
    assert.equal(one.namespace, 'shop');
    assert.match(one.build_id, /^[0-9a-f]{40}$/);
  });

  it('fails with status 1 and one line when the server is not there', async () => {
    const r = podbug('pods', '--server', `ws://127.0.0.1:${await freePort()}`);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^podbug pods: cannot reach 127\.0\.0\.1:\d+: Connection refused\n$/);
  });

  it('refuses a bad URL, an unknown command and an unknown option with status 2', () => {
    const bad = podbug('pods', '--server', 'http://localhost:4700');
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, "podbug: --server must look like ws://HOST:PORT or wss://HOST:PORT, not 'http://localhost:4700'\n");
    const unknown = podbug('frobnicate');
    assert.equal(unknown.status, 2);
    assert.equal(unknown.stderr, "podbug: unknown command 'frobnicate' (see podbug --help)\n");
    const option = podbug('pods', '--wide');
    assert.equal(option.status, 2);
    assert.equal(option.stderr, "podbug pods: unknown option '--wide' (podbug pods [--json])\n");
    const help = podbug('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /pods \[--json\]/);
  });
});
