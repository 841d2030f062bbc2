/**
 * A workflow's graph (Glue's Nodes and Edges) as SVG: nodes in layers by their longest path from a start
 * trigger, left to right. With a run's graph, job and crawler nodes are coloured by their state there.
 */
import { Json } from './api';

const NODE_W = 170;
const NODE_H = 44;
const GAP_X = 60;
const GAP_Y = 18;
const SVG_NS = 'http://www.w3.org/2000/svg';

/** A node's state in a run: its newest job run's or crawl's; triggers and unrun nodes have none. */
export function nodeState(node: Json): string | undefined {
  if (node.Type === 'JOB') {
    return node.JobDetails?.JobRuns?.[0]?.JobRunState;
  }
  if (node.Type === 'CRAWLER') {
    return node.CrawlerDetails?.Crawls?.[0]?.State;
  }
  return undefined;
}

function layers(nodes: Json[], edges: Json[]): Map<string, number> {
  const incoming = new Map<string, string[]>();
  for (const e of edges) {
    incoming.set(e.DestinationId, [...(incoming.get(e.DestinationId) || []), e.SourceId]);
  }
  const depth = new Map<string, number>();
  const visit = (id: string, seen: Set<string>): number => {
    if (depth.has(id)) {
      return depth.get(id)!;
    }
    if (seen.has(id)) {
      return 0; // a cycle: Glue graphs have none, but never loop
    }
    seen.add(id);
    const d = Math.max(-1, ...(incoming.get(id) || []).map(s => visit(s, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  nodes.forEach(n => visit(n.UniqueId, new Set()));
  return depth;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: { [k: string]: string | number }): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    element.setAttribute(k, String(v));
  }
  return element;
}

export function renderGraph(graph: Json, onNode?: (node: Json) => void): SVGSVGElement {
  const nodes: Json[] = graph?.Nodes || [];
  const edges: Json[] = graph?.Edges || [];
  const depth = layers(nodes, edges);
  const columns: Json[][] = [];
  for (const n of nodes) {
    const d = depth.get(n.UniqueId) || 0;
    (columns[d] = columns[d] || []).push(n);
  }
  const at = new Map<string, { x: number; y: number }>();
  columns.forEach((column, i) =>
    column
      .sort((a, b) => String(a.Name).localeCompare(String(b.Name)))
      .forEach((n, j) => at.set(n.UniqueId, { x: 10 + i * (NODE_W + GAP_X), y: 10 + j * (NODE_H + GAP_Y) }))
  );
  const width = 20 + Math.max(1, columns.length) * (NODE_W + GAP_X) - GAP_X;
  const height = 20 + Math.max(1, ...columns.map(c => c.length)) * (NODE_H + GAP_Y) - GAP_Y;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'gluelab-graph' });
  const defs = svg('defs', {});
  const marker = svg('marker', { id: 'gluelab-arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto' });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'gluelab-graph-arrow' }));
  defs.append(marker);
  root.append(defs);
  for (const e of edges) {
    const a = at.get(e.SourceId);
    const b = at.get(e.DestinationId);
    if (!a || !b) {
      continue;
    }
    const x1 = a.x + NODE_W;
    const y1 = a.y + NODE_H / 2;
    const x2 = b.x;
    const y2 = b.y + NODE_H / 2;
    const mid = (x1 + x2) / 2;
    root.append(
      svg('path', {
        d: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`,
        class: 'gluelab-graph-edge',
        'marker-end': 'url(#gluelab-arrow)',
        'data-edge': `${e.SourceId}->${e.DestinationId}`
      })
    );
  }
  for (const n of nodes) {
    const p = at.get(n.UniqueId)!;
    const state = nodeState(n);
    const kind = String(n.Type).toLowerCase();
    const group = svg('g', {
      class: `gluelab-graph-node gluelab-graph-${kind}`,
      transform: `translate(${p.x},${p.y})`,
      'data-node': n.Name,
      'data-type': n.Type,
      'data-state': state || (n.Type === 'TRIGGER' ? 'TRIGGER' : 'NOT RUN')
    });
    const shape =
      n.Type === 'TRIGGER'
        ? svg('rect', { width: NODE_W, height: NODE_H, rx: NODE_H / 2, class: 'gluelab-graph-shape' })
        : svg('rect', { width: NODE_W, height: NODE_H, rx: 4, class: 'gluelab-graph-shape' });
    const title = svg('text', { x: 10, y: 18, class: 'gluelab-graph-name' });
    title.textContent = `${n.Type === 'TRIGGER' ? '◆' : n.Type === 'JOB' ? '▶' : '⌕'} ${n.Name}`;
    const note = svg('text', { x: 10, y: 34, class: 'gluelab-graph-note' });
    note.textContent = n.Type === 'TRIGGER' ? n.TriggerDetails?.Trigger?.Type || '' : state || kind;
    group.append(shape, title, note);
    if (onNode) {
      group.addEventListener('click', () => onNode(n));
    }
    root.append(group);
  }
  return root;
}
