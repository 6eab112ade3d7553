/**
 * Transactions drawn in a worker thread: drawing 30 features per event is most of a datagen
 * stream's cost, and it is a pure function of the event number, so the source asks for the next
 * batches ahead and the main thread only wraps the finished columns. One worker per process
 * serves every running datagen source and stops when the last one ends; until it has started,
 * and if it cannot start or dies, batches are drawn on the main thread (a warning says so once),
 * so the rows are the same either way.
 */
import type { Worker } from 'node:worker_threads';
import { moduleWorker } from '../common/module-worker.js';
import { txColumns, type TxColumns, type TxConfig } from './datagen.js';
import type { DatagenRequest } from './datagen-worker.js';

interface Pending {
  readonly req: DatagenRequest;
  readonly resolve: (cols: TxColumns) => void;
}

/** How long the worker waits for the next source after the last one stopped. */
const IDLE_STOP_MS = 1000;

type Reply = { readonly ready: true; readonly osThreadId?: number } | { readonly id: number; readonly cols: TxColumns };

class DatagenWorker {
  private worker: Worker | undefined;
  private ready = false;
  private failed = false;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private users = 0;
  /** The running worker's thread id in the operating system, where it could tell (Linux), for CPU accounting. */
  osThreadId: number | undefined;
  /** Batches drawn, by where. */
  readonly drawn = { worker: 0, mainThread: 0 };

  private idle: NodeJS.Timeout | undefined;

  /** A source starts drawing: the worker runs while any source is. */
  acquire(): void {
    this.users++;
    clearTimeout(this.idle);
    this.idle = undefined;
  }

  /**
   * A source stopped drawing; a while after the last one, the worker stops (what it still owes,
   * nobody waits for), so that a query started soon after finds it running.
   */
  release(): void {
    if (--this.users > 0 || !this.worker) return;
    this.idle = setTimeout(() => this.stop(), IDLE_STOP_MS);
    this.idle.unref();
  }

  private stop(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = false;
    this.osThreadId = undefined;
    this.pending.clear();
    void worker?.terminate();
  }

  /** The columns of transactions [from, to): txColumns(from, to, config, features), drawn in the worker once it runs. */
  columns(from: number, to: number, config: TxConfig, features: boolean): Promise<TxColumns> {
    const worker = this.failed ? undefined : (this.worker ?? this.start());
    if (!worker || !this.ready) {
      this.drawn.mainThread++;
      return Promise.resolve(txColumns(from, to, config, features));
    }
    this.drawn.worker++;
    const req: DatagenRequest = { id: this.nextId++, from, to, config, features };
    return new Promise((resolve) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(req.id, { req, resolve });
      worker.postMessage(req);
    });
  }

  private start(): Worker | undefined {
    let worker: Worker;
    try {
      worker = moduleWorker(import.meta.url, 'datagen-worker');
    } catch (e) {
      this.fail(e);
      return undefined;
    }
    this.worker = worker;
    worker.unref();
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) {
        this.ready = true;
        this.osThreadId = reply.osThreadId;
        return;
      }
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      p?.resolve(reply.cols);
    });
    worker.on('error', (e) => this.worker === worker && this.fail(e));
    worker.on('exit', (code) => this.worker === worker && this.fail(`it exited with code ${code}`));
    return worker;
  }

  /** Draws what the worker owes on this thread, and every later batch too. */
  private fail(reason: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.worker = undefined;
    process.emitWarning(`datagen: the worker thread that draws rows failed (${reason instanceof Error ? reason.message : String(reason)}); drawing them on the main thread`);
    for (const { req, resolve } of this.pending.values()) {
      this.drawn.mainThread++;
      resolve(txColumns(req.from, req.to, req.config, req.features));
    }
    this.pending.clear();
  }
}

export const datagenWorker = new DatagenWorker();
