/** The "gluelab" left sidebar: a tab strip of sections, one shown at a time, refreshed when shown. */
import { Widget } from '@lumino/widgets';

import { button, h } from './dom';
import { Section } from './section';

export class GluelabPanel extends Widget {
  private current: Section | undefined;

  constructor(readonly sections: Section[]) {
    super({ node: h('div', { class: 'gluelab-panel' }) });
    this.id = 'gluelab-panel';
    this.title.caption = 'gluelab: catalog, jobs, runs';
    const tabs = h('div', { class: 'gluelab-tabs', role: 'tablist' });
    const body = h('div', { class: 'gluelab-panel-body' });
    for (const section of sections) {
      const tab = h('button', { class: 'gluelab-tab', role: 'tab', type: 'button', 'data-section': section.name }, section.label);
      tab.addEventListener('click', () => this.select(section));
      tabs.append(tab);
      section.node.hidden = true;
      section.node.setAttribute('data-section', section.name);
      body.append(section.node);
    }
    const refresh = button('↻', () => void this.current?.refresh(), { title: 'Refresh', 'data-action': 'refresh' });
    this.node.append(h('div', { class: 'gluelab-panel-head' }, h('span', { class: 'gluelab-title' }, 'gluelab'), refresh), tabs, body);
  }

  select(section: Section): void {
    if (this.current && this.current !== section) {
      this.current.hide();
      this.current.node.hidden = true;
    }
    this.current = section;
    section.node.hidden = false;
    this.node.querySelectorAll('.gluelab-tab').forEach(tab =>
      tab.classList.toggle('gluelab-tab-active', tab.getAttribute('data-section') === section.name)
    );
    section.show();
  }

  protected onAfterShow(): void {
    this.select(this.current || this.sections[0]);
  }

  protected onAfterHide(): void {
    this.current?.hide();
  }
}
