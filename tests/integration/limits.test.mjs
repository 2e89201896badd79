// Limits and /metrics: the Prometheus text parses and its numbers move; a probe or IDE over
// --max-probes / --max-sessions is refused while the others keep working; an oversized message, an
// IDE that stops reading and a probe flooding messages each cost only their own connection.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { CheckedClient, markerLine, repoRoot, Server, sleep, Target, waitFor } from './lib/harness.mjs';

const workerSource = path.join(repoRoot, 'tests/targets/worker.c');
const feeLine = markerLine(workerSource, 'BP:compute_fee');

/** Parses Prometheus text format 0.0.4 strictly: every family has HELP and TYPE before its
 *  samples; returns Map "name{label="value"}" -> number, and the families' types. */
function parsePrometheus(text) {
  const samples = new Map();
  const types = new Map();
  const helped = new Set();
  assert.ok(text.endsWith('\n'), 'the text ends with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    let m = line.match(/^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/);
    if (m) { helped.add(m[1]); continue; }
    m = line.match(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/);
    if (m) { types.set(m[1], m[2]); continue; }
    m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*")*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/);
    assert.ok(m, `not a Prometheus line: ${JSON.stringify(line)}`);
    assert.ok(types.has(m[1]) && helped.has(m[1]), `${m[1]} has samples before its HELP and TYPE`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return { samples, types };
}

async function metrics(server) {
  const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4');
  return parsePrometheus(await res.text());
}

async function metric(server, key) {
  const v = (await metrics(server)).samples.get(key);
  assert.notEqual(v, undefined, `/metrics has no ${key}`);
  return v;
}

function openWs(url, protocol) {
  const ws = new WebSocket(url, protocol);
  const closed = new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  return { ws, closed, opened: new Promise((r, j) => { ws.on('open', r); ws.on('error', j); }) };
}

/** A raw probe speaking the probe protocol: connects to /probe and says hello. */
async function fakeProbe(server, pod, labels = {}) {
  const p = openWs(server.probeUrl, 'podbug.probe.v1');
  await p.opened;
  p.ws.send(JSON.stringify({ v: 1, type: 'hello', id: 1, body: { pod, namespace: 'default', labels, pid: process.pid,
    exe: '/bin/fake', build_id: '', probe_version: '0.1.0' } }));
  return p;
}

/** A raw DAP-over-TCP connection: what it received, and whether it closed. */
function rawDap(port) {
  const sock = net.createConnection(port, '127.0.0.1');
  const state = { data: '', closed: false, sock };
  sock.on('data', (d) => { state.data += d; });
  sock.on('error', () => {});
  state.done = new Promise((r) => sock.on('close', () => { state.closed = true; r(); }));
  return state;
}

function dapFrame(msg) {
  const body = JSON.stringify(msg);
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** A describe block whose tests share a server started with extraArgs (ctx.server) and, when
 *  workerPod is given, a worker target labelled app=worker registered with it (ctx.target). */
function withServer(title, extraArgs, body, workerPod = null) {
  describe(title, () => {
    const ctx = {};
    before(async () => {
      ctx.server = await Server.start({ extraArgs });
      if (!workerPod) return;
      ctx.target = await Target.start('worker-O0', { serverUrl: ctx.server.probeUrl, pod: workerPod, labels: 'app=worker', args: ['2', '200'] });
      await ctx.server.waitForPods(1);
    });
    after(async () => {
      await ctx.target?.stop();
      await ctx.server?.stop();
    });
    body(ctx);
  });
}

async function stopAtFee(client) {
  await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const initialized = client.waitForEvent('initialized');
  await client.attachRequest({ selector: { app: 'worker' } });
  await initialized;
  const stopped = client.waitForEvent('stopped');
  await client.setBreakpointsRequest({ source: { path: workerSource }, breakpoints: [{ line: feeLine }] });
  await client.configurationDoneRequest();
  return stopped;
}

withServer('/metrics', [], (ctx) => {

  it('serves Prometheus text with every family and the limits in force', async () => {
    const { samples, types } = await metrics(ctx.server);
    assert.equal(samples.get('podbug_probes'), 1);
    assert.equal(samples.get('podbug_sessions'), 0);
    assert.equal(types.get('podbug_probes'), 'gauge');
    assert.equal(types.get('podbug_hits_total'), 'counter');
    for (const name of ['podbug_breakpoints', 'podbug_hits_total', 'podbug_hits_dropped_total', 'podbug_snapshots_total',
      'podbug_snapshots_stored', 'podbug_reloads_total{result="rolled_back"}', 'podbug_errors_total{kind="bad_message"}',
      'podbug_bytes_received_total{channel="probe"}', 'podbug_bytes_sent_total{channel="dap"}']) {
      assert.ok(samples.has(name), `missing ${name}`);
    }
    assert.equal(samples.get('podbug_limit_max_message_bytes'), 32 * 1024 * 1024);
    assert.equal(samples.get('podbug_limit_max_probes'), 10000);
    assert.equal(samples.get('podbug_limit_max_sessions'), 100);
    assert.equal(samples.get('podbug_limit_max_queued_bytes'), 64 * 1024 * 1024);
    assert.equal(samples.get('podbug_limit_snapshots'), 1000);
    assert.ok(samples.get('podbug_bytes_received_total{channel="probe"}') > 0, 'the hello was counted');
  });

  it('moves with a session, a breakpoint hit and the bytes exchanged', async () => {
    const before = (await metrics(ctx.server)).samples;
    const client = await CheckedClient.connect(ctx.server);
    try {
      const ev = await stopAtFee(client);
      const now = (await metrics(ctx.server)).samples;
      assert.equal(now.get('podbug_sessions'), 1);
      assert.equal(now.get('podbug_breakpoints'), 1);
      assert.ok(now.get('podbug_hits_total') >= before.get('podbug_hits_total') + 1);
      for (const key of ['podbug_bytes_received_total{channel="probe"}', 'podbug_bytes_received_total{channel="dap"}',
        'podbug_bytes_sent_total{channel="probe"}', 'podbug_bytes_sent_total{channel="dap"}']) {
        assert.ok(now.get(key) > before.get(key), `${key} grew`);
      }
      await client.continueRequest({ threadId: ev.body.threadId });
      await client.disconnectRequest({});
      assert.deepEqual(client.violations(), []);
    } finally {
      await client.close();
    }
    await waitFor('the session to go', async () => (await metric(ctx.server, 'podbug_sessions')) === 0);
  });
}, 'pod-m');

withServer('--max-probes 1 and --max-sessions 1', ['--max-probes', '1', '--max-sessions', '1'], (ctx) => {

  it('refuses a second probe with a reason, and the first keeps working', async () => {
    const second = await fakeProbe(ctx.server, 'pod-second');
    const { code, reason } = await second.closed;
    assert.equal(code, 1008);
    assert.equal(reason, 'podbug-server: probe limit of 1 reached');
    assert.match(ctx.server.output.stderr, /refusing probe connection .*probe limit of 1 reached/);
    assert.deepEqual((await ctx.server.pods()).map((p) => p.pod), ['pod-first']);
    assert.equal(await metric(ctx.server, 'podbug_limit_max_probes'), 1);
    assert.ok(await metric(ctx.server, 'podbug_errors_total{kind="over_limit"}') >= 1);

    const client = await CheckedClient.connect(ctx.server);
    try {
      const ev = await stopAtFee(client);
      assert.equal(ev.body.reason, 'breakpoint');
      await client.continueRequest({ threadId: ev.body.threadId });
      await client.disconnectRequest({});
    } finally {
      await client.close();
    }
  });

  it('refuses a second IDE (TCP or WebSocket) with a reason, and the first keeps working', async () => {
    await waitFor('no session left', async () => (await metric(ctx.server, 'podbug_sessions')) === 0);
    const first = await CheckedClient.connect(ctx.server);
    try {
      await waitFor('the first session', async () => (await metric(ctx.server, 'podbug_sessions')) === 1);
      const tcp = rawDap(ctx.server.dapPort);
      await Promise.race([tcp.done, sleep(5000)]);
      assert.equal(tcp.closed, true, 'the second TCP connection is closed');
      assert.match(tcp.data, /"output":"podbug-server: session limit of 1 reached"/);

      const ws = openWs(`ws://127.0.0.1:${ctx.server.port}/dap`);
      const { code, reason } = await ws.closed;
      assert.equal(code, 1008);
      assert.equal(reason, 'podbug-server: session limit of 1 reached');

      const init = await first.initializeRequest({ adapterID: 'podbug' });
      assert.equal(init.success, true);
      assert.deepEqual(first.violations(), []);
    } finally {
      await first.close();
    }
    assert.ok(ctx.server.alive());
  });
}, 'pod-first');

withServer('oversized messages and IDEs that do not read', ['--max-message-bytes', '65536', '--max-queued-bytes', '262144'], (ctx) => {

  it('closes only the connection that sent an oversized message', async () => {
    const good = await CheckedClient.connect(ctx.server);
    try {
      const big = openWs(`ws://127.0.0.1:${ctx.server.port}/dap`);
      await big.opened;
      big.ws.send(JSON.stringify({ seq: 1, type: 'request', command: 'initialize', arguments: { pad: 'x'.repeat(70000) } }));
      const { code, reason } = await big.closed;
      assert.equal(code, 1008);
      assert.equal(reason, 'message exceeds the size limit');

      const tcp = rawDap(ctx.server.dapPort);
      tcp.sock.write(`Content-Length: 70000\r\n\r\n${'x'.repeat(100)}`);
      await Promise.race([tcp.done, sleep(5000)]);
      assert.equal(tcp.closed, true, 'an oversized DAP body closes the TCP connection');

      const probe = await fakeProbe(ctx.server, 'pod-big');
      probe.ws.send(JSON.stringify({ v: 1, type: 'heartbeat', body: { pad: 'y'.repeat(70000) } }));
      assert.equal((await probe.closed).reason, 'message exceeds the size limit');

      assert.equal((await good.initializeRequest({ adapterID: 'podbug' })).success, true);
      assert.ok(await metric(ctx.server, 'podbug_errors_total{kind="too_big"}') >= 2);
      assert.equal(await metric(ctx.server, 'podbug_limit_max_message_bytes'), 65536);
    } finally {
      await good.close();
    }
  });

  it('disconnects an IDE whose queue passes --max-queued-bytes; the server and other sessions go on', async () => {
    const good = await CheckedClient.connect(ctx.server);
    try {
      // Probes with big labels make every podbug/pods answer about 60 kB.
      const probes = [];
      for (let i = 0; i < 4; i++) probes.push(await fakeProbe(ctx.server, `pod-big-labels-${i}`, { big: 'l'.repeat(15000) }));
      await ctx.server.waitForPods(4);
      const slow = rawDap(ctx.server.dapPort);
      slow.sock.pause(); // never reads: the kernel buffers fill, then the server's queue
      for (let seq = 1; seq <= 1000 && !slow.closed; seq++) {
        if (!slow.sock.write(dapFrame({ seq, type: 'request', command: 'podbug/pods' }))) {
          await Promise.race([new Promise((r) => slow.sock.once('drain', r)), slow.done, sleep(500)]);
        }
      }
      await waitFor('the slow client to be disconnected', () => /client too slow \(\d+ bytes queued\)/.test(ctx.server.output.stderr), 20000);
      assert.ok(await metric(ctx.server, 'podbug_errors_total{kind="slow_client"}') >= 1);
      slow.sock.destroy();
      assert.equal((await good.initializeRequest({ adapterID: 'podbug' })).success, true);
      assert.equal(await metric(ctx.server, 'podbug_limit_max_queued_bytes'), 262144);
      assert.deepEqual(good.violations(), []);
      for (const p of probes) p.ws.close();
    } finally {
      await good.close();
    }
    assert.ok(ctx.server.alive());
  });
});

withServer('--max-messages-per-second', ['--max-messages-per-second', '100'], (ctx) => {

  it('drops and counts a flooding probe\'s excess past its burst, then closes it after 10 s of drops', async () => {
    const probe = await fakeProbe(ctx.server, 'pod-flood');
    let closed = null;
    probe.closed.then((c) => { closed = c; });
    const heartbeat = JSON.stringify({ v: 1, type: 'heartbeat', body: { time_ms: 1 } });
    const started = Date.now();
    while (!closed && Date.now() - started < 25000) {
      for (let i = 0; i < 30; i++) probe.ws.send(heartbeat);
      await sleep(50);
      if (Date.now() - started > 4000 && Date.now() - started < 4200) {
        assert.ok(await metric(ctx.server, 'podbug_errors_total{kind="rate_limited"}') > 0, 'the excess is counted');
        assert.equal((await fetch(`http://127.0.0.1:${ctx.server.port}/healthz`)).ok, true);
      }
    }
    assert.ok(closed, 'the flooding probe was closed');
    // The close frame carries the reason, but the messages still in flight when the server closes
    // can make the peer's TCP stack reset the connection before the frame is read (code 1006).
    if (closed.code !== 1006) {
      assert.equal(closed.code, 1008);
      assert.equal(closed.reason, 'podbug-server: over the limit of 100 messages per second for 10 s');
    }
    assert.match(ctx.server.output.stderr, /closing probe connection .*over the limit of 100 messages per second for 10 s/);
    assert.ok(Date.now() - started >= 11000, 'not before the burst and 10 s of drops');
    assert.ok(await metric(ctx.server, 'podbug_errors_total{kind="rate_limited"}') > 500);
    assert.match(ctx.server.output.stderr, /sends more than 100 messages per second: dropping the excess/);
    assert.equal(await metric(ctx.server, 'podbug_limit_max_messages_per_second'), 100);
    assert.ok(ctx.server.alive());
  });
});
