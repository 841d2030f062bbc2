/** The development endpoint's state in the status bar (GetEndpointStatus every 5 s while the lab is
 * visible): whether the lab or `gluelab serve` answers for boto3, sparkmagic and Glue's kernel, and its
 * sessions. */
import { Widget } from '@lumino/widgets';

import { glue, Json } from './api';
import { h } from './dom';

const POLL_MS = 5000;

export function endpointSummary(s: Json): string {
  const by = (s.SessionsByStatus || {}) as { [status: string]: number };
  const parts = Object.entries(by)
    .filter(([status]) => ['PROVISIONING', 'READY', 'STOPPING'].includes(status))
    .map(([status, n]) => `${n} ${status.toLowerCase()}`);
  const sessions = parts.length ? parts.join(', ') : 'no sessions';
  return `Glue endpoint: ${s.ServerRunning ? 'running' : 'off'} · ${sessions}`;
}

export class EndpointStatus extends Widget {
  private timer: number | undefined;

  constructor() {
    super({ node: h('div', { class: 'gluelab-endpoint-status', 'data-endpoint': 'unknown' }) });
    this.node.textContent = 'Glue endpoint: …';
    void this.refresh();
  }

  async refresh(): Promise<void> {
    try {
      const s = await glue('GetEndpointStatus', {});
      this.node.textContent = endpointSummary(s);
      this.node.setAttribute('data-endpoint', s.ServerRunning ? 'running' : 'off');
      this.node.setAttribute('data-sessions', String(s.SessionsRunning));
      this.node.title = [
        s.ServerRunning
          ? `the Glue API and Livy REST answer at ${s.Url} (for boto3, sparkmagic and Glue's kernel)`
          : `nothing serves the Glue API for this home (it would answer at ${s.Url}): the lab serves it unless lab_endpoint is off or the port is taken (see the lab's log); or start: gluelab serve`,
        `sessions: ${s.SessionsRunning} running, ${s.SessionsTotal} recorded`,
        `warm spares: ${s.WarmSparesReady} ready of ${s.SessionPoolSize}`
      ].join('\n');
    } catch (error) {
      this.node.textContent = 'Glue endpoint: unknown';
      this.node.setAttribute('data-endpoint', 'error');
      this.node.title = error instanceof Error ? error.message : String(error);
    }
    if (!this.isDisposed) {
      this.timer = window.setTimeout(() => void this.refresh(), document.hidden ? POLL_MS * 6 : POLL_MS);
    }
  }

  dispose(): void {
    if (this.timer !== undefined) {
      window.clearTimeout(this.timer);
    }
    super.dispose();
  }
}
