/** Live series: the whole window once, then only the samples newer than those already held. */
import { useEffect, useState } from 'preact/hooks';
import { api, seriesUrl, type Series, type SeriesAnswer } from './api';
import type { Line } from './chart';

export type SeriesMap = ReadonlyMap<string, Series>;

export const seriesKey = (scope: string, id: string, metric: string): string => `${scope}|${id}|${metric}`;

function merge(held: SeriesMap, answer: SeriesAnswer): Map<string, Series> {
  const out = new Map<string, Series>();
  const cutoff = answer.now - answer.windowMs;
  for (const s of answer.series) {
    const key = seriesKey(s.scope, s.id, s.metric);
    const old = held.get(key);
    const t = [...(old?.t ?? []), ...s.t];
    const v = [...(old?.v ?? []), ...s.v];
    const first = t.findIndex((x) => x >= cutoff);
    out.set(key, { ...s, t: first <= 0 ? t : t.slice(first), v: first <= 0 ? v : v.slice(first) });
  }
  return out;
}

/** Polls GET /v1/series for one scope (and id) every `everyMs`. */
export function useSeries(filter: { scope?: string; id?: string }, everyMs = 2000): { series: SeriesMap; error: Error | undefined } {
  const [state, setState] = useState<{ series: SeriesMap; error: Error | undefined }>({ series: new Map(), error: undefined });
  useEffect(() => {
    const ac = new AbortController();
    let held: SeriesMap = new Map();
    let since: number | undefined;
    let timer: number | undefined;
    const run = async (): Promise<void> => {
      try {
        const answer = await api.get<SeriesAnswer>(seriesUrl({ ...filter, since }), ac.signal);
        held = merge(held, answer);
        const newest = Math.max(0, ...[...held.values()].map((s) => s.t[s.t.length - 1] ?? 0));
        if (newest > 0) since = newest + 1;
        if (!ac.signal.aborted) setState({ series: held, error: undefined });
      } catch (err) {
        if (!ac.signal.aborted) setState((s) => ({ series: s.series, error: err as Error }));
      }
      if (!ac.signal.aborted) timer = window.setTimeout(() => void run(), everyMs);
    };
    void run();
    return () => {
      ac.abort();
      window.clearTimeout(timer);
    };
  }, [filter.scope, filter.id, everyMs]);
  return state;
}

/** The series as a chart line, or an empty one. */
export function line(series: SeriesMap, scope: string, id: string, metric: string, label: string): Line {
  const s = series.get(seriesKey(scope, id, metric));
  return { label, t: s?.t ?? [], v: s?.v ?? [] };
}

/** The newest value of a series, or undefined. */
export function latest(series: SeriesMap, scope: string, id: string, metric: string): number | undefined {
  const s = series.get(seriesKey(scope, id, metric));
  for (let i = (s?.v.length ?? 0) - 1; i >= 0; i--) {
    const v = s!.v[i];
    if (v !== null && v !== undefined) return v;
  }
  return undefined;
}
