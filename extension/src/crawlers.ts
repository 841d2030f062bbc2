/** The Crawlers section: crawlers with their live state, Start, the last crawl's metrics and its log. */
import { glue, glueAll, Json, seconds, when } from './api';
import { append, button, errorBox, h, stateBadge, table } from './dom';
import { Section } from './section';

const BUSY = ['RUNNING', 'STOPPING'];

export class CrawlersSection extends Section {
  readonly name = 'crawlers';
  readonly label = 'Crawlers';
  protected pollMs = 2000;

  async render(): Promise<HTMLElement> {
    const [crawlers, metrics] = await Promise.all([
      glueAll('GetCrawlers', {}, 'Crawlers'),
      glueAll('GetCrawlerMetrics', {}, 'CrawlerMetricsList')
    ]);
    if (crawlers.length === 0) {
      return h('p', { class: 'gluelab-empty' }, 'No crawlers yet: create one with the CLI (gluelab crawlers create) or boto3.');
    }
    const byName = new Map(metrics.map(m => [m.CrawlerName, m]));
    return h('ul', { class: 'gluelab-tree' }, ...crawlers.map(c => this.crawler(c, byName.get(c.Name))));
  }

  /** While a crawler runs, watch the states; when one changes, show the new state, metrics and log. */
  protected async poll(): Promise<void> {
    if (!this.node.querySelector(BUSY.map(s => `[data-crawler-state="${s}"]`).join(','))) {
      return;
    }
    const crawlers = await glueAll('GetCrawlers', {}, 'Crawlers');
    const changed = crawlers.some(c => {
      const shown = this.node.querySelector(`[data-crawler="${CSS.escape(c.Name)}"] [data-crawler-state]`);
      return shown?.getAttribute('data-crawler-state') !== c.State;
    });
    if (changed) {
      await this.refresh();
    }
  }

  private crawler(c: Json, metrics: Json | undefined): HTMLElement {
    const last = c.LastCrawl || {};
    const details = h('div', { class: 'gluelab-details' });
    details.hidden = true;
    const targets = [
      ...(c.Targets?.S3Targets || []).map((t: Json) => t.Path),
      ...(c.Targets?.JdbcTargets || []).map((t: Json) => `jdbc ${t.ConnectionName}: ${t.Path}`),
      ...(c.Targets?.CatalogTargets || []).map((t: Json) => `catalog ${t.DatabaseName}`)
    ];
    const start = button('Start', () => void this.start(c.Name, details), { 'data-action': 'start', title: `Start ${c.Name}` });
    start.disabled = c.State !== 'READY';
    const row = h(
      'div',
      { class: 'gluelab-row gluelab-toggle', role: 'button', tabindex: 0 },
      h('span', { class: 'gluelab-name' }, c.Name),
      h('span', { 'data-crawler-state': c.State }, stateBadge(c.State)),
      last.Status ? stateBadge(last.Status) : null,
      start
    );
    row.addEventListener('click', () => {
      details.hidden = !details.hidden;
      row.classList.toggle('gluelab-open', !details.hidden);
      if (!details.hidden) {
        void this.showDetails(c, metrics, targets, details);
      }
    });
    return h('li', { 'data-crawler': c.Name }, row, details);
  }

  private async start(name: string, details: HTMLElement): Promise<void> {
    try {
      await glue('StartCrawler', { Name: name });
      await this.refresh();
    } catch (error) {
      details.hidden = false;
      details.prepend(errorBox(error));
    }
  }

  private async showDetails(c: Json, metrics: Json | undefined, targets: string[], box: HTMLElement): Promise<void> {
    const last = c.LastCrawl || {};
    const facts: [string, string][] = [
      ['database', c.DatabaseName || ''],
      ['targets', targets.join(', ')],
      ['schedule', c.Schedule?.ScheduleExpression ? `${c.Schedule.ScheduleExpression} (${c.Schedule.State})` : 'on demand'],
      ['last crawl', last.StartTime ? `${last.Status} at ${when(last.StartTime)}` : 'never'],
      ['tables created / updated / deleted', metrics ? `${metrics.TablesCreated} / ${metrics.TablesUpdated} / ${metrics.TablesDeleted}` : ''],
      ['last run took', metrics ? seconds(metrics.LastRuntimeSeconds) : ''],
      ['median run', metrics ? seconds(metrics.MedianRuntimeSeconds) : '']
    ];
    const log = h('pre', { class: 'gluelab-log-lines gluelab-crawl-log', 'data-crawl-log': c.Name });
    box.replaceChildren();
    append(
      box,
      table(['', ''], facts, { 'data-crawler-details': c.Name }),
      last.ErrorMessage ? h('div', { class: 'gluelab-run-error' }, last.ErrorMessage) : null,
      h('div', { class: 'gluelab-subtitle' }, 'Log of the last crawl'),
      log
    );
    try {
      let offset = 0;
      for (;;) {
        const chunk = await glue('GetCrawlLog', { CrawlerName: c.Name, Offset: offset });
        log.append(chunk.Lines.map((line: string) => line + '\n').join(''));
        if (chunk.NextOffset === offset) {
          break;
        }
        offset = chunk.NextOffset;
      }
      log.setAttribute('data-loaded', '');
    } catch (error) {
      log.replaceWith(errorBox(error));
    }
  }
}
