// Authentication and roles (--token-file): the server refuses to start off loopback without tokens
// or with a bad token file; probes register only with a token that has role probe, and a refused
// probe logs the reason once while its program runs on; DAP sessions need a token with role debug
// (attach/launch argument over TCP, the handshake's header over WebSocket via `podbug dap`) and
// podbug/reload role reload; /api/pods and /metrics need a token, /healthz does not; role secrets
// shows what the probe redacts; launched and injected probes get a token; SIGHUP re-reads the file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildDir, CheckedClient, markerLine, repoRoot, Server, sleep, Target, waitFor } from './lib/harness.mjs';

const serverBin = path.join(buildDir, 'podbug-server');
const podbug = path.join(buildDir, 'podbug');
const secretsSource = path.join(repoRoot, 'tests/targets/secrets.c');
const loginLine = markerLine(secretsSource, 'BP:login');
const NO_TOKEN = 'podbug-server: no token: this server requires PODBUG_TOKEN (--token-file)';
const ROLES = { probeonly: 'probe', ide: 'debug', reloader: 'debug,reload', revealer: 'debug,secrets' };

/** Runs podbug-server with args until it exits (it should refuse to start). */
function refusedStart(args) {
  const r = spawnSync(serverBin, ['--port', '1', '--dap-port', '0', ...args], { encoding: 'utf8', timeout: 10000 });
  return { status: r.status, stderr: r.stderr };
}

function tokenFile(text, mode) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podbug-auth-'));
  const file = path.join(dir, 'tokens');
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode);
  return file;
}

/** The whole DAP response, failed or not. */
const call = (client, command, args) => new Promise((resolve) => client.doSend(command, args, resolve));

async function initialized(client) {
  await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
}

async function metric(server, reason) {
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: server.authHeaders() })).text();
  const m = text.match(new RegExp(`^podbug_auth_refused_total\\{reason="${reason}"\\} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
}

describe('a server that refuses to start', () => {
  it('off loopback without a token file', () => {
    const r = refusedStart(['--listen', '0.0.0.0']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'podbug-server: --listen 0.0.0.0 needs --token-file: without tokens the server only listens on loopback\n');
  });

  it('with a token file readable by its group, or with an unknown role, naming FILE:LINE', () => {
    const loose = tokenFile('0123456789abcdef-token probe\n', 0o640);
    let r = refusedStart(['--token-file', loose]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `podbug-server: ${loose}: readable or writable by group or others (mode 0640); chmod 600 it\n`);
    const badRole = tokenFile('# tokens\n0123456789abcdef-token probe,admin ops\n', 0o600);
    r = refusedStart(['--token-file', badRole]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `podbug-server: ${badRole}:2: unknown role 'admin' (roles: probe, debug, reload, secrets)\n`);
    const short = tokenFile('short probe\n', 0o600);
    assert.match(refusedStart(['--token-file', short]).stderr, new RegExp(`^podbug-server: ${short}:1: the token has 5 characters; tokens need 16 to 256\n$`));
    for (const f of [loose, badRole, short]) fs.rmSync(path.dirname(f), { recursive: true });
  });

  it('says at start which mode it is in, never printing a token', async () => {
    const open = await Server.start();
    assert.match(open.output.stderr, /no --token-file: accepting unauthenticated connections on loopback only/);
    await open.stop();
    const guarded = await Server.start({ tokens: ROLES });
    assert.match(guarded.output.stderr, /tokens from .*tokens: 5 tokens \(role probe: 2, debug: 4, reload: 2, secrets: 1\)/);
    await guarded.stop();
    for (const t of [guarded.token, ...Object.values(guarded.tokens)]) assert.ok(!guarded.output.stderr.includes(t), 'a token was logged');
  });
});

describe('with a token file', () => {
  let server;
  const targets = [];
  const clients = [];

  before(async () => { server = await Server.start({ tokens: ROLES }); });
  after(async () => {
    for (const c of clients) await c.close();
    for (const t of targets) await t.stop();
    await server.stop();
    for (const t of [server.token, ...Object.values(server.tokens)]) assert.ok(!server.output.stderr.includes(t), 'a token was logged');
  });

  async function secretsTarget(pod, token) {
    const t = await Target.start('secrets-O0', { serverUrl: server.probeUrl, pod, labels: `app=${pod}`, stdin: true, token });
    t.pod = pod;
    targets.push(t);
    return t;
  }

  /** A session over TCP (the token comes with attach), initialized. */
  async function client() {
    const c = await CheckedClient.connect(server, { transport: 'tcp' });
    clients.push(c);
    await initialized(c);
    return c;
  }

  it('registers a probe whose token has role probe', async () => {
    const t = await secretsTarget('good', server.tokens.probeonly);
    await waitFor('the probe to register', async () => (await server.pods()).some((p) => p.pid === t.pid));
  });

  it('refuses probes without a token, with an unknown one, or without role probe; each logs why once and runs on', async () => {
    const cases = [
      { pod: 'none', token: undefined, reason: 'no_token', log: `refused by the server (4401): ${NO_TOKEN}` },
      { pod: 'wrong', token: `wrong-${crypto.randomBytes(10).toString('hex')}`, reason: 'unknown_token', log: 'refused by the server (4401): podbug-server: token not accepted' },
      { pod: 'debugonly', token: server.tokens.ide, reason: 'forbidden', log: "refused by the server (4403): podbug-server: token has no role 'probe'" },
    ];
    for (const c of cases) c.target = await secretsTarget(c.pod, c.token);
    // Backoff: 0.1, 0.2, 0.4, 0.8 s...: several attempts within 2.5 s.
    await sleep(2500);
    const registered = (await server.pods()).map((p) => p.pid);
    for (const c of cases) {
      assert.ok(!registered.includes(c.target.pid), `${c.pod} registered`);
      assert.ok(await metric(server, c.reason) >= 2, `${c.reason}: several refusals counted`);
      const lines = c.target.output.stderr.split('\n').filter((l) => l.includes('refused by the server'));
      assert.equal(lines.length, 1, `${c.pod}: the reason is logged once:\n${c.target.output.stderr}`);
      assert.ok(lines[0].endsWith(`${c.log}; the program runs on, retrying`), lines[0]);
      assert.ok(!/lost the server|connected to/.test(c.target.output.stderr), c.target.output.stderr);
      c.target.send(c.pod);
      await waitFor(`${c.pod} to run on`, () => c.target.output.stdout.includes(`login ${c.pod} attempt 1`));
    }
    assert.match(server.output.stderr, new RegExp(`refusing probe from \\S+: ${NO_TOKEN.replace(/[()]/g, '\\$&')}`));
  });

  it('lets a DAP session over TCP do nothing but attach until its token has role debug', async () => {
    const c = await client();
    const bp = { source: { path: secretsSource }, breakpoints: [{ line: loginLine }] };
    let r = await call(c, 'setBreakpoints', bp);
    assert.equal(r.success, false);
    assert.match(r.message, /^setBreakpoints needs a token: this server requires one \(--token-file\); attach or launch with the "token" argument/);
    assert.equal((await call(c, 'threads', {})).success, false);
    r = await call(c, 'attach', { selector: { app: 'good' } });
    assert.match(r.message, /^podbug-server: no token: this server requires one \(--token-file\)/);
    r = await call(c, 'attach', { selector: { app: 'good' }, token: 'not-a-token-at-all-0000' });
    assert.equal(r.message, 'podbug-server: token not accepted');
    r = await call(c, 'attach', { selector: { app: 'good' }, token: server.tokens.probeonly });
    assert.equal(r.message, "podbug-server: this token has no role 'debug'");
    assert.equal((await call(c, 'setBreakpoints', bp)).success, false, 'still refused after failed attaches');
    const init = c.waitForEvent('initialized');
    await c.attachRequest({ selector: { app: 'good' }, token: server.tokens.ide });
    await init;
    const set = await c.setBreakpointsRequest(bp);
    assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
    await c.setBreakpointsRequest({ source: { path: secretsSource }, breakpoints: [] });
    assert.deepEqual(c.violations(), []);
  });

  it('authenticates a WebSocket session by its handshake (podbug dap with PODBUG_TOKEN)', async () => {
    const withToken = (token) => Object.assign(Object.create(server), { token });
    const anonymous = await CheckedClient.connect(withToken(undefined), { transport: 'stdio' });
    clients.push(anonymous);
    await initialized(anonymous);
    assert.match((await call(anonymous, 'attach', { selector: { app: 'good' } })).message, /^podbug-server: no token/);

    const c = await CheckedClient.connect(withToken(server.tokens.ide), { transport: 'stdio' });
    clients.push(c);
    await initialized(c);
    const init = c.waitForEvent('initialized');
    await c.attachRequest({ selector: { app: 'good' } });
    await init;
    const threads = (await c.threadsRequest()).body.threads;
    assert.equal(threads.length, 1);
    assert.deepEqual(c.violations(), []);
  });

  it('serves /api/pods with role debug, /metrics with any token, /healthz to everyone', async () => {
    const get = (p, token) => fetch(`http://127.0.0.1:${server.port}${p}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    let r = await get('/api/pods');
    assert.equal(r.status, 401);
    assert.equal(await r.text(), "podbug-server: /api/pods needs a token (Authorization: Bearer, role 'debug')\n");
    r = await get('/api/pods', server.tokens.probeonly);
    assert.equal(r.status, 401);
    assert.equal(await r.text(), "podbug-server: /api/pods needs a token with role 'debug'\n");
    r = await get('/api/pods', server.tokens.ide);
    assert.equal(r.status, 200);
    assert.ok(Array.isArray(await r.json()));
    assert.equal((await get('/metrics')).status, 401);
    assert.equal((await get('/metrics', 'not-a-token-at-all-0000')).status, 401);
    assert.equal((await get('/metrics', server.tokens.probeonly)).status, 200);
    assert.equal((await get('/healthz')).status, 200);

    const pods = (token) => spawnSync(podbug, ['pods', '--server', server.wsUrl], { encoding: 'utf8', env: { ...process.env, PODBUG_TOKEN: token ?? '' } });
    const ok = pods(server.tokens.ide);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /\bgood\b/);
    const refused = pods(undefined);
    assert.equal(refused.status, 1);
    assert.equal(refused.stderr, "podbug pods: podbug-server: /api/pods needs a token (Authorization: Bearer, role 'debug') (set PODBUG_TOKEN)\n");
  });

  it('shows redacted values only to a session whose token has role secrets', async () => {
    const t = targets.find((x) => x.pod === 'good');
    for (const [token, shows] of [[server.tokens.revealer, true], [server.tokens.ide, false]]) {
      const c = await client();
      const init = c.waitForEvent('initialized');
      await c.attachRequest({ selector: { app: 'good' }, token });
      await init;
      await c.setBreakpointsRequest({ source: { path: secretsSource }, breakpoints: [{ line: loginLine }] });
      await c.configurationDoneRequest();
      const stopped = c.waitForEvent('stopped');
      t.send(shows ? 'root' : 'eve');
      const ev = await stopped;
      const frame = (await c.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames[0];
      const scopes = Object.fromEntries((await c.scopesRequest({ frameId: frame.id })).body.scopes.map((s) => [s.name, s]));
      const locals = Object.fromEntries((await c.variablesRequest({ variablesReference: scopes.Locals.variablesReference })).body.variables.map((v) => [v.name, v]));
      const evaluated = await call(c, 'evaluate', { expression: 'password', frameId: frame.id, context: 'repl' });
      if (shows) {
        assert.match(locals.password.value, /^"hunter2-root-1"/);
        assert.equal(evaluated.success, true, evaluated.message);
        assert.match(evaluated.body.result, /^"hunter2-root-1"/);
      } else {
        assert.equal(locals.password.value, '<redacted>');
        assert.equal(evaluated.message, "redacted: 'password' matches the redaction pattern 'password'");
        assert.ok(!JSON.stringify(c.received).includes('hunter2'), 'a secret reached the session without role secrets');
      }
      await c.setBreakpointsRequest({ source: { path: secretsSource }, breakpoints: [] });
      await c.continueRequest({ threadId: ev.body.threadId });
      await waitFor('the login line', () => t.output.stdout.includes(`login ${shows ? 'root' : 'eve'} attempt`));
      await c.disconnectRequest({});
    }
  });

  it('gives a program it launches a probe token of its own', async () => {
    const asanRuntime = process.env.PODBUG_PRELOAD_FIRST;
    const env = asanRuntime ? { LD_PRELOAD: asanRuntime, ASAN_OPTIONS: 'verify_asan_link_order=0:detect_leaks=0' } : {};
    const c = await client();
    const init = c.waitForEvent('initialized');
    const r = await call(c, 'launch', { program: path.join(buildDir, 'targets', 'launched-O0'), env, token: server.tokens.ide });
    assert.equal(r.success, true, r.message);
    await init;
    assert.ok((await server.pods()).some((p) => p.pod === 'launched-O0'), 'the launched program registered');
    await c.configurationDoneRequest();
    await c.disconnectRequest({});
  });

  it('gives a probe it injects (attach with inject) a probe token of its own', async () => {
    const asanRuntime = process.env.PODBUG_PRELOAD_FIRST;
    const busy = await Target.start('busy-O0', { serverUrl: server.probeUrl, preload: false, stdin: true, env: asanRuntime ? { LD_PRELOAD: asanRuntime } : {} });
    targets.push(busy);
    const c = await client();
    const init = c.waitForEvent('initialized');
    const r = await call(c, 'attach', { pid: busy.pid, inject: true, selector: { app: 'injected' }, token: server.tokens.ide });
    assert.equal(r.success, true, r.message);
    await init;
    assert.ok((await server.pods()).some((p) => p.pid === busy.pid), 'the injected probe registered');
  });

  it('re-reads the file on SIGHUP, keeping the old tokens when the new file is bad', async () => {
    const late = `late-${crypto.randomBytes(10).toString('hex')}`;
    const original = fs.readFileSync(server.tokenFile, 'utf8');
    fs.writeFileSync(server.tokenFile, `${original}${late} probe,admin late\n`);
    server.proc.kill('SIGHUP');
    await waitFor('the refusal of the bad file', () => /SIGHUP: keeping the tokens in force: .*:\d+: unknown role 'admin'/.test(server.output.stderr));
    assert.equal((await server.get('/metrics')).ok, true, 'the old tokens still work');
    fs.writeFileSync(server.tokenFile, `${original}${late} probe late\n`);
    server.proc.kill('SIGHUP');
    await waitFor('the new table', () => /SIGHUP: re-read .*: 6 tokens/.test(server.output.stderr));
    const t = await secretsTarget('late', late);
    await waitFor('the late probe to register', async () => (await server.pods()).some((p) => p.pid === t.pid));
  });
});

describe('podbug/reload with tokens', () => {
  const opt = 'O0';
  let server;
  let app;
  const clients = [];
  const libraryArgs = () => {
    const bytes = fs.readFileSync(path.join(buildDir, 'targets/reload', opt, 'v2', 'libhandlers.so'));
    return { name: 'libhandlers.so', library: bytes.toString('base64'), sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
  };

  before(async () => {
    server = await Server.start({ tokens: ROLES });
    app = await Target.start(`reload/${opt}/reload_app`, {
      serverUrl: server.probeUrl, pod: 'reload-auth', labels: 'app=reload-auth', stdin: true, token: server.tokens.probeonly,
      args: ['linked', '--threads', '2', '--ids', '1000'],
    });
    await waitFor('reload_app to register', async () => (await server.pods()).some((p) => p.pid === app.pid));
  });
  after(async () => {
    for (const c of clients) await c.close();
    await app?.stop();
    await server?.stop();
  });

  async function session(token) {
    const c = await CheckedClient.connect(server, { transport: 'tcp' });
    clients.push(c);
    await initialized(c);
    const init = c.waitForEvent('initialized');
    await c.attachRequest({ selector: { app: 'reload-auth' }, token });
    await init;
    await c.configurationDoneRequest();
    return c;
  }

  it('refuses podbug/reload and its rollback to a token without role reload', async () => {
    const c = await session(server.tokens.ide);
    for (const args of [libraryArgs(), { rollback: true, name: 'libhandlers.so' }]) {
      const r = await call(c, 'podbug/reload', args);
      assert.equal(r.success, false);
      assert.equal(r.message, "podbug/reload needs a token with role 'reload'");
    }
  });

  it('reloads and rolls back with a token that has role reload', async () => {
    const c = await session(server.tokens.reloader);
    const r = await call(c, 'podbug/reload', libraryArgs());
    assert.equal(r.success, true, r.message);
    const back = await call(c, 'podbug/reload', { rollback: true, name: 'libhandlers.so' });
    assert.equal(back.success, true, back.message);
    assert.deepEqual(c.violations(), []);
  });

  it('podbug reload presents PODBUG_TOKEN', () => {
    const lib = path.join(buildDir, 'targets/reload', opt, 'v2', 'libhandlers.so');
    const where = ['--selector', 'app=reload-auth', '--server', server.wsUrl, '--dap-port', String(server.dapPort)];
    const podbugReload = (token, ...args) => spawnSync(podbug, ['reload', ...args, ...where],
      { encoding: 'utf8', timeout: 30000, env: { ...process.env, PODBUG_TOKEN: token } });
    const refused = podbugReload(server.tokens.ide, '--lib', lib);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /podbug\/reload needs a token with role 'reload'/);
    const ok = podbugReload(server.tokens.reloader, '--lib', lib);
    assert.equal(ok.status, 0, ok.stderr);
    const back = podbugReload(server.tokens.reloader, '--rollback', '--name', 'libhandlers.so');
    assert.equal(back.status, 0, back.stderr);
  });
});
