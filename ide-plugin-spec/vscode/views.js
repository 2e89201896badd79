// The "podbug" view in the Run and Debug container: the fleet's pods and the stored snapshots of
// the active podbug session, fetched with podbug/pods and podbug/snapshots.
const vscode = require('vscode');

/** The active debug session when it is a podbug one. */
function podbugSession() {
  const session = vscode.debug.activeDebugSession;
  return session && session.type === 'podbug' ? session : undefined;
}

const podName = (p) => `${p.pod}/${p.pid}`;

function podDescription(p) {
  return `${p.namespace} · ${p.state}${p.attached ? '' : ' · not in this session'}`;
}

function podDetail(p) {
  const labels = Object.entries(p.labels || {}).map(([k, v]) => `${k}=${v}`).join(',');
  return labels ? `${p.exe}  ${labels}` : p.exe;
}

function snapshotName(s) {
  const tag = s.reason === 'crash' ? `[crash #${s.sequence}]` : `[snapshot ${s.breakpointId}#${s.sequence}]`;
  return `${s.pod}/${s.pid} ${s.thread} ${tag}`;
}

function podNode(p) {
  const item = new vscode.TreeItem(podName(p), vscode.TreeItemCollapsibleState.None);
  item.description = podDescription(p);
  item.tooltip = `${podDetail(p)}\nbuild-id ${p.build_id || 'none'} · probe ${p.probe_version}`;
  item.iconPath = new vscode.ThemeIcon(p.state === 'stopped' ? 'debug-pause' : 'vm-running');
  return { item };
}

function snapshotNode(s) {
  const item = new vscode.TreeItem(snapshotName(s), vscode.TreeItemCollapsibleState.None);
  item.description = `${s.source.name}:${s.line}${s.function ? ` ${s.function}` : ''} · ${s.time}`;
  item.tooltip = s.description || `${s.source.path}:${s.line}`;
  item.iconPath = new vscode.ThemeIcon(s.reason === 'crash' ? 'error' : 'device-camera');
  if (s.source.path.startsWith('/')) {
    const line = Math.max(s.line - 1, 0);
    item.command = {
      command: 'vscode.open',
      title: 'Open the source',
      arguments: [vscode.Uri.file(s.source.path), { selection: new vscode.Range(line, 0, line, 0) }],
    };
  }
  return { item };
}

function sectionNode(label, description, children) {
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
  item.description = description;
  return { item, children };
}

function droppedText(breakpoints) {
  const dropped = breakpoints.reduce((sum, b) => sum + b.dropped, 0);
  return dropped ? ` · ${dropped} dropped` : '';
}

/** Debug events after which the view asks again (debounced: a fleet sends many). */
const REFRESHING_EVENTS = new Set(['initialized', 'stopped', 'continued', 'thread']);
const REFRESH_DELAY_MS = 300;

class FleetView {
  constructor() {
    this.changed = new vscode.EventEmitter();
    this.onDidChangeTreeData = this.changed.event;
    this.sections = [];
    this.timer = undefined;
  }

  /** Asks the session (default: the active podbug one) for its pods and snapshots. */
  async refresh(session = podbugSession()) {
    if (!session) {
      this.sections = [];
    } else {
      try {
        const [pods, snapshots] = await Promise.all([
          session.customRequest('podbug/pods'),
          session.customRequest('podbug/snapshots'),
        ]);
        this.sections = [
          sectionNode('Pods', `${pods.pods.length}`, pods.pods.map(podNode)),
          sectionNode('Snapshots', `${snapshots.snapshots.length}${droppedText(snapshots.breakpoints)}`,
            snapshots.snapshots.map(snapshotNode)),
        ];
      } catch (e) {
        this.sections = [sectionNode(`podbug: ${e.message}`, '', [])];
      }
    }
    this.changed.fire();
  }

  /** A refresh of the active podbug session a moment later; calls meanwhile are folded into it. */
  refreshSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), REFRESH_DELAY_MS);
  }

  /** A DebugAdapterTracker that refreshes the view on a session's start, stops, resumes and joins. */
  tracker() {
    return {
      onDidSendMessage: (message) => {
        if (message.type === 'event' && REFRESHING_EVENTS.has(message.event)) this.refreshSoon();
      },
    };
  }

  getTreeItem(node) {
    return node.item;
  }

  getChildren(node) {
    return node ? node.children || [] : this.sections;
  }

  dispose() {
    clearTimeout(this.timer);
    this.changed.dispose();
  }
}

module.exports = { FleetView, podbugSession, podName, podDescription, podDetail };
