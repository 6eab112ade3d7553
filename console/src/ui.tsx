/** Small pieces every page uses: polling, number formats, tables, errors, confirmation buttons. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

/** Calls `load` now and every `everyMs`, keeping its latest answer or error; stops on unmount. */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, everyMs: number, deps: unknown[] = []): { data: T | undefined; error: Error | undefined; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const ac = new AbortController();
    let timer: number | undefined;
    const run = async (): Promise<void> => {
      try {
        const d = await loadRef.current(ac.signal);
        if (ac.signal.aborted) return;
        setData(d);
        setError(undefined);
      } catch (err) {
        if (ac.signal.aborted) return;
        setError(err instanceof Error ? err : new Error(String(err)));
      }
      if (!ac.signal.aborted && everyMs > 0) timer = window.setTimeout(() => void run(), everyMs);
    };
    void run();
    return () => {
      ac.abort();
      window.clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}

export function fmt(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(digits)}M`;
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toFixed(digits)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

export function bytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** A cell value as text: objects and arrays as JSON, NULL as NULL, timestamps (ms) as ISO text when the type says so. */
export function cell(v: unknown, type?: string): string {
  if (v === null || v === undefined) return 'NULL';
  if (type?.startsWith('TIMESTAMP') && typeof v === 'number') return new Date(v).toISOString().replace('T', ' ').replace('Z', '');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function ErrorBox({ error }: { error: Error | undefined }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      {error instanceof ApiError ? <strong>{error.code}: </strong> : null}
      {error.message}
      {error instanceof ApiError && error.hint ? <div class="hint">{error.hint}</div> : null}
    </div>
  );
}

export function Table({ columns, rows, empty = 'no rows', class: cls }: { columns: readonly string[]; rows: readonly (readonly ComponentChildren[])[]; empty?: string; class?: string }) {
  return (
    <table class={cls}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c}>{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td class="muted" colSpan={columns.length}>
              {empty}
            </td>
          </tr>
        ) : (
          rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

export function Stat({ label, value, id }: { label: string; value: string; id?: string }) {
  return (
    <div class="stat" data-stat={id}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
    </div>
  );
}

/** A button that asks "sure?" inline before it acts (no browser dialog). */
export function ConfirmButton({ label, question, onConfirm, disabled }: { label: string; question: string; onConfirm: () => Promise<void> | void; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!asking) {
    return (
      <button type="button" disabled={disabled || busy} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm">
      {question}{' '}
      <button
        type="button"
        class="danger"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        Yes, {label.toLowerCase()}
      </button>{' '}
      <button type="button" onClick={() => setAsking(false)}>
        No
      </button>
    </span>
  );
}
