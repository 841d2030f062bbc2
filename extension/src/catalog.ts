/** The Catalog section: databases → tables → columns, partition keys and partitions. */
import { glue, glueAll, Json, when } from './api';
import { button, errorBox, h, table } from './dom';
import { Section } from './section';

const PARTITIONS_SHOWN = 50;

export class CatalogSection extends Section {
  readonly name = 'catalog';
  readonly label = 'Catalog';

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
    const box = h(
      'div',
      { class: 'gluelab-table-details' },
      h('div', { class: 'gluelab-meta' }, `${storage.Location || ''}`, t.UpdateTime ? ` · updated ${when(t.UpdateTime)}` : ''),
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
