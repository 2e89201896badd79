// Checks every message podbug-server sends against the official DAP JSON schema
// (../shared/dap/debugAdapterProtocol.json beside the checkout), plus seq numbering.
import Ajv from 'ajv-draft-04';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const schemaPath = path.resolve(here, '../../../../shared/dap/debugAdapterProtocol.json');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
for (const f of ['int32', 'uint32', 'int64', 'uint64']) ajv.addFormat(f, true);
ajv.addSchema(schema, 'dap');

const cache = new Map();
function validatorFor(name) {
  if (!cache.has(name)) {
    cache.set(name, schema.definitions[name] ? ajv.getSchema(`dap#/definitions/${name}`) : null);
  }
  return cache.get(name);
}

const capitalize = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** Returns the schema definition that applies to a message the adapter sent. */
export function definitionFor(msg) {
  if (msg.type === 'event') {
    return validatorFor(`${capitalize(msg.event)}Event`) ? `${capitalize(msg.event)}Event` : 'Event';
  }
  if (msg.type === 'response') {
    if (!msg.success) return 'ErrorResponse';
    const name = `${capitalize(msg.command)}Response`;
    return validatorFor(name) ? name : 'Response';
  }
  return 'ProtocolMessage';
}

/** Returns a list of problems (empty when the message is valid). */
export function checkMessage(msg) {
  const name = definitionFor(msg);
  const validate = validatorFor(name);
  if (validate(msg)) return [];
  return validate.errors.map((e) => `${name}${e.instancePath} ${e.message}`);
}

/** Tracks seq: starts at 1 and grows by 1 per message on one connection. */
export class SeqChecker {
  constructor() { this.expected = 1; this.problems = []; }
  check(msg) {
    if (msg.seq !== this.expected) this.problems.push(`seq ${msg.seq} where ${this.expected} was expected`);
    this.expected = msg.seq + 1;
  }
}
