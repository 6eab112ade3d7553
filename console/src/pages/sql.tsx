/**
 * The SQL page: statements run through POST /v1/sql; one SELECT streams through POST /v1/query,
 * its table updated in place as rows are inserted, updated and deleted. Leaving the page (or
 * Cancel) closes the stream, which cancels the query on the server.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, errorOf, runSql, streamQuery, type Column, type SqlResult } from '../api';
import { SqlEditor } from '../sql-editor';
import { applyChange, isOneSelect } from '../sql-text';
import { cell, ErrorBox, Table } from '../ui';

const SQL_KEY = 'sluice.sql';
/** Most rows an append-only stream keeps on screen (the newest). */
const MAX_ROWS = 1000;

interface Live {
  columns: Column[];
  rows: unknown[][];
  updating: boolean;
  queryId: string | null;
  received: number;
  state: 'running' | 'ended' | 'cancelled' | 'failed';
  errors: { reason: string; operator: string; row: unknown }[];
}

function Caret({ sql, error }: { sql: string; error: ApiError }) {
  if (!error.position) return null;
  const { line, column } = error.position;
  const text = sql.split('\n')[line - 1] ?? '';
  const width = error.end && error.end.line === line ? Math.max(1, error.end.column - column) : 1;
  const prefix = `LINE ${line}: `;
  return (
    <pre class="caret-box" data-line={line} data-column={column}>
      {prefix}
      {text}
      {'\n'}
      <span class="caret">{`${' '.repeat(prefix.length + column - 1)}${'^'.repeat(width)}`}</span>
    </pre>
  );
}

function Results({ results }: { results: SqlResult[] }) {
  return (
    <div class="results">
      {results.map((r, i) => (
        <div key={i} class="result">
          <div class="muted statement">{r.statement}</div>
          {r.kind === 'ok' ? <p class="ok">{r.message}</p> : null}
          {r.kind === 'explain' ? <pre class="explain">{r.text}</pre> : null}
          {r.kind === 'rows' ? (
            <>
              <Table class="result-table" columns={r.columns.map((c) => `${c.name} ${c.type}`)} rows={r.rows.map((row) => row.map((v, j) => cell(v, r.columns[j]?.type)))} />
              {r.errors?.length ? <RowErrors errors={r.errors} /> : null}
            </>
          ) : null}
        </div>
      ))}
    </div>
  );
}

function RowErrors({ errors }: { errors: { reason: string; operator: string; row: unknown }[] }) {
  return <Table class="row-errors" columns={['failed row', 'operator', 'reason']} rows={errors.map((e) => [<code>{cell(e.row)}</code>, e.operator, e.reason])} />;
}

export function SqlPage({ readOnly }: { readOnly: boolean }) {
  const [sql, setSql] = useState(() => sessionStorage.getItem(SQL_KEY) ?? 'SHOW STREAMS');
  const [names, setNames] = useState<string[]>([]);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [ranSql, setRanSql] = useState('');
  const [results, setResults] = useState<SqlResult[]>([]);
  const [live, setLive] = useState<Live | undefined>(undefined);
  const stream = useRef<AbortController | undefined>(undefined);

  useEffect(() => {
    const ac = new AbortController();
    api.get<{ names: string[] }>('/v1/catalog', ac.signal).then((c) => setNames(c.names), () => undefined);
    // Leaving the page cancels a running push query.
    return () => {
      ac.abort();
      stream.current?.abort();
    };
  }, []);
  useEffect(() => sessionStorage.setItem(SQL_KEY, sql), [sql]);

  const cancel = (): void => {
    stream.current?.abort();
    stream.current = undefined;
    setLive((l) => (l && l.state === 'running' ? { ...l, state: 'cancelled' } : l));
  };

  const run = async (): Promise<void> => {
    cancel();
    setError(undefined);
    setResults([]);
    setLive(undefined);
    setRanSql(sql);
    if (!isOneSelect(sql)) {
      try {
        const r = await runSql(sql);
        setResults(r.results);
        if (r.error) setError(r.error);
        api.get<{ names: string[] }>('/v1/catalog').then((c) => setNames(c.names), () => undefined);
      } catch (err) {
        setError(err as Error);
      }
      return;
    }
    const ac = new AbortController();
    stream.current = ac;
    const state: Live = { columns: [], rows: [], updating: false, queryId: null, received: 0, state: 'running', errors: [] };
    const pending = { at: undefined as number | undefined };
    let frame = 0;
    const show = (): void => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        if (!state.updating && state.rows.length > MAX_ROWS) state.rows.splice(0, state.rows.length - MAX_ROWS);
        setLive({ ...state, rows: [...state.rows] });
      });
    };
    try {
      await streamQuery(sql, ac.signal, (m) => {
        if ('columns' in m) Object.assign(state, { columns: m.columns, updating: m.updating, queryId: m.queryId });
        else if ('op' in m) {
          state.received++;
          applyChange(state.rows, m.op, m.values, pending);
        } else if ('errors' in m) state.errors.push(...m.errors);
        else if ('error' in m) {
          state.state = 'failed';
          setError(errorOf(500, m));
        } else if ('end' in m) state.state = 'ended';
        show();
      });
      if (state.state === 'running') state.state = 'ended';
      show();
    } catch (err) {
      if (ac.signal.aborted) return;
      setError(err as Error);
    }
  };

  const errorSpan = error instanceof ApiError && error.position ? { from: error.position.offset, to: error.end && error.end.offset > error.position.offset ? error.end.offset : error.position.offset + 1 } : undefined;
  return (
    <section class="sql-page">
      <h1>SQL</h1>
      {readOnly ? <p class="muted">read-only console: SELECT, SHOW, DESCRIBE and EXPLAIN run; anything that changes the catalog or data is refused</p> : null}
      <SqlEditor value={sql} onChange={setSql} onRun={() => void run()} names={names} error={ranSql === sql ? errorSpan : undefined} />
      <div class="actions">
        <button type="button" class="primary" onClick={() => void run()}>
          Run <span class="muted">(Ctrl+Enter)</span>
        </button>
        <button type="button" disabled={live?.state !== 'running'} onClick={cancel}>
          Cancel
        </button>
        {live ? (
          <span class="live-state" data-state={live.state}>
            {live.queryId ? `${live.queryId}: ` : ''}
            {live.state === 'running' ? 'running, updating live' : live.state} · {live.received} change(s) received · {live.rows.length} row(s) shown
          </span>
        ) : null}
      </div>
      <ErrorBox error={error} />
      {error instanceof ApiError ? <Caret sql={ranSql} error={error} /> : null}
      {live ? (
        <div class="result">
          <Table class="result-table live" columns={live.columns.map((c) => `${c.name} ${c.type}`)} rows={(live.updating ? live.rows : [...live.rows].reverse()).map((row) => row.map((v, j) => cell(v, live.columns[j]?.type)))} />
          {live.errors.length ? <RowErrors errors={live.errors} /> : null}
        </div>
      ) : null}
      <Results results={results} />
    </section>
  );
}
