/**
 * Long SQL parsed in a worker thread. Parsing is synchronous and costs some 10 µs a token: a
 * request of a few hundred kilobytes of SQL (a long INSERT ... VALUES, a generated select list)
 * would hold the event loop for seconds, and with it the HTTP API, every push stream and every
 * checkpoint. SQL of OFF_THREAD_CHARS characters or more is parsed by one worker thread, started
 * at first need and stopped when idle; shorter SQL is parsed in place, as is all SQL if the
 * worker cannot start or dies (a warning says so once): the statements are the same either way.
 */
import type { Worker } from 'node:worker_threads';
import { SluiceError } from '../common/errors.js';
import { moduleWorker } from '../common/module-worker.js';
import type { ParsedStatement } from './ast.js';
import { parseStatements } from './parse.js';
import type { ErrorParts, ParseReply, ParseRequest } from './parse-worker.js';

/** SQL this long or longer is parsed in the worker: shorter SQL parses in well under 50 ms. */
export const OFF_THREAD_CHARS = 32 * 1024;
/** Workers that may fail (fail to start, or die) before long SQL is parsed on the main thread for good. */
const MAX_FAILURES = 3;
/** How long the worker waits for more SQL after its last. */
const IDLE_STOP_MS = 10_000;

interface Pending {
  readonly sql: string;
  readonly resolve: (parsed: ParsedStatement[]) => void;
  readonly reject: (err: unknown) => void;
}

function errorOf(parts: ErrorParts, sql: string): SluiceError {
  const err = new SluiceError(parts.code, parts.message, { ...(parts.span ? { span: parts.span } : {}), ...(parts.hint !== undefined ? { hint: parts.hint } : {}), sql });
  err.related.push(...parts.related.map((r) => errorOf(r, sql)));
  return err;
}

class ParseWorker {
  private worker: Worker | undefined;
  private failed = false;
  private failures = 0;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private idle: NodeJS.Timeout | undefined;

  parse(sql: string): Promise<ParsedStatement[]> {
    const worker = this.failed ? undefined : (this.worker ?? this.start());
    if (!worker) return Promise.resolve().then(() => parseStatements(sql));
    clearTimeout(this.idle);
    this.idle = undefined;
    const req: ParseRequest = { id: this.nextId++, sql };
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(req.id, { sql, resolve, reject });
      worker.postMessage(req);
    });
  }

  private start(): Worker | undefined {
    let worker: Worker;
    try {
      worker = moduleWorker(import.meta.url, 'parse-worker');
    } catch (e) {
      this.fail(e);
      return undefined;
    }
    this.worker = worker;
    worker.unref();
    worker.on('message', (reply: ParseReply) => {
      if ('ready' in reply) return;
      const p = this.take(worker, reply.id);
      if (!p) return;
      if ('parsed' in reply) p.resolve(reply.parsed as ParsedStatement[]);
      else if ('error' in reply) p.reject(errorOf(reply.error, p.sql));
      else parseInPlace(p);
    });
    // A tree too deep to serialize is parsed in place: the worker says so when it cannot send
    // it, and a reply that cannot be read here (a chain of a thousand common tables) is the
    // earliest unanswered request, as the worker answers in order.
    worker.on('messageerror', () => {
      const [first] = this.pending.keys();
      const p = first === undefined ? undefined : this.take(worker, first);
      if (p) parseInPlace(p);
    });
    worker.on('error', (e) => this.worker === worker && this.fail(e));
    worker.on('exit', (code) => this.worker === worker && this.fail(`it exited with code ${code}`));
    return worker;
  }

  /** The request `id`, answered: once none is left, the worker no longer keeps the process alive, and stops when idle. */
  private take(worker: Worker, id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) {
      worker.unref();
      this.idle = setTimeout(() => this.stop(worker), IDLE_STOP_MS);
      this.idle.unref();
    }
    return p;
  }

  private stop(worker: Worker): void {
    if (this.worker !== worker || this.pending.size > 0) return;
    this.worker = undefined;
    void worker.terminate();
  }

  /**
   * Parses what the worker owes on this thread. The next long SQL starts a new worker, up to
   * MAX_FAILURES; after that, all SQL is parsed here (a warning says so once).
   */
  private fail(reason: unknown): void {
    if (this.failed) return;
    this.worker = undefined;
    if (++this.failures >= MAX_FAILURES) {
      this.failed = true;
      process.emitWarning(`parser: the worker thread that parses long SQL failed ${this.failures} times (last: ${reason instanceof Error ? reason.message : String(reason)}); parsing on the main thread`);
    }
    for (const p of this.pending.values()) parseInPlace(p);
    this.pending.clear();
  }
}

function parseInPlace(p: Pending): void {
  try {
    p.resolve(parseStatements(p.sql));
  } catch (e) {
    p.reject(e);
  }
}

const parseWorker = new ParseWorker();

/** parseStatements(sql), in the worker thread when `sql` is long (see above). */
export function parseStatementsOffThread(sql: string): Promise<ParsedStatement[]> {
  if (sql.length < OFF_THREAD_CHARS) {
    try {
      return Promise.resolve(parseStatements(sql));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  return parseWorker.parse(sql);
}
