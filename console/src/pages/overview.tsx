/** Overview: every query with its live figures, charts of the last 15 minutes, engine figures. */
import { api, type QueryInfo } from '../api';
import { Chart } from '../chart';
import { latest, line, useSeries } from '../series';
import { bytes, duration, ErrorBox, fmt, Stat, Table, usePoll } from '../ui';

export function Overview() {
  const queries = usePoll((signal) => api.get<{ queries: QueryInfo[] }>('/v1/queries', signal), 2000);
  const { series, error } = useSeries({});
  const list = queries.data?.queries ?? [];
  const running = list.filter((q) => q.status === 'running');
  const stateFigures = [...series.values()].filter((s) => s.scope === 'engine' && s.metric.startsWith('state_')).map((s) => s.metric);
  const perQuery = (metric: string, suffix: string) => list.map((q) => line(series, 'query', q.id, metric, `${q.name ?? q.id}${suffix}`));
  return (
    <section>
      <h1>Overview</h1>
      <ErrorBox error={queries.error ?? error} />
      <div class="stats">
        <Stat id="queries" label="queries running" value={`${running.length} of ${list.length}`} />
        <Stat id="cpu" label="engine CPU" value={`${fmt(latest(series, 'engine', '', 'cpu_percent'))} %`} />
        <Stat id="heap" label="heap used" value={bytes(latest(series, 'engine', '', 'heap_used_bytes'))} />
        <Stat id="rss" label="RSS" value={bytes(latest(series, 'engine', '', 'rss_bytes'))} />
        <Stat id="external" label="off-heap (Arrow, models)" value={bytes(latest(series, 'engine', '', 'external_bytes'))} />
        {stateFigures.length === 0 ? <Stat id="state" label="state cache" value="not reported" /> : null}
        {stateFigures.map((metric) => (
          <Stat key={metric} id={metric} label={metric.replace(/_/g, ' ')} value={metric.includes('bytes') ? bytes(latest(series, 'engine', '', metric)) : fmt(latest(series, 'engine', '', metric))} />
        ))}
      </div>
      <Table
        class="queries"
        columns={['query', 'kind', 'status', 'rows in/s', 'rows out/s', 'lag', 'latency p50', 'latency p99', 'dead letters', 'dead letters/s', 'checkpoint age']}
        empty="no queries: create a materialized view or run a push query"
        rows={list.map((q) => [
          <a href={`#/queries/${encodeURIComponent(q.id)}`} data-query-id={q.id}>
            {q.name ?? q.id}
          </a>,
          q.kind,
          <span class={`status status-${q.status}`}>{q.status}</span>,
          fmt(latest(series, 'query', q.id, 'rows_in_per_s') ?? q.rateIn),
          fmt(latest(series, 'query', q.id, 'rows_out_per_s') ?? q.rateOut),
          fmt(q.lag),
          duration(latest(series, 'query', q.id, 'latency_p50_ms')),
          duration(latest(series, 'query', q.id, 'latency_p99_ms')),
          fmt(q.deadLetters),
          fmt(latest(series, 'query', q.id, 'dead_letters_per_s')),
          duration(1000 * (latest(series, 'query', q.id, 'checkpoint_age_s') ?? NaN)),
        ])}
      />
      <div class="charts">
        <Chart id="rows-in" title="rows in per second" lines={perQuery('rows_in_per_s', '')} />
        <Chart id="rows-out" title="rows out per second" lines={perQuery('rows_out_per_s', '')} />
        <Chart id="latency" title="end-to-end latency (ms)" lines={[...perQuery('latency_p50_ms', ' p50'), ...perQuery('latency_p99_ms', ' p99')]} />
        <Chart id="lag" title="lag (records)" lines={perQuery('lag', '')} />
        <Chart id="dead-letters" title="dead letters per second" lines={perQuery('dead_letters_per_s', '')} />
        <Chart id="checkpoint-age" title="checkpoint age (s)" lines={perQuery('checkpoint_age_s', '')} />
        <Chart id="cpu" title="engine CPU (%)" lines={[line(series, 'engine', '', 'cpu_percent', 'CPU')]} />
        <Chart id="memory" title="engine memory (MiB)" lines={[scaled(line(series, 'engine', '', 'heap_used_bytes', 'heap')), scaled(line(series, 'engine', '', 'rss_bytes', 'RSS'))]} />
      </div>
    </section>
  );
}

function scaled(l: { label: string; t: readonly number[]; v: readonly (number | null)[] }) {
  return { ...l, v: l.v.map((x) => (x === null ? null : x / (1024 * 1024))) };
}
