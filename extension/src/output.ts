/** A notebook run's output notebook (executed, with its outputs) in the main area, as the server
 * extension renders it (<base>/gluelab/runs/<run id>/output.html), with a link to the .ipynb itself. */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { IFrame } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { apiUrl } from './api';
import { h } from './dom';

export function openOutput(jobName: string, runId: string, addToShell: (widget: Widget) => void): void {
  const frame = new IFrame({ sandbox: [] }); // the page is shown, never run: no scripts, no forms
  frame.url = apiUrl('runs', encodeURIComponent(runId), 'output.html');
  frame.addClass('gluelab-output-frame');
  const widget = new MainAreaWidget({ content: frame });
  widget.id = `gluelab-output-${runId}`;
  widget.title.label = `Output: ${jobName}`;
  widget.title.caption = `${jobName} run ${runId}: the executed notebook`;
  widget.title.closable = true;
  widget.node.setAttribute('data-output', runId);
  const link = h(
    'a',
    { class: 'gluelab-link', href: apiUrl('runs', encodeURIComponent(runId), 'output.ipynb'), download: `${runId}.ipynb` },
    'Download .ipynb'
  );
  widget.toolbar.addItem('download', new Widget({ node: link }));
  addToShell(widget);
}
