/** One section of the gluelab sidebar: renders itself, refreshes on demand, may poll while visible. */
import { errorBox, h } from './dom';

export abstract class Section {
  abstract readonly name: string;
  abstract readonly label: string;
  readonly node: HTMLElement = h('div', { class: 'gluelab-section-body' });
  private timer: number | undefined;
  private visible = false;

  /** The section's content, built from fresh API answers. */
  abstract render(): Promise<HTMLElement>;

  /** While visible, `poll()` runs every `pollMs` (0: no polling). */
  protected pollMs = 0;
  protected async poll(): Promise<void> {
    /* nothing by default */
  }

  async refresh(): Promise<void> {
    this.node.setAttribute('data-loading', '');
    try {
      this.node.replaceChildren(await this.render());
    } catch (error) {
      this.node.replaceChildren(errorBox(error));
    }
    this.node.removeAttribute('data-loading');
    this.node.setAttribute('data-ready', '');
  }

  show(): void {
    this.visible = true;
    void this.refresh();
    if (this.pollMs > 0 && this.timer === undefined) {
      this.timer = window.setInterval(() => {
        if (this.visible) {
          void this.poll();
        }
      }, this.pollMs);
    }
  }

  hide(): void {
    this.visible = false;
    if (this.timer !== undefined) {
      window.clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
