/**
 * Column batches of the datagen transaction stream, made on the query's thread or ahead of it on
 * a generator thread.
 *
 * Drawing an event's features is most of a datagen query's work on its thread, and events are
 * pure functions of their numbers (see datagen.ts), so a run that keeps going hands the next
 * batches to a worker thread shared by every datagen source of the process (datagen-worker.ts):
 * while the query processes one batch, the worker makes the ones after it, and posts them back
 * as buffers that the query's thread takes over without a copy. A batch is the same on either
 * thread; the positions a checkpoint stores stay event numbers, so a restart makes the same rows.
 * A run never waits for the worker to start: it makes its first batches itself (a short run,
 * such as a LIMIT query, all of them), and any batch the worker cannot make (it failed to start,
 * it died) is made on the query's thread.
 */
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type * as A from 'apache-arrow';
import type { Field } from '../common/types.js';
import { batchOfData, buildConstant, buildData, buildFixedWidthList } from '../exec/columns.js';
import { receiveBatch, type PostedBatch } from '../exec/posted-batch.js';
import type { GeneratorBatches } from '../exec/sources/generator-source.js';
import { FEATURE_COUNT, txColumns, type TxConfig } from './datagen.js';

/**
 * Transactions [from, to) as a batch of `fields`, built from txColumns: the batch txEvent's rows
 * would give, without a row object or a features array per event. A field the generator does not
 * make is NULL, as in a row that lacks it.
 */
export function txBatch(fields: readonly Field[], config: TxConfig, from: number, to: number): A.RecordBatch {
  const cols = txColumns(from, to, config, fields.some((f) => f.name === 'features'));
  const n = cols.length;
  const data = fields.map((f) => {
    switch (f.name) {
      case 'tx_id':
      case 'card_id':
      case 'amount':
      case 'ts':
        return buildData(f.type, cols[f.name], n);
      case 'features':
        return cols.features && f.type.kind === 'ARRAY' ? buildFixedWidthList(f.type.element, cols.features, FEATURE_COUNT, n) : buildData(f.type, rowsOf(cols.features, n), n);
      default:
        return buildConstant(f.type, null, n);
    }
  });
  return batchOfData(fields, data, n);
}

/** One subarray per row of row-major features, for a column not declared as an array. */
function rowsOf(features: Float32Array | undefined, n: number): (Float32Array | null)[] {
  const rows = new Array<Float32Array | null>(n);
  for (let i = 0; i < n; i++) rows[i] = features ? features.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT) : null;
  return rows;
}

/** Batches a run makes on its own thread before it asks for the generator thread. */
const BATCHES_BEFORE_THREAD = 8;
/** Batches asked of the generator thread ahead of the one the query takes. */
const BATCHES_AHEAD = 2;

/** Messages to the generator thread. */
export type GeneratorRequest =
  | { readonly type: 'open'; readonly stream: number; readonly fields: readonly Field[]; readonly config: TxConfig }
  | { readonly type: 'make'; readonly stream: number; readonly id: number; readonly from: number; readonly to: number }
  | { readonly type: 'close'; readonly stream: number };

/** Messages from it: ready once loaded, then one answer per 'make', in order. */
export type GeneratorReply =
  | { readonly type: 'ready' }
  | { readonly type: 'made'; readonly id: number; readonly batch: PostedBatch | undefined };

const BOOT = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})();
`;

/** The worker's module next to this one; run from TypeScript sources, tsx's loader goes first. */
function workerEntry(): { readonly entry: string; readonly tsx: string | undefined } {
  const ext = extname(fileURLToPath(import.meta.url));
  const entry = new URL(`./datagen-worker${ext}`, import.meta.url).href;
  if (ext !== '.ts') return { entry, tsx: undefined };
  const api = createRequire(import.meta.url).resolve('tsx/esm/api');
  return { entry, tsx: pathToFileURL(api.replace(/\.cjs$/, '.mjs')).href };
}

/** The process's generator thread: started on first use, never keeps the process alive. */
class GeneratorThread {
  ready = false;
  dead = false;
  /** Batches the query threads took from it. */
  taken = 0;
  /** Settles when the thread is ready (true) or failed to start (false). */
  readonly started: Promise<boolean>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, (batch: PostedBatch | undefined) => void>();
  private nextId = 1;

  constructor() {
    let started: (ok: boolean) => void = () => undefined;
    this.started = new Promise((resolve) => (started = resolve));
    this.worker = new Worker(BOOT, { eval: true, workerData: workerEntry() });
    this.worker.on('message', (reply: GeneratorReply) => {
      if (reply.type === 'ready') {
        this.ready = true;
        started(true);
        return;
      }
      const done = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      done?.(reply.batch);
    });
    const fail = (): void => {
      this.dead = true;
      started(false);
      for (const done of this.pending.values()) done(undefined);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', fail);
    // After the listeners: adding a 'message' listener refs the thread again.
    this.worker.unref();
  }

  send(msg: GeneratorRequest): void {
    this.worker.postMessage(msg);
  }

  /** Events [from, to) of `stream`, or undefined when the thread could not make them. */
  make(stream: number, from: number, to: number): Promise<PostedBatch | undefined> {
    if (this.dead) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ type: 'make', stream, id, from, to });
    });
  }
}

let thread: GeneratorThread | undefined;
let threadFailed = false;
let nextStream = 1;

/** The generator thread, started now if it is not yet; undefined when it cannot run. */
function generatorThread(): GeneratorThread | undefined {
  if (threadFailed || thread?.dead) return undefined;
  try {
    thread ??= new GeneratorThread();
  } catch {
    threadFailed = true;
  }
  return thread;
}

/**
 * Starts the generator thread if it is not running; resolves to whether it runs. Sources start it
 * themselves when a run gets long; this is for callers that want it ready beforehand.
 */
export function startGeneratorThread(): Promise<boolean> {
  return generatorThread()?.started ?? Promise.resolve(false);
}

/** Batches query threads have taken from the generator thread so far. */
export function generatorThreadBatches(): number {
  return thread?.taken ?? 0;
}

/**
 * The batches of one run of a datagen transaction source, events [first, end) in batches of
 * `batchSize`, made on the generator thread ahead of the query once the run is long enough
 * (when `threaded`), else here.
 */
export class TxBatches implements GeneratorBatches {
  private readonly ahead: { readonly from: number; readonly to: number; readonly batch: Promise<PostedBatch | undefined> }[] = [];
  private made = 0;
  private stream: number | undefined;

  constructor(
    private readonly fields: readonly Field[],
    private readonly config: TxConfig,
    private readonly end: number,
    private readonly batchSize: number,
    private readonly threaded: boolean,
  ) {
    // Started now, it is ready by the time the run is long enough to use it.
    if (threaded) generatorThread();
  }

  make(from: number, to: number): A.RecordBatch | Promise<A.RecordBatch> {
    this.made++;
    let head = this.ahead.shift();
    if (head && (head.from !== from || head.to !== to)) {
      this.ahead.length = 0;
      head = undefined;
    }
    this.askAhead(to);
    if (!head) return txBatch(this.fields, this.config, from, to);
    return head.batch.then((posted) => {
      if (!posted) return txBatch(this.fields, this.config, from, to);
      if (thread) thread.taken++;
      return receiveBatch(this.fields, posted);
    });
  }

  close(): void {
    this.ahead.length = 0;
    if (this.stream !== undefined) thread?.send({ type: 'close', stream: this.stream });
    this.stream = undefined;
  }

  /** Asks the generator thread for the batches after `to`, up to BATCHES_AHEAD of them. */
  private askAhead(to: number): void {
    if (!this.threaded || this.made < BATCHES_BEFORE_THREAD) return;
    const t = generatorThread();
    if (!t?.ready || t.dead) return;
    if (this.stream === undefined) {
      this.stream = nextStream++;
      t.send({ type: 'open', stream: this.stream, fields: this.fields, config: this.config });
    }
    let from = this.ahead.at(-1)?.to ?? to;
    while (this.ahead.length < BATCHES_AHEAD && from < this.end) {
      const next = Math.min(this.end, from + this.batchSize);
      this.ahead.push({ from, to: next, batch: t.make(this.stream, from, next) });
      from = next;
    }
  }
}
