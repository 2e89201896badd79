// The IDE plugin specification (ide-plugin-spec/): schemas and examples against ajv and the real server;
// the VS Code extension with a stub `vscode` module against a real server; the packaged .vsix.
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { buildDir, CheckedClient, repoRoot, Server, Target, waitFor } from './lib/harness.mjs';
import { configurationAttributes, packageAttributes, readPackage } from '../../ide-plugin-spec/vscode/scripts/sync-schemas.mjs';

const specDir = path.join(repoRoot, 'ide-plugin-spec');
const examplesDir = path.join(specDir, 'examples');
const brokenDir = path.join(examplesDir, 'broken');
const extensionDir = path.join(specDir, 'vscode');
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const jsonFiles = (dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

const schemas = {
  attach: readJson(path.join(specDir, 'attach.schema.json')),
  launch: readJson(path.join(specDir, 'launch.schema.json')),
};

function compiledSchemas() {
  const ajv = new Ajv({ allErrors: true });
  ajv.addKeyword('enumDescriptions'); // VS Code's annotation: labels of an enum's values
  for (const s of Object.values(schemas)) ajv.addSchema(s);
  return { ajv, validate: (config) => {
    const v = ajv.getSchema(`${config.request}.schema.json`);
    assert.ok(v, `no schema for request ${config.request}`);
    return v(config) ? [] : v.errors;
  } };
}

const examples = jsonFiles(examplesDir).map((f) => ({ file: f, config: readJson(path.join(examplesDir, f)) }));
const brokenExpected = readJson(path.join(brokenDir, 'expected.json'));
const broken = jsonFiles(brokenDir).filter((f) => f !== 'expected.json')
  .map((f) => ({ file: f, config: readJson(path.join(brokenDir, f)), expected: brokenExpected[f] }));

// Properties of the schemas that the server does not read, and why: the configuration's own
// keys (DAP clients send them along) and those the IDE plugin reads to connect.
const IDE_SIDE = ['type', 'request', 'name', 'server', 'adapter', 'dapPort'];

// Where the server reads the arguments of each request: the string literals passed with the
// request's `args` (`cJSON_GetObjectItemCaseSensitive(args, "pid")`, `optional_string(args,
// "program", ...)`). Launch shares attach's session options (dap_session_options_parse) and both
// read `token` in session_auth.c.
const READERS = {
  attach: [{ file: 'server/dap_handlers/attach.c' }, { file: 'server/inject_attach.c' }, { file: 'server/session_auth.c' }],
  launch: [{ file: 'server/dap_handlers/launch.c' },
    { file: 'server/dap_handlers/attach.c', fn: 'dap_session_options_parse' }, { file: 'server/session_auth.c' }],
};

function functionBody(text, fn, file) {
  const start = text.search(new RegExp(`^\\w[^\\n]*\\b${fn}\\(`, 'm'));
  assert.ok(start >= 0, `${file} has no function ${fn} (update READERS in ide_spec.test.mjs)`);
  return text.slice(start, text.indexOf('\n}\n', start));
}

function argumentsRead(request) {
  const names = new Set();
  for (const { file, fn } of READERS[request]) {
    const full = path.join(repoRoot, file);
    assert.ok(fs.existsSync(full), `${file} is gone (update READERS in ide_spec.test.mjs)`);
    let text = fs.readFileSync(full, 'utf8');
    if (fn) text = functionBody(text, fn, file);
    for (const m of text.matchAll(/\(\s*args\s*,\s*"([A-Za-z_]\w*)"/g)) names.add(m[1]);
  }
  return [...names].sort();
}

const serverSideProperties = (request) =>
  Object.keys(schemas[request].properties).filter((p) => !IDE_SIDE.includes(p)).sort();

describe('schemas and examples', () => {
  const { ajv, validate } = compiledSchemas();

  it('both schemas are valid draft-07 JSON Schema', () => {
    for (const [name, s] of Object.entries(schemas)) {
      assert.equal(s.$schema, 'http://json-schema.org/draft-07/schema#', name);
      assert.ok(ajv.validateSchema(s), `${name}: ${ajv.errorsText(ajv.errors)}`);
    }
  });

  it('every example in examples/ is a valid configuration', () => {
    assert.ok(examples.some((e) => e.config.request === 'attach') && examples.some((e) => e.config.request === 'launch'));
    for (const { file, config } of examples) assert.deepEqual(validate(config), [], file);
  });

  it('every broken example is rejected with the expected error', () => {
    assert.deepEqual(Object.keys(brokenExpected).filter((k) => !k.startsWith('$')).sort(), broken.map((b) => b.file),
      'examples/broken/expected.json names exactly the files in examples/broken/');
    for (const { file, config, expected } of broken) {
      const errors = validate(config);
      const match = errors.find((e) => e.instancePath === expected.path && e.keyword === expected.keyword &&
        (!expected.property || [e.params.additionalProperty, e.params.missingProperty].includes(expected.property)));
      assert.ok(match, `${file}: expected ${expected.keyword} at "${expected.path}", got ${JSON.stringify(errors)}`);
    }
  });

  it('the configurations shown in SPEC.md and the READMEs are valid', () => {
    const docs = ['ide-plugin-spec/SPEC.md', 'ide-plugin-spec/vscode/README.md', 'README.md'];
    let shown = 0;
    for (const doc of docs) {
      for (const [, block] of fs.readFileSync(path.join(repoRoot, doc), 'utf8').matchAll(/```json\n([\s\S]*?)```/g)) {
        const json = JSON.parse(block);
        for (const config of [json, ...(json.configurations || [])].filter((c) => c.type === 'podbug')) {
          assert.deepEqual(validate(config), [], `${doc}: ${JSON.stringify(config)}`);
          shown++;
        }
      }
    }
    assert.ok(shown >= 8, `only ${shown} configurations found`);
  });

  it("the extension's initial configuration and snippets are valid, placeholders filled", () => {
    // A snippet string: "${1:default}" placeholders, "\\${var}" escapes, and "^..." for a raw value.
    const fill = (v) => {
      if (Array.isArray(v)) return v.map(fill);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [fill(k), fill(x)]));
      if (typeof v !== 'string') return v;
      const text = v.replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\\\$/g, '$');
      return text.startsWith('^') ? JSON.parse(text.slice(1)) : text;
    };
    const debuggerEntry = readPackage().contributes.debuggers[0];
    const configs = [...debuggerEntry.initialConfigurations, ...debuggerEntry.configurationSnippets.map((sn) => fill(sn.body))];
    assert.deepEqual(configs.map((c) => c.request), ['attach', 'attach', 'attach', 'launch']);
    for (const config of configs) assert.deepEqual(validate(config), [], JSON.stringify(config));
  });

  it("the extension's configurationAttributes are the schemas (scripts/sync-schemas.mjs)", () => {
    assert.deepEqual(packageAttributes(), configurationAttributes());
  });

  it('the schemas name exactly the arguments the server reads', () => {
    for (const request of ['attach', 'launch']) {
      assert.deepEqual(serverSideProperties(request), argumentsRead(request),
        `${request}: schema properties (without ${IDE_SIDE.join(', ')}) vs the server's reads`);
    }
  });
});

/** A session on a fresh connection, initialized (its answer in .capabilities); the caller sends
 *  attach or launch. */
async function session(server) {
  const c = await CheckedClient.connect(server);
  c.capabilities = (await c.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' })).body;
  return c;
}

/** The whole response to request `command`, whether it succeeded or not. */
const answer = (client, command, args) => new Promise((resolve) => client.doSend(command, args, resolve));

/** `{ ok, message }` of an attach or launch with config on a fresh session, then disconnects. */
async function tryConfiguration(server, config, afterwards = async () => {}) {
  const c = await session(server);
  try {
    const response = await answer(c, config.request, config);
    if (response.success) {
      await c.configurationDoneRequest();
      await afterwards(c);
    }
    assert.deepEqual(c.violations(), []);
    return { ok: response.success, message: response.message };
  } finally {
    await answer(c, 'disconnect', {});
    await c.close();
  }
}

describe('the configurations against the real server', () => {
  let server;
  let target;
  const launched = path.join(buildDir, 'targets', 'launched-O0');

  // Under `make asan` a launched probe needs the ASan runtime, preloaded after the probe.
  const asanEnv = process.env.PODBUG_PRELOAD_FIRST
    ? { LD_PRELOAD: process.env.PODBUG_PRELOAD_FIRST, ASAN_OPTIONS: 'verify_asan_link_order=0:detect_leaks=0' } : {};

  /** An example made runnable here: its program a real one (that waits, for a valid example),
   *  and for a valid example its pid the target's. */
  function runnable(config, { valid }) {
    const c = { ...config };
    if (valid && 'pid' in c) c.pid = target.pid;
    if (c.request === 'launch' && 'program' in c) {
      c.program = launched;
      c.env = { ...asanEnv, ...c.env };
      if ('cwd' in c) c.cwd = buildDir;
      if (valid) c.args = ['wait'];
    }
    return c;
  }

  before(async () => {
    server = await Server.start();
    target = await Target.start('worker-O0', { serverUrl: server.probeUrl, pod: 'dev', namespace: 'shop', labels: 'app=checkout' });
    await server.waitForPods(1);
  });
  after(async () => {
    await target?.stop();
    await server?.stop();
  });

  it("SPEC.md section 2 lists the server's capabilities", async () => {
    const c = await session(server);
    await c.close();
    const spec = fs.readFileSync(path.join(specDir, 'SPEC.md'), 'utf8');
    const section = spec.slice(spec.indexOf('## 2. initialize'), spec.indexOf('## 3. '));
    const flags = section.slice(section.indexOf('The capabilities answered:'), section.indexOf('`exceptionBreakpointFilters`'));
    const announced = Object.keys(c.capabilities).filter((k) => c.capabilities[k] === true).sort();
    assert.deepEqual([...flags.matchAll(/`(support\w+)`/g)].map((m) => m[1]).sort(), announced);
    for (const f of c.capabilities.exceptionBreakpointFilters) assert.ok(section.includes(`\`${f.filter}\``), f.filter);
    for (const m of c.capabilities.breakpointModes) assert.ok(section.includes(`\`${m.mode}\` (label "${m.label}"`), m.mode);
  });

  it('accepts every example; each attach sees the process its selector and pid name', async () => {
    for (const { file, config } of examples) {
      const r = await tryConfiguration(server, runnable(config, { valid: true }), async (c) => {
        const { pods } = (await c.customRequest('podbug/pods')).body;
        const mine = pods.filter((p) => p.attached);
        if (config.request === 'attach') assert.deepEqual(mine.map((p) => p.pid), [target.pid], file);
        else assert.deepEqual(mine.map((p) => p.pod), ['launched-O0'], file);
      });
      assert.ok(r.ok, `${file}: ${r.message}`);
    }
  });

  it('answers every broken example as expected.json says', async () => {
    for (const { file, config, expected } of broken) {
      const r = await tryConfiguration(server, runnable(config, { valid: false }));
      if (expected.server === null) assert.ok(r.ok, `${file} should be accepted: ${r.message}`);
      else assert.ok(!r.ok && r.message.includes(expected.server), `${file}: ${r.ok ? 'accepted' : r.message}`);
    }
  });

  it("the schema's numeric ranges are the server's, at both ends", async () => {
    const attributes = configurationAttributes().attach;
    const cases = [];
    const addRange = (wrap, s, what) => {
      const step = s.type === 'integer' ? 1 : 0.01;
      cases.push([wrap(s.minimum), true, `${what} = ${s.minimum}`], [wrap(s.maximum), true, `${what} = ${s.maximum}`],
        [wrap(s.minimum - step), false, `${what} = ${s.minimum - step}`], [wrap(s.maximum + step), false, `${what} = ${s.maximum + step}`]);
    };
    const visit = (s, wrap, what) => {
      if ('minimum' in s && 'maximum' in s) addRange(wrap, s, what);
      for (const [k, sub] of Object.entries(s.properties || {})) visit(sub, (v) => wrap({ [k]: v }), `${what}.${k}`);
      for (const branch of s.oneOf || []) visit(branch, wrap, what);
    };
    for (const p of serverSideProperties('attach')) visit(attributes.properties[p], (v) => ({ [p]: v }), p);
    assert.ok(cases.length >= 4 * 12, `only ${cases.length} range cases`);
    for (const [args, accepted, what] of cases) {
      const r = await tryConfiguration(server, { request: 'attach', ...args });
      assert.equal(r.ok, accepted, `${what}: ${r.message}`);
    }
  });

  it("the schema's budgets and canary fields are those the server knows", async () => {
    const known = async (args) => {
      const r = await tryConfiguration(server, { request: 'attach', ...args });
      const m = /\(known: ([^)]*)\)/.exec(r.message);
      assert.ok(m, r.message);
      return m[1].split(', ').sort();
    };
    const { budgets, canary } = schemas.attach.definitions;
    assert.deepEqual(await known({ budgets: { noSuchBudget: 1 } }), Object.keys(budgets.properties).sort());
    assert.deepEqual(await known({ canary: { noSuchField: 1 } }),
      Object.keys(canary.oneOf.find((b) => b.type === 'object').properties).sort());
  });
});

/** The files of a zip archive (a .vsix is one): name -> contents. */
function unzip(buf) {
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'not a zip archive');
  const files = new Map();
  let p = buf.readUInt32LE(end + 16);
  for (let i = buf.readUInt16LE(end + 10); i > 0; i--) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50, 'bad central directory entry');
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const data = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(data, data + size);
    files.set(name, method === 0 ? raw : zlib.inflateRawSync(raw));
    p += 46 + nameLen + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  return files;
}

describe('make vsix', () => {
  it('packs the extension with a valid package.json and extension.vsixmanifest', () => {
    const vsix = path.join(buildDir, 'podbug.vsix');
    assert.ok(fs.existsSync(vsix), `${vsix} is missing: run make vsix`);
    const files = unzip(fs.readFileSync(vsix));
    const pkg = JSON.parse(files.get('extension/package.json').toString('utf8'));
    const source = readPackage();
    for (const key of ['name', 'publisher', 'version', 'main', 'engines', 'activationEvents', 'contributes']) {
      assert.deepEqual(pkg[key], source[key], `package.json ${key}`);
    }
    for (const js of ['extension.js', 'adapter.js', 'commands.js', 'views.js']) assert.ok(files.has(`extension/${js}`), js);
    assert.ok(![...files.keys()].some((f) => f.includes('node_modules/')), 'no node_modules in the vsix');
    const manifest = files.get('extension.vsixmanifest').toString('utf8');
    assert.match(manifest, /^<\?xml [^>]*\?>\s*<PackageManifest /);
    const identity = /<Identity ([^>]*)\/>/.exec(manifest)?.[1] ?? '';
    const attr = (n) => new RegExp(`${n}="([^"]*)"`).exec(identity)?.[1];
    assert.deepEqual([attr('Id'), attr('Publisher'), attr('Version')], [source.name, source.publisher, source.version]);
    assert.match(manifest, /Microsoft\.VisualStudio\.Code\.Manifest" Path="extension\/package\.json"/);
  });
});

/** A stand-in for the `vscode` module that records what the extension registers and shows. */
function vscodeStub(state) {
  const registered = (kind) => (...args) => {
    state.registered.push([kind, ...args]);
    return { dispose() {} };
  };
  class EventEmitter {
    constructor() {
      this.listeners = [];
      this.event = (l) => { this.listeners.push(l); return { dispose() {} }; };
    }
    fire(v) { for (const l of this.listeners) l(v); }
    dispose() {}
  }
  return {
    EventEmitter,
    TreeItem: class { constructor(label, collapsibleState) { Object.assign(this, { label, collapsibleState }); } },
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    ThemeIcon: class { constructor(id) { this.id = id; } },
    Range: class { constructor(...at) { this.at = at; } },
    Uri: { file: (p) => ({ scheme: 'file', fsPath: p }) },
    DebugAdapterServer: class { constructor(port, host) { Object.assign(this, { port, host }); } },
    DebugAdapterExecutable: class { constructor(command, args, options) { Object.assign(this, { command, args, options }); } },
    debug: {
      get activeDebugSession() { return state.session; },
      registerDebugAdapterDescriptorFactory: registered('factory'),
      registerDebugConfigurationProvider: registered('configurationProvider'),
      registerDebugAdapterTrackerFactory: registered('trackerFactory'),
      onDidChangeActiveDebugSession: registered('onDidChangeActiveDebugSession'),
      onDidReceiveDebugSessionCustomEvent: registered('onDidReceiveDebugSessionCustomEvent'),
    },
    window: {
      registerTreeDataProvider: registered('treeDataProvider'),
      showOpenDialog: async () => state.picked,
      showInformationMessage: (m) => state.messages.push(['info', m]),
      showErrorMessage: (m) => state.messages.push(['error', m]),
      showQuickPick: async (items, options) => { state.quickPicks.push({ items, options }); return undefined; },
    },
    commands: { registerCommand: (id, fn) => { state.commands[id] = fn; return { dispose() {} }; } },
    workspace: {
      getConfiguration: (section) => ({ get: (key) => state.settings[`${section}.${key}`] }),
      fs: { readFile: async (uri) => new Uint8Array(fs.readFileSync(uri.fsPath)) },
    },
  };
}

/** The extension's extension.js, loaded with `vscode` resolved to the stub. */
function loadExtension(stub) {
  const load = Module._load;
  Module._load = function (request, ...rest) {
    return request === 'vscode' ? stub : load.call(this, request, ...rest);
  };
  try {
    return createRequire(import.meta.url)(path.join(extensionDir, 'extension.js'));
  } finally {
    Module._load = load;
  }
}

describe('the VS Code extension', () => {
  const state = { registered: [], commands: {}, messages: [], quickPicks: [], settings: {}, session: undefined, picked: undefined };
  const context = { subscriptions: [] };
  const one = (kind) => state.registered.filter((r) => r[0] === kind);
  let server;
  let app;
  let client;

  before(async () => {
    loadExtension(vscodeStub(state)).activate(context);
    server = await Server.start();
    app = await Target.start('reload/O0/reload_app', {
      serverUrl: server.probeUrl, pod: 'ide-1', labels: 'app=ide', stdin: true, args: ['linked', '--threads', '2', '--ids', '1000'],
    });
    await server.waitForPods(1);
    client = await session(server);
    await client.attachRequest({ selector: { app: 'ide' } });
    await client.configurationDoneRequest();
    // The active debug session, as VS Code hands it to the extension: customRequest resolves with
    // the body, or rejects with the error message.
    state.session = { type: 'podbug', configuration: {}, customRequest: async (command, args) => (await client.customRequest(command, args)).body };
  });
  after(async () => {
    for (const d of context.subscriptions) d.dispose();
    await client?.close();
    await app?.stop();
    await server?.stop();
  });

  it('activate() registers the adapter factory, the view and the commands', () => {
    assert.deepEqual(one('factory').map((r) => r[1]), ['podbug']);
    assert.deepEqual(one('configurationProvider').map((r) => r[1]), ['podbug']);
    assert.deepEqual(one('trackerFactory').map((r) => r[1]), ['podbug']);
    assert.deepEqual(one('treeDataProvider').map((r) => r[1]), ['podbug.fleet']);
    assert.deepEqual(Object.keys(state.commands).sort(), ['podbug.hotReload', 'podbug.refresh', 'podbug.rollback', 'podbug.showPods']);
    const pkg = readPackage();
    assert.deepEqual(pkg.contributes.commands.map((c) => c.command).sort(), Object.keys(state.commands).sort());
    assert.deepEqual(pkg.contributes.views.debug.map((v) => v.id), ['podbug.fleet']);
    assert.ok(context.subscriptions.length >= 9);
  });

  it('the factory connects over TCP or spawns podbug dap', () => {
    const factory = one('factory')[0][2];
    const adapter = (configuration) => factory.createDebugAdapterDescriptor({ configuration });
    assert.deepEqual({ ...adapter({}) }, { port: 4711, host: '127.0.0.1' });
    assert.deepEqual({ ...adapter({ server: 'ws://10.1.2.3:4800', dapPort: 5000 }) }, { port: 5000, host: '10.1.2.3' });
    assert.deepEqual({ ...adapter({ server: 'ws://[::1]:4700' }) }, { port: 4711, host: '::1' });
    assert.deepEqual({ ...adapter({ adapter: 'stdio' }) }, { command: 'podbug', args: ['dap', '--server', 'ws://127.0.0.1:4700'], options: undefined });
    state.settings['podbug.cliPath'] = '/opt/podbug/bin/podbug';
    assert.deepEqual({ ...adapter({ adapter: 'stdio', server: 'ws://h:1', token: 't0k' }) },
      { command: '/opt/podbug/bin/podbug', args: ['dap', '--server', 'ws://h:1'], options: { env: { PODBUG_TOKEN: 't0k' } } });
    delete state.settings['podbug.cliPath'];
    const provider = one('configurationProvider')[0][2];
    assert.equal(provider.resolveDebugConfiguration(undefined, {}).request, 'attach');
    const config = { type: 'podbug', request: 'launch', name: 'x', program: 'p' };
    assert.equal(provider.resolveDebugConfiguration(undefined, config), config);
  });

  it('Show Pods lists the fleet; the view shows pods and snapshots, refreshed on events', async () => {
    await state.commands['podbug.showPods']();
    const pick = state.quickPicks.at(-1);
    assert.deepEqual(pick.items.map((i) => i.label), [`ide-1/${app.pid}`]);
    assert.match(pick.items[0].description, /^default · running$/);
    assert.match(pick.items[0].detail, /reload_app {2}app=ide$/);

    const view = one('treeDataProvider')[0][2];
    let changes = 0;
    view.onDidChangeTreeData(() => changes++);
    await state.commands['podbug.refresh']();
    const [pods, snapshots] = view.getChildren();
    assert.deepEqual([pods.item.label, pods.item.description, snapshots.item.label, snapshots.item.description], ['Pods', '1', 'Snapshots', '0']);
    assert.deepEqual(view.getChildren(pods).map((n) => view.getTreeItem(n).label), [`ide-1/${app.pid}`]);
    const tracker = one('trackerFactory')[0][2].createDebugAdapterTracker(state.session);
    const before = changes;
    tracker.onDidSendMessage({ type: 'event', event: 'stopped', body: {} });
    tracker.onDidSendMessage({ type: 'event', event: 'output', body: {} });
    await waitFor('the view to refresh after a stopped event', () => changes > before, 3000);
  });

  it('Hot Reload Library… sends podbug/reload and shows the summary; Roll Back undoes it', async () => {
    const v2 = path.join(buildDir, 'targets/reload/O0/v2/libhandlers.so');
    state.picked = [{ scheme: 'file', fsPath: v2 }];
    await state.commands['podbug.hotReload']();
    assert.equal(state.messages.at(-1)[0], 'info');
    assert.match(state.messages.at(-1)[1], /^podbug: reloaded libhandlers\.so in 1 of 1 process: patched /);
    await state.commands['podbug.rollback']();
    assert.match(state.messages.at(-1)[1], /^podbug: rolled back the module reloaded last in 1 of 1 process/);
    state.picked = [{ scheme: 'file', fsPath: path.join(extensionDir, 'package.json') }];
    await state.commands['podbug.hotReload']();
    assert.equal(state.messages.at(-1)[0], 'error');
    assert.match(state.messages.at(-1)[1], /^podbug: reload of package\.json failed in ide-1\//);
    assert.deepEqual(client.violations(), []);
  });

  it('a podbug/reloadCrashed event is shown as an error', () => {
    const listener = one('onDidReceiveDebugSessionCustomEvent')[0][1];
    listener({ event: 'podbug/reloadCrashed', body: { reloadId: 2, module: 'libhandlers.so', process: 'ide-1/7', description: 'SIGSEGV: invalid read at 0x0', frames: [], rolledBack: ['ide-2/8'], notRolledBack: [] } });
    assert.deepEqual(state.messages.at(-1),
      ['error', 'podbug: the reloaded libhandlers.so crashed in ide-1/7: SIGSEGV: invalid read at 0x0; rolled back in ide-2/8']);
  });
});
