/**
 * Prometheus metrics whose values live elsewhere (a running query's counters, a model's
 * statistics) and are read when /metrics is scraped. Names follow Prometheus conventions: a
 * count that only grows is a counter and ends in `_total`; a value that can go down is a gauge
 * and does not.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

type Labels<L extends string> = Partial<Record<L, string>>;

export interface ReadMetricSpec<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** The current values, one per label set; read at each scrape. */
  readonly read: () => Iterable<readonly [Labels<L>, number]>;
}

/**
 * A counter read from its source at each scrape. The series of a source that is gone (a
 * stopped query, a dropped model) disappear; one that starts again from zero reads as a
 * counter reset, which rate() and increase() allow for.
 */
export function readCounter<L extends string>(registry: Registry, spec: ReadMetricSpec<L>): Counter<L> {
  if (!spec.name.endsWith('_total')) throw new Error(`counter ${spec.name} must end in _total`);
  const counter: Counter<L> = new Counter<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    registers: [registry],
    collect: () => {
      counter.reset();
      for (const [labels, value] of spec.read()) counter.inc(labels, Math.max(0, value));
    },
  });
  return counter;
}

/** A gauge read from its source at each scrape. */
export function readGauge<L extends string>(registry: Registry, spec: ReadMetricSpec<L>): Gauge<L> {
  if (spec.name.endsWith('_total')) throw new Error(`gauge ${spec.name} must not end in _total`);
  const gauge: Gauge<L> = new Gauge<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    registers: [registry],
    collect: () => {
      gauge.reset();
      for (const [labels, value] of spec.read()) gauge.set(labels, value);
    },
  });
  return gauge;
}
