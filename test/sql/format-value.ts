/** Renders result values as text the same way for Sluice and DuckDB rows. */
import { stringifyExactJson } from '../../src/common/exact-json.js';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** 'YYYY-MM-DD HH:MM:SS.mmm' in UTC. */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/** 'HH:MM:SS.mmm' of a TIME: Sluice's milliseconds, or DuckDB's microseconds (a bigint, or a value holding them). */
export function formatTime(v: unknown): string {
  const ms = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) / 1000 : Number((v as { micros: bigint }).micros) / 1000;
  const whole = Math.floor(ms / 1000);
  return `${pad(Math.floor(whole / 3600))}:${pad(Math.floor(whole / 60) % 60)}:${pad(whole % 60)}.${pad(Math.round(ms - whole * 1000), 3)}`;
}

/** A number with at most `digits` significant digits, integers as they are. */
export function formatNumber(n: number, digits = 12): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  return String(Number(n.toPrecision(digits)));
}

function plain(v: unknown, digits: number): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number(formatNumber(v, digits));
  if (v instanceof Date) return formatTimestamp(v.getTime());
  if (Array.isArray(v)) return v.map((x) => plain(x, digits));
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, (x) => plain(x, digits));
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x, digits)]));
  return v;
}

/**
 * One value as text: NULL, true/false, numbers (FLOAT to 6 significant digits, others to 12),
 * timestamps as ISO text, arrays and structs as JSON, strings as they are ('' as (empty)).
 */
export function formatValue(v: unknown, type = '', digits?: number): string {
  if (v === null || v === undefined) return 'NULL';
  // DuckDB's INTERVAL (months, days, micros) as Sluice's: milliseconds (a month has no fixed length).
  if (type === 'INTERVAL' && typeof v === 'object' && 'micros' in v) {
    const { months, days, micros } = v as { months: number; days: number; micros: bigint | number };
    return months === 0 ? formatNumber(days * 86_400_000 + Number(micros) / 1000) : stringifyExactJson(plain(v, digits ?? 12));
  }
  if (type.startsWith('TIMESTAMP') && (typeof v === 'number' || typeof v === 'bigint')) return formatTimestamp(Number(v));
  if (type === 'DATE' && (typeof v === 'number' || v instanceof Date)) return formatTimestamp(Number(v)).slice(0, 10);
  if (type === 'TIME' && (typeof v === 'number' || typeof v === 'bigint' || (typeof v === 'object' && 'micros' in v))) return formatTime(v);
  // An array of timestamps or dates: each element as its type writes it (DuckDB gives Date objects).
  const elem = /^ARRAY<(.*)>(\(\d+\))?$/.exec(type)?.[1] ?? /^(.*)\[\]$/.exec(type)?.[1];
  if (elem && (elem.startsWith('TIMESTAMP') || elem === 'DATE' || elem === 'TIME') && Array.isArray(v)) return stringifyExactJson(v.map((x) => (x === null ? null : formatValue(x, elem))));
  // A map's keys and values that are times, as their types write them.
  const map = mapParts(type);
  const timeLike = (t: string): boolean => t.startsWith('TIMESTAMP') || t === 'DATE' || t === 'TIME';
  if (map && Array.isArray(v) && map.some(timeLike)) {
    const each = (x: unknown, t: string): unknown => (x === null || x === undefined ? null : timeLike(t) ? formatValue(x, t) : x);
    return stringifyExactJson(plain(v.map((e: { key: unknown; value: unknown }) => ({ key: each(e.key, map[0]), value: each(e.value, map[1]) })), digits ?? 12));
  }
  const d = digits ?? (type === 'FLOAT' ? 6 : 12);
  if (typeof v === 'number') return formatNumber(v, d);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return v === '' ? '(empty)' : v;
  if (v instanceof Date) return formatTimestamp(v.getTime());
  return stringifyExactJson(plain(v, d));
}

export function formatRow(values: readonly unknown[], types: readonly string[], digits?: number): string {
  return values.map((v, i) => formatValue(v, types[i], digits)).join(' | ');
}

/** The key and value type texts of 'MAP(K, V)' (trimmed), or undefined for another type. */
export function mapParts(type: string): [string, string] | undefined {
  const m = /^MAP\((.*)\)$/i.exec(type.trim());
  if (!m) return undefined;
  let depth = 0;
  for (let i = 0; i < m[1]!.length; i++) {
    const c = m[1]![i];
    if (c === '(' || c === '<') depth++;
    else if (c === ')' || c === '>') depth--;
    else if (c === ',' && depth === 0) return [m[1]!.slice(0, i).trim(), m[1]!.slice(i + 1).trim()];
  }
  return undefined;
}
