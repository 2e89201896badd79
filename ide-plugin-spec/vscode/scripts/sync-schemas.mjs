// Generates the "configurationAttributes" of package.json from ../attach.schema.json and
// ../launch.schema.json, the one source of truth (`make vsix` runs it; the tests compare).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const extensionDir = path.resolve(here, '..');
const specDir = path.resolve(extensionDir, '..');
const packagePath = path.join(extensionDir, 'package.json');

// VS Code adds these itself (type, request, name and its own options) and rejects other keys.
const VSCODE_OWNED_PROPERTIES = ['type', 'request', 'name'];
const DOCUMENT_KEYS = ['$schema', '$id', 'title', 'description', 'definitions', 'patternProperties'];

function readSchema(file) {
  return JSON.parse(fs.readFileSync(path.join(specDir, file), 'utf8'));
}

/** A copy of node with every $ref ("#/definitions/x" or "other.schema.json#/definitions/x")
 *  replaced by what it points to: VS Code resolves refs against its own launch.json schema. */
function inline(node, fileName, schemas) {
  if (Array.isArray(node)) return node.map((n) => inline(n, fileName, schemas));
  if (node === null || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    const [file, pointer] = node.$ref.split('#');
    const target = file || fileName;
    let value = schemas[target];
    if (!value) throw new Error(`${fileName}: $ref to unknown file ${target}`);
    for (const part of pointer.split('/').filter(Boolean)) value = value?.[part];
    if (value === undefined) throw new Error(`${fileName}: unresolved $ref ${node.$ref}`);
    return inline(value, target, schemas);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inline(v, fileName, schemas)]));
}

function attributes(fileName, schemas) {
  const schema = inline(schemas[fileName], fileName, schemas);
  for (const key of DOCUMENT_KEYS) delete schema[key];
  for (const key of VSCODE_OWNED_PROPERTIES) delete schema.properties[key];
  return schema;
}

/** { attach, launch }: what package.json's podbug debugger must declare. */
export function configurationAttributes() {
  const schemas = { 'attach.schema.json': readSchema('attach.schema.json'), 'launch.schema.json': readSchema('launch.schema.json') };
  return { attach: attributes('attach.schema.json', schemas), launch: attributes('launch.schema.json', schemas) };
}

export function readPackage() {
  return JSON.parse(fs.readFileSync(packagePath, 'utf8'));
}

function podbugDebugger(pkg) {
  const found = pkg.contributes.debuggers.find((d) => d.type === 'podbug');
  if (!found) throw new Error('package.json contributes no debugger of type podbug');
  return found;
}

export function packageAttributes(pkg = readPackage()) {
  return podbugDebugger(pkg).configurationAttributes;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const pkg = readPackage();
  const wanted = configurationAttributes();
  if (JSON.stringify(packageAttributes(pkg)) !== JSON.stringify(wanted)) {
    podbugDebugger(pkg).configurationAttributes = wanted;
    fs.writeFileSync(packagePath, `${JSON.stringify(pkg, null, 2)}\n`);
    console.log('package.json: configurationAttributes updated from the schemas');
  }
}
