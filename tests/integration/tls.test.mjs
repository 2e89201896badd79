// TLS (issue 10): podbug-server --tls-cert/--tls-key serves https:// and wss:// only; probes, `podbug
// pods`, `podbug dap` and a WebSocket DAP client verify its certificate against PODBUG_CA.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { buildDir, CheckedClient, freePort, markerLine, repoRoot, Server, sleep, Target, waitFor } from './lib/harness.mjs';

const workerSource = path.join(repoRoot, 'tests/targets/worker.c');
const feeLine = markerLine(workerSource, 'BP:compute_fee');
const podbugBin = path.join(buildDir, 'podbug');
const serverBin = path.join(buildDir, 'podbug-server');

/** A CA, a server certificate it signs for 127.0.0.1 and localhost (and one for localhost only, same
 *  key), and an unrelated CA, in dir. */
function makeCertificates(dir) {
  const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
    '-subj', '/CN=podbug test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  fs.writeFileSync(path.join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
  fs.writeFileSync(path.join(dir, 'name-only.ext'), 'subjectAltName=DNS:localhost\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'name-only.pem', '-days', '2', '-extfile', 'name-only.ext');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.pem', '-days', '2',
    '-subj', '/CN=unrelated CA');
  const file = (name) => path.join(dir, name);
  return { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key'), nameOnly: file('name-only.pem'),
    otherCa: file('other.pem'), otherKey: file('other.key') };
}

function podbug(args, env = {}) {
  return spawnSync(podbugBin, args, { encoding: 'utf8', timeout: 20000, env: { ...process.env, ...env } });
}

/** One DAP request over a WebSocket, answered by the response with its request_seq. */
function dapOverWebSocket(ws) {
  let seq = 0;
  const messages = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
  return {
    messages,
    async request(command, args) {
      const mySeq = ++seq;
      ws.send(JSON.stringify({ seq: mySeq, type: 'request', command, arguments: args }));
      return waitFor(`the ${command} response`, () => messages.find((m) => m.type === 'response' && m.request_seq === mySeq));
    },
  };
}

// Under `make asan` the probe is built with AddressSanitizer: a program started without the probe
// needs the sanitizer's runtime first (as in launch.test.mjs and attach.test.mjs).
const asanRuntime = process.env.PODBUG_PRELOAD_FIRST;
const asanLaunchEnv = asanRuntime ? { LD_PRELOAD: asanRuntime, ASAN_OPTIONS: 'verify_asan_link_order=0:detect_leaks=0' } : {};

// One set of certificates for every test of this file.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podbug-tls-'));
const files = makeCertificates(dir);
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('TLS on the HTTP/WebSocket port', () => {
  let server;
  let good;
  before(async () => {
    // The server's own PODBUG_CA reaches the programs it launches and the probes it injects.
    const saved = process.env.PODBUG_CA;
    process.env.PODBUG_CA = files.ca;
    try {
      server = await Server.start({ extraArgs: ['--tls-cert', files.cert, '--tls-key', files.key],
        tlsCa: fs.readFileSync(files.ca) });
    } finally {
      if (saved === undefined) delete process.env.PODBUG_CA;
      else process.env.PODBUG_CA = saved;
    }
    good = await Target.start('worker-O0', { serverUrl: server.probeUrl, pod: 'tls-good', labels: 'app=tls',
      args: ['2', '2000'], env: { PODBUG_CA: files.ca } });
    await server.waitForPods(1);
  });
  after(async () => {
    await good?.stop();
    await server?.stop();
  });

  it('logs the certificate at start and serves probes over wss://', async () => {
    assert.match(server.output.stderr, /TLS on port \d+ \(cert CN=localhost, expires \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
    assert.match(server.output.stderr, /probes: wss:\/\/127\.0\.0\.1:\d+\/probe/);
    const pods = await server.pods();
    assert.deepEqual(pods.map((p) => p.pod), ['tls-good']);
  });

  it('a breakpoint set over DAP (TCP) hits in the probe that came over wss://', async () => {
    const client = await CheckedClient.attachSession(server, { selector: { app: 'tls' } });
    try {
      const stopped = client.waitForEvent('stopped');
      const set = await client.setBreakpointsRequest({ source: { path: workerSource }, breakpoints: [{ line: feeLine }] });
      assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
      const ev = await stopped;
      assert.equal(ev.body.reason, 'breakpoint');
      const frames = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames;
      assert.equal(frames[0].name, 'compute_fee');
      assert.equal(frames[0].line, feeLine);
      await client.setBreakpointsRequest({ source: { path: workerSource }, breakpoints: [] });
      await client.continueRequest({ threadId: ev.body.threadId });
      await client.disconnectRequest({});
      assert.deepEqual(client.violations(), []);
    } finally {
      await client.close();
    }
  });

  for (const [label, ca, named] of [
    ['an unrelated CA', () => files.otherCa, () => new RegExp(`\\(PODBUG_CA=${files.otherCa.replace(/[.]/g, '\\.')}\\)`)],
    ['no CA (the test CA is not in the system store)', () => undefined, () => /\(PODBUG_CA=unset: the system's CAs\)/],
  ]) {
    it(`a probe with ${label} does not register, says why once, and its target runs on`, async () => {
      const env = { PODBUG_LOG: 'warn', ...(ca() ? { PODBUG_CA: ca() } : {}) };
      const bad = await Target.start('worker-O0', { serverUrl: server.probeUrl, pod: 'tls-bad', args: ['2', '2000'], env });
      try {
        await waitFor('the verification failure in the probe log', () => /certificate verify failed/.test(bad.output.stderr));
        await sleep(1500); // several retries with backoff (100, 200, 400, 800 ms)
        const lines = bad.output.stderr.split('\n').filter((l) => l.includes('certificate verify failed'));
        assert.equal(lines.length, 1, `logged once per reason:\n${bad.output.stderr}`);
        assert.match(lines[0], /cannot reach the server at wss:\/\/127\.0\.0\.1:\d+\/probe \(TLS: certificate verify failed: (unable to get local issuer certificate|self-signed certificate in certificate chain)/);
        assert.match(lines[0], named());
        assert.deepEqual((await server.pods()).map((p) => p.pod), ['tls-good']);
        assert.ok(bad.alive(), 'the target keeps running');
      } finally {
        await bad.stop();
      }
    });
  }

  it('a plain ws:// probe against the TLS port does not register; the server serves on', async () => {
    const plain = await Target.start('worker-O0', { serverUrl: `ws://127.0.0.1:${server.port}/probe`, pod: 'tls-plain',
      args: ['2', '2000'], env: { PODBUG_LOG: 'warn' } });
    try {
      await waitFor('the failure in the probe log', () => /cannot reach the server at ws:\/\//.test(plain.output.stderr));
      assert.match(plain.output.stderr, /cannot reach the server at ws:\/\/127\.0\.0\.1:\d+\/probe \(read failed: if the server serves TLS, use wss:\/\/\)/);
      await sleep(1000);
      assert.ok(plain.alive(), 'the target keeps running');
      assert.ok(server.alive());
      assert.deepEqual((await server.pods()).map((p) => p.pod), ['tls-good']);
    } finally {
      await plain.stop();
    }
  });

  it('DAP over wss:///dap with a Node WebSocket client trusting the CA attaches', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/dap`, { ca: fs.readFileSync(files.ca) });
    await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
    try {
      const dap = dapOverWebSocket(ws);
      const init = await dap.request('initialize', { adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true });
      assert.equal(init.success, true);
      const attach = await dap.request('attach', { selector: { app: 'tls' } });
      assert.equal(attach.success, true, attach.message);
      await waitFor('the initialized event', () => dap.messages.find((m) => m.type === 'event' && m.event === 'initialized'));
      assert.equal((await dap.request('disconnect', {})).success, true);
    } finally {
      ws.close();
    }
    const untrusted = new WebSocket(`wss://127.0.0.1:${server.port}/dap`);
    const err = await new Promise((resolve) => { untrusted.on('error', resolve); untrusted.on('open', () => resolve(null)); });
    assert.ok(err, 'a client without the CA is refused');
    assert.match(err.message, /unable to verify the first certificate|unable to get local issuer certificate/);
  });

  it('podbug dap bridges over wss:// with PODBUG_CA, and says why without it', async () => {
    const saved = process.env.PODBUG_CA;
    process.env.PODBUG_CA = files.ca;
    let client;
    try {
      client = await CheckedClient.connect(server, { transport: 'stdio' });
    } finally {
      if (saved === undefined) delete process.env.PODBUG_CA;
      else process.env.PODBUG_CA = saved;
    }
    try {
      await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
      const initialized = client.waitForEvent('initialized');
      await client.attachRequest({ selector: { app: 'tls' } });
      await initialized;
      await client.disconnectRequest({});
      assert.deepEqual(client.violations(), []);
    } finally {
      await client.close();
    }
    const refused = spawnSync(podbugBin, ['dap', '--server', server.wsUrl], {
      encoding: 'utf8', timeout: 20000, input: '', env: { ...process.env, PODBUG_CA: files.otherCa } });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, new RegExp(`^podbug dap: cannot reach the server at wss://127\\.0\\.0\\.1:${server.port}/dap: TLS: certificate verify failed: .+ \\(PODBUG_CA=.+other\\.pem\\)\\n$`));
    const plain = spawnSync(podbugBin, ['dap', '--server', `ws://127.0.0.1:${server.port}`], { encoding: 'utf8', timeout: 20000, input: '' });
    assert.equal(plain.status, 1);
    assert.match(plain.stderr, /^podbug dap: cannot reach the server at ws:\/\/127\.0\.0\.1:\d+\/dap: read failed: if the server serves TLS, use wss:\/\/\n$/);
  });

  it('DAP launch: the launched program\'s probe comes over wss:// with the server\'s PODBUG_CA', async () => {
    const client = await CheckedClient.connect(server);
    try {
      await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
      const initialized = client.waitForEvent('initialized');
      const launched = await client.launchRequest({ program: path.join(buildDir, 'targets/worker-O0'), args: ['2', '2000'],
        env: asanLaunchEnv });
      assert.equal(launched.success, true, launched.message);
      await initialized;
      await client.configurationDoneRequest();
      const pods = await server.pods();
      assert.ok(pods.some((p) => p.pod === 'worker-O0'), JSON.stringify(pods));
      await client.disconnectRequest({ terminateDebuggee: true });
    } finally {
      await client.close();
    }
    await waitFor('the launched program to leave', async () => (await server.pods()).length === 1);
  });

  it('DAP attach with inject: the injected probe comes over wss:// with the server\'s PODBUG_CA', async () => {
    const bare = await Target.start('busy-O0', { preload: false, serverUrl: server.probeUrl, pod: 'tls-injected',
      env: asanRuntime ? { LD_PRELOAD: asanRuntime } : {} });
    try {
      const client = await CheckedClient.attachSession(server, { pid: bare.pid, inject: true, selector: { app: 'injected' },
        stopAll: false });
      try {
        const pods = await server.pods();
        const injected = pods.find((p) => p.pid === bare.pid);
        assert.ok(injected, JSON.stringify(pods));
        assert.deepEqual(injected.labels, { app: 'injected' });
        await client.disconnectRequest({});
      } finally {
        await client.close();
      }
    } finally {
      await bare.stop();
    }
    await waitFor('the injected process to leave', async () => (await server.pods()).length === 1);
  });

  it('podbug pods --server wss:// lists the pod with PODBUG_CA, and fails with one line without it', () => {
    const ok = podbug(['pods', '--server', server.wsUrl], { PODBUG_CA: files.ca });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^tls-good\s+default\s+\d+\s+running/m);
    const noCa = podbug(['pods', '--server', server.wsUrl], { PODBUG_CA: '' });
    assert.equal(noCa.status, 1);
    assert.match(noCa.stderr, new RegExp(`^podbug pods: TLS with 127\\.0\\.0\\.1:${server.port}: certificate verify failed: unable to get local issuer certificate \\(PODBUG_CA=unset: the system's CAs\\)\\n$`));
    const plain = podbug(['pods', '--server', `ws://127.0.0.1:${server.port}`]);
    assert.equal(plain.status, 1);
    assert.match(plain.stderr, /^podbug pods: .+ \(if the server serves TLS, use wss:\/\/\)\n$/);
  });
});

describe('the DAP TCP port stays plain', () => {

  it('a server listening beyond loopback warns that it is unencrypted; one on loopback does not', async () => {
    const tls = ['--tls-cert', files.cert, '--tls-key', files.key];
    const wide = await Server.start({ tokens: {}, extraArgs: ['--listen', '0.0.0.0', ...tls], tlsCa: fs.readFileSync(files.ca) });
    await wide.stop();
    assert.match(wide.output.stderr, /WARN DAP over TCP on port \d+ is NOT encrypted \(IDEs' TCP adapters have no TLS\); use --dap-port 0 and connect IDEs over wss:\/\/0\.0\.0\.0:\d+\/dap or through `podbug dap`/);
    const local = await Server.start({ extraArgs: tls, tlsCa: fs.readFileSync(files.ca) });
    await local.stop();
    assert.doesNotMatch(local.output.stderr, /NOT encrypted/);
  });
});

describe('the host name is verified', () => {
  let server;
  before(async () => {
    server = await Server.start({ extraArgs: ['--tls-cert', files.nameOnly, '--tls-key', files.key],
      tlsCa: fs.readFileSync(files.ca) });
  });
  after(async () => {
    await server?.stop();
  });

  it('a certificate for localhost only is refused at 127.0.0.1 and accepted at localhost', async () => {
    const byIp = podbug(['pods', '--server', server.wsUrl], { PODBUG_CA: files.ca });
    assert.equal(byIp.status, 1);
    assert.match(byIp.stderr, /^podbug pods: TLS with 127\.0\.0\.1:\d+: certificate verify failed: IP address mismatch \(PODBUG_CA=.+\)\n$/);
    const byName = podbug(['pods', '--server', `wss://localhost:${server.port}`], { PODBUG_CA: files.ca });
    assert.equal(byName.status, 0, byName.stderr);
    const probe = await Target.start('worker-O0', { serverUrl: server.probeUrl, pod: 'tls-ip', args: ['2', '2000'],
      env: { PODBUG_CA: files.ca, PODBUG_LOG: 'warn' } });
    try {
      await waitFor('the mismatch in the probe log', () => /IP address mismatch/.test(probe.output.stderr));
      assert.deepEqual(await server.pods(), []);
    } finally {
      await probe.stop();
    }
  });
});

describe('podbug-server refuses a bad certificate or key at start', () => {

  async function run(args) {
    const port = await freePort();
    return spawnSync(serverBin, ['--port', String(port), '--dap-port', '0', ...args], { encoding: 'utf8', timeout: 10000 });
  }

  it('a certificate without a key, and a key without a certificate', async () => {
    const r = await run(['--tls-cert', files.cert]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'podbug-server: --tls-cert needs --tls-key too (the certificate and its key go together)\n');
    const k = await run(['--tls-key', files.key]);
    assert.equal(k.status, 2);
    assert.equal(k.stderr, 'podbug-server: --tls-key needs --tls-cert too (the certificate and its key go together)\n');
  });

  it('a key that does not match the certificate, a missing file, a file that is no certificate', async () => {
    const mismatch = await run(['--tls-cert', files.cert, '--tls-key', files.otherKey]);
    assert.equal(mismatch.status, 1);
    assert.match(mismatch.stderr, new RegExp(`ERROR --tls-key ${files.otherKey} does not match the certificate in --tls-cert ${files.cert}\\n`));
    const missing = await run(['--tls-cert', path.join(dir, 'none.pem'), '--tls-key', files.key]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /ERROR --tls-cert \S+none\.pem: cannot read it: No such file or directory\n/);
    const notCert = await run(['--tls-cert', files.key, '--tls-key', files.key]);
    assert.equal(notCert.status, 1);
    assert.match(notCert.stderr, /ERROR --tls-cert \S+server\.key holds no PEM certificate\n/);
  });
});
