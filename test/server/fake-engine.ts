/**
 * A small in-memory engine for API and shell tests. It understands a handful of statement
 * shapes: CREATE ... (ok), SELECT ... FROM ticks (append-only push, one row per tick),
 * SELECT ... FROM counts (updating push), SELECT ... FROM scores (pull rows), EXPLAIN ...,
 * and answers anything else with a SYNTAX_ERROR or UNKNOWN_RELATION pointing at the SQL. Like
 * the real engine it plans every statement before running any; `CREATE MODEL broken` plans but
 * fails when run.
 */
import { Registry, Counter } from 'prom-client';
import { SluiceError } from '../../src/common/errors.js';
import { positionAt } from '../../src/common/span.js';
import type { PlannedStatement, PushRow, QueryInfo, StatementResult } from '../../src/engine/types.js';
import type { EngineLike } from '../../src/server/engine-like.js';

export interface FakeEngine extends EngineLike {
  /** Ids of push queries whose cancel() was called. */
  readonly cancelled: Set<string>;
  readonly registered: { name: string; path: string; by: string }[];
  readonly changes: { name: string; change: unknown; origin: unknown }[];
  /** Milliseconds between batches of push rows. */
  tickMs: number;
  /** Rows in each batch of an append-only push query. */
  tickRows: number;
}

const VIEW: Record<string, Record<string, unknown>> = {
  'card-1': { card_id: 'card-1', score: 0.25, n: 3n },
  'card-2': { card_id: 'card-2', score: 0.97, n: 9007199254740993n },
};

function spanError(code: 'SYNTAX_ERROR' | 'UNKNOWN_RELATION', sql: string, at: number, len: number, message: string, hint?: string): SluiceError {
  const span = { start: positionAt(sql, at), end: positionAt(sql, at + len) };
  return new SluiceError(code, message, { span, sql, ...(hint === undefined ? {} : { hint }) });
}

export function createFakeEngine(): FakeEngine {
  const metrics = new Registry();
  const statements = new Counter({ name: 'sluice_statements_total', help: 'Statements run', registers: [metrics] });
  const running = new Map<string, QueryInfo>();
  const cancelled = new Set<string>();
  const cancels = new Map<string, () => void>();
  const registered: { name: string; path: string; by: string }[] = [];
  const changes: { name: string; change: unknown; origin: unknown }[] = [];
  let nextId = 1;
  const names = ['ticks', 'counts', 'scores', 'fraud'];

  function push(sql: string, updating: boolean): StatementResult {
    const id = `q${nextId++}`;
    let stop = false;
    let wake: () => void = () => {};
    const cancel = (): void => {
      if (stop) return;
      stop = true;
      cancelled.add(id);
      running.delete(id);
      wake();
    };
    cancels.set(id, cancel);
    running.set(id, { id, kind: 'push', sql, status: 'running', startedAt: Date.now(), rowsIn: 0, rowsOut: 0, deadLetters: 0, rateIn: 0, rateOut: 0 });
    async function* rows(): AsyncGenerator<readonly PushRow[]> {
      let i = 0;
      while (!stop) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, engine.tickMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        if (stop) return;
        i++;
        if (updating) {
          yield i === 1 ? [{ op: '+I', values: ['a', 1n] }] : [{ op: '-U', values: ['a', BigInt(i - 1)] }, { op: '+U', values: ['a', BigInt(i)] }];
        } else {
          yield Array.from({ length: engine.tickRows }, (_, j) => ({ op: '+I' as const, values: [i, j === 0 ? `tick-${i}` : `tick-${i}-${j}`] }));
        }
      }
    }
    const columns = updating
      ? [{ name: 'k', type: 'STRING' }, { name: 'n', type: 'BIGINT' }]
      : [{ name: 'seq', type: 'INT' }, { name: 'label', type: 'STRING' }];
    async function* batches(): AsyncGenerator<never> {
      throw new Error('the fake engine serves push output as rows only');
    }
    return { kind: 'push', statement: 'SELECT', queryId: id, columns, updating, rows: rows(), batches: batches(), cancel };
  }

  /** Plans one statement: its mode, or the error a real engine finds before running anything. */
  function plan(stmt: string, sql: string, at: number): PlannedStatement['mode'] {
    const s = stmt.trim();
    if (/^(create|explain|show|describe)\b/i.test(s)) return 'statement';
    const from = /\bfrom\s+(\w+)/i.exec(s);
    if (/^select\b/i.test(s) && from?.[1] !== undefined) {
      const rel = from[1].toLowerCase();
      if (rel === 'ticks' || rel === 'counts') return 'push';
      if (rel === 'scores' || rel === 'wide') return 'pull';
      const off = at + stmt.indexOf(from[1], from.index);
      throw spanError('UNKNOWN_RELATION', sql, off, from[1].length, `unknown relation '${from[1]}'`, "did you mean 'scores'?");
    }
    const lead = stmt.length - stmt.trimStart().length;
    const word = /^\S+/.exec(s)?.[0] ?? s;
    throw spanError('SYNTAX_ERROR', sql, at + lead, word.length, `unexpected '${word}'`, 'statements start with SELECT, CREATE or EXPLAIN');
  }

  /** Runs a planned statement. `CREATE MODEL broken` fails here, as a model file that will not load does. */
  function one(stmt: string): StatementResult {
    const s = stmt.trim();
    statements.inc();
    if (/^create\s+model\s+broken\b/i.test(s)) throw new SluiceError('MODEL_ERROR', "model 'broken': the file is not a valid ONNX model");
    if (/^create\b/i.test(s)) {
      const m = /^create\s+\w+(?:\s+view)?\s+(\w+)/i.exec(s);
      if (m?.[1] !== undefined) names.push(m[1]);
      return { kind: 'ok', statement: 'CREATE', message: `created ${m?.[1] ?? 'object'}` };
    }
    if (/^explain\b/i.test(s)) return { kind: 'explain', statement: 'EXPLAIN', text: 'Project [seq]\n  Scan ticks' };
    const show = /^show\s+(\w+)/i.exec(s);
    if (show) return { kind: 'rows', statement: s, columns: [{ name: show[1]!.toLowerCase(), type: 'STRING' }], rows: show[1]!.toLowerCase() === 'streams' ? [['ticks'], ['counts']] : [] };
    if (/^describe\s+scores$/i.test(s)) {
      return { kind: 'rows', statement: s, columns: [{ name: 'column', type: 'STRING' }, { name: 'type', type: 'STRING' }], rows: [['card_id', 'STRING'], ['score', 'DOUBLE']] };
    }
    const rel = (/\bfrom\s+(\w+)/i.exec(s)?.[1] ?? '').toLowerCase();
    if (rel === 'ticks') return push(s, false);
    if (rel === 'counts') return push(s, true);
    if (rel === 'wide') {
      return { kind: 'rows', statement: 'SELECT', columns: [{ name: 'id', type: 'INT' }, { name: 'note', type: 'STRING' }], rows: [[1, `${'long text '.repeat(30)}end`]] };
    }
    return {
      kind: 'rows',
      statement: 'SELECT',
      columns: [{ name: 'card_id', type: 'STRING' }, { name: 'score', type: 'DOUBLE' }],
      rows: [['card-1', 0.25], ['card-2', 0.97]],
    };
  }

  const engine: FakeEngine = {
    cancelled,
    registered,
    changes,
    tickMs: 50,
    tickRows: 1,
    async execute(sql, opts = {}) {
      const parts: { stmt: string; at: number }[] = [];
      let at = 0;
      for (const stmt of sql.split(';')) {
        if (stmt.trim() !== '') parts.push({ stmt, at });
        at += stmt.length + 1;
      }
      if (opts.maxStatements !== undefined && parts.length > opts.maxStatements) {
        throw new SluiceError('LIMIT_EXCEEDED', `the request holds ${parts.length} statements; the limit is ${opts.maxStatements}`, { sql });
      }
      opts.parsed?.(parts.map((p) => p.stmt.trim()));
      const planned = parts.map(({ stmt, at: off }) => ({ text: stmt.trim(), mode: plan(stmt, sql, off) }));
      opts.accept?.(planned);
      const out: StatementResult[] = [];
      for (const { stmt } of parts) {
        try {
          const r = one(stmt);
          out.push(r);
          opts.onResult?.(r);
        } catch (err) {
          for (const r of out) if (r.kind === 'push') r.cancel();
          throw err;
        }
      }
      return out;
    },
    queries: () => [...running.values()],
    query: (id) => running.get(id),
    cancelQuery(id) {
      const c = cancels.get(id);
      if (c === undefined || !running.has(id)) return false;
      c();
      return true;
    },
    async stopQuery(id) {
      const q = running.get(id);
      if (q === undefined) return undefined;
      cancels.get(id)?.();
      return { ...q, status: 'finished' };
    },
    async startQuery(id) {
      return running.get(id);
    },
    async viewRow(name, key) {
      if (name !== 'scores') throw new SluiceError('UNKNOWN_RELATION', `unknown view '${name}'`);
      return VIEW[key];
    },
    async viewScan(name, opts) {
      if (name !== 'scores') throw new SluiceError('UNKNOWN_RELATION', `unknown view '${name}'`);
      const rows = Object.entries(VIEW).filter(([k]) => opts?.prefix === undefined || k.startsWith(opts.prefix));
      return rows.slice(0, opts?.limit ?? rows.length).map(([, v]) => v);
    },
    relationColumns(name) {
      if (name !== 'scores') throw new SluiceError('UNKNOWN_RELATION', `unknown view '${name}'`);
      return [
        { name: 'card_id', type: 'STRING' },
        { name: 'score', type: 'DOUBLE' },
        { name: 'n', type: 'BIGINT' },
      ];
    },
    async ingest(name) {
      throw new SluiceError('UNKNOWN_RELATION', `unknown stream '${name}'`);
    },
    metrics,
    completions: () => [...names],
    catalogSummary: () => ({
      relations: [
        { name: 'scores', kind: 'view', columns: [{ name: 'card_id', type: 'STRING' }, { name: 'score', type: 'DOUBLE' }, { name: 'n', type: 'BIGINT' }] },
        { name: 'ticks', kind: 'stream', columns: [{ name: 'seq', type: 'INT' }, { name: 'label', type: 'STRING' }] },
        { name: 'counts', kind: 'stream', columns: [{ name: 'k', type: 'STRING' }, { name: 'n', type: 'BIGINT' }] },
        ...[...names].filter((n) => !['scores', 'ticks', 'counts', 'fraud'].includes(n)).map((name) => ({ name, kind: 'stream' as const, columns: [] })),
      ],
      models: ['fraud'],
      functions: [],
      options: ['connector', 'key', 'path', 'topic'],
    }),
    models: {
      list: () => [{ name: 'fraud', version: registered.length + 1 }],
      summaries: () => [{ name: 'fraud', serving: 1, candidate: null, versions: [{ number: 1, role: 'serving' }] }],
      versions(name) {
        if (name !== 'fraud') throw new SluiceError('UNKNOWN_MODEL', `unknown model '${name}'`);
        return [{ version: 1, by: 'test' }];
      },
      describe(name) {
        if (name !== 'fraud') throw new SluiceError('UNKNOWN_MODEL', `unknown model '${name}'`);
        return { name: 'fraud', version: 1, provider: 'cpu', stats: { rows: 3n } };
      },
    },
    async changeModel(name, change, origin) {
      if (name !== 'fraud') throw new SluiceError('UNKNOWN_MODEL', `unknown model '${name}'`);
      changes.push({ name, change, origin });
      return { message: 'changed' };
    },
    async predictRows(name, rows) {
      if (name !== 'fraud') throw new SluiceError('UNKNOWN_MODEL', `unknown model '${name}'`);
      return { model: name, rows: (rows as unknown[]).map(() => ({ outputs: { score: 0.5 }, version: 1 })) };
    },
    async registerModelFile(name, path, by) {
      registered.push({ name, path, by });
      return { name, version: registered.length };
    },
    async close() {
      for (const c of cancels.values()) c();
    },
  };
  return engine;
}
