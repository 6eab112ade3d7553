/**
 * The interactive shell: reads SQL (several lines, up to a `;`), sends it to a Sluice server and
 * prints the answers with the time each took. SELECTs are streamed through POST /v1/query;
 * Ctrl-C stops a running one. An updating push query is shown as a table redrawn in place (or
 * as its changelog, `SET 'result-mode' = 'changelog';`). The shell answers some commands itself
 * (session-commands.ts); it checks the server at start and does not run without one.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { complete, EMPTY_CATALOG, type CompletionCatalog } from './completer.js';
import { appendHistory, defaultHistoryPath, HISTORY_SIZE, loadHistory } from './history.js';
import { ApiError, SluiceClient, type RowErrorJson } from './http-client.js';
import { LiveRowPrinter, LiveTable } from './live-rows.js';
import { printResult, renderApiError, renderRowErrors, renderTable } from './render.js';
import { DEFAULT_SETTINGS, HELP_TEXT, lineCommand, statementCommand, type ShellCommand, type ShellSettings } from './session-commands.js';
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

/**
 * Runs until the user exits (Ctrl-D, `exit`, `\q`, or Ctrl-C twice at an empty prompt); resolves
 * true, or false when no server answered at the start (the reason is printed).
 */
export async function runShell(opts: ShellOptions): Promise<boolean> {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const client = new SluiceClient(opts.url, opts.token);
  const historyPath = opts.historyFile ?? defaultHistoryPath();
  const write = (s: string): void => {
    output.write(s);
  };
  const tty = output as { isTTY?: boolean; columns?: number; rows?: number };
  const width = (): number | undefined => (tty.isTTY === true && typeof tty.columns === 'number' ? tty.columns : undefined);
  const settings: ShellSettings = { ...DEFAULT_SETTINGS };

  let version: string;
  try {
    version = await client.connect();
  } catch (err) {
    write(`${err instanceof ApiError ? renderApiError(err.body, '') : `ERROR [CONNECTION]: ${String(err)}`}\n`);
    return false;
  }

  let catalog: CompletionCatalog = EMPTY_CATALOG;
  const refreshCatalog = async (): Promise<void> => {
    try {
      catalog = await client.catalog();
    } catch {
      // completion is best effort
    }
  };
  await refreshCatalog();

  let buffer = '';
  const rl = createInterface({
    input,
    output,
    prompt: PROMPT,
    history: loadHistory(historyPath),
    historySize: HISTORY_SIZE,
    completer: (line: string) => complete(buffer === '' ? line : `${buffer}\n${line}`, catalog),
    terminal: tty.isTTY === true,
  });

  let streaming: AbortController | null = null;
  /** The live table of the running query: finished before anything else is printed under it. */
  let live: LiveTable | undefined;
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
    let table: LiveTable | undefined;
    let queryId: string | null = null;
    let columns: { name: string; type: string }[] = [];
    const pulled: unknown[][] = [];
    let failed: RowErrorJson[] = [];
    try {
      const n = await client.query(
        sql,
        {
          onHeader: (h) => {
            queryId = h.queryId;
            columns = h.columns;
            if (h.queryId === null) return;
            write(`-- push query ${h.queryId} from the ${settings.from === 'latest' ? 'latest rows' : 'earliest rows'}; press Ctrl-C to stop\n`);
            if (h.updating && settings.resultMode === 'table' && tty.isTTY === true) {
              table = new LiveTable(h.columns, write, width(), tty.rows);
              live = table;
              table.flush();
            } else {
              printer = new LiveRowPrinter(h.columns, h.updating, write, width());
              printer.header();
            }
          },
          onRow: (r) => {
            if (table) table.apply(r);
            else if (printer) printer.row(r);
            else pulled.push([...r.values]);
          },
          onRowErrors: (errors) => {
            failed = errors;
          },
        },
        ac.signal,
        settings.from === 'latest' ? {} : { from: settings.from },
      );
      table?.finish();
      const w = width();
      if (queryId === null) write(`${renderTable(columns, pulled, w === undefined ? {} : { maxWidth: w })}\n${failed.length ? renderRowErrors(failed) : ''}`);
      else if (ac.signal.aborted) write(`-- cancelled query ${queryId} after ${n} ${n === 1 ? 'row' : 'rows'}\n`);
      else write(`-- query ${queryId} ended (${n} ${n === 1 ? 'row' : 'rows'})\n`);
    } finally {
      table?.finish();
      live = undefined;
      streaming = null;
    }
  };

  const runLocal = async (cmd: ShellCommand): Promise<void> => {
    switch (cmd.kind) {
      case 'exit':
        rl.close();
        return;
      case 'help':
        write(`${HELP_TEXT}\n`);
        return;
      case 'print':
        write(`${cmd.text}\n`);
        return;
      case 'sql':
        await runStatement(cmd.sql);
        return;
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
    const local = statementCommand(sql, settings);
    if (local) return runLocal(local);
    const started = performance.now();
    try {
      if (isPredictCommand(sql)) {
        await runPredict(sql);
      } else if (isQuery(sql)) {
        await runQuery(sql);
      } else {
        const results = await client.sql(sql);
        const w = width();
        for (const r of results) {
          // Several answers (\d, or statements sent together): each under the statement it answers.
          if (results.length > 1 && r.kind === 'rows') write(`-- ${r.statement}\n`);
          printResult(r, write, w === undefined ? {} : { maxWidth: w });
        }
        if (results.some((r) => r.kind === 'ok')) await refreshCatalog();
      }
    } catch (err) {
      if (err instanceof ApiError) write(`${renderApiError(err.body, sql)}\n`);
      else if (err instanceof SluiceError) write(`ERROR [${err.code}]: ${err.message}${err.hint ? `\nHINT: ${err.hint}` : ''}\n`);
      else if (!(err instanceof Error && err.name === 'AbortError')) write(`ERROR: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    write(`Time: ${formatMs(performance.now() - started)}\n`);
  };

  const onLine = async (line: string): Promise<void> => {
    interrupted = false;
    const command = buffer === '' ? lineCommand(line) : undefined;
    if (command) {
      appendHistory(historyPath, line.trim());
      await runLocal(command);
      if (command.kind !== 'exit') prompt();
      return;
    }
    buffer = buffer === '' ? line : `${buffer}\n${line}`;
    const { statements, rest } = splitStatements(buffer);
    if (statements.length > 0) {
      const entered = buffer.slice(0, buffer.length - rest.length).trim();
      collapseHistory(rl, entered);
      appendHistory(historyPath, entered);
      buffer = rest.trim() === '' ? '' : rest;
      for (const stmt of statements) {
        await runStatement(stmt);
        if (closed) return;
      }
    } else if (buffer.trim() === '') {
      buffer = '';
    }
    prompt();
  };

  let closed = false;
  rl.on('line', (line) => {
    chain = chain.then(() => onLine(line));
  });

  rl.on('SIGINT', () => {
    if (streaming !== null) {
      live?.finish();
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

  write(`Connected to Sluice ${version} at ${opts.url}. End statements with ';'; type help for help, exit to leave.\n`);
  prompt();
  await new Promise<void>((resolve) => {
    rl.on('close', () => {
      closed = true;
      streaming?.abort();
      write('\n');
      void chain.finally(resolve);
    });
  });
  return true;
}

/** A statement's time as psql's \timing prints it: milliseconds, or seconds from a minute. */
export function formatMs(ms: number): string {
  return ms < 60_000 ? `${ms.toFixed(3)} ms` : `${(ms / 1000).toFixed(1)} s`;
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
