/** One query: plan graph with rows/s per operator, SQL text, charts, dead letters, stop/start/cancel. */
import { useState } from 'preact/hooks';
import { api, apiPaths, type PeekAnswer, type QueryInfo, type RelationSummary } from '../api';
import { Chart } from '../chart';
import { parsePlan, PlanGraph, slowestOperator } from '../plan';
import { latest, line, useSeries, type SeriesMap } from '../series';
import { cell, ConfirmButton, duration, ErrorBox, fmt, Stat, Table, usePoll } from '../ui';

function operatorRates(series: SeriesMap, q: QueryInfo, nodes: ReturnType<typeof parsePlan>): Map<number, number> {
  const rates = new Map<number, number>();
  for (const n of nodes) {
    const r = n.name === 'SourceExec' ? latest(series, 'query', q.id, 'rows_in_per_s') : n.execIndex >= 0 ? latest(series, 'operator', `${q.id}/${n.execIndex}:${n.name}`, 'rows_per_s') : undefined;
    if (r !== undefined) rates.set(n.index, r);
  }
  return rates;
}

export function QueryPage({ id, readOnly }: { id: string; readOnly: boolean }) {
  const query = usePoll((signal) => api.get<{ query: QueryInfo }>(`/v1/queries/${encodeURIComponent(id)}`, signal), 2000, [id]);
  const plan = usePoll((signal) => api.get<{ text: string }>(`/v1/queries/${encodeURIComponent(id)}/plan`, signal), 0, [id]);
  const { series } = useSeries({ id });
  const [actionError, setActionError] = useState<Error | undefined>(undefined);
  const [message, setMessage] = useState('');
  const paths = usePoll(() => apiPaths(), 0);
  const offers = (route: string): boolean => paths.data?.has(route) ?? false;
  const q = query.data?.query;
  if (!q) return <ErrorBox error={query.error} />;

  const nodes = parsePlan(plan.data?.text ?? '');
  const rates = operatorRates(series, q, nodes);
  const slowest = slowestOperator(nodes, rates);
  const slowNode = slowest === undefined ? undefined : nodes[slowest];
  const act = (what: string, run: () => Promise<unknown>) => async () => {
    setActionError(undefined);
    try {
      await run();
      setMessage(`${what}: done`);
      query.reload();
    } catch (err) {
      setActionError(err as Error);
    }
  };
  const path = `/v1/queries/${encodeURIComponent(q.id)}`;
  return (
    <section>
      <h1>
        {q.kind} {q.name ?? q.id} <span class={`status status-${q.status}`}>{q.status}</span>
      </h1>
      {q.error ? <div class="error">{`${q.error.code}: ${q.error.message}`}</div> : null}
      {readOnly ? (
        <p class="muted">read-only console: stop, start and cancel are not offered</p>
      ) : (
        <div class="actions">
          {offers('POST /v1/queries/{id}/stop') ? <ConfirmButton label="Stop" question={`Stop ${q.id}? It keeps its state and can start again.`} onConfirm={act('stop', () => api.post(`${path}/stop`, {}))} /> : null}
          {offers('POST /v1/queries/{id}/start') ? <ConfirmButton label="Start" question={`Start ${q.id}?`} onConfirm={act('start', () => api.post(`${path}/start`, {}))} /> : null}
          <ConfirmButton label="Cancel" question={`Cancel ${q.id}? A push query ends; a view's or sink's runner stops.`} onConfirm={act('cancel', () => api.del(path))} />
          <span class="muted">{message}</span>
        </div>
      )}
      <ErrorBox error={actionError} />
      <div class="stats">
        <Stat id="rows-in" label="rows in" value={fmt(q.rowsIn)} />
        <Stat id="rows-out" label="rows out" value={fmt(q.rowsOut)} />
        <Stat id="rate-in" label="rows in/s" value={fmt(latest(series, 'query', q.id, 'rows_in_per_s') ?? q.rateIn)} />
        <Stat id="lag" label="lag" value={fmt(q.lag)} />
        <Stat id="p99" label="latency p99" value={duration(latest(series, 'query', q.id, 'latency_p99_ms'))} />
        <Stat id="dead-letters" label="dead letters" value={fmt(q.deadLetters)} />
        <Stat id="checkpoint" label="last checkpoint" value={q.lastCheckpointEpoch === undefined ? '–' : `epoch ${q.lastCheckpointEpoch}`} />
      </div>
      <h2>Plan</h2>
      <ErrorBox error={plan.error} />
      <div class="plan-box">
        <PlanGraph nodes={nodes} rates={rates} slowest={slowest} />
      </div>
      {slowNode ? (
        <p class="hint backpressure" data-slowest={slowNode.name}>
          Lowest throughput: <strong>{slowNode.name}</strong> at {fmt(rates.get(slowNode.index))} rows/s. If lag grows, this is where back-pressure starts: the operators below it wait on it.
        </p>
      ) : rates.size >= 2 ? (
        <p class="hint backpressure" data-slowest="">
          Every operator keeps pace (rows/s within 5% of each other): no back-pressure.
        </p>
      ) : null}
      <h2>SQL</h2>
      <pre class="sql-text">{q.sql}</pre>
      <div class="charts">
        <Chart id="rows" title="rows per second" lines={[line(series, 'query', q.id, 'rows_in_per_s', 'in'), line(series, 'query', q.id, 'rows_out_per_s', 'out')]} />
        <Chart id="latency" title="end-to-end latency (ms)" lines={[line(series, 'query', q.id, 'latency_p50_ms', 'p50'), line(series, 'query', q.id, 'latency_p99_ms', 'p99')]} />
        <Chart id="operators" title="rows per second by operator" lines={nodes.filter((n) => n.execIndex >= 0 && n.name !== 'SourceExec').map((n) => line(series, 'operator', `${q.id}/${n.execIndex}:${n.name}`, 'rows_per_s', n.name))} />
        <Chart id="lag" title="lag (records)" lines={[line(series, 'query', q.id, 'lag', 'lag')]} />
        <Chart id="dead-letters" title="dead letters per second" lines={[line(series, 'query', q.id, 'dead_letters_per_s', 'dead letters')]} />
      </div>
      {q.name ? <DeadLetters view={q.name} /> : null}
    </section>
  );
}

const PAGE = 20;

/** The query's dead-letter stream `<name>_dlq`, newest first, a page at a time. */
function DeadLetters({ view }: { view: string }) {
  const [pages, setPages] = useState<(number | undefined)[]>([undefined]);
  const before = pages[pages.length - 1];
  const dlq = `${view}_dlq`;
  const relations = usePoll((signal) => api.get<{ relations: RelationSummary[] }>('/v1/relations', signal), 5000);
  const exists = relations.data?.relations.some((r) => r.name === dlq) ?? false;
  const page = usePoll(
    (signal) => (exists ? api.get<PeekAnswer>(`/v1/relations/${encodeURIComponent(dlq)}/rows?limit=${PAGE}&partition=0${before === undefined ? '' : `&before=${before}`}`, signal) : Promise.resolve(undefined)),
    before === undefined ? 3000 : 0,
    [dlq, before, exists],
  );
  const col = (name: string) => page.data?.columns.findIndex((c) => c.name === name) ?? -1;
  const rows = page.data?.rows ?? [];
  return (
    <div class="dead-letters">
      <h2>Dead letters</h2>
      <ErrorBox error={page.error} />
      {!exists ? (
        <p class="muted">no dead letters: {dlq} has not been created (it appears with the first failed row)</p>
      ) : (
        <>
          <Table
            class="dlq"
            columns={['offset', 'time', 'reason', 'operator', 'source position', 'row']}
            empty="no dead letters"
            rows={rows.map((r) => [String(r.offset ?? ''), cell(r.values[col('ts')], 'TIMESTAMP'), cell(r.values[col('reason')]), cell(r.values[col('operator')]), cell(r.values[col('source')]), <code>{cell(r.values[col('row')])}</code>])}
          />
          <div class="pager">
            <button type="button" disabled={pages.length === 1} onClick={() => setPages(pages.slice(0, -1))}>
              Newer
            </button>
            <button type="button" disabled={page.data?.next === undefined} onClick={() => setPages([...pages, page.data?.next])}>
              Older
            </button>
          </div>
        </>
      )}
    </div>
  );
}
