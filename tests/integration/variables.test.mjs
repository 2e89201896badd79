// Variables, expressions and setVariable: a real DAP client stops in tests/targets/types.c (built
// -O0 and -O2) and checks exact names, values and types in the top frame and its caller, evaluates
// a table of expressions and errors, changes variables and sees the program act on the change.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckedClient, markerLine, repoRoot, Server, Target, waitFor } from './lib/harness.mjs';

const source = path.join(repoRoot, 'tests/targets/types.c');
const processLine = markerLine(source, 'BP:process');
const discountLine = markerLine(source, 'BP:loyalty_discount');
const discountCallLine = markerLine(source, 'CALL:loyalty_discount');
const processCallLine = markerLine(source, 'CALL:process');
const OPTIMIZED_OUT = '<optimized out>';
const hex = /^0x[0-9a-f]+$/;

async function attachAndStop(client, target, line, request) {
  const caps = (await client.initializeRequest({ adapterID: 'podbug', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' })).body;
  assert.equal(caps.supportsSetVariable, true);
  assert.equal(caps.supportsEvaluateForHovers, true);
  const initialized = client.waitForEvent('initialized');
  await client.attachRequest({ selector: { app: 'types' } });
  await initialized;
  const set = await client.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line }] });
  assert.equal(set.body.breakpoints[0].verified, true, `breakpoint not verified: ${set.body.breakpoints[0].message}`);
  await client.configurationDoneRequest();
  const stopped = client.waitForEvent('stopped');
  target.send(request);
  const ev = await stopped;
  const frames = (await client.stackTraceRequest({ threadId: ev.body.threadId })).body.stackFrames;
  return { threadId: ev.body.threadId, frames };
}

async function children(client, ref, extra = {}) {
  assert.ok(ref > 0, 'expandable');
  return (await client.variablesRequest({ variablesReference: ref, ...extra })).body.variables;
}

function find(vars, name) {
  const v = vars.find((x) => x.name === name);
  assert.ok(v, `no '${name}' among ${vars.map((x) => x.name).join(', ')}`);
  return v;
}

function checkValue(actual, expected, what) {
  if (expected instanceof RegExp) assert.match(actual, expected, what);
  else assert.equal(actual, expected, what);
}

/** A request that must fail with exactly this message (or one matching this RegExp). */
async function rejectsWith(promise, message, what = 'error message') {
  await assert.rejects(promise, (e) => {
    checkValue(e.message, message, what);
    return true;
  });
}

/** Checks name, value and (when given) type of a variable; returns it for expansion. */
function expectVar(vars, name, value, type) {
  const v = find(vars, name);
  checkValue(v.value, value, `value of ${name}`);
  if (type !== undefined) assert.equal(v.type, type, `type of ${name}`);
  return v;
}

/** Where the compiler may legitimately have dropped a variable: exact, or <optimized out>. */
function expectVarOrOptimizedOut(vars, name, value) {
  const v = find(vars, name);
  if (v.value !== OPTIMIZED_OUT) checkValue(v.value, value, `value of ${name}`);
}

async function scopesOf(client, frameId) {
  const scopes = (await client.scopesRequest({ frameId })).body.scopes;
  const byName = Object.fromEntries(scopes.map((s) => [s.name, s]));
  return { scopes, byName };
}

async function evaluate(client, frameId, expression, context = 'repl') {
  return (await client.evaluateRequest({ expression, frameId, context })).body;
}

for (const opt of ['O0', 'O2']) {
  describe(`variables, evaluate and setVariable (-${opt})`, () => {
    const optimized = opt === 'O2';
    let server;
    let target;
    let requests = 0; // requests the target has been sent: its ids and call counter follow it

    before(async () => {
      server = await Server.start();
      target = await Target.start(`types-${opt}`, { serverUrl: server.probeUrl, pod: `types-${opt}`, labels: 'app=types', stdin: true });
      await server.waitForPods(1);
    });
    after(async () => {
      await target?.stop();
      await server?.stop();
    });

    const expectedResult = (amount, user, total) =>
      `result id=${requests} sequence=${requests} user=${user} amount=${amount} total=${total} units=4\n`;

    /** One debugged request: attach, stop at `line`, run whileStopped (it returns the line the
     *  program must then print, or nothing when it changed nothing), continue until the program
     *  prints it, run afterContinue, and check every message the server sent. */
    async function debugRequest(line, whileStopped, afterContinue = async () => {}) {
      const client = await CheckedClient.connect(server);
      try {
        requests++;
        const stop = await attachAndStop(client, target, line, '250');
        const printed = (await whileStopped(client, stop)) ?? expectedResult(250, 'alice', 744);
        await client.continueRequest({ threadId: stop.threadId });
        await waitFor(`the result line ${printed}`, () => target.output.stdout.includes(printed));
        await afterContinue(client, stop);
        await client.disconnectRequest({});
        assert.deepEqual(client.violations(), []);
      } finally {
        await client.close();
      }
    }

    it('shows arguments, locals, globals, statics and registers of the top frame and its caller', async () => {
      await debugRequest(processLine, async (client, { frames }) => {
        assert.equal(frames[0].name, 'process');
        assert.equal(frames[0].line, processLine);
        assert.equal(frames[1].name, 'handle_line');
        assert.equal(frames[1].line, processCallLine);

        const { scopes, byName } = await scopesOf(client, frames[0].id);
        assert.deepEqual(scopes.map((s) => s.name).sort(), ['Arguments', 'Globals', 'Locals', 'Registers', 'Statics']);
        for (const s of scopes) assert.ok(s.variablesReference > 0, `scope ${s.name} expands`);

        // Arguments: all three are used after the breakpoint, so they are live even at -O2.
        const args = await children(client, byName.Arguments.variablesReference);
        assert.deepEqual(args.map((v) => v.name), ['r', 'list', 'amount']);
        const r = expectVar(args, 'r', hex, 'struct req *');
        const list = expectVar(args, 'list', hex, 'struct node *');
        expectVar(args, 'amount', '250', 'int');
        assert.equal(r.variablesReference > 0, true);

        // Locals: fee and depth are computed before the line and used after it. `total` is
        // assigned by this very line: -O0 shows its stale stack slot, -O2 has no location yet.
        const locals = await children(client, byName.Locals.variablesReference);
        expectVar(locals, 'fee', '3', 'int');
        expectVar(locals, 'depth', '3', 'int');
        if (optimized) {
          expectVar(locals, 'total', OPTIMIZED_OUT);
          expectVar(locals, 'discount', OPTIMIZED_OUT);
        }

        // The pointer expands to its pointee, the struct to its members.
        const [pointee] = await children(client, r.variablesReference);
        assert.equal(pointee.name, '*r');
        assert.equal(pointee.type, 'struct req');
        assert.equal(pointee.value, '{...}');
        const req = await children(client, pointee.variablesReference);
        expectVar(req, 'id', String(requests), 'int');
        expectVar(req, 'sequence', String(requests), 'int');
        expectVar(req, 'amount', '250', 'int');
        expectVar(req, 'user', /^0x[0-9a-f]+ "alice"$/, 'const char *');
        expectVar(req, 'name', '"order-7"', 'char [16]');
        expectVar(req, 'color', 'GREEN', 'enum color');
        expectVar(req, 'paid', 'true', '_Bool');
        expectVar(req, 'ratio', '0.25', 'double');
        expectVar(req, 'fee', /^0x[0-9a-f]+ <standard_fee>$/, 'fee_fn');
        expectVar(req, 'missing', '0x0', 'struct node *');

        const flags = await children(client, expectVar(req, 'flags', '{...}', 'struct flags').variablesReference);
        expectVar(flags, 'urgent', '1', 'unsigned int');
        expectVar(flags, 'level', '-3', 'int');
        expectVar(flags, 'kind', '5', 'unsigned int');

        const area = await children(client, expectVar(req, 'area', '{...}', 'struct box').variablesReference);
        const min = await children(client, expectVar(area, 'min', '{...}', 'struct point').variablesReference);
        const max = await children(client, expectVar(area, 'max', '{...}', 'struct point').variablesReference);
        expectVar(min, 'x', '1', 'int');
        expectVar(min, 'y', '2', 'int');
        expectVar(max, 'x', '10', 'int');
        expectVar(max, 'y', '20', 'int');

        const num = await children(client, expectVar(req, 'num', '{...}', 'union number').variablesReference);
        expectVar(num, 'i', '1080033280', 'int');
        expectVar(num, 'f', '3.5', 'float');
        expectVar(num, 'bytes', /./, 'unsigned char [4]');

        const itemsVar = expectVar(req, 'items', /./, 'struct item [3]');
        assert.equal(itemsVar.indexedVariables, 3);
        const items = await children(client, itemsVar.variablesReference);
        assert.deepEqual(items.map((v) => v.name), ['[0]', '[1]', '[2]']);
        const plum = await children(client, expectVar(items, '[2]', '{...}', 'struct item').variablesReference);
        expectVar(plum, 'name', '"plum"', 'char [16]');
        expectVar(plum, 'price', '250', 'int');
        expectVar(plum, 'qty', '2', 'quantity_t');

        // The linked list, two levels deep, through the argument.
        const [head] = await children(client, list.variablesReference);
        assert.equal(head.name, '*list');
        const first = await children(client, head.variablesReference);
        expectVar(first, 'value', '10', 'int');
        const [second] = await children(client, expectVar(first, 'next', hex, 'struct node *').variablesReference);
        const secondFields = await children(client, second.variablesReference);
        expectVar(secondFields, 'value', '20', 'int');
        const [third] = await children(client, expectVar(secondFields, 'next', hex).variablesReference);
        const thirdFields = await children(client, third.variablesReference);
        expectVar(thirdFields, 'value', '30', 'int');
        expectVar(thirdFields, 'next', '0x0');

        // Globals and statics of the compile unit (the function static `calls` among the statics).
        const globals = await children(client, byName.Globals.variablesReference);
        expectVar(globals, 'global_counter', '42', 'int');
        expectVar(globals, 'admin_name', /^0x[0-9a-f]+ "admin"$/, 'const char *');
        expectVar(globals, 'status_code', "107 'k'", 'volatile char');
        const squares = expectVar(globals, 'squares', /./, 'int [100]');
        assert.equal(squares.indexedVariables, 100);
        const page = await children(client, squares.variablesReference, { filter: 'indexed', start: 10, count: 5 });
        assert.deepEqual(page.map((v) => [v.name, v.value]),
          [['[10]', '100'], ['[11]', '121'], ['[12]', '144'], ['[13]', '169'], ['[14]', '196']]);
        const statics = await children(client, byName.Statics.variablesReference);
        const origin = await children(client, expectVar(statics, 'origin', '{...}', 'struct point').variablesReference);
        expectVar(origin, 'x', '3');
        expectVar(origin, 'y', '4');
        expectVar(statics, 'calls', String(requests), 'int');

        const registers = await children(client, byName.Registers.variablesReference);
        const rip = find(registers, 'rip');
        assert.equal(BigInt(rip.value), BigInt(frames[0].instructionPointerReference), 'rip is where it stopped');

        // The caller's frame: registers from the unwinder, locals on its stack.
        const caller = (await scopesOf(client, frames[1].id)).byName;
        const callerArgs = await children(client, caller.Arguments.variablesReference);
        expectVar(callerArgs, 'id', String(requests), 'int');
        // -O2 keeps `line` only as its entry value (DW_OP_entry_value), which needs the caller's
        // call site: exact, or <optimized out>.
        if (optimized) expectVarOrOptimizedOut(callerArgs, 'line', /^0x[0-9a-f]+ "250\\n"$/);
        else expectVar(callerArgs, 'line', /^0x[0-9a-f]+ "250\\n"$/, 'const char *');
        const callerLocals = await children(client, caller.Locals.variablesReference);
        expectVar(callerLocals, 'units', '4', 'quantity_t');
        if (optimized) expectVar(callerLocals, 'result', OPTIMIZED_OUT);
        const callerReq = await children(client, expectVar(callerLocals, 'req', '{...}', 'struct req').variablesReference);
        expectVar(callerReq, 'amount', '250');
        expectVar(callerReq, 'color', 'GREEN');
        const firstNode = await children(client, expectVar(callerLocals, 'first', '{...}', 'struct node').variablesReference);
        expectVar(firstNode, 'value', '10');
        const callerRip = find(await children(client, caller.Registers.variablesReference), 'rip');
        assert.equal(BigInt(callerRip.value), BigInt(frames[1].instructionPointerReference), "rip of the caller's frame");

      });
    });

    it('evaluates expressions in repl, watch and hover contexts, with precise errors', async () => {
      await debugRequest(processLine, async (client, { frames }) => {
        const frameId = frames[0].id;
        const table = [
          // [expression, result, type (optional)]
          ['amount', '250', 'int'],
          ['r->amount', '250', 'int'],
          ['r->amount + fee * 2', '256'],
          ['r->items[2].price', '250', 'int'],
          ['r->items[1].name', '"pear"', 'char [16]'],
          ['r->items[0].name[0]', "97 'a'", 'char'],
          ['r->items[2].qty', '2', 'quantity_t'],
          ['list->next->next->value', '30', 'int'],
          ['(*list->next).value', '20'],
          ['r->color', 'GREEN', 'enum color'],
          ['r->color == 5', '1'],
          ['r->flags.level', '-3'],
          ['r->flags.kind + 1', '6'],
          ['r->area.max.y - r->area.min.y', '18'],
          ['r->num.f', '3.5', 'float'],
          ['(char)global_counter', "42 '*'", 'char'],
          ['(unsigned int)-1', '4294967295', 'unsigned int'],
          ['(long)r->flags.level * 2', '-6', 'long'],
          ['(struct node *)0', '0x0', 'struct node *'],
          ['amount > 100 ? 1 : 2', '1'],
          ['-amount', '-250'],
          ['~0', '-1'],
          ['!amount', '0'],
          ['7 / 2', '3'],
          ['7 % 3', '1'],
          ['1 << 4', '16'],
          ['0xff & 0x0f', '15'],
          ['5 ^ 3', '6'],
          ['5 | 2', '7'],
          ['amount >= 250 && fee < 4', '1'],
          ['amount < 0 || depth == 3', '1'],
          ["'a'", "97 'a'"],
          ['$streq(r->user, "alice")', '1'],
          ['$streq(r->user, "admin")', '0'],
          ['$streq(r->name, "order-7")', '1'],
          ['$streq(admin_name, "admin")', '1'],
          ['squares[12]', '144', 'int'],
          ['origin.y', '4', 'int'],
          ['global_counter', '42', 'int'],
          ['*&global_counter', '42', 'int'],
          ['&global_counter', hex, 'int *'],
          ['status_code', "107 'k'"],
          ['calls', String(requests)],
          ['r->fee', /^0x[0-9a-f]+ <standard_fee>$/],
          ['r->user', /^0x[0-9a-f]+ "alice"$/, 'const char *'],
          ['r->missing', '0x0', 'struct node *'],
        ];
        for (const context of ['repl', 'watch', 'hover']) {
          for (const [expression, result, type] of table) {
            const body = await evaluate(client, frameId, expression, context);
            checkValue(body.result, result, `${context}: ${expression}`);
            if (type) assert.equal(body.type, type, `${context}: type of ${expression}`);
          }
        }

        // A struct result expands like a variable.
        const node = await evaluate(client, frameId, '*list->next');
        assert.equal(node.result, '{...}');
        assert.equal(node.type, 'struct node');
        expectVar(await children(client, node.variablesReference), 'value', '20', 'int');
        const items = await evaluate(client, frameId, 'r->items');
        assert.equal(items.indexedVariables, 3);

        const errors = [
          ['r->amout', "no member 'amout' in 'struct req'"],
          ['*r->missing', 'cannot dereference a null pointer'],
          ['nope', "no variable named 'nope' in scope"],
          ['amount / (depth - 3)', 'division by zero'],
          ['amount[1]', "cannot index a value of type 'int'"],
          ['*amount', "cannot dereference a value of type 'int'"],
          ['amount +', /unexpected end of expression/],
          ['(amount', /expected '\)'/],
        ];
        // `total` gets its first value on this line; -O2 has no location for it yet.
        if (optimized) errors.push(['total', "'total' is optimized out here"]);
        for (const context of ['repl', 'hover']) {
          for (const [expression, message] of errors) {
            await rejectsWith(evaluate(client, frameId, expression, context), message, `${context}: error of ${expression}`);
          }
        }

        // Names resolve in the frame asked for: the caller's locals in frame 1.
        assert.equal((await evaluate(client, frames[1].id, 'req.amount + first.next->value')).result, '270');
        assert.equal((await evaluate(client, frames[1].id, 'units')).result, '4');
        assert.equal((await evaluate(client, frames[1].id, 'id')).result, String(requests));
        await assert.rejects(evaluate(client, frames[1].id, 'fee'), /no variable named 'fee' in scope/);
        if (optimized) await rejectsWith(evaluate(client, frames[1].id, 'result'), "'result' is optimized out here");

        await assert.rejects(client.evaluateRequest({ expression: 'amount' }), /evaluate needs a stopped frame \(frameId\)/);
      });
    });

    it('setVariable changes what the program then does', async () => {
      let req; // the variablesReference of *r, kept to try it after the process continued
      await debugRequest(processLine, async (client, { frames }) => {
        const { byName } = await scopesOf(client, frames[0].id);
        const r = find(await children(client, byName.Arguments.variablesReference), 'r');
        const [pointee] = await children(client, r.variablesReference);
        req = pointee.variablesReference;

        const amount = await client.setVariableRequest({ variablesReference: req, name: 'amount', value: '777' });
        assert.equal(amount.body.value, '777');
        const user = await client.setVariableRequest({ variablesReference: req, name: 'user', value: 'admin_name' });
        assert.match(user.body.value, /^0x[0-9a-f]+ "admin"$/);
        await assert.rejects(client.setVariableRequest({ variablesReference: req, name: 'area', value: '1' }), /area|struct/);
        await assert.rejects(client.setVariableRequest({ variablesReference: req, name: 'nope', value: '1' }), /nope/);

        const changed = await children(client, req);
        expectVar(changed, 'amount', '777');
        expectVar(changed, 'user', /^0x[0-9a-f]+ "admin"$/);
        assert.equal((await evaluate(client, frames[0].id, '$streq(r->user, "admin")')).result, '1');

        // checkout_total reads the request after the breakpoint: 777 + 2 * 250 + 3, plus fee 3,
        // minus the discount of the unchanged argument (25), plus depth 3 and the list's head 10.
        return expectedResult(777, 'admin', 1271);
      }, async (client, { frames }) => {
        // Everything of the stop is gone once the process runs.
        await assert.rejects(client.scopesRequest({ frameId: frames[0].id }),
          new RegExp(`unknown frame ${frames[0].id} \\(the process may have continued\\)`));
        await assert.rejects(client.variablesRequest({ variablesReference: req }), /unknown variablesReference/);
        await assert.rejects(client.setVariableRequest({ variablesReference: req, name: 'amount', value: '1' }),
          /unknown variablesReference/);
      });
    });

    it('shows an inlined call as a frame of its own, with its caller at the call site', async () => {
      await debugRequest(discountLine, async (client, { frames }) => {
        assert.equal(frames[0].name, 'loyalty_discount');
        assert.equal(frames[0].line, discountLine);
        assert.equal(frames[0].source.path, source);
        assert.equal(frames[1].name, 'process');
        assert.equal(frames[1].line, discountCallLine);
        assert.equal(frames[2].name, 'handle_line');
        assert.equal(frames[2].line, processCallLine);

        const inlined = (await scopesOf(client, frames[0].id)).byName;
        const args = await children(client, inlined.Arguments.variablesReference);
        assert.deepEqual(args.map((v) => v.name).sort(), ['amount', 'r']);
        expectVar(args, 'amount', '250', 'int');
        expectVar(args, 'r', hex, 'const struct req *');
        assert.equal((await evaluate(client, frames[0].id, 'r->items[2].price + amount')).result, '500');
        // The enclosing function's names are its own frame's, not the inlined one's.
        await assert.rejects(evaluate(client, frames[0].id, 'depth'), /no variable named 'depth' in scope/);
        const outer = await children(client, (await scopesOf(client, frames[1].id)).byName.Locals.variablesReference);
        expectVar(outer, 'fee', '3');
        expectVar(outer, 'depth', '3');
        expectVar(outer, 'total', '753');

      });
    });
  });
}
