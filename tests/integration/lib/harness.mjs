// Test harness: starts the real podbug-server and real target processes with the probe preloaded,
// and gives a DebugClient (VS Code's own DAP test client) that checks every message it receives.
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkMessage, SeqChecker } from './dap_schema.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
export const buildDir = process.env.PODBUG_BUILD ? path.resolve(process.env.PODBUG_BUILD) : path.join(repoRoot, 'build');
export const probeLib = path.join(buildDir, 'libpodbug-probe.so');
// Under `make asan` the probe is built with AddressSanitizer, whose runtime must be loaded first.
const preloadList = [process.env.PODBUG_PRELOAD_FIRST, probeLib].filter(Boolean).join(' ');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export { sleep };

/** The token (roles probe, debug, reload) a server started with `tokens` accepts from the harness's
 *  probes, clients and HTTP requests; the same for every server of a test file, so that probes
 *  reconnect to a restarted server. */
export const harnessToken = `harness-${crypto.randomBytes(12).toString('hex')}`;

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The 1-based line of the first line of file containing marker (e.g. "BP:compute_fee"). */
export function markerLine(file, marker) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`no marker ${marker} in ${file}`);
  return i + 1;
}

export async function waitFor(what, fn, timeoutMs = 10000, everyMs = 50) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function collectOutput(child, into) {
  child.stdout?.on('data', (d) => { into.stdout += d; });
  child.stderr?.on('data', (d) => { into.stderr += d; });
}

export class Server {
  /** tlsCa: the CA (PEM text) that signed the --tls-cert in extraArgs; the server then serves
   *  https:// and wss:// only, and the URLs and requests below use them, trusting that CA.
   *  tokens (an object name -> roles, e.g. { ide: 'debug' }; {} for none but the harness's): the
   *  server runs with a --token-file (mode 0600) holding a fresh token per name (s.tokens[name])
   *  and harnessToken (s.token), which pods(), get(), attachSession and stdio clients present. */
  static async start({ port, extraArgs = [], tlsCa, tokens } = {}) {
    const s = new Server();
    s.tlsCa = tlsCa;
    if (tokens) extraArgs = [...s.writeTokenFile(tokens), ...extraArgs];
    s.port = port ?? await freePort();
    s.dapPort = await freePort();
    s.output = { stdout: '', stderr: '' };
    s.proc = spawn(path.join(buildDir, 'podbug-server'),
      ['--port', String(s.port), '--dap-port', String(s.dapPort), '--log-level', process.env.PODBUG_TEST_LOG || 'info', ...extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    collectOutput(s.proc, s.output);
    s.exited = new Promise((r) => s.proc.on('exit', (code, sig) => r({ code, sig })));
    await waitFor('the server to answer /healthz', async () => {
      try { return (await s.get('/healthz')).ok; } catch { return false; }
    });
    return s;
  }

  get probeUrl() { return `${this.tlsCa ? 'wss' : 'ws'}://127.0.0.1:${this.port}/probe`; }

  /** The URL `podbug --server` takes. */
  get wsUrl() { return `${this.tlsCa ? 'wss' : 'ws'}://127.0.0.1:${this.port}`; }

  /** GET path: { ok, json() } like fetch's answer (over https trusting tlsCa when set). */
  async get(urlPath) {
    if (!this.tlsCa) return fetch(`http://127.0.0.1:${this.port}${urlPath}`, { headers: this.authHeaders() });
    return new Promise((resolve, reject) => {
      // The test certificates all name localhost; some leave 127.0.0.1 out on purpose.
      const options = { host: '127.0.0.1', servername: 'localhost', port: this.port, path: urlPath, ca: this.tlsCa };
      https.get({ ...options, headers: this.authHeaders() }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve({ ok: res.statusCode === 200, json: async () => JSON.parse(body) }));
      }).on('error', reject);
    });
  }

  /** Writes the token file; returns the server's arguments for it. */
  writeTokenFile(tokens) {
    this.tokenDir = fs.mkdtempSync(path.join(os.tmpdir(), 'podbug-tokens-'));
    this.tokenFile = path.join(this.tokenDir, 'tokens');
    this.token = harnessToken;
    this.tokens = Object.fromEntries(Object.keys(tokens).map((name) => [name, `${name}-${crypto.randomBytes(12).toString('hex')}`]));
    const lines = [`${harnessToken} probe,debug,reload harness`, ...Object.entries(tokens).map(([name, roles]) => `${this.tokens[name]} ${roles} ${name}`)];
    fs.writeFileSync(this.tokenFile, `# written by the test harness\n${lines.join('\n')}\n`, { mode: 0o600 });
    return ['--token-file', this.tokenFile];
  }

  /** The headers that carry token (default: the harness's, when the server has a token file). */
  authHeaders(token = this.token) { return token ? { Authorization: `Bearer ${token}` } : {}; }

  async pods() {
    return (await this.get('/api/pods')).json();
  }

  async waitForPods(n) {
    return waitFor(`${n} registered probes`, async () => ((await this.pods()).length >= n ? this.pods() : null));
  }

  alive() { return this.proc.exitCode === null && this.proc.signalCode === null; }

  async stop() {
    if (this.alive()) this.proc.kill('SIGTERM');
    const { code } = await this.exited;
    // Under `make asan` a sanitizer report makes the server's exit status non-zero.
    if (/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(this.output.stderr)) {
      throw new Error(`podbug-server sanitizer report:\n${this.output.stderr.slice(-4000)}`);
    }
    if (this.tokenDir) fs.rmSync(this.tokenDir, { recursive: true, force: true });
    if (code !== 0) throw new Error(`podbug-server exited with status ${code}:\n${this.output.stderr.slice(-2000)}`);
  }
}

export class Target {
  /** Starts build/targets/<name> with the probe preloaded. `wrap` (e.g. ['ip', 'netns', 'exec', NS])
   *  is a command that execs the target in the same process; only the target gets the probe.
   *  token: its PODBUG_TOKEN (e.g. server.token). */
  static async start(name, { serverUrl, pod = 'pod-a', namespace = 'default', labels = '', args = [], env = {}, preload = true, stdin = false, wrap = [], token } = {}) {
    const t = new Target();
    t.output = { stdout: '', stderr: '' };
    t.exe = path.join(buildDir, 'targets', name);
    const preloadEnv = preload ? { LD_PRELOAD: preloadList } : {};
    const argv = wrap.length ? [...wrap, 'env', ...Object.entries(preloadEnv).map(([k, v]) => `${k}=${v}`), t.exe, ...args] : [t.exe, ...args];
    t.proc = spawn(argv[0], argv.slice(1), {
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...(wrap.length ? {} : preloadEnv),
        PODBUG_SERVER: serverUrl,
        PODBUG_POD: pod,
        PODBUG_NAMESPACE: namespace,
        PODBUG_LABELS: labels,
        PODBUG_LOG: process.env.PODBUG_TEST_LOG || 'warn',
        ...(token ? { PODBUG_TOKEN: token } : {}),
        ...env,
      },
    });
    collectOutput(t.proc, t.output);
    t.exited = new Promise((r) => t.proc.on('exit', (code, sig) => r({ code, sig })));
    await waitFor(`${name} to print ready`, () => t.output.stdout.includes('ready') || !t.alive());
    if (!t.alive()) throw new Error(`${name} exited early: ${t.output.stderr}`);
    t.pid = t.proc.pid;
    return t;
  }

  alive() { return this.proc.exitCode === null && this.proc.signalCode === null; }

  /** In stdin mode: one request per line. */
  send(line) { this.proc.stdin.write(`${line}\n`); }

  async stop() {
    if (this.alive()) this.proc.kill('SIGKILL');
    await this.exited;
  }
}

/** How CheckedClient.connect reaches the server unless told: 'tcp' (the server's DAP port) or
 *  'stdio' (`podbug dap` spawned as the adapter, as IDEs do). */
export const defaultTransport = process.env.PODBUG_DAP_TRANSPORT || 'tcp';

/** A DebugClient connected to the server (DAP over TCP, or through `podbug dap`) that checks every
 *  message it receives against the DAP schema and seq numbering, and records events for later
 *  assertions. */
export class CheckedClient extends DebugClient {
  constructor() {
    super('unused', 'unused', 'podbug');
    this.problems = [];
    this.seq = new SeqChecker();
    this.received = [];
    this.defaultTimeout = 10000;
  }

  dispatch(body) {
    const msg = JSON.parse(body);
    this.received.push(msg);
    this.seq.check(msg);
    for (const p of checkMessage(msg)) this.problems.push(`${p} in ${body.slice(0, 300)}`);
    super.dispatch(body);
  }

  static async connect(server, { transport = defaultTransport } = {}) {
    const c = new CheckedClient();
    if (transport === 'stdio') c.startStdio(server);
    else if (transport === 'tcp') await c.start(server.dapPort);
    else throw new Error(`unknown DAP transport '${transport}' (tcp or stdio)`);
    return c;
  }

  /** Spawns `podbug dap` as the adapter and speaks DAP over its stdin and stdout. */
  startStdio(server) {
    const env = server.token ? { ...process.env, PODBUG_TOKEN: server.token } : process.env;
    this.adapter = spawn(path.join(buildDir, 'podbug'), ['dap', '--server', server.wsUrl], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.adapterStderr = '';
    this.adapter.stderr.on('data', (d) => { this.adapterStderr += d; });
    this.adapterExited = new Promise((r) => this.adapter.on('exit', (code, sig) => r({ code, sig })));
    this.adapter.stdin.on('error', () => { /* the adapter exited: requests then time out */ });
    this.connect(this.adapter.stdout, this.adapter.stdin);
  }

  /** Over stdio the end of stdin is the adapter's signal to close its WebSocket and exit. */
  stopAdapter() {
    if (this.adapter) this.adapter.stdin.end();
    else super.stopAdapter();
  }

  /** A connected client that has initialized, attached with attachArgs and finished configuration. */
  static async attachSession(server, attachArgs) {
    const c = await CheckedClient.connect(server);
    c.capabilities = (await c.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' })).body;
    const initialized = c.waitForEvent('initialized');
    await c.attachRequest(server.token ? { token: server.token, ...attachArgs } : attachArgs);
    await initialized;
    await c.configurationDoneRequest();
    return c;
  }

  /** Events of one kind received so far. */
  events(name) { return this.received.filter((m) => m.type === 'event' && m.event === name); }

  /** All problems found so far: schema violations and seq errors. */
  violations() { return [...this.problems, ...this.seq.problems]; }

  async close() {
    try { await this.stop(); } catch { /* already closed */ }
    if (!this.adapter) return;
    const exited = await Promise.race([this.adapterExited, sleep(5000).then(() => null)]);
    if (!exited) this.adapter.kill('SIGKILL');
    // Under `make asan` podbug is built with the sanitizers too.
    if (/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(this.adapterStderr)) {
      throw new Error(`podbug dap sanitizer report:\n${this.adapterStderr.slice(-4000)}`);
    }
  }
}

/** Reads len bytes of a live process's memory. */
export function readMemory(pid, address, len) {
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  try {
    const buf = Buffer.alloc(len);
    const n = fs.readSync(fd, buf, 0, len, address);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** The executable's .text as it is on disk and where it is mapped in the process. */
export function textSection(pid, exe) {
  const elf = fs.readFileSync(exe);
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const strOff = Number(elf.readBigUInt64LE(shoff + shstrndx * shentsize + 0x18));
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * shentsize;
    const nameOff = elf.readUInt32LE(sh);
    const name = elf.toString('latin1', strOff + nameOff, elf.indexOf(0, strOff + nameOff));
    if (name !== '.text') continue;
    const addr = Number(elf.readBigUInt64LE(sh + 0x10));
    const off = Number(elf.readBigUInt64LE(sh + 0x18));
    const size = Number(elf.readBigUInt64LE(sh + 0x20));
    const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n');
    const real = fs.realpathSync(exe);
    const first = maps.find((l) => l.endsWith(real) && / 00000000 /.test(l));
    const base = parseInt(first.split('-')[0], 16);
    return { onDisk: elf.subarray(off, off + size), runtimeAddress: base + addr, size };
  }
  throw new Error(`${exe} has no .text`);
}

/** Offsets where the process's .text differs from the executable file (e.g. a left-over int3). */
export function textDifferences(pid, exe) {
  const t = textSection(pid, exe);
  const live = readMemory(pid, t.runtimeAddress, t.size);
  const diffs = [];
  for (let i = 0; i < t.size; i++) if (live[i] !== t.onDisk[i]) diffs.push(i);
  return diffs;
}

/** For scripts outside the test runner (demo, benches), where DebugClient has no timeouts: exits
 *  with the server's last log lines when the script makes no progress for `ms`. */
export function watchdog(server, label, ms = 30000) {
  const timer = setTimeout(() => {
    console.error(`${label}: no progress for ${ms / 1000} s; server log:\n${server.output.stderr.slice(-3000)}`);
    process.exit(1);
  }, ms);
  return () => clearTimeout(timer);
}

/** A server, one stdin-mode target labelled app=<app> registered with it, and a session attached
 *  to {app} (plus attachArgs); the client's initialize answer is in client.capabilities. */
export async function startAttached(targetName, { pod, app, attachArgs = {} }) {
  const server = await Server.start();
  const target = await Target.start(targetName, { serverUrl: server.probeUrl, pod, labels: `app=${app}`, stdin: true });
  await server.waitForPods(1);
  const client = await CheckedClient.attachSession(server, { selector: { app }, ...attachArgs });
  return { server, target, client };
}
