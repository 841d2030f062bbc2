/**
 * The "Run job" dialog: one typed field per parameter. A notebook job's parameters come from its
 * papermill schema (GetNotebookJob: Name, Type, Default, Help); a script job's from its DefaultArguments.
 * Values go to StartJobRun as Glue's `--name value` Arguments (strings); the run converts them.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { glue, GlueError, Json } from './api';
import { h } from './dom';

export interface Parameter {
  Name: string;
  Type: string; // int float bool str list dict date datetime
  Default?: string | null;
  Help?: string | null;
}

/** The job's parameters: the notebook's schema, or its DefaultArguments as strings. */
export async function parametersOf(job: Json): Promise<Parameter[]> {
  if (job.JobMode === 'NOTEBOOK' || String(job.Command?.ScriptLocation || '').endsWith('.ipynb')) {
    try {
      const notebook = await glue('GetNotebookJob', { Name: job.Name });
      return notebook.Parameters || [];
    } catch (error) {
      if (!(error instanceof GlueError && error.code === 'EntityNotFoundException')) {
        throw error;
      }
    }
  }
  return Object.entries((job.DefaultArguments || {}) as { [k: string]: string })
    .filter(([key]) => key.startsWith('--')) // all of them, as Glue's "Run with parameters" shows them
    .map(([key, value]) => ({ Name: key.slice(2), Type: 'str', Default: JSON.stringify(value) }));
}

/** A Python literal default (papermill's text) as the form's starting value. */
function startValue(p: Parameter): string {
  const text = (p.Default ?? '').trim();
  const quoted = text.match(/^(['"])(.*)\1$/s);
  if (quoted) {
    return quoted[2];
  }
  const iso = text.match(/fromisoformat\(\s*['"]([^'"]+)['"]\s*\)/);
  if (iso) {
    return iso[1];
  }
  if (text === 'True' || text === 'False') {
    return text.toLowerCase();
  }
  return text === 'None' ? '' : text;
}

/** What a value must look like for its type; an error message, or null when it is fine. */
export function checkValue(p: Parameter, value: string): string | null {
  const v = value.trim();
  const bad = (what: string) => `${p.Name} is declared ${p.Type}: ${JSON.stringify(value)} is not ${what}`;
  switch (p.Type) {
    case 'int':
      return /^[-+]?\d+$/.test(v) ? null : bad('an integer');
    case 'float':
      return v !== '' && !isNaN(Number(v)) ? null : bad('a number');
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(v) ? null : bad('a date (YYYY-MM-DD)');
    case 'datetime':
      return /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?/.test(v) ? null : bad('a date and time (ISO 8601)');
    case 'list':
    case 'dict':
      try {
        const parsed = JSON.parse(v);
        const ok = p.Type === 'list' ? Array.isArray(parsed) : parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
        return ok ? null : bad(`a JSON ${p.Type}`);
      } catch {
        return bad(`a JSON ${p.Type}`);
      }
    default:
      return null;
  }
}

/** One typed input per parameter (the run dialog's and the promotion dialog's). */
export class ParameterFields extends Widget {
  private inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement>();

  constructor(
    readonly parameters: Parameter[],
    values: { [name: string]: string },
    error: string,
    kind = 'run-parameters'
  ) {
    super({ node: h('form', { class: 'gluelab-params', 'data-gluelab': kind }) });
    if (error) {
      this.node.append(h('div', { class: 'gluelab-error', role: 'alert' }, error));
    }
    if (parameters.length === 0) {
      this.node.append(h('p', {}, 'No parameters (a cell tagged "parameters" declares them).'));
    }
    for (const p of parameters) {
      const value = values[p.Name] ?? startValue(p);
      let input: HTMLInputElement | HTMLTextAreaElement;
      if (p.Type === 'list' || p.Type === 'dict') {
        input = h('textarea', { name: p.Name, rows: 2 });
        input.value = value;
      } else if (p.Type === 'bool') {
        input = h('input', { name: p.Name, type: 'checkbox' });
        (input as HTMLInputElement).checked = value === 'true';
      } else {
        const type = { int: 'number', float: 'number', date: 'date', datetime: 'text' }[p.Type] || 'text';
        input = h('input', { name: p.Name, type, step: p.Type === 'float' ? 'any' : undefined });
        input.value = value;
      }
      input.setAttribute('data-type', p.Type);
      this.inputs.set(p.Name, input);
      this.node.append(
        h(
          'label',
          { class: 'gluelab-param' },
          h('span', { class: 'gluelab-param-name' }, p.Name, h('em', {}, ` ${p.Type}`)),
          input,
          p.Help ? h('span', { class: 'gluelab-param-help' }, p.Help) : null
        )
      );
    }
  }

  values(): { [name: string]: string } {
    const out: { [name: string]: string } = {};
    for (const [name, input] of this.inputs) {
      out[name] = input instanceof HTMLInputElement && input.type === 'checkbox' ? String(input.checked) : input.value;
    }
    return out;
  }
}

/**
 * Asks for the run's parameters until they are valid (or the user cancels); returns Glue Arguments,
 * or null when cancelled.
 */
export async function askParameters(job: Json, parameters: Parameter[]): Promise<{ [key: string]: string } | null> {
  let values: { [name: string]: string } = {};
  let error = '';
  for (;;) {
    const form = new ParameterFields(parameters, values, error);
    const result = await showDialog({
      title: `Run ${job.Name}`,
      body: form,
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Run' })]
    });
    if (!result.button.accept) {
      return null;
    }
    values = form.values();
    const found = problems(parameters, values);
    if (found.length === 0) {
      return asArguments(parameters, values);
    }
    error = found.join('; ');
  }
}

/** What is wrong with the values, one message per parameter. */
export function problems(parameters: Parameter[], values: { [name: string]: string }): string[] {
  return parameters.map(p => checkValue(p, values[p.Name] ?? '')).filter((m): m is string => m !== null);
}

/** The values as Glue Arguments (`--name`: text). */
export function asArguments(parameters: Parameter[], values: { [name: string]: string }): { [key: string]: string } {
  const args: { [key: string]: string } = {};
  for (const p of parameters) {
    args[`--${p.Name}`] = (values[p.Name] ?? '').trim();
  }
  return args;
}
