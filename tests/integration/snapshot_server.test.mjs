// The server side of snapshot breakpoints and budgets, with a real target (tests/targets/orders.c):
// the breakpointModes capability, podbug/snapshots before any snapshot, attach budgets refused with
// the field named, an unknown mode left unverified with the modes named, and a logpoint that
// expires after budgets.expirySeconds: reported, removed from the process, logging no more.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckedClient, markerLine, repoRoot, Server, sleep, Target, textDifferences, waitFor } from './lib/harness.mjs';

const ordersSource = path.join(repoRoot, 'tests/targets/orders.c');
const ordersLine = markerLine(ordersSource, 'BP:handle_order');

const events = (client, name) => client.received.filter((m) => m.type === 'event' && m.event === name);

async function connect(server) {
  const client = await CheckedClient.connect(server);
  const caps = (await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, pathFormat: 'path' })).body;
  return { client, caps };
}

async function attach(client, args) {
  const initialized = client.waitForEvent('initialized');
  await client.attachRequest(args);
  await initialized;
  await client.configurationDoneRequest();
}

describe('snapshot breakpoints and budgets (server side)', () => {
  const pod = 'orders-snap';
  let server;
  let target;
  const clients = [];

  before(async () => {
    server = await Server.start();
    target = await Target.start('orders-O0', { serverUrl: server.probeUrl, pod, labels: 'app=orders', stdin: true });
    await server.waitForPods(1);
  });
  after(async () => {
    for (const c of clients) await c.close();
    await target?.stop();
    await server?.stop();
  });

  async function session() {
    const s = await connect(server);
    clients.push(s.client);
    return s;
  }

  it('announces the stop and snapshot modes and lists no snapshots yet', async () => {
    const { client, caps } = await session();
    assert.deepEqual(caps.breakpointModes, [
      { mode: 'stop', label: 'Stop', description: 'stop the process at the breakpoint', appliesTo: ['source', 'exception'] },
      { mode: 'snapshot', label: 'Snapshot', description: 'capture the stack and variables and let the process run on', appliesTo: ['source', 'exception'] },
    ]);
    const before = (await client.customRequest('podbug/snapshots')).body;
    assert.deepEqual(before, { snapshots: [], breakpoints: [] });
    await attach(client, { selector: { app: 'orders' } });
    const one = (await client.customRequest('podbug/snapshots', { breakpointId: 1 })).body;
    assert.deepEqual(one, { snapshots: [], breakpoints: [] });
    await assert.rejects(client.customRequest('podbug/snapshots', { breakpointId: 'first' }),
      /^Error: podbug\/snapshots: 'breakpointId' must be an integer/);
    assert.deepEqual(client.violations(), []);
  });

  it('refuses budgets out of range or unknown, naming the field', async () => {
    const { client } = await session();
    const refused = async (budgets, message) => {
      await assert.rejects(client.attachRequest({ selector: { app: 'orders' }, budgets }), (e) => {
        assert.equal(e.message, message);
        return true;
      });
    };
    await refused({ snapshotFrames: 65 }, 'attach: budgets.snapshotFrames must be an integer 1..64');
    await refused({ snapshotDepth: -1 }, 'attach: budgets.snapshotDepth must be an integer 0..4');
    await refused({ snapshotBytes: 100 }, 'attach: budgets.snapshotBytes must be an integer 4096..1048576');
    await refused({ snapshotsPerSecond: 0.5 }, 'attach: budgets.snapshotsPerSecond must be an integer 1..100000');
    await refused({ conditionCpuPercent: '10' }, 'attach: budgets.conditionCpuPercent must be an integer 1..100');
    await refused({ expirySeconds: 0 }, 'attach: budgets.expirySeconds must be an integer 1..31622400');
    await refused({ snapshotFrame: 5 }, "attach: budgets: unknown field 'snapshotFrame' (known: snapshotFrames, "
      + 'snapshotDepth, snapshotBytes, snapshotsPerSecond, snapshotBytesPerSecond, logLinesPerSecond, '
      + 'logBytesPerSecond, conditionCpuPercent, conditionSteps, expirySeconds)');
    await refused([], "attach: 'budgets' must be an object (e.g. {\"snapshotsPerSecond\": 5})");
    // Every field at once, in range: accepted.
    await attach(client, { selector: { app: 'orders' }, budgets: {
      snapshotFrames: 64, snapshotDepth: 0, snapshotBytes: 4096, snapshotsPerSecond: 1, snapshotBytesPerSecond: 1024,
      logLinesPerSecond: 100000, logBytesPerSecond: 1073741824, conditionCpuPercent: 100, conditionSteps: 16, expirySeconds: 60 } });
    const set = await client.setBreakpointsRequest({ source: { path: ordersSource }, breakpoints: [{ line: ordersLine, logMessage: 'o {o->id}' }] });
    assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
    await client.setBreakpointsRequest({ source: { path: ordersSource }, breakpoints: [] });
    assert.deepEqual(client.violations(), []);
  });

  it('leaves a breakpoint of an unknown mode unverified, naming the modes', async () => {
    const { client } = await session();
    await attach(client, { selector: { app: 'orders' } });
    const set = await client.setBreakpointsRequest({ source: { path: ordersSource }, breakpoints: [
      { line: ordersLine, mode: 'hardware' }] });
    const bp = set.body.breakpoints[0];
    assert.equal(bp.verified, false);
    assert.equal(bp.message, 'unknown breakpoint mode \'hardware\': podbug\'s modes are "stop" and "snapshot"');
    await assert.rejects(client.setBreakpointsRequest({ source: { path: ordersSource }, breakpoints: [{ line: ordersLine, mode: 3 }] }),
      /breakpoints\[0\]\.mode must be a string/);
    // The same line in stop mode is armed (and is a new breakpoint for the probe).
    const stop = await client.setBreakpointsRequest({ source: { path: ordersSource }, breakpoints: [{ line: ordersLine, mode: 'stop' }] });
    assert.equal(stop.body.breakpoints[0].verified, true, stop.body.breakpoints[0].message);
    await client.setBreakpointsRequest({ source: { path: ordersSource }, breakpoints: [] });
    assert.deepEqual(client.violations(), []);
  });

  it('expires a logpoint after budgets.expirySeconds and takes it out of the process', async () => {
    const { client } = await session();
    await attach(client, { selector: { app: 'orders' }, budgets: { expirySeconds: 2 } });
    const set = await client.setBreakpointsRequest({ source: { path: ordersSource }, breakpoints: [{ line: ordersLine, logMessage: 'amount {o->amount}' }] });
    const bp = set.body.breakpoints[0];
    assert.equal(bp.verified, true, bp.message);
    const logged = () => events(client, 'output').filter((m) => m.body.output.startsWith(`${pod}/${target.pid}: amount `));
    target.send('250 alice 1 2 3');
    await waitFor('the log line', () => logged().length === 1);

    const expired = await waitFor('the expiry', () => events(client, 'breakpoint').find((e) => e.body.breakpoint.id === bp.id), 6000);
    assert.equal(expired.body.reason, 'changed');
    assert.equal(expired.body.breakpoint.verified, false);
    assert.equal(expired.body.breakpoint.message, 'expired after 2 s (budgets.expirySeconds)');
    await waitFor('the int3 to go', () => textDifferences(target.pid, target.exe).length === 0, 5000);
    target.send('120 bob 1 1 1');
    await waitFor('the order to be handled', () => /user=bob/.test(target.output.stdout));
    await sleep(300);
    assert.equal(logged().length, 1, 'an expired logpoint logs nothing');
    // Sent again unchanged, it stays expired; changed, it is armed afresh.
    const same = await client.setBreakpointsRequest({ source: { path: ordersSource }, breakpoints: [{ line: ordersLine, logMessage: 'amount {o->amount}' }] });
    assert.equal(same.body.breakpoints[0].message, 'expired after 2 s (budgets.expirySeconds)');
    const changed = await client.setBreakpointsRequest({ source: { path: ordersSource }, breakpoints: [{ line: ordersLine, logMessage: 'id {o->id}' }] });
    assert.equal(changed.body.breakpoints[0].verified, true, changed.body.breakpoints[0].message);
    await client.setBreakpointsRequest({ source: { path: ordersSource }, breakpoints: [] });
    assert.equal(target.alive(), true);
    assert.deepEqual(client.violations(), []);
  });
});
