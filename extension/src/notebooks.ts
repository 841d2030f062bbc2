/** Notebooks the panel writes for the user: "Open in notebook" on a catalog table. */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Contents } from '@jupyterlab/services';

export const KERNEL = { name: 'glue_pyspark_local', display_name: 'Glue PySpark (local)', language: 'python' };

function cell(kind: 'code' | 'markdown', source: string, index: number) {
  const base = { id: `gluelab-${index}`, cell_type: kind, metadata: {}, source };
  return kind === 'code' ? { ...base, execution_count: null, outputs: [] } : base;
}

/** A notebook reading database.table in the Glue PySpark kernel: from_catalog, its schema, rows, %%sql. */
export function tableNotebook(database: string, table: string): object {
  const sources: ['code' | 'markdown', string][] = [
    ['markdown', `# ${database}.${table}\n\nRead from gluelab's Data Catalog in the Glue PySpark (local) kernel.`],
    [
      'code',
      `dyf = glueContext.create_dynamic_frame.from_catalog(database=${JSON.stringify(database)}, table_name=${JSON.stringify(table)})\n` +
        'dyf.printSchema()'
    ],
    ['code', 'dyf.toDF().show(20, truncate=False)'],
    ['code', `%%sql\nSELECT * FROM \`${database}\`.\`${table}\` LIMIT 20`]
  ];
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: KERNEL, language_info: { name: 'python' } },
    cells: sources.map(([kind, source], index) => cell(kind, source, index))
  };
}

async function exists(contents: Contents.IManager, path: string): Promise<boolean> {
  try {
    await contents.get(path, { content: false });
    return true;
  } catch {
    return false;
  }
}

/** Writes `<database>.<table>.ipynb` (or -1, -2 … when taken) at the lab's root and opens it. */
export async function openTableNotebook(app: JupyterFrontEnd, database: string, table: string): Promise<string> {
  const contents = app.serviceManager.contents;
  let path = `${database}.${table}.ipynb`;
  for (let n = 1; await exists(contents, path); n++) {
    path = `${database}.${table}-${n}.ipynb`;
  }
  await contents.save(path, { type: 'notebook', format: 'json', content: tableNotebook(database, table) });
  await app.commands.execute('docmanager:open', { path, factory: 'Notebook' });
  return path;
}
