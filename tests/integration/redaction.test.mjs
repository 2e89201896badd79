// Redaction: a real DAP client stops in tests/targets/secrets.c (built -O0 and -O2), whose struct
// holds an api_key next to normal fields, whose handler has a local password and whose program a
// global db_secret. Variables, evaluate, setVariable, logpoints and snapshots show or refuse them as
// redacted, a condition still reads them, and no secret byte reaches the client in any message.
// PODBUG_REDACT=none shows them; a custom pattern redacts what it names, and so do the server's
// --redact patterns, which every probe adds to its own.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckedClient, markerLine, repoRoot, Server, sleep, Target, waitFor } from './lib/harness.mjs';

const source = path.join(repoRoot, 'tests/targets/secrets.c');
const loginLine = markerLine(source, 'BP:login');
const REDACTED = '<redacted>';
const SECRETS = ['hunter2', 'sk-live-4f9a8b7c6d5e', 'Zq7Wx3Vy9Kp2'];

/** A server (extraArgs), the target with env and an attached client. */
async function start(name, pod, env = {}, extraArgs = []) {
  const server = await Server.start({ extraArgs });
  const target = await Target.start(name, { serverUrl: server.probeUrl, pod, labels: 'app=secrets', stdin: true, env });
  await server.waitForPods(1);
  const client = await CheckedClient.attachSession(server, { selector: { app: 'secrets' } });
  return { server, target, client };
}

async function variables(client, ref) {
  assert.ok(ref > 0, 'expandable');
  const vars = (await client.variablesRequest({ variablesReference: ref })).body.variables;
  return Object.fromEntries(vars.map((v) => [v.name, v]));
}

/** Sets one breakpoint at the login line; returns it verified. */
async function setLoginBreakpoint(client, bp = {}) {
  const set = await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: loginLine, ...bp }] });
  const got = set.body.breakpoints[0];
  assert.equal(got.verified, true, `not verified: ${got.message}`);
  return got;
}

/** Logs user in at the breakpoint; returns the top frame's id, its scopes by name and the thread. */
async function stopAtLogin(client, target, user) {
  const stopped = client.waitForEvent('stopped');
  target.send(user);
  const ev = await stopped;
  assert.equal(ev.body.reason, 'breakpoint');
  const frames = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames;
  assert.equal(frames[0].name, 'handle_login');
  const scopes = (await client.scopesRequest({ frameId: frames[0].id })).body.scopes;
  return { threadId: ev.body.threadId, frameId: frames[0].id, scopes: Object.fromEntries(scopes.map((s) => [s.name, s])) };
}

async function evaluate(client, frameId, expression) {
  return (await client.evaluateRequest({ expression, frameId, context: 'repl' })).body;
}

async function refused(client, frameId, expression, message) {
  await assert.rejects(client.evaluateRequest({ expression, frameId, context: 'repl' }), (e) => {
    assert.equal(e.message, message, expression);
    return true;
  });
}

function assertNoSecretIn(client) {
  const traffic = JSON.stringify(client.received);
  for (const secret of SECRETS) assert.ok(!traffic.includes(secret), `'${secret}' reached the client`);
}

for (const opt of ['O0', 'O2']) {
  describe(`redaction (-${opt})`, () => {
    const pod = `secrets-${opt}`;
    let server;
    let target;
    let client;

    before(async () => ({ server, target, client } = await start(`secrets-${opt}`, pod)));
    after(async () => {
      await client?.close();
      await target?.stop();
      await server?.stop();
    });

    it('shows secrets as <redacted> with their types, refuses to evaluate or set them', async () => {
      await setLoginBreakpoint(client, { condition: "password[0] == 'h'" });
      const { threadId, frameId, scopes } = await stopAtLogin(client, target, 'alice');

      const args = await variables(client, scopes.Arguments.variablesReference);
      const pointee = (await variables(client, args.cfg.variablesReference))['*cfg'];
      const fields = await variables(client, pointee.variablesReference);
      assert.equal(fields.host.value, '"db.internal"');
      assert.equal(fields.port.value, '5432');
      assert.equal(fields.api_key.value, REDACTED);
      assert.equal(fields.api_key.type, 'char [32]');
      assert.equal(fields.api_key.variablesReference, 0);
      assert.ok(!fields.api_key.indexedVariables, 'no elements');

      const locals = await variables(client, scopes.Locals.variablesReference);
      assert.equal(locals.password.value, REDACTED);
      assert.equal(locals.password.type, 'char [32]');
      assert.equal(locals.password.variablesReference, 0);
      const globals = await variables(client, scopes.Globals.variablesReference);
      assert.equal(globals.db_secret.value, REDACTED);
      assert.equal(globals.db_secret.variablesReference, 0);

      assert.equal((await evaluate(client, frameId, 'cfg->port')).result, '5432');
      const whole = await evaluate(client, frameId, '*cfg');
      assert.equal((await variables(client, whole.variablesReference)).api_key.value, REDACTED);
      const pw = "redacted: 'password' matches the redaction pattern 'password'";
      await refused(client, frameId, 'password', pw);
      await refused(client, frameId, 'password[0]', pw);
      await refused(client, frameId, '$streq(password, "hunter2-alice-1")', pw);
      await refused(client, frameId, 'cfg->api_key[0] + 1', "redacted: 'api_key' matches the redaction pattern 'key'");
      await refused(client, frameId, '*db_secret', "redacted: 'db_secret' matches the redaction pattern 'secret'");

      await assert.rejects(client.setVariableRequest({ variablesReference: scopes.Locals.variablesReference, name: 'password', value: '0' }),
        (e) => { assert.equal(e.message, pw); return true; });
      await assert.rejects(client.setVariableRequest({ variablesReference: scopes.Locals.variablesReference, name: 'checked', value: 'db_secret[0]' }),
        /redacted: 'db_secret'/);

      await client.continueRequest({ threadId });
      await waitFor('the login line', () => target.output.stdout.includes('login alice attempt 1'));
      assertNoSecretIn(client);
      assert.deepEqual(client.violations(), []);
    });

    it('still evaluates a condition on a secret: a false one does not stop', async () => {
      await setLoginBreakpoint(client, { condition: "password[0] == 'x'" });
      const stops = client.events('stopped').length;
      target.send('bob');
      await waitFor('the login line', () => target.output.stdout.includes('login bob attempt 2'));
      await sleep(200);
      assert.equal(client.events('stopped').length, stops);
    });

    it('prints <redacted> in logpoints', async () => {
      await setLoginBreakpoint(client, { logMessage: 'login {user} key {cfg->api_key} pw {password[0]} port {cfg->port}' });
      target.send('carol');
      const expected = `${pod}/${target.pid}: login "carol" key ${REDACTED} pw ${REDACTED} port 5432\n`;
      await waitFor('the log line', () => client.events('output').some((m) => m.body.output === expected));
      assertNoSecretIn(client);
    });

    it('redacts snapshots', async () => {
      await setLoginBreakpoint(client, { mode: 'snapshot' });
      const stopped = client.waitForEvent('stopped');
      target.send('dave');
      const ev = await stopped;
      assert.equal(ev.body.reason, 'snapshot');
      const frames = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames;
      const scopes = Object.fromEntries((await client.scopesRequest({ frameId: frames[0].id })).body.scopes.map((s) => [s.name, s]));
      const locals = await variables(client, scopes.Locals.variablesReference);
      assert.equal(locals.password.value, REDACTED);
      assert.equal(locals.password.variablesReference, 0);
      const args = await variables(client, scopes.Arguments.variablesReference);
      const pointee = (await variables(client, args.cfg.variablesReference))['*cfg'];
      const fields = await variables(client, pointee.variablesReference);
      assert.equal(fields.api_key.value, REDACTED);
      assert.equal(fields.port.value, '5432');
      await client.customRequest('podbug/snapshots', {});
      await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
      assertNoSecretIn(client);
      assert.deepEqual(client.violations(), []);
    });
  });
}

describe('redaction configured by PODBUG_REDACT and --redact', () => {
  const started = [];
  after(async () => {
    for (const { server, target, client } of started) {
      await client?.close();
      await target?.stop();
      await server?.stop();
    }
  });

  /** The -O0 target with env (and a server with extraArgs) stopped at the login of user. */
  async function stopped(pod, user, env, extraArgs = []) {
    const s = await start('secrets-O0', pod, env, extraArgs);
    started.push(s);
    await setLoginBreakpoint(s.client);
    const stop = await stopAtLogin(s.client, s.target, user);
    return { ...s, ...stop, locals: await variables(s.client, stop.scopes.Locals.variablesReference) };
  }

  it('none shows every value', async () => {
    const s = await stopped('secrets-none', 'erin', { PODBUG_REDACT: 'none' });
    const { frameId, locals } = s;
    assert.equal(locals.password.value, '"hunter2-erin-1"');
    assert.equal((await evaluate(s.client, frameId, 'cfg->api_key')).result, '"sk-live-4f9a8b7c6d5e"');
    assert.equal((await evaluate(s.client, frameId, 'db_secret')).result, '"db-Zq7Wx3Vy9Kp2"');
    const traffic = JSON.stringify(s.client.received);
    assert.ok(SECRETS.every((secret) => traffic.includes(secret)), 'the traffic check would see each secret');
  });

  it('a custom pattern redacts what it names and only that', async () => {
    const s = await stopped('secrets-custom', 'fred', { PODBUG_REDACT: 'po*t' });
    const { frameId, locals } = s;
    assert.equal(locals.password.value, '"hunter2-fred-1"');
    await refused(s.client, frameId, 'cfg->port', "redacted: 'port' matches the redaction pattern 'po*t'");
    const fields = await variables(s.client, (await evaluate(s.client, frameId, '*cfg')).variablesReference);
    assert.equal(fields.port.value, REDACTED);
    assert.equal(fields.api_key.value, '"sk-live-4f9a8b7c6d5e"');
  });

  it("the server's --redact patterns join the probe's, even after none", async () => {
    const s = await stopped('secrets-server', 'gina', { PODBUG_REDACT: 'none' }, ['--redact', 'host,db_*']);
    const { frameId, scopes, locals } = s;
    assert.equal(locals.password.value, '"hunter2-gina-1"');
    const globals = await variables(s.client, scopes.Globals.variablesReference);
    assert.equal(globals.db_secret.value, REDACTED);
    await refused(s.client, frameId, 'cfg->host', "redacted: 'host' matches the redaction pattern 'host'");
  });
});
