// The podbug VS Code extension's entry point: registers the "podbug" debug adapter (TCP or stdio),
// the commands and the podbug view. Everything it does is in SPEC.md beside this folder.
const vscode = require('vscode');
const { PodbugAdapterFactory, PodbugConfigurationProvider } = require('./adapter');
const { registerCommands } = require('./commands');
const { FleetView } = require('./views');

function activate(context) {
  const view = new FleetView();
  context.subscriptions.push(
    view,
    vscode.debug.registerDebugAdapterDescriptorFactory('podbug', new PodbugAdapterFactory()),
    vscode.debug.registerDebugConfigurationProvider('podbug', new PodbugConfigurationProvider()),
    vscode.debug.registerDebugAdapterTrackerFactory('podbug', { createDebugAdapterTracker: () => view.tracker() }),
    vscode.window.registerTreeDataProvider('podbug.fleet', view),
    vscode.debug.onDidChangeActiveDebugSession(() => view.refresh()),
    ...registerCommands(view),
  );
}

function deactivate() {}

module.exports = { activate, deactivate };
