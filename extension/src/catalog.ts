/**
 * The Catalog section: databases → tables → columns, partition keys and partitions; a preview of a
 * table's first rows (GetTablePreview, no Spark) and "Open in notebook" (a Glue PySpark notebook that
 * reads the table with from_catalog and %%sql).
 */
import { glue, glueAll, Json, when } from './api';
import { button, errorBox, h, table } from './dom';
import { Section } from './section';

const PARTITIONS_SHOWN = 50;
const PREVIEW_ROWS = 20;

export class CatalogSection extends Section {
  readonly name = 'catalog';
  readonly label = 'Catalog';

  constructor(private openNotebook: (database: string, table: string) => Promise<void>) {
    super();
  }

  async render(): Promise<HTMLElement> {
    const databases = await glueAll('GetDatabases', {}, 'DatabaseList');
    if (databases.length === 0) {
      return h('p', { class: 'gluelab-empty' }, 'No databases yet: run a crawler, or create one with boto3 or the CLI.');
    }
    return h('ul', { class: 'gluelab-tree' }, ...databases.map(db => this.database(db)));
  }

  private database(db: Json): HTMLElement {
    const children = h('ul', { class: 'gluelab-tree' });
    const item = h(
      'li',
      { 'data-database': db.Name },
      this.toggle(db.Name, db.Description || db.LocationUri || '', children, async () => {
        const tables = await glueAll('GetTables', { DatabaseName: db.Name }, 'TableList');
        return tables.length
          ? tables.map(t => this.table(db.Name, t))
          : [h('li', { class: 'gluelab-empty' }, 'no tables')];
      }),
      children
    );
    return item;
  }

  private table(database: string, t: Json): HTMLElement {
    const details = h('div', { class: 'gluelab-details' });
    const kind = t.Parameters?.classification || t.TableType || '';
    return h(
      'li',
      { 'data-table': `${database}.${t.Name}` },
      this.toggle(t.Name, kind, details, async () => [await this.tableDetails(database, t)]),
      details
    );
  }

  private async tableDetails(database: string, t: Json): Promise<HTMLElement> {
    const storage = t.StorageDescriptor || {};
    const columns = (storage.Columns || []) as Json[];
    const keys = (t.PartitionKeys || []) as Json[];
    const preview = h('div', { class: 'gluelab-preview' });
    const opened = h('div', {});
    const box = h(
      'div',
      { class: 'gluelab-table-details' },
      h('div', { class: 'gluelab-meta' }, `${storage.Location || ''}`, t.UpdateTime ? ` · updated ${when(t.UpdateTime)}` : ''),
      h(
        'div',
        { class: 'gluelab-actions' },
        button('Preview', () => void this.preview(database, t.Name, preview), { 'data-action': 'preview', title: `First ${PREVIEW_ROWS} rows` }),
        button(
          'Open in notebook',
          () =>
            void this.openNotebook(database, t.Name).then(
              () => opened.replaceChildren(),
              error => opened.replaceChildren(errorBox(error))
            ),
          { 'data-action': 'open-notebook' }
        )
      ),
      opened,
      preview,
      table(
        ['column', 'type'],
        [...columns.map(c => [c.Name, c.Type]), ...keys.map(k => [h('span', {}, k.Name, h('em', {}, ' (partition)')), k.Type])],
        { 'data-columns': `${database}.${t.Name}` }
      )
    );
    if (keys.length) {
      const partitions = await glue('GetPartitions', {
        DatabaseName: database,
        TableName: t.Name,
        MaxResults: PARTITIONS_SHOWN
      });
      const list = (partitions.Partitions || []) as Json[];
      box.append(
        h('div', { class: 'gluelab-subtitle' }, `Partitions${partitions.NextToken ? ` (first ${PARTITIONS_SHOWN})` : ` (${list.length})`}`),
        table(
          keys.map(k => k.Name),
          list.map(p => p.Values as string[]),
          { 'data-partitions': `${database}.${t.Name}` }
        )
      );
    }
    return box;
  }

  private async preview(database: string, name: string, box: HTMLElement): Promise<void> {
    box.replaceChildren(h('div', { class: 'gluelab-loading' }, 'reading…'));
    try {
      const answer = await glue('GetTablePreview', { DatabaseName: database, Name: name, MaxRows: PREVIEW_ROWS });
      const rows = (answer.Rows || []) as Json[][];
      const shown = (value: Json) =>
        value === null || value === undefined ? h('em', { class: 'gluelab-null' }, 'null') : typeof value === 'object' ? JSON.stringify(value) : String(value);
      box.replaceChildren(
        h('div', { class: 'gluelab-subtitle' }, rows.length ? `First ${rows.length} rows${answer.Truncated ? '' : ' (all)'}` : 'No rows'),
        h(
          'div',
          { class: 'gluelab-scroll' },
          table(answer.Columns as string[], rows.map(row => row.map(shown)), { 'data-preview': `${database}.${name}` })
        )
      );
    } catch (error) {
      box.replaceChildren(errorBox(error));
    }
  }

  /** A row that loads and shows its children on the first click, hides them on the next. */
  private toggle(title: string, note: string, target: HTMLElement, load: () => Promise<HTMLElement[]>): HTMLElement {
    let loaded = false;
    target.hidden = true;
    const row = h('div', { class: 'gluelab-row gluelab-toggle', role: 'button', tabindex: 0 }, h('span', { class: 'gluelab-name' }, title), h('span', { class: 'gluelab-note' }, note));
    const open = async () => {
      if (!target.hidden) {
        target.hidden = true;
        row.classList.remove('gluelab-open');
        return;
      }
      target.hidden = false;
      row.classList.add('gluelab-open');
      if (!loaded) {
        target.replaceChildren(h('div', { class: 'gluelab-loading' }, 'loading…'));
        try {
          target.replaceChildren(...(await load()));
          loaded = true;
        } catch (error) {
          target.replaceChildren(errorBox(error), button('Retry', () => void ((target.hidden = true), open())));
        }
      }
    };
    row.addEventListener('click', () => void open());
    row.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        void open();
      }
    });
    return row;
  }
}
