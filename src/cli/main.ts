/** The `sluice` command line: serve, shell, run, explain, bench. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { SluiceError } from '../common/errors.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../server/defaults.js';
import { parseKafkaAllowList } from '../engine/kafka-allow.js';
import { addSafetyFlags, type SafetyFlags } from './safety-options.js';
import type { ConsoleMode } from '../server/routes-console.js';
import { consoleMode, duration, limitsOf, positiveInt, resolveToken, type LimitFlags } from './serve-options.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is an integer from 0 to 65535');
  return n;
}

function finish(code: number): void {
  process.exitCode = code;
}

export function buildProgram(): Command {
  const program = new Command('sluice')
    .description('Streaming SQL engine for machine-learning inference on event streams')
    .version('0.1.0')
    .showHelpAfterError();

  addSafetyFlags(program
    .command('serve')
    .description('run the engine with its HTTP API')
    .option('--port <port>', 'port to listen on', port, DEFAULT_PORT)
    .option('--host <host>', 'address to bind', DEFAULT_HOST)
    .option('--data <dir>', 'folder for durable state', './data')
    .option('--token <token>', 'require this bearer token on every request but /healthz (else $SLUICE_TOKEN when set)')
    .option('--token-file <file>', 'read the bearer token from this file (keeps it out of the process list)')
    .option('--max-windows-per-row <n>', 'most HOP windows one row may fall into (size / slide)', positiveInt)
    .option('--max-interval <duration>', 'longest interval in WATERMARK, allowed.lateness, windows and join bounds', duration)
    .option('--max-session-gap <duration>', 'longest SESSION window gap', duration)
    .option('--max-partitions <n>', 'most partitions of a stream on the embedded log', positiveInt)
    .option('--max-result-rows <n>', 'most rows of an answer built in memory (pull queries, ORDER BY)', positiveInt)
    .option('--statement-timeout <duration>', 'longest a pull query (or INSERT ... SELECT, CREATE TABLE AS) may run', duration)
    .option('--max-statements <n>', 'most statements in one request', positiveInt)
    .option('--max-sql-bytes <n>', 'most bytes of SQL text in one request', positiveInt)
    .option('--max-push-queries <n>', 'most push queries streaming at once', positiveInt)
    .option('--max-push-queries-per-client <n>', 'most push queries streaming at once to one client address', positiveInt)
    .option('--push-stall-timeout <duration>', 'disconnect a push query client that reads nothing for this long', duration)
    .option('--max-ingest-bytes <n>', 'largest body of POST /v1/streams/:name/rows in bytes', positiveInt)
    .option('--max-ingest-rows <n>', 'most rows in one POST /v1/streams/:name/rows request', positiveInt)
    .option('--ingest-max-lag <n>', 'refuse posted rows (429) while a view or sink reading the stream is more records behind than this', positiveInt)
    .option('--allow-kafka <brokers>', "only these Kafka brokers (host:port,...) may be named in SQL's bootstrap.servers", parseKafkaAllowList)
    .option('--console <mode>', "the web console at /: 'read-write', or 'read-only' (it offers no changes and the server refuses them from it)", consoleMode, 'read-write')
    .option('--demo', 'load the demo streams, models and queries')
    .option('--log', 'log requests'))
    .addHelpText('after', '\nDefaults of the limits and the trust model: docs/security.md')
    .action(async (o: { port: number; host: string; data: string; token?: string; tokenFile?: string; allowKafka?: string[]; console: ConsoleMode; demo?: boolean; log?: boolean } & LimitFlags & SafetyFlags) => {
      const token = resolveToken(o);
      const { serve } = await import('./serve.js');
      await serve({ ...o, token, limits: limitsOf(o) });
    });

  program
    .command('shell')
    .description('interactive SQL shell against a running server')
    .option('--url <url>', 'server address', process.env.SLUICE_URL ?? `http://${DEFAULT_HOST}:${DEFAULT_PORT}`)
    .option('--token <token>', 'bearer token (else $SLUICE_TOKEN when set)')
    .option('--token-file <file>', 'read the bearer token from this file')
    .option('--history <file>', 'history file (default ~/.sluice_history)')
    .action(async (o: { url: string; token?: string; tokenFile?: string; history?: string }) => {
      const token = resolveToken(o);
      const { runShell } = await import('../shell/shell.js');
      const connected = await runShell({ url: o.url, ...(token !== undefined ? { token } : {}), ...(o.history !== undefined ? { historyFile: o.history } : {}) });
      process.exit(connected ? 0 : 1);
    });

  addSafetyFlags(program
    .command('run')
    .description('run a SQL file on an embedded engine, or on a running server with --url; shows progress until Ctrl-C while queries run')
    .argument('<file>', 'SQL file')
    .option('--data <dir>', 'folder for durable state (embedded engine)', './data')
    .option('--url <url>', 'send the statements to the server at this address instead (e.g. http://127.0.0.1:8080)')
    .option('--token <token>', 'bearer token for --url (else $SLUICE_TOKEN when set)')
    .option('--token-file <file>', 'read the bearer token for --url from this file')
    .option('--bounded', 'push queries read their inputs as they are now, then end (embedded engine)')
    .addOption(new Option('--from <position>', 'where push queries start reading their streams: latest (new rows only) or earliest').choices(['latest', 'earliest']).default('latest')))
    .action(async (file: string, o: { data: string; url?: string; token?: string; tokenFile?: string; bounded?: boolean; from: 'latest' | 'earliest' } & SafetyFlags) => {
      if (o.url !== undefined) {
        const token = resolveToken(o);
        const { runRemote } = await import('./run-remote.js');
        finish(await runRemote(file, { url: o.url, from: o.from, ...(token !== undefined ? { token } : {}) }));
        return;
      }
      const { runFile } = await import('./run-file.js');
      finish(await runFile(file, o));
    });

  program
    .command('explain')
    .description('print the plan of a query')
    .argument('<sql>', 'the query (EXPLAIN is added when missing)')
    .option('--file <schema.sql>', 'run this DDL file first')
    .option('--data <dir>', 'use this data folder instead of a temporary one')
    .action(async (sql: string, o: { file?: string; data?: string }) => {
      const { explain } = await import('./explain.js');
      finish(await explain(sql, o));
    });

  program
    .command('bench')
    .description('run the benchmarks (npm run bench)')
    .argument('[args...]', 'passed to the benchmark runner')
    .allowUnknownOption()
    .action(async (args: string[]) => {
      const { bench } = await import('./bench.js');
      finish(await bench(args));
    });

  return program;
}

// Output piped into a command that stops reading (`sluice run f.sql | head`) ends the program quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.stderr.write(err instanceof SluiceError ? `${err.render()}\n` : `sluice: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
