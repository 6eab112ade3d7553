/**
 * File paths and byte sizes as text, as DuckDB has them: PARSE_PATH, PARSE_DIRNAME,
 * PARSE_DIRPATH, PARSE_FILENAME (a path cut at its separators, which an optional argument picks:
 * 'both_slash', the default, 'forward_slash', 'backslash' or 'system', which is '/' here),
 * FORMAT_BYTES (FORMATREADABLESIZE), FORMATREADABLEDECIMALSIZE and PARSE_FORMATTED_BYTES, and
 * BAR, a number as a bar of block characters.
 */
import { PATH_SEPARATORS } from '../common/path-separators.js';

type Impl = { readonly fn: (...args: unknown[]) => unknown; readonly nullSafe?: boolean };

/** The separator characters a separator argument names; NULL or absent is the default (both). */
function separators(arg: unknown): readonly string[] {
  if (arg === null || arg === undefined) return PATH_SEPARATORS['both_slash']!;
  const name = String(arg).toLowerCase();
  const seps = Object.hasOwn(PATH_SEPARATORS, name) ? PATH_SEPARATORS[name] : undefined;
  if (!seps) throw new Error(`unknown path separator '${String(arg)}': use 'both_slash', 'forward_slash', 'backslash' or 'system'`);
  return seps;
}

const lastSeparator = (path: string, seps: readonly string[]): number => Math.max(...seps.map((c) => path.lastIndexOf(c)));

/** PARSE_PATH: the parts between separators (empty ones left out), a leading separator a part of its own. */
function parsePath(path: string, seps: readonly string[]): string[] {
  const parts: string[] = [];
  if (path.length > 0 && seps.includes(path[0]!)) parts.push(path[0]!);
  let part = '';
  for (const c of path) {
    if (!seps.includes(c)) part += c;
    else if (part !== '') {
      parts.push(part);
      part = '';
    }
  }
  if (part !== '') parts.push(part);
  return parts;
}

/** PARSE_DIRNAME: the top directory: the separator a path starts with, else the part before the first separator ('' where there is none). */
function parseDirname(path: string, seps: readonly string[]): string {
  if (path.length > 0 && seps.includes(path[0]!)) return path[0]!;
  const first = Math.min(...seps.map((c) => path.indexOf(c)).filter((i) => i >= 0));
  return Number.isFinite(first) ? path.slice(0, first) : '';
}

/** PARSE_FILENAME: what follows the last separator; `trimExtension` cuts it at its last '.'. */
function parseFilename(path: string, trimExtension: unknown, seps: readonly string[]): string {
  const name = path.slice(lastSeparator(path, seps) + 1);
  if (trimExtension !== true) return name;
  const dot = name.lastIndexOf('.');
  return dot < 0 ? name : name.slice(0, dot);
}

/**
 * `bytes` as DuckDB writes a size: whole bytes below one unit (`1 byte`, `1023 bytes`), else the
 * largest unit it reaches with one decimal, cut rather than rounded (`1.4 KiB` for 1500).
 */
export function formatBytes(bytes: bigint, base: 1000n | 1024n): string {
  const negative = bytes < 0n;
  const n = negative ? -bytes : bytes;
  const units = base === 1024n ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] : ['kB', 'MB', 'GB', 'TB', 'PB'];
  let text: string;
  if (n < base) text = `${n} byte${n === 1n ? '' : 's'}`;
  else {
    let unit = base;
    let i = 0;
    while (i < units.length - 1 && n >= unit * base) {
      unit *= base;
      i++;
    }
    text = `${n / unit}.${((n % unit) * 10n) / unit} ${units[i]}`;
  }
  return negative ? `-${text}` : text;
}

const SIZE_UNITS: Readonly<Record<string, bigint>> = {
  '': 1n, b: 1n, byte: 1n, bytes: 1n,
  kb: 1000n, mb: 1000n ** 2n, gb: 1000n ** 3n, tb: 1000n ** 4n, pb: 1000n ** 5n,
  kib: 1024n, mib: 1024n ** 2n, gib: 1024n ** 3n, tib: 1024n ** 4n, pib: 1024n ** 5n,
};

/** PARSE_FORMATTED_BYTES('2 KiB'): the bytes a size written as DuckDB writes one stands for (KB and the like in 1000s, KiB in 1024s). */
export function parseFormattedBytes(text: string): bigint {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`PARSE_FORMATTED_BYTES: '${text.length > 40 ? `${text.slice(0, 37)}...` : text}' is not a size; write a number and a unit, e.g. '2 KiB' or '1.5 MB'`);
  const [whole, fraction = ''] = m[1]!.split('.');
  // Exactly: the digits as an integer over a power of ten, times the unit, cut down.
  return (BigInt(whole! + fraction) * unit) / 10n ** BigInt(fraction.length);
}

/** The eighths of a block, from one eighth to seven. */
const PARTIAL_BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/**
 * BAR(x, min, max[, width]): `x` between `min` and `max` as a bar `width` characters wide (80 by
 * default), in whole blocks and the eighth of one, padded with spaces, as DuckDB draws it.
 */
function bar(x: unknown, min: unknown, max: unknown, width: unknown): string {
  const w = width === undefined || width === null ? 80 : Number(width);
  if (!(w >= 1) || w > 1000) throw new Error(`BAR: the width must be 1 to 1000 characters, got ${String(width)}`);
  const [lo, hi, v] = [Number(min), Number(max), Number(x)];
  const share = hi > lo ? (Math.min(Math.max(v, lo), hi) - lo) / (hi - lo) : 0;
  const total = share * w;
  const full = Math.floor(total);
  const text = '█'.repeat(full) + PARTIAL_BLOCKS[Math.floor((total - full) * 8)]!;
  return text.padEnd(Math.floor(w), ' ');
}

export const PATH_IMPLS: Readonly<Record<string, Impl>> = {
  parse_formatted_bytes: { fn: (t) => parseFormattedBytes(String(t)) },
  bar: { fn: (x, min, max, width) => bar(x, min, max, width) },
  parse_path: { fn: (p, sep) => (p === null || p === undefined ? null : parsePath(String(p), separators(sep))), nullSafe: true },
  parse_dirname: { fn: (p, sep) => (p === null || p === undefined ? null : parseDirname(String(p), separators(sep))), nullSafe: true },
  // Everything before the last separator ('' where there is none).
  parse_dirpath: { fn: (p, sep) => (p === null || p === undefined ? null : ((s) => String(p).slice(0, Math.max(0, lastSeparator(String(p), s))))(separators(sep))), nullSafe: true },
  // PARSE_FILENAME(path [, trim_extension] [, separator]).
  parse_filename: {
    fn: (p, a, b) => {
      if (p === null || p === undefined) return null;
      const [trim, sep] = typeof a === 'boolean' ? [a, b] : [false, a];
      return parseFilename(String(p), trim, separators(sep));
    },
    nullSafe: true,
  },
  format_bytes: { fn: (n) => formatBytes(BigInt(n as number | bigint), 1024n) },
  formatreadablesize: { fn: (n) => formatBytes(BigInt(n as number | bigint), 1024n) },
  formatreadabledecimalsize: { fn: (n) => formatBytes(BigInt(n as number | bigint), 1000n) },
};
