// `podbug dap`, the stdio DAP adapter, beyond the sessions the other files run through it
// (PODBUG_DAP_TRANSPORT=stdio): large messages, order under backpressure, how it ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { buildDir, freePort, Server, sleep, waitFor } from './lib/harness.mjs';

function frame(msg) {
  const body = Buffer.from(JSON.stringify(msg));
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
}

/** `podbug dap ARGS` with its stdout (raw bytes) and stderr collected. */
function startBridge(args, env = {}) {
  const b = { out: Buffer.alloc(0), err: '' };
  b.proc = spawn(path.join(buildDir, 'podbug'), ['dap', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  b.proc.stdout.on('data', (d) => { b.out = Buffer.concat([b.out, d]); });
  b.proc.stderr.on('data', (d) => { b.err += d; });
  b.proc.stdin.on('error', () => { /* it exited first */ });
  b.exited = new Promise((r) => b.proc.on('exit', (code, sig) => r({ code, sig })));
  b.send = (msg) => b.proc.stdin.write(frame(msg));
  return b;
}

/** The DAP messages in bytes framed with Content-Length; throws on anything else. */
function parseFrames(bytes) {
  const messages = [];
  let at = 0;
  while (at < bytes.length) {
    const headerEnd = bytes.indexOf('\r\n\r\n', at);
    const header = bytes.toString('latin1', at, headerEnd);
    const m = /^Content-Length: (\d+)$/.exec(header);
    assert.ok(m, `a Content-Length header, not ${JSON.stringify(header.slice(0, 80))}`);
    const start = headerEnd + 4;
    messages.push(JSON.parse(bytes.toString('utf8', start, start + Number(m[1]))));
    at = start + Number(m[1]);
  }
  return messages;
}

async function responses(bridge, n, timeoutMs = 20000) {
  return waitFor(`${n} responses on stdout`, () => {
    const got = parseFrames(bridge.out).filter((m) => m.type === 'response');
    return got.length >= n ? got : null;
  }, timeoutMs);
}

describe('podbug dap', () => {
  let server;
  before(async () => { server = await Server.start(); });
  after(async () => { await server?.stop(); });

  it('forwards a 20 MiB request whole, and exits 0 at the end of stdin', async () => {
    const bridge = startBridge(['--server', `${server.wsUrl}/dap`]);
    bridge.send({ seq: 1, type: 'request', command: 'initialize', arguments: { adapterID: 'podbug' } });
    bridge.send({ seq: 2, type: 'request', command: 'attach', arguments: { selector: { app: 'nobody' } } });
    const library = crypto.randomBytes(15 * 1024 * 1024);
    const sha256 = crypto.createHash('sha256').update(library).digest('hex');
    bridge.send({
      seq: 3, type: 'request', command: 'podbug/reload',
      arguments: { name: 'libbig.so', library: library.toString('base64'), sha256: '0'.repeat(64) },
    });
    const answers = await responses(bridge, 3, 60000);
    assert.deepEqual(answers.map((r) => r.command), ['initialize', 'attach', 'podbug/reload']);
    assert.equal(answers[2].success, false);
    assert.match(answers[2].message, new RegExp(`its ${library.length} bytes have SHA-256 ${sha256}`));
    bridge.proc.stdin.end();
    assert.deepEqual(await bridge.exited, { code: 0, sig: null });
    assert.equal(bridge.err, '');
    await waitFor('the server to close the session', () => /DAP session \d+ closed/.test(server.output.stderr));
  });

  it('keeps the order both ways while the IDE does not read stdout', async () => {
    const bridge = startBridge(['--server', server.wsUrl]);
    bridge.proc.stdout.pause();
    const n = 20000;
    for (let seq = 1; seq <= n; seq++) bridge.send({ seq, type: 'request', command: 'threads' });
    await sleep(500);
    bridge.proc.stdout.resume();
    const answers = await responses(bridge, n, 60000);
    assert.deepEqual(answers.map((r) => r.request_seq), Array.from({ length: n }, (_, i) => i + 1));
    assert.deepEqual(answers.map((r) => r.seq), Array.from({ length: n }, (_, i) => i + 1));
    bridge.proc.stdin.end();
    assert.equal((await bridge.exited).code, 0);
  });

  it('exits 1 with the reason when the server closes the connection', async () => {
    const own = await Server.start();
    const bridge = startBridge(['--server', own.wsUrl]);
    bridge.send({ seq: 1, type: 'request', command: 'initialize', arguments: { adapterID: 'podbug' } });
    await responses(bridge, 1);
    await own.stop();
    assert.equal((await bridge.exited).code, 1);
    assert.match(bridge.err, /^podbug dap: the server at ws:\/\/127\.0\.0\.1:\d+\/dap closed the connection.*\n$/);
  });

  it('exits 1 on malformed framing, and on a message cut by the end of stdin', async () => {
    const bad = startBridge(['--server', server.wsUrl]);
    bad.proc.stdin.write('Content-Length: banana\r\n\r\n{}');
    assert.equal((await bad.exited).code, 1);
    assert.match(bad.err, /^podbug dap: malformed DAP message on stdin: .*\n$/);
    assert.equal(bad.out.length, 0);

    const cut = startBridge(['--server', server.wsUrl]);
    cut.proc.stdin.end('Content-Length: 50\r\n\r\n{"seq":1,');
    assert.equal((await cut.exited).code, 1);
    assert.match(cut.err, /^podbug dap: malformed DAP message on stdin: it ends inside a message\n$/);
  });

  it('exits 1 with the reason and nothing on stdout when no server is there', async () => {
    const port = await freePort();
    const bridge = startBridge(['--server', `ws://127.0.0.1:${port}`]);
    bridge.send({ seq: 1, type: 'request', command: 'initialize', arguments: { adapterID: 'podbug' } });
    assert.equal((await bridge.exited).code, 1);
    assert.match(bridge.err, new RegExp(`^podbug dap: cannot reach the server at ws://127\\.0\\.0\\.1:${port}/dap: .+\\n$`));
    assert.equal(bridge.out.length, 0);
  });

  it('echoes 20 MiB both ways, and forwards what stdin held when it was closed at once', async () => {
    // A stand-in server that sends every text frame back.
    const echo = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 * 1024 * 1024 });
    const received = [];
    echo.on('connection', (ws) => ws.on('message', (data) => { received.push(data.toString()); ws.send(data.toString()); }));
    await new Promise((r) => echo.on('listening', r));
    try {
      const url = `ws://127.0.0.1:${echo.address().port}`;
      const big = { seq: 1, type: 'request', command: 'big', arguments: { text: 'x'.repeat(20 * 1024 * 1024) } };
      const bridge = startBridge(['--server', url]);
      bridge.send(big);
      const [back] = await waitFor('the echo on stdout', () => (bridge.out.length > big.arguments.text.length ? parseFrames(bridge.out) : null), 30000);
      assert.deepEqual(back, big);
      bridge.proc.stdin.end();
      assert.equal((await bridge.exited).code, 0);

      received.length = 0;
      const burst = startBridge(['--server', url]);
      burst.send(big);
      for (let seq = 2; seq <= 1000; seq++) burst.send({ seq, type: 'request', command: 'threads' });
      burst.proc.stdin.end();
      assert.equal((await burst.exited).code, 0);
      await waitFor('every message at the server', () => received.length === 1000);
      assert.deepEqual(received.map((m) => JSON.parse(m).seq), Array.from({ length: 1000 }, (_, i) => i + 1));
    } finally {
      echo.close();
    }
  });

  it('sends PODBUG_TOKEN as a bearer token in the handshake', async () => {
    let handshake = '';
    const fake = net.createServer((sock) => {
      sock.on('data', (d) => {
        handshake += d;
        if (handshake.includes('\r\n\r\n')) sock.destroy();
      });
    });
    await new Promise((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const bridge = startBridge(['--server', `ws://127.0.0.1:${fake.address().port}`], { PODBUG_TOKEN: 's3cret' });
      assert.equal((await bridge.exited).code, 1);
      assert.match(handshake, /^GET \/dap HTTP\/1\.1\r\n/);
      assert.match(handshake, /\r\nauthorization: Bearer s3cret\r\n/i);
      assert.equal(bridge.err.split('\n').length, 2, `one line: ${bridge.err}`);
    } finally {
      fake.close();
    }
  });
});
