/**
 * The interactive shell: reads SQL (several lines, up to a `;`), sends it to a Sluice server and
 * prints the answers. SELECTs are streamed through POST /v1/query; Ctrl-C stops a running one.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { complete } from './completer.js';
import { appendHistory, defaultHistoryPath, HISTORY_SIZE, loadHistory } from './history.js';
import { ApiError, SluiceClient, type RowErrorJson } from './http-client.js';
import { LiveRowPrinter } from './live-rows.js';
import { printResult, renderApiError, renderRowErrors, renderTable } from './render.js';
import { isPredictCommand, parsePredictCommand } from './predict-command.js';
import { isQuery, splitStatements } from './statement-splitter.js';
import { SluiceError } from '../common/errors.js';

export const PROMPT = 'sluice> ';
export const CONTINUATION_PROMPT = '     -> ';

/** Options of `runShell`. */
export interface ShellOptions {
  readonly url: string;
  readonly token?: string;
  /** Defaults to $SLUICE_HISTORY or ~/.sluice_history. */
  readonly historyFile?: string;
  readonly input?: Readable;
  readonly output?: Writable;
}

const EXIT_WORDS = new Set(['\\q', 'exit', 'quit']);

/** Runs until the user exits (Ctrl-D, `\q`, or Ctrl-C twice at an empty prompt). */
export async function runShell(opts: ShellOptions): Promise<void> {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const client = new SluiceClient(opts.url, opts.token);
  const historyPath = opts.historyFile ?? defaultHistoryPath();
  const write = (s: string): void => {
    output.write(s);
  };

  let names: string[] = [];
  const refreshNames = async (): Promise<void> => {
    try {
      names = await client.catalog();
    } catch {
      // completion of catalog names is best effort
    }
  };
  await refreshNames();

  const rl = createInterface({
    input,
    output,
    prompt: PROMPT,
    history: loadHistory(historyPath),
    historySize: HISTORY_SIZE,
    completer: (line: string) => complete(line, names),
    terminal: (output as { isTTY?: boolean }).isTTY === true,
  });

  let buffer = '';
  let streaming: AbortController | null = null;
  let interrupted = false;
  let chain: Promise<void> = Promise.resolve();

  const prompt = (): void => {
    rl.setPrompt(buffer === '' ? PROMPT : CONTINUATION_PROMPT);
    rl.prompt();
  };

  const runQuery = async (sql: string): Promise<void> => {
    const ac = new AbortController();
    streaming = ac;
    let printer: LiveRowPrinter | undefined;
    let queryId: string | null = null;
    let columns: { name: string }[] = [];
    const pulled: unknown[][] = [];
    let failed: RowErrorJson[] = [];
    try {
      const n = await client.query(
        sql,
        {
          onHeader: (h) => {
            queryId = h.queryId;
            columns = h.columns;
            if (h.queryId !== null) {
              write(`-- push query ${h.queryId}; press Ctrl-C to stop\n`);
              printer = new LiveRowPrinter(h.columns, h.updating, write);
              printer.header();
            }
          },
          onRow: (r) => {
            if (printer) printer.row(r);
            else pulled.push([...r.values]);
          },
          onRowErrors: (errors) => {
            failed = errors;
          },
        },
        ac.signal,
      );
      if (queryId === null) write(`${renderTable(columns, pulled)}\n${failed.length ? renderRowErrors(failed) : ''}`);
      else if (ac.signal.aborted) write(`-- cancelled query ${queryId} after ${n} ${n === 1 ? 'row' : 'rows'}\n`);
      else write(`-- query ${queryId} ended (${n} ${n === 1 ? 'row' : 'rows'})\n`);
    } finally {
      streaming = null;
    }
  };

  /** PREDICT model (values): one row scored now, printed as a table of its outputs and version. */
  const runPredict = async (sql: string): Promise<void> => {
    const cmd = parsePredictCommand(sql);
    const answer = await client.predict(cmd.model, [cmd.row], cmd.version);
    const row = answer.rows[0];
    if (!row || 'error' in row) {
      write(`ERROR: ${row?.error ?? 'no answer'}\n`);
      return;
    }
    const names = Object.keys(row.outputs);
    write(`${renderTable([...names, 'version'].map((name) => ({ name })), [[...names.map((n) => row.outputs[n]), row.version]])}\n`);
  };

  const runStatement = async (sql: string): Promise<void> => {
    try {
      if (isPredictCommand(sql)) {
        await runPredict(sql);
      } else if (isQuery(sql)) {
        await runQuery(sql);
      } else {
        const results = await client.sql(sql);
        for (const r of results) printResult(r, write);
        if (results.some((r) => r.kind === 'ok')) await refreshNames();
      }
    } catch (err) {
      if (err instanceof ApiError) write(`${renderApiError(err.body, sql)}\n`);
      else if (err instanceof SluiceError) write(`ERROR [${err.code}]: ${err.message}${err.hint ? `\nHINT: ${err.hint}` : ''}\n`);
      else if (!(err instanceof Error && err.name === 'AbortError')) write(`ERROR: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  };

  const onLine = async (line: string): Promise<void> => {
    interrupted = false;
    if (buffer === '' && EXIT_WORDS.has(line.trim())) {
      rl.close();
      return;
    }
    buffer = buffer === '' ? line : `${buffer}\n${line}`;
    const { statements, rest } = splitStatements(buffer);
    if (statements.length > 0) {
      const entered = buffer.slice(0, buffer.length - rest.length).trim();
      collapseHistory(rl, entered);
      appendHistory(historyPath, entered);
      buffer = rest.trim() === '' ? '' : rest;
      for (const stmt of statements) await runStatement(stmt);
    } else if (buffer.trim() === '') {
      buffer = '';
    }
    prompt();
  };

  rl.on('line', (line) => {
    chain = chain.then(() => onLine(line));
  });

  rl.on('SIGINT', () => {
    if (streaming !== null) {
      write('^C\n');
      streaming.abort();
      return;
    }
    if (buffer !== '' || rl.line !== '') {
      buffer = '';
      interrupted = false;
      rl.write(null, { ctrl: true, name: 'e' });
      rl.write(null, { ctrl: true, name: 'u' });
      write('^C\n');
      prompt();
      return;
    }
    if (interrupted) {
      rl.close();
      return;
    }
    interrupted = true;
    write('\n(press Ctrl-C again or Ctrl-D to exit)\n');
    prompt();
  });

  write(`Connected to ${opts.url}. End statements with ';'. Ctrl-D to exit.\n`);
  prompt();
  await new Promise<void>((resolve) => {
    rl.on('close', () => {
      streaming?.abort();
      write('\n');
      void chain.finally(resolve);
    });
  });
}

/** Replaces the per-line history entries of a multi-line statement with the whole statement. */
function collapseHistory(rl: Interface, statement: string): void {
  const lines = statement.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return;
  const history = historyOf(rl);
  if (history === undefined) return;
  const newestFirst = [...lines].reverse();
  if (newestFirst.every((l, i) => history[i] === l)) history.splice(0, lines.length, statement.replace(/\s*\n\s*/g, ' '));
}

function historyOf(rl: Interface): string[] | undefined {
  const h: unknown = (rl as unknown as Record<string, unknown>).history;
  return Array.isArray(h) ? (h as string[]) : undefined;
}
