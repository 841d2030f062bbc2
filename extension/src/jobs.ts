/** The Jobs section: jobs, "Run" with a typed parameters dialog, recent runs with live state, and per
 * run its log, its metrics chart and (for a notebook job) its output notebook. */
import { Widget } from '@lumino/widgets';

import { glue, glueAll, Json, seconds, when } from './api';
import { button, errorBox, h, stateBadge } from './dom';
import { openLog } from './logview';
import { openMetrics } from './metrics';
import { openOutput } from './output';
import { askParameters, parametersOf } from './params';
import { Section } from './section';

const RUNS_SHOWN = 10;
const ACTIVE = ['STARTING', 'RUNNING', 'STOPPING', 'WAITING'];

export class JobsSection extends Section {
  readonly name = 'jobs';
  readonly label = 'Jobs';
  protected pollMs = 2000;
  private open = new Map<string, HTMLElement>(); // job name → its runs box, while expanded

  constructor(private addToShell: (widget: Widget) => void) {
    super();
  }

  async render(): Promise<HTMLElement> {
    const jobs = await glueAll('GetJobs', {}, 'Jobs');
    this.open.clear();
    if (jobs.length === 0) {
      return h('p', { class: 'gluelab-empty' }, 'No jobs yet: create one with the CLI, boto3, the widgets, or "Schedule as job".');
    }
    return h('ul', { class: 'gluelab-tree' }, ...jobs.map(job => this.job(job)));
  }

  /** Refreshes the runs of every expanded job that has an unfinished run. */
  protected async poll(): Promise<void> {
    for (const [name, box] of this.open) {
      if (box.querySelector(ACTIVE.map(s => `[data-state="${s}"]`).join(','))) {
        await this.showRuns(name, box);
      }
    }
  }

  private job(job: Json): HTMLElement {
    const runs = h('div', { class: 'gluelab-runs', 'data-runs': job.Name, 'data-notebook': job.JobMode === 'NOTEBOOK' });
    runs.hidden = true;
    const kind = job.JobMode === 'NOTEBOOK' ? 'notebook' : job.Command?.Name || '';
    const row = h(
      'div',
      { class: 'gluelab-row gluelab-toggle', role: 'button', tabindex: 0 },
      h('span', { class: 'gluelab-name' }, job.Name),
      h('span', { class: 'gluelab-note' }, kind),
      button('Run', () => void this.run(job, runs), { 'data-action': 'run', title: `Run ${job.Name}` })
    );
    row.addEventListener('click', () => {
      runs.hidden = !runs.hidden;
      if (runs.hidden) {
        this.open.delete(job.Name);
      } else {
        this.open.set(job.Name, runs);
        void this.showRuns(job.Name, runs);
      }
    });
    return h('li', { 'data-job': job.Name }, row, runs);
  }

  private async run(job: Json, runs: HTMLElement): Promise<void> {
    try {
      const args = await askParameters(job, await parametersOf(job));
      if (args === null) {
        return;
      }
      await glue('StartJobRun', { JobName: job.Name, Arguments: args });
      runs.hidden = false;
      this.open.set(job.Name, runs);
      await this.showRuns(job.Name, runs);
    } catch (error) {
      runs.hidden = false;
      runs.prepend(errorBox(error));
    }
  }

  private async showRuns(name: string, box: HTMLElement): Promise<void> {
    const notebook = box.dataset.notebook !== undefined;
    try {
      const answer = await glue('GetJobRuns', { JobName: name, MaxResults: RUNS_SHOWN });
      const runs = (answer.JobRuns || []) as Json[];
      box.replaceChildren(
        runs.length
          ? h('ul', { class: 'gluelab-run-list' }, ...runs.map(run => this.runRow(name, run, notebook)))
          : h('p', { class: 'gluelab-empty' }, 'no runs yet')
      );
    } catch (error) {
      box.replaceChildren(errorBox(error));
    }
  }

  private runRow(name: string, run: Json, notebook: boolean): HTMLElement {
    const took = run.ExecutionTime ? seconds(run.ExecutionTime) : '';
    return h(
      'li',
      { class: 'gluelab-run', 'data-run': run.Id },
      stateBadge(run.JobRunState),
      h('span', { class: 'gluelab-note', title: run.Id }, `${when(run.StartedOn)} ${took}`),
      run.ErrorMessage ? h('div', { class: 'gluelab-run-error' }, run.ErrorMessage) : null,
      h(
        'span',
        { class: 'gluelab-actions' },
        button('Log', () => openLog(name, run.Id, this.addToShell), { 'data-action': 'log' }),
        button('Metrics', () => openMetrics(name, run.Id, this.addToShell), { 'data-action': 'metrics' }),
        notebook && !ACTIVE.includes(run.JobRunState)
          ? button('Output', () => openOutput(name, run.Id, this.addToShell), { 'data-action': 'output', title: 'The executed notebook' })
          : null
      )
    );
  }
}
