/**
 * What the shell answers itself, without the server: leaving (`exit`, `quit`, `\q`), help
 * (`help`, `\?`), `\d` and `\d name` (shortcuts for SHOW and DESCRIBE), and the session
 * properties set with `SET 'key' = 'value';` (shown by `SET;`, reset by `RESET;`), sent with
 * each query as the ksqlDB and Flink clients do.
 */

/** The session's properties and their values. */
export interface ShellSettings {
  /** Where push queries start reading their streams. */
  from: 'latest' | 'earliest';
  /** How an updating push query is shown: a table redrawn in place, or its changelog lines. */
  resultMode: 'table' | 'changelog';
}

export const DEFAULT_SETTINGS: Readonly<ShellSettings> = { from: 'latest', resultMode: 'table' };

interface Property {
  readonly key: string;
  /** Other names read the same (ksqlDB's and Flink's). */
  readonly aliases: readonly string[];
  readonly values: Readonly<Record<string, string>>;
  readonly field: keyof ShellSettings;
  readonly help: string;
}

const PROPERTIES: readonly Property[] = [
  {
    key: 'scan.startup.mode',
    aliases: ['auto.offset.reset'],
    values: { latest: 'latest', earliest: 'earliest', 'latest-offset': 'latest', 'earliest-offset': 'earliest' },
    field: 'from',
    help: 'where push queries start: latest (new rows only) or earliest (every stored row first)',
  },
  {
    key: 'result-mode',
    aliases: ['sql-client.execution.result-mode'],
    values: { table: 'table', changelog: 'changelog' },
    field: 'resultMode',
    help: 'updating push queries: table (redrawn in place) or changelog (one +I/-U/+U/-D line per change)',
  },
];

/** What a line or statement asks of the shell itself. */
export type ShellCommand =
  | { readonly kind: 'exit' }
  | { readonly kind: 'help' }
  /** Statements to send instead (the SHOW and DESCRIBE behind \d). */
  | { readonly kind: 'sql'; readonly sql: string }
  /** Text to print (SET and RESET answers, errors in them). */
  | { readonly kind: 'print'; readonly text: string };

const EXIT = /^(?:exit|quit|\\q)\s*;?$/i;
const HELP = /^(?:help|\\\?|\\h)\s*;?$/i;
const DESCRIBE_ALL = /^\\d\s*;?$/;
const DESCRIBE_ONE = /^\\d\s+([^\s;]+)\s*;?$/;

/** A command the shell answers for a whole line typed at the prompt (no `;` needed), or undefined. */
export function lineCommand(line: string): ShellCommand | undefined {
  const t = line.trim();
  if (EXIT.test(t)) return { kind: 'exit' };
  if (HELP.test(t)) return { kind: 'help' };
  if (DESCRIBE_ALL.test(t)) return { kind: 'sql', sql: 'SHOW STREAMS; SHOW TABLES; SHOW VIEWS; SHOW SINKS; SHOW MODELS' };
  const one = DESCRIBE_ONE.exec(t);
  if (one) return { kind: 'sql', sql: `DESCRIBE ${one[1]}` };
  // No SQL starts with a backslash: an unknown command is answered, not kept as the start of a
  // statement that would swallow the next line.
  if (t.startsWith('\\')) return { kind: 'print', text: `ERROR: unknown command '${t.split(/\s/)[0]}'; the shell knows \\d, \\d NAME, \\q and \\? (help)` };
  return undefined;
}

/** A complete statement the shell answers itself (SET, RESET, exit;), applied to `settings`; else undefined. */
export function statementCommand(sql: string, settings: ShellSettings): ShellCommand | undefined {
  const t = sql.trim();
  if (EXIT.test(t)) return { kind: 'exit' };
  if (HELP.test(t)) return { kind: 'help' };
  if (/^set$/i.test(t)) return { kind: 'print', text: showSettings(settings) };
  if (/^reset$/i.test(t)) {
    Object.assign(settings, DEFAULT_SETTINGS);
    return { kind: 'print', text: 'all properties reset to their defaults' };
  }
  const reset = /^reset\s+'([^']*)'$/i.exec(t);
  if (reset) {
    const p = property(reset[1]!);
    if (typeof p === 'string') return { kind: 'print', text: p };
    (settings as unknown as Record<string, string>)[p.field] = DEFAULT_SETTINGS[p.field];
    return { kind: 'print', text: `'${p.key}' reset to '${DEFAULT_SETTINGS[p.field]}'` };
  }
  if (!/^set\b/i.test(t)) return undefined;
  const m = /^set\s+'([^']*)'\s*=\s*'([^']*)'$/i.exec(t);
  if (!m) return { kind: 'print', text: "ERROR: write SET 'key' = 'value'; (SET; lists the properties)" };
  const p = property(m[1]!);
  if (typeof p === 'string') return { kind: 'print', text: p };
  const value = p.values[m[2]!.toLowerCase()];
  if (value === undefined) return { kind: 'print', text: `ERROR: '${p.key}' takes ${Object.keys(p.values).map((v) => `'${v}'`).join(', ')}, not '${m[2]}'` };
  (settings as unknown as Record<string, string>)[p.field] = value;
  return { kind: 'print', text: `'${p.key}' = '${value}'` };
}

function property(key: string): Property | string {
  const k = key.toLowerCase();
  const p = PROPERTIES.find((x) => x.key === k || x.aliases.includes(k));
  return p ?? `ERROR: unknown property '${key}'; the shell has ${PROPERTIES.map((x) => `'${x.key}'`).join(', ')}`;
}

function showSettings(settings: ShellSettings): string {
  return PROPERTIES.map((p) => `'${p.key}' = '${settings[p.field]}'  -- ${p.help}`).join('\n');
}

export const HELP_TEXT = `Statements end with ';' and may span lines. SELECT over streams runs until Ctrl-C.
  help, \\?            this text
  exit, quit, \\q      leave (Ctrl-D too)
  \\d                  list streams, tables, views, sinks and models
  \\d NAME             describe a relation or model (DESCRIBE NAME)
  SET 'key' = 'value'; session properties, sent with each query; SET; lists them, RESET; resets
      'scan.startup.mode'  latest | earliest   where push queries start (default latest: new rows only)
      'result-mode'        table | changelog   updating push queries: a table redrawn in place, or +I/-U/+U/-D lines
  Tab completes keywords, relations after FROM/JOIN, columns, models in predict(), options in WITH (...).
  Every statement is followed by the time it took; wide tables are cut to the terminal width.
  Docs: docs/sql.md (SQL), docs/http-api.md (the API behind the shell), docs/errors.md (error codes).`;
