// Network namespaces as pods for fleet tests: one `ip netns` per pod joined to the host by a veth
// pair (host 10.X.N.1/30, pod 10.X.N.2/30), commands run inside, and a cleanup that always runs.
import { execFileSync } from 'node:child_process';

function ip(...args) {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function quietly(fn) {
  try { fn(); } catch { /* already gone */ }
}

const errorText = (e) => (e.stderr?.toString().trim() || e.message).split('\n')[0];

/** Why namespaces cannot be made here (a sentence for a skip message), or null when they can. */
export function netnsUnavailable() {
  if (process.getuid?.() !== 0) return `needs root for ip netns (running as uid ${process.getuid?.()})`;
  const probe = `pb-${process.pid}-check`;
  try {
    ip('netns', 'add', probe);
  } catch (e) {
    if (e.code === 'ENOENT') return 'needs root for ip netns: the ip command (iproute2) is not installed';
    return `needs root for ip netns: \`ip netns add\` failed: ${errorText(e)}`;
  }
  quietly(() => ip('netns', 'del', probe));
  return null;
}

/** A second octet X such that no address or route of this machine is in 10.X.0.0/16. */
function freeSecondOctet() {
  const used = ip('-4', '-o', 'addr', 'show') + ip('-4', 'route', 'show', 'table', 'all');
  for (let i = 0; i < 200; i++) {
    const x = 20 + ((process.pid + i) % 200);
    if (!used.includes(`10.${x}.`)) return x;
  }
  throw new Error('no free 10.X.0.0/16 for the test namespaces');
}

/** Deletes what runs killed outright (no exit handler could run) left behind: namespaces and veth
 *  pairs named after a test process that no longer exists. */
function removeOrphans() {
  const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
  for (const [, name, pid] of ip('netns', 'list').matchAll(/^(pb-(\d+)-\w+)/gm)) {
    if (alive(Number(pid))) continue;
    quietly(() => { for (const p of netnsPids(name)) process.kill(p, 'SIGKILL'); });
    quietly(() => ip('netns', 'del', name));
  }
  for (const [, hostIf, pid] of ip('-o', 'link', 'show').matchAll(/^\d+: (pb(\d+)h\d+)@/gm))
    if (!alive(Number(pid))) quietly(() => ip('link', 'del', hostIf));
}

const live = new Set(); // every NetnsFleet not destroyed yet, for the exit handler

function destroyAllLive() {
  for (const fleet of live) fleet.destroy();
}

let handlersInstalled = false;
function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', destroyAllLive);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      destroyAllLive();
      process.kill(process.pid, sig);
    });
  }
}

/** The command prefix that runs what follows inside namespace `name`. */
export function inNetns(name) {
  return ['ip', 'netns', 'exec', name];
}

/** Runs cmd inside namespace `name` and returns its standard output. */
export function execInNetns(name, cmd, ...args) {
  return ip(...inNetns(name).slice(1), cmd, ...args);
}

/** Pids of the processes living in namespace `name`. */
export function netnsPids(name) {
  return ip('netns', 'pids', name).split('\n').filter(Boolean).map(Number);
}

/** The namespaces of one test run, named pb-<pid>-<n>. */
export class NetnsFleet {
  constructor() {
    removeOrphans();
    this.octet = freeSecondOctet();
    this.pods = [];
    installExitHandlers();
    live.add(this);
  }

  /** Creates namespace n (1..250) with its veth pair, both ends and lo up. */
  add(n) {
    const name = `pb-${process.pid}-${n}`;
    const hostIf = `pb${process.pid}h${n}`; // interface names have at most 15 characters
    const hostAddr = `10.${this.octet}.${n}.1`;
    const podAddr = `10.${this.octet}.${n}.2`;
    const pod = { n, name, hostIf, hostAddr, podAddr };
    this.pods.push(pod);
    ip('netns', 'add', name);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name);
    ip('addr', 'add', `${hostAddr}/30`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('-n', name, 'addr', 'add', `${podAddr}/30`, 'dev', 'eth0');
    ip('-n', name, 'link', 'set', 'eth0', 'up');
    ip('-n', name, 'link', 'set', 'lo', 'up');
    return pod;
  }

  /** Kills what still runs inside, deletes veth pairs and namespaces. Synchronous, so that it can
   *  run from an exit handler; safe to call more than once. */
  destroy() {
    for (const pod of this.pods) {
      quietly(() => { for (const pid of netnsPids(pod.name)) quietly(() => process.kill(pid, 'SIGKILL')); });
      quietly(() => ip('link', 'del', pod.hostIf));
      quietly(() => ip('netns', 'del', pod.name));
    }
    this.pods = [];
    live.delete(this);
  }
}
