/** A live time-series chart (uPlot) of one or more series sampled by the server. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Line {
  readonly label: string;
  /** Times in ms since the epoch. */
  readonly t: readonly number[];
  readonly v: readonly (number | null)[];
}

const PALETTE = ['#4e9af1', '#f1a34e', '#5cc98b', '#e25c73', '#a97cf0', '#d9c34a', '#4ec9c9', '#c97c4e'];

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** Aligns series with their own timestamps onto one time axis (seconds), gaps as null. */
export function align(lines: readonly Line[]): uPlot.AlignedData {
  const times = [...new Set(lines.flatMap((l) => l.t))].sort((a, b) => a - b);
  const at = new Map(times.map((t, i) => [t, i]));
  const columns = lines.map((l) => {
    const col: (number | null)[] = new Array<number | null>(times.length).fill(null);
    l.t.forEach((t, i) => (col[at.get(t)!] = l.v[i] ?? null));
    return col;
  });
  return [times.map((t) => t / 1000), ...columns] as uPlot.AlignedData;
}

/** Points drawn: the number of non-null values over all lines (the tests read it from the DOM). */
function pointCount(lines: readonly Line[]): number {
  return lines.reduce((n, l) => n + l.v.filter((x) => x !== null).length, 0);
}

export function Chart({ title, lines, unit = '', height = 160, id }: { title: string; lines: readonly Line[]; unit?: string; height?: number; id?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = lines.map((l) => l.label).join('\u0000');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = { stroke: cssVar('--muted', '#888'), grid: { stroke: cssVar('--grid', '#8883'), width: 1 }, ticks: { stroke: cssVar('--grid', '#8883'), width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [axis, { ...axis, size: 60, values: (_u, ticks) => ticks.map((v) => `${formatTick(v)}${unit}`) }],
      series: [{}, ...lines.map((l, i) => ({ label: l.label, stroke: PALETTE[i % PALETTE.length]!, width: 1.5, spanGaps: false, points: { show: false } }))],
    };
    const u = new uPlot(opts, align(lines), el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // A new set of lines needs a new plot; new values of the same lines only new data.
  }, [labels, height, unit]);

  useEffect(() => {
    plot.current?.setData(align(lines));
  }, [lines]);

  return (
    <figure class="chart" data-chart={id ?? title} data-points={pointCount(lines)}>
      <figcaption>{title}</figcaption>
      <div ref={box} class="chart-box" />
    </figure>
  );
}

function formatTick(v: number): string {
  if (Math.abs(v) >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}
