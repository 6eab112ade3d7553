/** Streams and tables: schema, partitions, retention, size and a bounded peek at the latest rows. */
import { api, type PeekAnswer, type RelationSummary } from '../api';
import { cell, duration, ErrorBox, fmt, Table, usePoll } from '../ui';

const PEEK_ROWS = 20;

export function RelationsPage({ name }: { name: string | undefined }) {
  const list = usePoll((signal) => api.get<{ relations: RelationSummary[] }>('/v1/relations', signal), 5000);
  const relations = list.data?.relations ?? [];
  const current = relations.find((r) => r.name === name);
  return (
    <section>
      <h1>Streams and tables</h1>
      <ErrorBox error={list.error} />
      <Table
        class="relations"
        columns={['name', 'kind', 'columns', 'key', 'connector', 'partitions', 'retention', 'size']}
        rows={relations.map((r) => [
          <a href={`#/relations/${encodeURIComponent(r.name)}`} data-relation={r.name}>
            {r.name}
          </a>,
          r.deadLetters ? 'dead letters' : r.kind,
          String(r.columns.length),
          r.key.join(', '),
          r.kind === 'table' ? '' : (r.connector ?? ''),
          r.partitions === undefined ? '–' : String(r.partitions),
          r.retentionMs === undefined ? (r.topic ? 'forever' : '–') : duration(r.retentionMs),
          r.rows !== undefined ? `${fmt(r.rows)} rows` : r.records !== undefined ? `${fmt(r.records)} records` : '–',
        ])}
      />
      {current ? <Relation relation={current} /> : null}
    </section>
  );
}

function Relation({ relation: r }: { relation: RelationSummary }) {
  const peekable = r.kind === 'table' || r.kind === 'view' || r.topic !== undefined;
  const peek = usePoll(
    (signal) => (peekable ? api.get<PeekAnswer>(`/v1/relations/${encodeURIComponent(r.name)}/rows?limit=${PEEK_ROWS}`, signal) : Promise.resolve(undefined)),
    3000,
    [r.name, peekable],
  );
  return (
    <div class="relation" data-relation-detail={r.name}>
      <h2>
        {r.kind} {r.name}
      </h2>
      <Table class="schema" columns={['column', 'type', 'key']} rows={r.columns.map((c) => [c.name, c.type, r.key.includes(c.name) ? 'key' : ''])} />
      <p class="muted">
        {r.watermark ? `watermark ${r.watermark}. ` : ''}
        {r.topic ? `stored in topic ${r.topic}. ` : ''}
        {r.queryId ? (
          <a href={`#/queries/${encodeURIComponent(r.queryId)}`}>
            query {r.queryId}
          </a>
        ) : null}
      </p>
      {r.sql ? <pre class="sql-text">{r.sql}</pre> : null}
      <h2>Latest rows</h2>
      {peekable ? null : <p class="muted">{`${r.name}'s rows come from its ${r.connector ?? ''} connector and are not stored; read them with a push query on the SQL page`}</p>}
      <ErrorBox error={peek.error} />
      {peek.data ? (
        <Table
          class="peek"
          columns={[...(peek.data.rows.some((x) => x.offset !== undefined) ? ['partition@offset'] : []), ...peek.data.columns.map((c) => c.name)]}
          empty="no rows yet"
          rows={peek.data.rows.map((x) => [...(x.offset !== undefined ? [`${x.partition ?? 0}@${x.offset}`] : []), ...x.values.map((v, i) => cell(v, peek.data?.columns[i]?.type))])}
        />
      ) : null}
    </div>
  );
}
