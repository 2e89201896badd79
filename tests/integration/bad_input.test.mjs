// Bad input: malformed DAP framing or JSON closes only that connection; a probe that cannot reach
// the server leaves its target running and joins once the server is there.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { CheckedClient, freePort, Server, sleep, Target, waitFor } from './lib/harness.mjs';

function rawExchange(port, bytes) {
  return new Promise((resolve) => {
    const sock = net.createConnection(port, '127.0.0.1', () => sock.write(bytes));
    let data = '';
    sock.on('data', (d) => { data += d; });
    sock.on('close', () => resolve({ closed: true, data }));
    sock.on('error', () => resolve({ closed: true, data }));
    setTimeout(() => { sock.destroy(); resolve({ closed: false, data }); }, 1500);
  });
}

describe('bad input from IDEs and probes', () => {
  let server;
  before(async () => { server = await Server.start(); });
  after(async () => { await server?.stop(); });

  it('closes a DAP connection with a malformed header, and only that one', async () => {
    const good = await CheckedClient.connect(server);
    try {
      const r1 = await rawExchange(server.dapPort, 'Content-Length: banana\r\n\r\n{}');
      assert.equal(r1.closed, true);
      const r2 = await rawExchange(server.dapPort, 'Content-Length: 50\r\n\r\n{"seq":1,');
      assert.equal(r2.closed, false, 'a partial body just waits for more');
      const r3 = await rawExchange(server.dapPort, 'Content-Length: 5\r\n\r\nhello');
      assert.equal(r3.closed, true, 'a body that is not JSON closes the connection');
      const init = await good.initializeRequest({ adapterID: 'podbug' });
      assert.equal(init.success, true);
      assert.match(server.output.stderr, /malformed DAP framing/);
      assert.deepEqual(good.violations(), []);
    } finally {
      await good.close();
    }
    assert.ok(server.alive());
  });

  it('answers a request with bad arguments with success:false and a message', async () => {
    const c = await CheckedClient.connect(server);
    try {
      await c.initializeRequest({ adapterID: 'podbug' });
      await assert.rejects(c.attachRequest({ selector: 'app=x' }), /'selector' must be an object/);
      await assert.rejects(c.send('stackTrace', { threadId: 999999 }), /unknown thread 999999/);
      assert.deepEqual(c.violations(), []);
    } finally {
      await c.close();
    }
  });

  it('speaks DAP over WebSocket at /dap, one message per text frame', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/dap`);
    await new Promise((r, j) => { ws.on('open', r); ws.on('error', j); });
    const reply = new Promise((r) => ws.once('message', (m) => r(JSON.parse(m.toString()))));
    ws.send(JSON.stringify({ seq: 1, type: 'request', command: 'initialize', arguments: { adapterID: 'podbug' } }));
    const msg = await reply;
    assert.equal(msg.type, 'response');
    assert.equal(msg.command, 'initialize');
    assert.equal(msg.success, true);
    assert.equal(msg.seq, 1);
    ws.close();
  });

  it('drops a probe that sends malformed messages and keeps serving', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/probe`, 'podbug.probe.v1');
    await new Promise((r, j) => { ws.on('open', r); ws.on('error', j); });
    const closed = new Promise((r) => ws.on('close', r));
    const errorReply = new Promise((r) => ws.once('message', (m) => r(JSON.parse(m.toString()))));
    ws.send('{"v":1,"type":');
    const reply = await errorReply;
    assert.equal(reply.type, 'error');
    await closed;
    const health = await (await fetch(`http://127.0.0.1:${server.port}/healthz`)).json();
    assert.equal(health.status, 'ok');
  });
});

describe('a probe whose server is not there yet', () => {
  it('lets the target run, then joins when the server starts', async () => {
    const port = await freePort();
    const target = await Target.start('worker-O0', { serverUrl: `ws://127.0.0.1:${port}/probe`, pod: 'lonely', args: ['2', '1000'] });
    let server;
    try {
      await sleep(800);
      assert.ok(target.alive(), 'the target keeps running without a server');
      server = await Server.start({ port });
      const pods = await waitFor('the probe to join', async () => {
        const p = await server.pods();
        return p.length ? p : null;
      }, 15000);
      assert.equal(pods[0].pod, 'lonely');
      assert.equal(pods[0].pid, target.pid);
    } finally {
      await target.stop();
      await server?.stop();
    }
  });
});
