/** The Triggers section: every trigger with its state, what fires it and what it starts; enable and
 * disable (StartTrigger / StopTrigger), fire an on-demand one, and a schedule's next fire times. */
import { glue, glueAll, Json, when } from './api';
import { append, button, errorBox, h, stateBadge } from './dom';
import { Section } from './section';

const NEXT_SHOWN = 5;

function condition(c: Json): string {
  const what = c.JobName ? `job ${c.JobName}` : `crawler ${c.CrawlerName}`;
  return `${what} ${c.State || c.CrawlState}`;
}

export function firedBy(t: Json): string {
  switch (t.Type) {
    case 'SCHEDULED':
      return t.Schedule;
    case 'CONDITIONAL': {
      const p = t.Predicate || {};
      return (p.Conditions || []).map(condition).join(p.Logical === 'ANY' ? ' or ' : ' and ');
    }
    case 'EVENT':
      return 'events (file arrivals)';
    default:
      return 'on demand';
  }
}

export class TriggersSection extends Section {
  readonly name = 'triggers';
  readonly label = 'Triggers';

  async render(): Promise<HTMLElement> {
    const triggers = await glueAll('GetTriggers', {}, 'Triggers');
    if (triggers.length === 0) {
      return h('p', { class: 'gluelab-empty' }, 'No triggers yet: make one with the TriggerBuilder widget, the CLI or boto3.');
    }
    return h('ul', { class: 'gluelab-tree' }, ...triggers.map(t => this.trigger(t)));
  }

  private trigger(t: Json): HTMLElement {
    const details = h('div', { class: 'gluelab-details' });
    details.hidden = true;
    const actions = (t.Actions || []).map((a: Json) => (a.JobName ? `job ${a.JobName}` : `crawler ${a.CrawlerName}`));
    let control: HTMLElement | null = null;
    if (t.Type === 'ON_DEMAND') {
      control = button('Fire', () => void this.act('StartTrigger', t.Name, details), { 'data-action': 'fire' });
    } else if (t.State === 'ACTIVATED') {
      control = button('Disable', () => void this.act('StopTrigger', t.Name, details), { 'data-action': 'disable' });
    } else if (t.State === 'CREATED' || t.State === 'DEACTIVATED') {
      control = button('Enable', () => void this.act('StartTrigger', t.Name, details), { 'data-action': 'enable' });
    }
    const row = h(
      'div',
      { class: 'gluelab-row gluelab-toggle', role: 'button', tabindex: 0 },
      h('span', { class: 'gluelab-name' }, t.Name),
      h('span', { 'data-trigger-state': t.State }, stateBadge(t.State)),
      h('span', { class: 'gluelab-note' }, t.Type),
      control
    );
    row.addEventListener('click', () => {
      details.hidden = !details.hidden;
      row.classList.toggle('gluelab-open', !details.hidden);
      if (!details.hidden) {
        void this.showDetails(t, actions, details);
      }
    });
    return h('li', { 'data-trigger': t.Name }, row, details);
  }

  private async act(action: string, name: string, details: HTMLElement): Promise<void> {
    try {
      await glue(action, { Name: name });
      await this.refresh();
    } catch (error) {
      details.hidden = false;
      details.prepend(errorBox(error));
    }
  }

  private async showDetails(t: Json, actions: string[], box: HTMLElement): Promise<void> {
    box.replaceChildren();
    append(
      box,
      h('div', {}, h('em', {}, 'fires on: '), firedBy(t)),
      h('div', {}, h('em', {}, 'starts: '), actions.join(', ')),
      t.WorkflowName ? h('div', {}, h('em', {}, 'workflow: '), t.WorkflowName) : null,
      t.Description ? h('div', { class: 'gluelab-note' }, t.Description) : null
    );
    if (t.Type !== 'SCHEDULED') {
      return;
    }
    try {
      const fire = await glue('GetScheduleFireTimes', { Schedule: t.Schedule, Count: NEXT_SHOWN });
      append(
        box,
        h('div', {}, h('em', {}, 'schedule: '), fire.Description),
        h(
          'ol',
          { class: 'gluelab-fire-times', 'data-fire-times': t.Name },
          ...fire.FireTimes.map((at: number) => h('li', {}, when(at)))
        ),
        t.State === 'ACTIVATED' ? null : h('div', { class: 'gluelab-note' }, 'disabled: these are when it would fire')
      );
    } catch (error) {
      box.append(errorBox(error));
    }
  }
}
