// The podbug commands: hot reload (and roll back) a library in the active session's processes,
// show the fleet's pods in a quick pick; and the notice of a reloaded library that crashed.
const crypto = require('crypto');
const path = require('path');
const vscode = require('vscode');
const { podbugSession, podName, podDescription, podDetail } = require('./views');

/** The active podbug session, or undefined after telling the user there is none. */
function requireSession() {
  const session = podbugSession();
  if (!session) vscode.window.showErrorMessage('podbug: start a podbug debug session first.');
  return session;
}

/** podbug/reload's arguments for a library file's bytes. */
function reloadArguments(fileName, bytes) {
  const buffer = Buffer.from(bytes);
  return {
    name: fileName,
    library: buffer.toString('base64'),
    sha256: crypto.createHash('sha256').update(buffer).digest('hex'),
  };
}

/** Sends podbug/reload; VS Code shows its progress events itself. Shows the summary at the end. */
async function sendReload(session, args) {
  try {
    const body = await session.customRequest('podbug/reload', args);
    vscode.window.showInformationMessage(`podbug: ${body.summary}`);
  } catch (e) {
    vscode.window.showErrorMessage(`podbug: ${e.message}`);
  }
}

async function hotReload() {
  const session = requireSession();
  if (!session) return;
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Hot Reload',
    title: 'podbug: the rebuilt shared library',
    filters: { 'Shared libraries': ['so'], 'All files': ['*'] },
  });
  if (!picked || picked.length === 0) return;
  const bytes = await vscode.workspace.fs.readFile(picked[0]);
  await sendReload(session, reloadArguments(path.basename(picked[0].fsPath), bytes));
}

async function rollback() {
  const session = requireSession();
  if (session) await sendReload(session, { rollback: true });
}

async function showPods() {
  const session = requireSession();
  if (!session) return;
  try {
    const { pods } = await session.customRequest('podbug/pods');
    await vscode.window.showQuickPick(
      pods.map((p) => ({ label: podName(p), description: podDescription(p), detail: podDetail(p) })),
      { title: `podbug: ${pods.length} process${pods.length === 1 ? '' : 'es'}`, matchOnDescription: true, matchOnDetail: true },
    );
  } catch (e) {
    vscode.window.showErrorMessage(`podbug: ${e.message}`);
  }
}

/** The podbug/reloadCrashed event: the details are in the debug console already. */
function onCustomEvent(event) {
  if (event.event !== 'podbug/reloadCrashed') return;
  const b = event.body;
  const rolledBack = b.rolledBack.length ? `rolled back in ${b.rolledBack.join(', ')}` : 'rolled back in no other process';
  vscode.window.showErrorMessage(`podbug: the reloaded ${b.module} crashed in ${b.process}: ${b.description}; ${rolledBack}`);
}

/** Registers the commands; returns their disposables. */
function registerCommands(view) {
  return [
    vscode.commands.registerCommand('podbug.hotReload', hotReload),
    vscode.commands.registerCommand('podbug.rollback', rollback),
    vscode.commands.registerCommand('podbug.showPods', showPods),
    vscode.commands.registerCommand('podbug.refresh', () => view.refresh()),
    vscode.debug.onDidReceiveDebugSessionCustomEvent(onCustomEvent),
  ];
}

module.exports = { registerCommands };
