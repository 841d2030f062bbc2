/** Small DOM helpers: the panels are plain DOM inside Lumino widgets (no framework). */

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: { [name: string]: string | number | boolean | undefined } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) {
      continue;
    }
    if (name === 'class') {
      element.className = String(value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, ...children);
  return element;
}

export function append(element: Element, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

export function button(label: string, onClick: () => void, attrs: { [name: string]: string } = {}): HTMLButtonElement {
  const b = h('button', { class: 'jp-Button gluelab-button', type: 'button', ...attrs }, label);
  b.addEventListener('click', event => {
    event.stopPropagation();
    onClick();
  });
  return b;
}

/** A run, crawl or node state as a coloured badge; `data-state` lets tests and styles find it. */
export function stateBadge(state: string | undefined): HTMLElement {
  const value = state || 'NOT RUN';
  return h('span', { class: `gluelab-state gluelab-state-${value.toLowerCase().replace(/\s+/g, '-')}`, 'data-state': value }, value);
}

/** Shows an error (a GlueError's message) where a view would be. */
export function errorBox(error: unknown): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  return h('div', { class: 'gluelab-error', role: 'alert' }, code ? `${code}: ${message}` : message);
}

export function table(headers: string[], rows: Child[][], attrs: { [name: string]: string } = {}): HTMLTableElement {
  return h(
    'table',
    { class: 'gluelab-table', ...attrs },
    h('thead', {}, h('tr', {}, ...headers.map(text => h('th', {}, text)))),
    h('tbody', {}, ...rows.map(cells => h('tr', {}, ...cells.map(cell => h('td', {}, cell)))))
  );
}
