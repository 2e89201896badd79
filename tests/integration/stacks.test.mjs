// `podbug stacks --pid N` on a deadlocked program, without the probe and with it, -O0 and -O2:
// the stacks, lines and arguments, the program unchanged after, the time it stopped, the errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildDir, markerLine, repoRoot, Server, sleep, Target, waitFor } from './lib/harness.mjs';

const podbugBin = path.join(buildDir, 'podbug');
const podbug = (...args) => spawnSync(podbugBin, args, { encoding: 'utf8', timeout: 20000 });
const source = path.join(repoRoot, 'tests/targets/deadlock.c');
const lineOf = (name) => markerLine(source, `STACK:${name}`);
const FUTEX = 202; // x86-64

/** name -> { tid, state, syscall } of every thread of pid, from /proc. */
function threadsOf(pid) {
  const out = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const dir = `/proc/${pid}/task/${tid}`;
    try {
      const name = fs.readFileSync(`${dir}/comm`, 'utf8').trim();
      const stat = fs.readFileSync(`${dir}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
      const syscall = Number(fs.readFileSync(`${dir}/syscall`, 'utf8').split(' ')[0]);
      out[name] = { tid: Number(tid), state, syscall };
    } catch { /* the thread has just gone */ }
  }
  return out;
}

const tracerOf = (pid) => Number(/TracerPid:\s*(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

function assertDeadlocked(pid) {
  const threads = threadsOf(pid);
  for (const name of ['lock-a', 'lock-b']) {
    assert.equal(threads[name]?.state, 'S', `${name} is blocked: ${JSON.stringify(threads[name])}`);
    assert.equal(threads[name].syscall, FUTEX, `${name} waits in futex`);
  }
  assert.equal(tracerOf(pid), 0, 'no tracer is left behind');
}

/** The ticker's count, asked on stdin ("status" -> "ticks N"). */
async function ticks(target) {
  const seen = (target.output.stdout.match(/ticks \d+\n/g) || []).length;
  target.send('status');
  await waitFor('a status line', () => (target.output.stdout.match(/ticks \d+\n/g) || []).length > seen);
  return Number([...target.output.stdout.matchAll(/ticks (\d+)\n/g)].at(-1)[1]);
}

async function startDeadlock(name, options = {}) {
  const target = await Target.start(name, { preload: false, stdin: true, serverUrl: 'ws://127.0.0.1:9/probe', ...options });
  await waitFor('both lock threads to block', () => {
    const t = threadsOf(target.pid);
    return t['lock-a']?.syscall === FUTEX && t['lock-b']?.syscall === FUTEX && t['lock-a'].state === 'S' && t['lock-b'].state === 'S';
  });
  return target;
}

/** The text output split into threads: { header, name, frames: [{ index, pc, function, where, inlined, args }] }. */
function parseText(stdout) {
  const blocks = stdout.trim().split('\n\n');
  const last = blocks.pop();
  return {
    summary: last,
    threads: blocks.map((block) => {
      const [header, ...lines] = block.split('\n');
      const frames = lines.map((l) => {
        const m = /^ {2}#(\d+) (0x[0-9a-f]+) (\S+) \(([^)]*)\)( \[inlined\])?(?: args: (.*))?$/.exec(l);
        assert.ok(m, `a frame line: ${l}`);
        return { index: Number(m[1]), pc: m[2], function: m[3], where: m[4], inlined: !!m[5], args: m[6] ?? '' };
      });
      return { header, name: /^Thread \d+ "([^"]*)"/.exec(header)?.[1], frames };
    }),
  };
}

/** name -> value of "a=1, b=0x2" (values here hold no ", "). */
const argsOf = (text) => Object.fromEntries(text ? text.split(', ').map((a) => a.split('=')) : []);

for (const opt of ['O0', 'O2']) {
  describe(`podbug stacks on a deadlocked program without the probe (-${opt})`, () => {
    let target;
    before(async () => { target = await startDeadlock(`deadlock-${opt}`); });
    after(async () => { await target?.stop(); });

    it('shows both lock threads waiting in a libc lock inside take_both, with the arguments', async () => {
      const ticksBefore = await ticks(target);
      const r = podbug('stacks', '--pid', String(target.pid));
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      const { threads, summary } = parseText(r.stdout);
      assert.match(summary, new RegExp(`^process ${target.pid} stopped for \\d+\\.\\d ms \\(4 threads\\)$`));
      assert.deepEqual(threads.map((t) => t.name).sort(), [`deadlock-${opt}`, 'lock-a', 'lock-b', 'ticker']);

      const mutexes = {};
      for (const [name, order] of [['lock-a', '1'], ['lock-b', '2']]) {
        const thread = threads.find((t) => t.name === name);
        assert.match(thread.header, new RegExp(`^Thread \\d+ "${name}" \\(state S, in futex\\)$`));
        assert.match(thread.frames[0].where, /^libc\.so\.6$/, 'a libc frame on top');
        const take = thread.frames.findIndex((f) => f.function === 'take_both');
        assert.ok(take > 0, thread.frames.map((f) => f.function).join(' '));
        const lock = thread.frames.findIndex((f) => f.function === 'pthread_mutex_lock');
        assert.ok(lock >= 0 && lock < take, 'it waits in pthread_mutex_lock');
        assert.equal(thread.frames[take].where, `deadlock.c:${lineOf('take_both')}`);
        const wait = thread.frames[take - 1];
        assert.deepEqual([wait.function, wait.where, wait.inlined], ['wait_for', `deadlock.c:${lineOf('wait_for')}`, true]);
        const caller = thread.frames[take + 1];
        assert.deepEqual([caller.function, caller.where], ['lock_thread', `deadlock.c:${lineOf('lock_thread')}`]);
        thread.frames.forEach((f, i) => assert.equal(f.index, i));

        const args = argsOf(thread.frames[take].args);
        assert.deepEqual(Object.keys(args), ['order', 'first', 'second']);
        if (opt === 'O0' || args.order !== '<optimized out>') assert.equal(args.order, order);
        assert.match(args.first, /^0x[0-9a-f]+$/);
        assert.match(args.second, /^0x[0-9a-f]+$/);
        assert.equal(argsOf(wait.args).second, args.second, 'the inlined wait_for waits for the second mutex');
        mutexes[name] = args;
      }
      assert.equal(mutexes['lock-a'].first, mutexes['lock-b'].second, 'each waits for the mutex the other holds');
      assert.equal(mutexes['lock-a'].second, mutexes['lock-b'].first);

      // The program goes on unchanged: it ticks, and the lock threads are still blocked.
      const ticksAfter = await ticks(target);
      assert.ok(ticksAfter > ticksBefore, `ticks ${ticksBefore} -> ${ticksAfter}`);
      await sleep(100);
      assert.ok(await ticks(target) > ticksAfter, 'the ticker keeps ticking');
      assertDeadlocked(target.pid);
    });

    it('prints the same as JSON with the time the process was stopped', async () => {
      const r = podbug('stacks', '--pid', String(target.pid), '--json');
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.equal(report.pid, target.pid);
      assert.ok(Number.isInteger(report.stopped_us) && report.stopped_us > 0, `stopped_us ${report.stopped_us}`);
      assert.equal(report.threads.length, 4);
      for (const [name, order] of [['lock-a', 1], ['lock-b', 2]]) {
        const thread = report.threads.find((t) => t.name === name);
        assert.deepEqual([thread.state, thread.syscall], ['S', 'futex']);
        assert.equal(thread.tid, threadsOf(target.pid)[name].tid);
        assert.match(thread.frames[0].module, /libc\.so\.6$/);
        const take = thread.frames.find((f) => f.function === 'take_both');
        assert.ok(take.file.endsWith('tests/targets/deadlock.c'), take.file);
        assert.equal(take.line, lineOf('take_both'));
        assert.match(take.pc, /^0x[0-9a-f]+$/);
        assert.equal(take.module, path.join(buildDir, 'targets', `deadlock-${opt}`));
        assert.equal(take.inlined, false);
        assert.deepEqual(take.args.map((a) => [a.name, a.type]),
          [['order', 'int'], ['first', 'pthread_mutex_t *'], ['second', 'pthread_mutex_t *']]);
        if (opt === 'O0' || take.args[0].value !== '<optimized out>') assert.equal(take.args[0].value, String(order));
      }
      assertDeadlocked(target.pid);
    });
  });
}

describe('podbug stacks on 8 threads', () => {
  let target;
  before(async () => { target = await startDeadlock('deadlock-O2', { args: ['8'] }); });
  after(async () => { await target?.stop(); });

  it('stops the process for a few milliseconds and says how long', async (t) => {
    const r = podbug('stacks', '--pid', String(target.pid));
    assert.equal(r.status, 0, r.stderr);
    const summary = r.stdout.trim().split('\n').at(-1);
    const m = new RegExp(`^process ${target.pid} stopped for (\\d+\\.\\d) ms \\(8 threads\\)$`).exec(summary);
    assert.ok(m, summary);
    t.diagnostic(summary);
    assert.equal((r.stdout.match(/^Thread \d+ "sleeper-\d" \(state S, in clock_nanosleep\)$/gm) || []).length, 4);
    assertDeadlocked(target.pid);
  });
});

describe('podbug stacks on a process with the probe loaded', () => {
  let server, target;
  before(async () => {
    server = await Server.start();
    target = await startDeadlock('deadlock-O0', { preload: true, serverUrl: server.probeUrl, pod: 'stuck-1' });
    await server.waitForPods(1);
  });
  after(async () => {
    await target?.stop();
    await server?.stop();
  });

  it('reads the stacks as without it, and the probe stays registered', async () => {
    const r = podbug('stacks', '--pid', String(target.pid));
    assert.equal(r.status, 0, r.stderr);
    const { threads } = parseText(r.stdout);
    for (const name of ['lock-a', 'lock-b']) {
      const take = threads.find((t) => t.name === name).frames.find((f) => f.function === 'take_both');
      assert.equal(take.where, `deadlock.c:${lineOf('take_both')}`);
    }
    assert.ok(threads.length > 4, 'the probe has a thread of its own');
    await sleep(200);
    const pods = await server.pods();
    assert.equal(pods.find((p) => p.pid === target.pid)?.state, 'running');
    assertDeadlocked(target.pid);
  });
});

describe('podbug stacks errors', () => {
  let target;
  before(async () => { target = await startDeadlock('deadlock-O0'); });
  after(async () => { await target?.stop(); });

  it('says a process does not exist, with status 1', () => {
    const r = podbug('stacks', '--pid', '999999999');
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'podbug stacks: process 999999999 does not exist\n');
    assert.equal(r.stdout, '');
  });

  it('says permission is missing, with status 1, and leaves the process alone', async () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all',
      '--bounding-set=-all', podbugBin, 'stacks', '--pid', String(target.pid)], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^podbug stacks: no permission to read the memory of process ${target.pid}: run as root or with CAP_SYS_PTRACE\\n$`));
    const before = await ticks(target);
    await sleep(50);
    assert.ok(await ticks(target) > before);
    assertDeadlocked(target.pid);
  });

  it('needs --pid, with status 2', () => {
    const r = podbug('stacks');
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'podbug stacks: which process? --pid N is needed\n');
  });
});
