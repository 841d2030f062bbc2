/**
 * gluelab in JupyterLab: a left sidebar over the same Glue API that boto3 and the CLI use, served by
 * gluelab's Jupyter server extension at <base>/gluelab/api.
 */
import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IStatusBar } from '@jupyterlab/statusbar';
import { LabIcon } from '@jupyterlab/ui-components';

import { CatalogSection } from './catalog';
import { CrawlersSection } from './crawlers';
import { JobsSection } from './jobs';
import { openTableNotebook } from './notebooks';
import { ScheduleButtonExtension } from './promote';
import { EndpointStatus } from './status';
import { GluelabPanel } from './panel';
import { TriggersSection } from './triggers';
import { WorkflowsSection } from './workflows';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M12 2C7 2 3 3.8 3 6v12c0 2.2 4 4 9 4s9-1.8 9-4V6c0-2.2-4-4-9-4zm0 2c4.4 0 7 1.5 7 2s-2.6 2-7 2-7-1.5-7-2 2.6-2 7-2zm7 14c0 .5-2.6 2-7 2s-7-1.5-7-2v-2.3c1.6.8 4.1 1.3 7 1.3s5.4-.5 7-1.3V18zm0-5c0 .5-2.6 2-7 2s-7-1.5-7-2v-2.3c1.6.8 4.1 1.3 7 1.3s5.4-.5 7-1.3V13z"/>
</svg>`;

export const gluelabIcon = new LabIcon({ name: 'gluelab:icon', svgstr: ICON_SVG });

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'gluelab-labextension:plugin',
  description: 'gluelab: the Data Catalog, jobs and runs in the lab',
  autoStart: true,
  requires: [ILabShell],
  optional: [IStatusBar],
  activate: (app: JupyterFrontEnd, shell: ILabShell, statusBar: IStatusBar | null) => {
    const addToShell = (widget: import('@lumino/widgets').Widget) => {
      shell.add(widget, 'main');
      shell.activateById(widget.id);
    };
    const jobs = new JobsSection(addToShell);
    const panel = new GluelabPanel([
      new CatalogSection(async (database, table) => void (await openTableNotebook(app, database, table))),
      new CrawlersSection(),
      jobs,
      new TriggersSection(),
      new WorkflowsSection(addToShell)
    ]);
    panel.title.icon = gluelabIcon;
    shell.add(panel, 'left', { rank: 850 });
    app.docRegistry.addWidgetExtension('Notebook', new ScheduleButtonExtension(() => void jobs.refresh()));
    if (statusBar) {
      statusBar.registerStatusItem('gluelab-labextension:endpoint', { item: new EndpointStatus(), align: 'left', rank: 4 });
    }
  }
};

export default plugin;
