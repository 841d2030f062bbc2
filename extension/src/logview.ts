/**
 * A job run's logs in the main area, one tab per stream (stdout, stderr, run, spark), following the run
 * while it goes (GetJobRunLog from the last offset, every second) and stopping once it has ended and
 * everything is read.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { glue } from './api';
import { errorBox, h, stateBadge } from './dom';

const STREAMS = ['stdout', 'stderr', 'run', 'spark'];
const POLL_MS = 1000;

class LogView extends Widget {
  private offsets: { [stream: string]: number } = {};
  private panes: { [stream: string]: HTMLPreElement } = {};
  private state = h('span', {});
  private timer: number | undefined;

  constructor(
    readonly jobName: string,
    readonly runId: string
  ) {
    super({ node: h('div', { class: 'gluelab-log', 'data-run': runId }) });
    const tabs = h('div', { class: 'gluelab-tabs', role: 'tablist' });
    const panes = h('div', { class: 'gluelab-log-panes' });
    for (const stream of STREAMS) {
      this.offsets[stream] = 0;
      const pane = h('pre', { class: 'gluelab-log-lines', 'data-stream': stream });
      pane.hidden = stream !== 'stdout';
      this.panes[stream] = pane;
      panes.append(pane);
      const tab = h('button', { class: 'gluelab-tab', role: 'tab', 'data-stream': stream, type: 'button' }, stream);
      if (stream === 'stdout') {
        tab.classList.add('gluelab-tab-active');
      }
      tab.addEventListener('click', () => {
        for (const other of STREAMS) {
          this.panes[other].hidden = other !== stream;
        }
        tabs.querySelectorAll('.gluelab-tab').forEach(t => t.classList.toggle('gluelab-tab-active', t === tab));
      });
      tabs.append(tab);
    }
    this.node.append(h('div', { class: 'gluelab-log-head' }, `${jobName} · ${runId.slice(0, 12)}… `, this.state), tabs, panes);
    void this.follow();
  }

  private async follow(): Promise<void> {
    let finished = false;
    try {
      for (const stream of STREAMS) {
        for (;;) {
          const chunk = await glue('GetJobRunLog', {
            JobName: this.jobName,
            RunId: this.runId,
            Stream: stream,
            Offset: this.offsets[stream]
          });
          if (chunk.Lines.length) {
            this.write(stream, chunk.Lines);
          }
          const more = chunk.NextOffset > this.offsets[stream];
          this.offsets[stream] = chunk.NextOffset;
          this.state.replaceChildren(stateBadge(chunk.JobRunState));
          finished = chunk.Finished;
          if (!more) {
            break;
          }
        }
      }
    } catch (error) {
      this.node.append(errorBox(error));
      return;
    }
    if (finished) {
      this.node.setAttribute('data-finished', '');
      return;
    }
    this.timer = window.setTimeout(() => void this.follow(), POLL_MS);
  }

  private write(stream: string, lines: string[]): void {
    const pane = this.panes[stream];
    const atEnd = pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 4;
    pane.append(lines.join('\n') + '\n');
    if (atEnd) {
      pane.scrollTop = pane.scrollHeight;
    }
  }

  dispose(): void {
    if (this.timer !== undefined) {
      window.clearTimeout(this.timer);
    }
    super.dispose();
  }
}

export function openLog(jobName: string, runId: string, addToShell: (widget: Widget) => void): void {
  const content = new LogView(jobName, runId);
  const widget = new MainAreaWidget({ content });
  widget.id = `gluelab-log-${runId}`;
  widget.title.label = `Log: ${jobName}`;
  widget.title.caption = `${jobName} run ${runId}`;
  widget.title.closable = true;
  addToShell(widget);
}
