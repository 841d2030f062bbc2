/**
 * "Schedule as job", a notebook toolbar button: saves the notebook, asks DescribeNotebook what promoting
 * it makes (a job name, the `parameters` cell's typed schema, the worker settings its magics set, the
 * jobs already running it), and shows one dialog: the job's name, the values scheduled runs get, a
 * schedule builder with its next fire times (GetScheduleFireTimes, live), and worker settings. "Create
 * job" calls PromoteNotebook; a job that already runs this notebook can take a new snapshot instead
 * (UpdateNotebookJob). The dialog comes back with the user's input and the error until it succeeds.
 */
import { Dialog, Notification, showDialog, ToolbarButton } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { glue, Json, when } from './api';
import { append, errorBox, h } from './dom';
import { asArguments, Parameter, ParameterFields, problems } from './params';

const WORKER_TYPES = ['G.1X', 'G.2X', 'G.4X', 'G.8X', 'G.025X'];
const DAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];
const FIRE_TIMES = 5;

/** What the user chose, kept across a failed attempt. */
interface Choice {
  name: string;
  values: { [name: string]: string };
  kind: string; // none hourly daily weekly cron
  minute: string;
  time: string;
  day: string;
  cron: string;
  workerType: string;
  workers: string;
  timeout: string;
  retries: string;
}

/** The Glue schedule expression a choice means ('' for none). */
export function scheduleOf(c: Choice): string {
  const [hour, minute] = (c.time || '00:00').split(':').map(v => String(Number(v)));
  switch (c.kind) {
    case 'hourly':
      return `cron(${Number(c.minute) || 0} * * * ? *)`;
    case 'daily':
      return `cron(${minute} ${hour} * * ? *)`;
    case 'weekly':
      return `cron(${minute} ${hour} ? * ${c.day} *)`;
    case 'cron':
      return c.cron.trim();
    default:
      return '';
  }
}

function field(label: string, input: HTMLElement, note?: string): HTMLElement {
  return h('label', { class: 'gluelab-param' }, h('span', { class: 'gluelab-param-name' }, label), input, note ? h('span', { class: 'gluelab-param-help' }, note) : null);
}

function select(name: string, options: [string, string][], value: string): HTMLSelectElement {
  const element = h('select', { name }, ...options.map(([v, label]) => h('option', { value: v }, label)));
  element.value = value;
  return element;
}

function input(name: string, value: string, attrs: { [k: string]: string } = {}): HTMLInputElement {
  const element = h('input', { name, ...attrs });
  element.value = value;
  return element;
}

class PromoteForm extends Widget {
  readonly fields: ParameterFields;
  private controls: { [name: string]: HTMLInputElement | HTMLSelectElement } = {};
  private fireTimes = h('div', { class: 'gluelab-fire-preview', 'data-fire-times': '' });
  private expression = h('code', { 'data-schedule': '' });
  private pending = 0;

  constructor(
    readonly described: Json,
    readonly parameters: Parameter[],
    readonly choice: Choice,
    error: string
  ) {
    super({ node: h('div', { class: 'gluelab-promote', 'data-gluelab': 'promote' }) });
    const c = choice;
    const ctl = <T extends HTMLInputElement | HTMLSelectElement>(element: T): T => {
      this.controls[element.name] = element;
      element.addEventListener('input', () => this.refreshSchedule());
      element.addEventListener('change', () => this.refreshSchedule());
      return element;
    };
    if (error) {
      this.node.append(h('div', { class: 'gluelab-error', role: 'alert' }, error));
    }
    const jobs = (described.Jobs || []) as string[];
    append(
      this.node,
      h('div', { class: 'gluelab-meta' }, described.NotebookPath),
      jobs.length
        ? h('div', { class: 'gluelab-note-box', 'data-existing': jobs.join(',') }, `Already promoted as ${jobs.join(', ')}: "Update" takes a new snapshot of this notebook for it; a new name makes another job.`)
        : null,
      field('Job name', ctl(input('name', c.name, { required: 'true' }))),
      h('div', { class: 'gluelab-subtitle' }, 'Parameters of scheduled runs'),
      (this.fields = new ParameterFields(this.parameters, c.values, '', 'schedule-arguments')).node,
      h('div', { class: 'gluelab-subtitle' }, 'Schedule (UTC)'),
      field(
        'Runs',
        ctl(select('schedule-kind', [['none', 'on demand only'], ['hourly', 'every hour'], ['daily', 'every day'], ['weekly', 'every week'], ['cron', 'cron expression']], c.kind))
      ),
      h(
        'div',
        { class: 'gluelab-schedule-fields' },
        field('At minute', ctl(input('minute', c.minute, { type: 'number', min: '0', max: '59' }))),
        field('At', ctl(input('time', c.time, { type: 'time' }))),
        field('On', ctl(select('day', DAYS.map(d => [d, d] as [string, string]), c.day))),
        field('Expression', ctl(input('cron', c.cron, { placeholder: 'cron(0 6 * * ? *)' })))
      ),
      h('div', { class: 'gluelab-meta' }, 'Schedule: ', this.expression),
      this.fireTimes,
      h('div', { class: 'gluelab-subtitle' }, 'Workers'),
      field('Worker type', ctl(select('worker-type', WORKER_TYPES.map(w => [w, w] as [string, string]), c.workerType))),
      field('Number of workers', ctl(input('workers', c.workers, { type: 'number', min: '1' }))),
      field('Timeout (minutes)', ctl(input('timeout', c.timeout, { type: 'number', min: '1' }))),
      field('Retries', ctl(input('retries', c.retries, { type: 'number', min: '0' })))
    );
    this.refreshSchedule();
  }

  values(): Choice {
    const v = (name: string) => this.controls[name].value;
    return {
      name: v('name').trim(),
      values: this.fields.values(),
      kind: v('schedule-kind'),
      minute: v('minute'),
      time: v('time'),
      day: v('day'),
      cron: v('cron'),
      workerType: v('worker-type'),
      workers: v('workers'),
      timeout: v('timeout'),
      retries: v('retries')
    };
  }

  /** Shows the fields the schedule kind uses and, after a pause in typing, its next fire times. */
  private refreshSchedule(): void {
    const c = this.values();
    const shown: { [k: string]: string[] } = { hourly: ['minute'], daily: ['time'], weekly: ['time', 'day'], cron: ['cron'] };
    for (const name of ['minute', 'time', 'day', 'cron']) {
      (this.controls[name].closest('label') as HTMLElement).hidden = !(shown[c.kind] || []).includes(name);
    }
    const schedule = scheduleOf(c);
    this.expression.textContent = schedule || 'none (run it from the Jobs panel, a trigger or a workflow)';
    const ticket = ++this.pending;
    if (!schedule) {
      this.fireTimes.replaceChildren();
      this.fireTimes.setAttribute('data-fire-times', '');
      return;
    }
    window.setTimeout(async () => {
      if (ticket !== this.pending) {
        return;
      }
      try {
        const answer = await glue('GetScheduleFireTimes', { Schedule: schedule, Count: FIRE_TIMES });
        if (ticket === this.pending) {
          this.fireTimes.replaceChildren(
            h('div', {}, answer.Description),
            h('ul', {}, ...(answer.FireTimes as number[]).map(t => h('li', {}, when(t))))
          );
          this.fireTimes.setAttribute('data-fire-times', schedule);
        }
      } catch (error) {
        if (ticket === this.pending) {
          this.fireTimes.replaceChildren(errorBox(error));
          this.fireTimes.setAttribute('data-fire-times', 'error');
        }
      }
    }, 250);
  }
}

function startChoice(described: Json): Choice {
  const p = described.Properties || {};
  return {
    name: described.Name,
    values: {},
    kind: 'none',
    minute: '0',
    time: '06:00',
    day: 'MON',
    cron: '',
    workerType: p.WorkerType || 'G.1X',
    workers: String(p.NumberOfWorkers || 2),
    timeout: p.Timeout ? String(p.Timeout) : '',
    retries: '0'
  };
}

/** The PromoteNotebook request a valid choice makes, or the problems with it. */
function request(path: string, parameters: Parameter[], c: Choice): Json | string[] {
  const wrong = c.name ? [] : ['a job needs a name'];
  const schedule = scheduleOf(c);
  if (schedule) {
    wrong.push(...problems(parameters, c.values));
  }
  const integer = (label: string, text: string, min: number) => {
    if (text.trim() === '') {
      return undefined;
    }
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) {
      wrong.push(`${label} must be a whole number of at least ${min}`);
    }
    return n;
  };
  const body: Json = {
    NotebookPath: path,
    Name: c.name,
    WorkerType: c.workerType,
    NumberOfWorkers: integer('Number of workers', c.workers || '2', 1),
    Timeout: integer('Timeout', c.timeout, 1),
    MaxRetries: integer('Retries', c.retries, 0)
  };
  if (schedule) {
    body.Schedule = schedule;
    body.Arguments = asArguments(parameters, c.values);
  }
  return wrong.length ? wrong : body;
}

/** The whole flow for one notebook; resolves when the job exists, the user cancels or it fails. */
export async function scheduleAsJob(panel: NotebookPanel, onChanged: () => void): Promise<void> {
  const context = panel.context;
  if (context.model.dirty) {
    await context.save();
  }
  let described: Json;
  try {
    described = await glue('DescribeNotebook', { NotebookPath: context.path });
  } catch (error) {
    await showDialog({ title: 'Schedule as job', body: new Widget({ node: errorBox(error) }), buttons: [Dialog.okButton()] });
    return;
  }
  const parameters = (described.Parameters || []) as Parameter[];
  const existing = (described.Jobs || []) as string[];
  let choice = startChoice(described);
  let error = '';
  for (;;) {
    const form = new PromoteForm(described, parameters, choice, error);
    const buttons = [Dialog.cancelButton(), Dialog.okButton({ label: 'Create job' })];
    if (existing.length) {
      buttons.splice(1, 0, Dialog.okButton({ label: `Update ${existing[0]}`, displayType: 'default', actions: ['update'] }));
    }
    const result = await showDialog({ title: `Schedule ${context.path} as a job`, body: form, buttons });
    if (!result.button.accept) {
      return;
    }
    choice = form.values();
    try {
      if (result.button.actions.includes('update')) {
        const updated = await glue('UpdateNotebookJob', { Name: existing[0] });
        Notification.success(
          updated.Changed ? `Job ${existing[0]} now runs version ${updated.Version} of ${context.path}` : `Job ${existing[0]} already runs this version`,
          { autoClose: 5000 }
        );
        onChanged();
        return;
      }
      const body = request(described.NotebookPath, parameters, choice);
      if (Array.isArray(body)) {
        error = body.join('; ');
        continue;
      }
      const made = await glue('PromoteNotebook', body);
      const scheduled = made.TriggerName ? `, scheduled by trigger ${made.TriggerName} (${body.Schedule})` : '';
      Notification.success(`Job ${made.Name} runs version ${made.Version} of ${context.path}${scheduled}`, { autoClose: 8000 });
      onChanged();
      return;
    } catch (failure) {
      error = failure instanceof Error ? `${(failure as Json).code ? `${(failure as Json).code}: ` : ''}${failure.message}` : String(failure);
    }
  }
}

/** Adds the "Schedule as job" button to every notebook's toolbar. */
export class ScheduleButtonExtension {
  constructor(private onChanged: () => void) {}

  createNew(panel: NotebookPanel): ToolbarButton {
    const button = new ToolbarButton({
      className: 'gluelab-schedule-button',
      label: 'Schedule as job',
      tooltip: 'Promote this notebook to a gluelab job, with parameters, a schedule and workers',
      onClick: () => void scheduleAsJob(panel, this.onChanged)
    });
    panel.toolbar.insertItem(10, 'gluelabScheduleAsJob', button);
    return button;
  }
}
