/**
 * A query plan as a graph: EXPLAIN's indented text parsed into operators, laid out with dagre,
 * drawn as SVG with each operator's rows per second, and the operator with the lowest throughput
 * marked as where back-pressure starts.
 */
import dagre from '@dagrejs/dagre';
import type { PlanNode } from './plan-model';

export { parsePlan, slowestOperator, type PlanNode } from './plan-model';

const CHAR_W = 7;
const NODE_H = 46;

function label(n: PlanNode): string {
  return n.detail.length > 48 ? `${n.detail.slice(0, 47)}…` : n.detail;
}

export function PlanGraph({ nodes, rates, slowest }: { nodes: readonly PlanNode[]; rates: ReadonlyMap<number, number>; slowest: number | undefined }) {
  if (nodes.length === 0) return <p class="muted">no plan</p>;
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'BT', nodesep: 24, ranksep: 34, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(String(n.index), { width: Math.max(n.name.length + 14, label(n).length) * CHAR_W + 20, height: NODE_H });
  for (const n of nodes) if (n.parent !== undefined) g.setEdge(String(n.index), String(n.parent));
  dagre.layout(g);
  const graph = g.graph();
  const width = Math.ceil(graph.width ?? 400);
  const height = Math.ceil(graph.height ?? 200);
  return (
    <svg class="plan" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label="query plan">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" class="plan-arrow" />
        </marker>
      </defs>
      {g.edges().map((e) => {
        const pts = g.edge(e).points;
        return <polyline key={`${e.v}-${e.w}`} class="plan-edge" points={pts.map((p) => `${p.x},${p.y}`).join(' ')} marker-end="url(#arrow)" />;
      })}
      {nodes.map((n) => {
        const box = g.node(String(n.index));
        const x = box.x - box.width / 2;
        const y = box.y - box.height / 2;
        const rate = rates.get(n.index);
        return (
          <g key={n.index} class={`plan-node${n.index === slowest ? ' slowest' : ''}`} data-operator={n.name} data-rate={rate === undefined ? '' : String(Math.round(rate))}>
            <title>{`${n.name}: ${n.detail}${n.streamKind ? `  [${n.streamKind}]` : ''}`}</title>
            <rect x={x} y={y} width={box.width} height={box.height} rx="6" />
            <text x={x + 10} y={y + 18} class="plan-name">
              {n.name}
              <tspan class="plan-rate">{rate === undefined ? '' : `  ${Math.round(rate)} rows/s`}</tspan>
            </text>
            <text x={x + 10} y={y + 35} class="plan-detail">
              {label(n)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
