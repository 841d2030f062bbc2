/**
 * A job run's metrics in the main area (GetJobRunMetrics, read from the run's Spark event log): the
 * totals, and a chart of its stages — time and records (read + written) per stage, one bar each —
 * refreshed every 2 s while the run is going.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { glue, Json } from './api';
import { append, errorBox, h, stateBadge, table } from './dom';

const POLL_MS = 2000;
const ACTIVE = ['STARTING', 'RUNNING', 'STOPPING', 'WAITING'];
const SVG = 'http://www.w3.org/2000/svg';
const ROW = 34;
const LABEL = 230;
const BAR = 320;

function svg(tag: string, attrs: { [name: string]: string | number }, text?: string): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    element.setAttribute(name, String(value));
  }
  if (text !== undefined) {
    element.textContent = text;
  }
  return element;
}

function count(value: number): string {
  return value >= 1e6 ? `${(value / 1e6).toFixed(1)}M` : value >= 1e4 ? `${(value / 1e3).toFixed(1)}k` : String(value);
}

function duration(ms: number): string {
  return ms >= 60000 ? `${(ms / 60000).toFixed(1)} min` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

/** Horizontal bars per stage: time on top, records below, each scaled to its own largest value. */
export function stageChart(stages: Json[]): SVGElement {
  const chart = svg('svg', { class: 'gluelab-chart', width: LABEL + BAR + 90, height: stages.length * ROW + 24 });
  const maxTime = Math.max(1, ...stages.map(s => s.DurationMs || 0));
  const records = (s: Json) => (s.RecordsRead || 0) + (s.RecordsWritten || 0);
  const maxRecords = Math.max(1, ...stages.map(records));
  chart.append(
    svg('rect', { x: LABEL, y: 4, width: 10, height: 8, class: 'gluelab-bar-time' }),
    svg('text', { x: LABEL + 14, y: 12, class: 'gluelab-chart-legend' }, 'time'),
    svg('rect', { x: LABEL + 60, y: 4, width: 10, height: 8, class: 'gluelab-bar-records' }),
    svg('text', { x: LABEL + 74, y: 12, class: 'gluelab-chart-legend' }, 'records read + written')
  );
  stages.forEach((stage, index) => {
    const y = 20 + index * ROW;
    const name = `${stage.StageId}${stage.Attempt ? `.${stage.Attempt}` : ''}: ${stage.Name}`;
    const label = svg('text', { x: 0, y: y + 15, class: 'gluelab-chart-label' }, name.length > 34 ? `${name.slice(0, 33)}…` : name);
    label.append(svg('title', {}, `${name} (${stage.Tasks} tasks, ${stage.Status})`));
    const time = (BAR * (stage.DurationMs || 0)) / maxTime;
    const rows = (BAR * records(stage)) / maxRecords;
    const group = svg('g', { 'data-stage': stage.StageId, 'data-status': stage.Status });
    group.append(
      label,
      svg('rect', { x: LABEL, y: y + 2, width: Math.max(1, time), height: 12, class: 'gluelab-bar-time', 'data-metric': 'time', 'data-value': stage.DurationMs || 0 }),
      svg('text', { x: LABEL + time + 4, y: y + 12, class: 'gluelab-chart-value' }, duration(stage.DurationMs || 0)),
      svg('rect', { x: LABEL, y: y + 16, width: Math.max(1, rows), height: 12, class: 'gluelab-bar-records', 'data-metric': 'records', 'data-value': records(stage) }),
      svg('text', { x: LABEL + rows + 4, y: y + 26, class: 'gluelab-chart-value' }, count(records(stage)))
    );
    chart.append(group);
  });
  return chart;
}

class MetricsView extends Widget {
  private timer: number | undefined;

  constructor(
    readonly jobName: string,
    readonly runId: string
  ) {
    super({ node: h('div', { class: 'gluelab-metrics', 'data-run': runId }) });
    void this.refresh();
  }

  private async refresh(): Promise<void> {
    let answer: Json;
    try {
      answer = await glue('GetJobRunMetrics', { JobName: this.jobName, RunId: this.runId });
    } catch (error) {
      this.node.replaceChildren(errorBox(error));
      return;
    }
    const m = answer.Metrics || {};
    const stages = (m.Stages || []) as Json[];
    const totals = table(
      ['records read', 'records written', 'bytes read', 'bytes written', 'shuffle read', 'executor time', 'tasks (failed)', 'Spark jobs'],
      [
        [
          count(m.RecordsRead || 0),
          count(m.RecordsWritten || 0),
          count(m.BytesRead || 0),
          count(m.BytesWritten || 0),
          count(m.ShuffleBytesRead || 0),
          duration(m.ExecutorRunTimeMs || 0),
          `${m.Tasks || 0} (${m.FailedTasks || 0})`,
          String(m.Jobs || 0)
        ]
      ],
      { 'data-totals': '' }
    );
    this.node.replaceChildren();
    append(
      this.node,
      h('div', { class: 'gluelab-log-head' }, `${this.jobName} · ${this.runId.slice(0, 12)}… `, stateBadge(answer.JobRunState), m.ApplicationId ? ` · ${m.ApplicationId}` : ''),
      totals,
      stages.length
        ? h('div', { class: 'gluelab-subtitle' }, `Stages (${stages.length})`)
        : h('p', { class: 'gluelab-empty' }, 'No Spark stages: a Python shell run, or Spark has not finished a stage yet.'),
      stages.length ? stageChart(stages) : null
    );
    if (ACTIVE.includes(answer.JobRunState)) {
      this.timer = window.setTimeout(() => void this.refresh(), POLL_MS);
    } else {
      this.node.setAttribute('data-finished', '');
    }
  }

  dispose(): void {
    if (this.timer !== undefined) {
      window.clearTimeout(this.timer);
    }
    super.dispose();
  }
}

export function openMetrics(jobName: string, runId: string, addToShell: (widget: Widget) => void): void {
  const widget = new MainAreaWidget({ content: new MetricsView(jobName, runId) });
  widget.id = `gluelab-metrics-${runId}`;
  widget.title.label = `Metrics: ${jobName}`;
  widget.title.caption = `${jobName} run ${runId}`;
  widget.title.closable = true;
  addToShell(widget);
}
