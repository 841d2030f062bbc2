/**
 * Workflows: the sidebar lists them with their last run; "Graph" opens a main-area view with the
 * workflow's graph (static) and a chosen run's graph coloured by node state (dynamic), refreshed while
 * the run goes on, with "Resume failed nodes" (ResumeWorkflowRun) for a run whose jobs failed.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { glue, glueAll, Json, when } from './api';
import { append, button, errorBox, h, stateBadge } from './dom';
import { nodeState, renderGraph } from './graph';
import { Section } from './section';

const FAILED = ['FAILED', 'ERROR', 'TIMEOUT', 'STOPPED', 'CANCELLED'];
const POLL_MS = 2000;

function runLabel(run: Json): string {
  return `${when(run.StartedOn)} · ${run.Status} · ${run.WorkflowRunId.slice(0, 10)}…`;
}

class WorkflowView extends Widget {
  private timer: number | undefined;
  private runs = h('select', { class: 'gluelab-select', 'data-gluelab': 'workflow-runs' });
  private graphBox = h('div', { class: 'gluelab-graph-box' });
  private status = h('div', { class: 'gluelab-workflow-status' });

  constructor(readonly name: string) {
    super({ node: h('div', { class: 'gluelab-workflow', 'data-workflow': name }) });
    this.runs.addEventListener('change', () => void this.showChosen());
    append(
      this.node,
      h('div', { class: 'gluelab-log-head' }, `Workflow ${name} `, this.runs, button('↻', () => void this.load(), { title: 'Refresh' })),
      this.status,
      this.graphBox
    );
    void this.load();
  }

  /** The run list (newest first; the first choice is the static graph) and then the chosen view. */
  async load(): Promise<void> {
    try {
      const chosen = this.runs.value;
      const answer = await glue('GetWorkflowRuns', { Name: this.name, IncludeGraph: false, MaxResults: 25 });
      const runs = (answer.Runs || []) as Json[];
      this.runs.replaceChildren(
        h('option', { value: '' }, 'definition (static graph)'),
        ...runs.map(r => h('option', { value: r.WorkflowRunId }, runLabel(r)))
      );
      this.runs.value = runs.some(r => r.WorkflowRunId === chosen) ? chosen : runs[0]?.WorkflowRunId || '';
      await this.showChosen();
    } catch (error) {
      this.status.replaceChildren(errorBox(error));
    }
  }

  private async showChosen(): Promise<void> {
    if (this.timer !== undefined) {
      window.clearTimeout(this.timer);
      this.timer = undefined;
    }
    const runId = this.runs.value;
    try {
      if (!runId) {
        const workflow = (await glue('GetWorkflow', { Name: this.name, IncludeGraph: true })).Workflow;
        this.status.replaceChildren(h('span', { class: 'gluelab-note' }, workflow.Description || 'the workflow as defined'));
        this.graphBox.replaceChildren(renderGraph(workflow.Graph));
        this.node.setAttribute('data-view', 'static');
        return;
      }
      const run = (await glue('GetWorkflowRun', { Name: this.name, RunId: runId, IncludeGraph: true })).Run;
      const failed = ((run.Graph?.Nodes || []) as Json[]).filter(n => n.Type === 'JOB' && FAILED.includes(nodeState(n) || ''));
      const stats = run.Statistics || {};
      const option = this.runs.selectedOptions[0];
      if (option) {
        option.textContent = runLabel(run); // its status moves on while shown
      }
      this.status.replaceChildren();
      append(
        this.status,
        stateBadge(run.Status),
        h('span', { class: 'gluelab-note' }, ` ${stats.SucceededActions || 0} succeeded, ${stats.FailedActions || 0} failed, ${stats.RunningActions || 0} running of ${stats.TotalActions || 0} · started ${when(run.StartedOn)}`),
        run.ErrorMessage ? h('div', { class: 'gluelab-run-error' }, run.ErrorMessage) : null,
        failed.length && run.Status === 'COMPLETED'
          ? button(`Resume ${failed.length} failed node(s)`, () => void this.resume(runId, failed), { 'data-action': 'resume' })
          : null
      );
      this.graphBox.replaceChildren(renderGraph(run.Graph));
      this.node.setAttribute('data-view', run.Status === 'RUNNING' ? 'running' : 'finished');
      if (run.Status === 'RUNNING' || run.Status === 'STOPPING') {
        this.timer = window.setTimeout(() => void this.showChosen(), POLL_MS);
      }
    } catch (error) {
      this.status.replaceChildren(errorBox(error));
    }
  }

  private async resume(runId: string, failed: Json[]): Promise<void> {
    try {
      const answer = await glue('ResumeWorkflowRun', { Name: this.name, RunId: runId, NodeIds: failed.map(n => n.UniqueId) });
      await this.load();
      this.runs.value = answer.RunId;
      await this.showChosen();
    } catch (error) {
      this.status.prepend(errorBox(error));
    }
  }

  dispose(): void {
    if (this.timer !== undefined) {
      window.clearTimeout(this.timer);
    }
    super.dispose();
  }
}

export class WorkflowsSection extends Section {
  readonly name = 'workflows';
  readonly label = 'Workflows';
  protected pollMs = 3000;

  constructor(private addToShell: (widget: Widget) => void) {
    super();
  }

  async render(): Promise<HTMLElement> {
    const names = await glueAll('ListWorkflows', {}, 'Workflows');
    if (names.length === 0) {
      return h('p', { class: 'gluelab-empty' }, 'No workflows yet: create one with the CLI (gluelab workflows create) or boto3.');
    }
    const found = await glue('BatchGetWorkflows', { Names: names, IncludeGraph: false });
    const workflows = ((found.Workflows || []) as Json[]).sort((a, b) => a.Name.localeCompare(b.Name));
    return h(
      'ul',
      { class: 'gluelab-tree' },
      ...workflows.map(w =>
        h(
          'li',
          { 'data-workflow': w.Name },
          h(
            'div',
            { class: 'gluelab-row' },
            h('span', { class: 'gluelab-name' }, w.Name),
            w.LastRun ? stateBadge(w.LastRun.Status) : h('span', { class: 'gluelab-note' }, 'never run'),
            button('Run', () => void this.run(w.Name), { 'data-action': 'run' }),
            button('Graph', () => this.open(w.Name), { 'data-action': 'graph' })
          )
        )
      )
    );
  }

  /** While a listed workflow runs, keep its last run's state current. */
  protected async poll(): Promise<void> {
    if (this.node.querySelector('[data-state="RUNNING"], [data-state="STOPPING"]')) {
      await this.refresh();
    }
  }

  private async run(name: string): Promise<void> {
    try {
      await glue('StartWorkflowRun', { Name: name });
      this.open(name);
      await this.refresh();
    } catch (error) {
      this.node.prepend(errorBox(error));
    }
  }

  private open(name: string): void {
    const content = new WorkflowView(name);
    const widget = new MainAreaWidget({ content });
    widget.id = `gluelab-workflow-${name}-${Date.now()}`;
    widget.title.label = `Workflow: ${name}`;
    widget.title.closable = true;
    this.addToShell(widget);
  }
}
