// How VS Code reaches podbug-server for a "podbug" session: DAP over TCP to the server's host, or
// `podbug dap --server URL` on stdio; and the defaults a configuration gets before it starts.
const vscode = require('vscode');

const DEFAULT_SERVER = 'ws://127.0.0.1:4700';
const DEFAULT_DAP_PORT = 4711;

/** The host of a ws:// URL, as a socket connect wants it ("::1", not "[::1]"). */
function serverHost(serverUrl) {
  return new URL(serverUrl).hostname.replace(/^\[(.*)\]$/, '$1');
}

class PodbugAdapterFactory {
  createDebugAdapterDescriptor(session) {
    const config = session.configuration;
    const server = config.server || DEFAULT_SERVER;
    if (config.adapter === 'stdio') {
      const cliPath = vscode.workspace.getConfiguration('podbug').get('cliPath') || 'podbug';
      // `podbug dap` sends PODBUG_TOKEN as "Authorization: Bearer" in its WebSocket handshake.
      const options = config.token ? { env: { PODBUG_TOKEN: config.token } } : undefined;
      return new vscode.DebugAdapterExecutable(cliPath, ['dap', '--server', server], options);
    }
    return new vscode.DebugAdapterServer(config.dapPort || DEFAULT_DAP_PORT, serverHost(server));
  }
}

class PodbugConfigurationProvider {
  /** F5 without a launch.json: attach to every process of the local server. */
  resolveDebugConfiguration(folder, config) {
    if (!config.type && !config.request && !config.name) {
      return { type: 'podbug', request: 'attach', name: 'podbug: attach to every process', server: DEFAULT_SERVER };
    }
    return config;
  }
}

module.exports = { PodbugAdapterFactory, PodbugConfigurationProvider };
