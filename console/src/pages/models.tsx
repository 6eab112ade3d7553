/**
 * Models: versions and roles, metadata, batch-size and latency histograms, rows scored per
 * second, timeouts and fallbacks; live quality per version (AUC, log loss, PSI) and promote /
 * rollback when the server offers them. Fields the server does not send are left out, so the
 * page works against servers with and without model rollout and quality.
 */
import { useState } from 'preact/hooks';
import { api, apiPaths, runSql } from '../api';
import { Chart, type Line } from '../chart';
import { line, useSeries } from '../series';
import { cell, ConfirmButton, ErrorBox, fmt, Stat, Table, usePoll } from '../ui';

type Json = Record<string, unknown>;

interface Bucket {
  le: number | string;
  count: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function ModelsPage({ name, readOnly }: { name: string | undefined; readOnly: boolean }) {
  const models = usePoll((signal) => api.get<{ models: unknown[] }>('/v1/models', signal), 5000);
  const names = arr(models.data?.models).map((m) => (typeof m === 'string' ? m : String(obj(m)['name'] ?? '')));
  const current = name ?? names[0];
  return (
    <section>
      <h1>Models</h1>
      <ErrorBox error={models.error} />
      <nav class="tabs">
        {names.map((n) => (
          <a key={n} href={`#/models/${encodeURIComponent(n)}`} class={n === current ? 'active' : ''}>
            {n}
          </a>
        ))}
      </nav>
      {models.data && names.length === 0 ? <p class="muted">no models: CREATE MODEL registers one</p> : null}
      {current ? <Model name={current} readOnly={readOnly} /> : null}
    </section>
  );
}

/** Which versions hold which role, from whatever the model's JSON says. */
function rolesOf(model: Json): Map<number, string[]> {
  const roles = new Map<number, string[]>();
  const add = (v: unknown, role: string): void => {
    const n = num(v) ?? num(obj(v)['version']) ?? num(obj(v)['number']);
    if (n !== undefined) roles.set(n, [...(roles.get(n) ?? []), role]);
  };
  add(model['serving'] ?? model['version'], 'serving');
  if (model['candidate'] !== undefined && model['candidate'] !== null) add(model['candidate'], `candidate${obj(model['candidate'])['mode'] ? ` (${String(obj(model['candidate'])['mode'])})` : ''}`);
  for (const p of arr(model['pinned'])) add(p, 'pinned');
  if (model['fallback'] !== undefined) add(model['fallback'], 'fallback');
  for (const v of arr(model['versions'])) {
    const r = obj(v)['role'] ?? obj(v)['roles'];
    for (const role of Array.isArray(r) ? r : r === undefined ? [] : [r]) add(v, String(role));
  }
  // A version's own role ('shadow') repeats what 'candidate (shadow)' already says.
  for (const [v, rs] of roles) roles.set(v, rs.filter((r, i) => !rs.some((o, j) => j !== i && o !== r && o.includes(r)) && rs.indexOf(r) === i));
  return roles;
}

function Histogram({ title, buckets, unit }: { title: string; buckets: Bucket[]; unit: string }) {
  const shown = buckets.filter((b) => b.count > 0);
  const first = buckets.findIndex((b) => b.count > 0);
  const last = buckets.length - 1 - [...buckets].reverse().findIndex((b) => b.count > 0);
  const range = shown.length === 0 ? [] : buckets.slice(Math.max(0, first - 1), last + 1);
  const max = Math.max(1, ...range.map((b) => b.count));
  const w = 28;
  const h = 90;
  return (
    <figure class="histogram" data-histogram={title} data-buckets={shown.length}>
      <figcaption>{title}</figcaption>
      {range.length === 0 ? (
        <p class="muted">nothing measured yet</p>
      ) : (
        <svg width={range.length * (w + 4) + 4} height={h + 30} role="img" aria-label={title}>
          {range.map((b, i) => {
            const bh = Math.round((h * b.count) / max);
            return (
              <g key={i}>
                <title>{`≤ ${b.le}${unit}: ${b.count}`}</title>
                <rect class="bar" x={4 + i * (w + 4)} y={h - bh + 4} width={w} height={Math.max(bh, b.count > 0 ? 1 : 0)} />
                <text class="bar-label" x={4 + i * (w + 4) + w / 2} y={h + 20} text-anchor="middle">
                  {String(b.le) === 'Infinity' ? '∞' : String(b.le)}
                </text>
              </g>
            );
          })}
        </svg>
      )}
    </figure>
  );
}

/** Quality windows from GET /v1/models/:name/quality, whatever their exact field names. */
function qualityLines(quality: unknown): Line[] {
  const rows: Json[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (depth > 4) return;
    if (Array.isArray(v)) for (const x of v) visit(x, depth + 1);
    else if (v !== null && typeof v === 'object') {
      const o = v as Json;
      if (['auc', 'log_loss', 'logLoss', 'psi', 'score_psi', 'scorePsi'].some((k) => k in o)) rows.push(o);
      else for (const x of Object.values(o)) visit(x, depth + 1);
    }
  };
  visit(quality, 0);
  const lines = new Map<string, { t: number[]; v: (number | null)[] }>();
  for (const r of rows) {
    const rawT = r['window_end'] ?? r['windowEnd'] ?? r['end'] ?? r['ts'] ?? r['time'] ?? r['window_start'] ?? r['windowStart'];
    const t = typeof rawT === 'number' ? rawT : typeof rawT === 'string' ? Date.parse(rawT) : NaN;
    if (!Number.isFinite(t)) continue;
    const who = `v${String(r['version'] ?? '?')}${r['role'] ? ` ${String(r['role'])}` : ''}`;
    for (const [label, keys] of [
      ['AUC', ['auc']],
      ['log loss', ['log_loss', 'logLoss']],
      ['PSI', ['psi', 'score_psi', 'scorePsi']],
    ] as const) {
      const value = keys.map((k) => num(r[k])).find((x) => x !== undefined);
      if (value === undefined) continue;
      const l = lines.get(`${who} ${label}`) ?? { t: [], v: [] };
      l.t.push(t);
      l.v.push(value);
      lines.set(`${who} ${label}`, l);
    }
  }
  return [...lines].map(([label, l]) => ({ label, ...l }));
}

function Model({ name, readOnly }: { name: string; readOnly: boolean }) {
  const model = usePoll((signal) => api.get<{ model: Json }>(`/v1/models/${encodeURIComponent(name)}`, signal), 3000, [name]);
  const quality = usePoll(
    (signal) =>
      apiPaths().then((paths) => (paths.has('GET /v1/models/{name}/quality') ? api.get<unknown>(`/v1/models/${encodeURIComponent(name)}/quality`, signal) : null)),
    5000,
    [name],
  );
  const { series } = useSeries({ scope: 'model', id: name });
  const [result, setResult] = useState<{ ok?: string; error?: Error }>({});
  const m = model.data?.model;
  if (!m) return <ErrorBox error={model.error} />;
  const stats = obj(m['stats']);
  const roles = rolesOf(m);
  const versions = arr(m['versions']).map(obj);
  const serving = num(m['serving']) ?? num(obj(m['serving'])['version']) ?? num(m['version']);
  const hasCandidate = m['candidate'] !== undefined && m['candidate'] !== null;
  // Promote and rollback exist where the server reports roles (model rollout); older servers only swap versions.
  const rollout = 'candidate' in m || 'serving' in m || 'roles' in m;
  const alter = (sql: string) => async () => {
    setResult({});
    try {
      const r = await runSql(sql);
      if (r.error) throw r.error;
      setResult({ ok: r.results.map((x) => (x.kind === 'ok' ? x.message : x.statement)).join('; ') });
      model.reload();
    } catch (err) {
      setResult({ error: err as Error });
    }
  };
  const qLines = qualityLines(quality.data);
  const latency = obj(stats['latencyMs']);
  return (
    <div class="model" data-model={name}>
      <div class="stats">
        <Stat id="serving" label="serving version" value={serving === undefined ? '–' : String(serving)} />
        <Stat id="rows" label="rows scored" value={fmt(num(stats['rows']))} />
        <Stat id="batches" label="batches" value={fmt(num(stats['batches']))} />
        <Stat id="p50" label="batch latency p50" value={`${fmt(num(latency['p50']), 2)} ms`} />
        <Stat id="p99" label="batch latency p99" value={`${fmt(num(latency['p99']), 2)} ms`} />
        <Stat id="timeouts" label="timeouts" value={fmt(num(stats['timeouts']))} />
        <Stat id="fallbacks" label="fallbacks" value={fmt(num(stats['fallbacks']))} />
        <Stat id="errors" label="failed batches" value={fmt(num(stats['errors']))} />
      </div>
      <h2>Versions</h2>
      <Table
        class="versions"
        columns={['version', 'roles', 'provider', 'registered', 'by', 'checksum', 'path', '']}
        rows={versions.map((v) => {
          const n = num(v['number']) ?? num(v['version']);
          return [
            String(n ?? '?'),
            (n !== undefined ? roles.get(n) : undefined)?.join(', ') ?? '',
            cell(v['provider'] ?? ''),
            cell(v['createdAt'] ?? ''),
            cell(v['registeredBy'] ?? ''),
            <code>{String(v['checksum'] ?? '').slice(0, 12)}</code>,
            cell(v['path'] ?? ''),
            !readOnly && rollout && n !== undefined && n !== serving ? <ConfirmButton label="Rollback" question={`Serve version ${n} of ${name} again?`} onConfirm={alter(`ALTER MODEL ${name} ROLLBACK TO VERSION ${n}`)} /> : '',
          ];
        })}
      />
      {!readOnly && rollout && hasCandidate ? (
        <div class="actions">
          <ConfirmButton label="Promote" question={`Make the candidate of ${name} the serving version?`} onConfirm={alter(`ALTER MODEL ${name} PROMOTE`)} />
        </div>
      ) : null}
      {result.ok ? <p class="ok">{result.ok}</p> : null}
      <ErrorBox error={result.error} />
      <div class="charts">
        <Chart id="model-rows" title="rows scored per second" lines={[line(series, 'model', name, 'rows_per_s', 'rows/s'), line(series, 'model', name, 'fallbacks_per_s', 'fallback rows/s')]} />
        {qLines.length > 0 ? <Chart id="quality" title="quality per version: AUC, log loss, PSI" lines={qLines} /> : null}
      </div>
      {qLines.length === 0 ? <p class="muted">{quality.data === null ? 'this server reports no live model quality' : 'no labelled windows yet'}</p> : null}
      <div class="histograms">
        <Histogram title="batch size (rows)" buckets={arr(obj(stats['batchSize'])['buckets']) as Bucket[]} unit="" />
        <Histogram title="batch latency (ms)" buckets={arr(latency['buckets']) as Bucket[]} unit=" ms" />
      </div>
      <h2>Metadata</h2>
      <Table
        class="metadata"
        columns={['property', 'value']}
        rows={[
          ['inputs', arr(m['inputs']).map((f) => `${String(obj(f)['name'])} ${String(obj(f)['type'])}`).join(', ')],
          ['outputs', arr(m['outputs']).map((f) => `${String(obj(f)['name'])} ${String(obj(f)['type'])}`).join(', ')],
          ['file inputs', cell(m['fileInputs'])],
          ['file outputs', cell(m['fileOutputs'])],
          ['provider', `${cell(m['provider'])}${m['providerReason'] ? ` — ${String(m['providerReason'])}` : ''}`],
          ['options', cell(m['options'])],
          ['path', cell(m['path'])],
          ['checksum', cell(m['checksum'])],
        ]}
      />
    </div>
  );
}
