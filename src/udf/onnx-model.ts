/**
 * One loaded ONNX model file: its checksum, the execution provider it runs on, its checked
 * signature, and a small pool of worker threads that run it.
 *
 * onnxruntime-node 1.23's `InferenceSession.run` returns a promise, but the native call is
 * synchronous (it is merely deferred with setImmediate) and blocks the thread that makes it.
 * Each session therefore lives in a worker thread: the event loop stays free while a batch is
 * scored, a latency budget can fire while the model is still running, and several batches run
 * at once (one per worker).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SluiceError } from '../common/errors.js';
import { typeToString, type DataType, type Field } from '../common/types.js';

/** Where a model runs: `auto` prefers CUDA when its provider can be created, else CPU. */
export type DeviceOption = 'auto' | 'cpu' | 'cuda';
export type ProviderName = 'cpu' | 'cuda';

/** A typed array of model output values. */
export type OutputArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** What onnxruntime reports about one model input or output. */
export interface TensorInfo {
  readonly name: string;
  /** onnxruntime's element type name (`float32`, `int64`, ...), or `non-tensor`. */
  readonly type: string;
  /** Dimensions: a number when fixed, a string when symbolic (e.g. `batch`). */
  readonly shape: readonly (number | string)[];
}

/** How a declared INPUT column maps onto the packed row the runner feeds. */
export interface InputBinding {
  readonly column: string;
  /** The ONNX input it feeds. */
  readonly onnxName: string;
  /** Values per row (1 for a scalar FLOAT). */
  readonly width: number;
  /** Offset of this column's values within a packed row. */
  readonly offset: number;
  /** Dimensions after the batch dimension (`[]` for `[N]`, `[1]` for `[N,1]`, `[k]` for `[N,k]`). */
  readonly innerDims: readonly number[];
}

/** How a declared OUTPUT column is read from the model's outputs. */
export interface OutputBinding {
  readonly column: string;
  readonly onnxName: string;
  readonly type: DataType;
  /** onnxruntime element type expected for this column. */
  readonly elementType: string;
  /** Values per row (1 for scalars, k for ARRAY<...>(k)). */
  readonly width: number;
}

export interface OnnxModelLoadOptions {
  /** The model's SQL name, used in messages. */
  readonly name: string;
  /** The file, as written by the user (messages show it this way). */
  readonly path: string;
  /** The file to read, when `path` is relative to something other than the process's cwd. */
  readonly resolvedPath?: string;
  /** The file's bytes, already read (and checked) by the caller; then no file is opened here. */
  readonly bytes?: Uint8Array;
  readonly inputs: readonly Field[];
  readonly outputs: readonly Field[];
  readonly device?: DeviceOption;
  /** Worker threads, i.e. batches that can run at once. Default 1. */
  readonly threads?: number;
  /** onnxruntime intra-op threads per worker. Default: available cores / threads, at least 1. */
  readonly intraOpThreads?: number;
}

/** The result of a batch, as a value: a model failure is data, not a thrown exception. */
export type ModelRunResult =
  | { readonly ok: true; readonly outputs: Readonly<Record<string, OutputArray>>; readonly ms: number }
  | { readonly ok: false; readonly error: SluiceError };

const ORT_ENTRY = createRequire(import.meta.url).resolve('onnxruntime-node');

/**
 * Loads onnxruntime's native binding in this thread once, before any worker does, and keeps it.
 * Node unloads a native addon when the last thread holding it ends, but onnxruntime's library
 * cannot really be unloaded, so loading it again in a later worker fails with "Module did not
 * self-register". Without a holder that outlives the workers, ending the last model's workers
 * (a failed CREATE MODEL, DROP MODEL) would break every later model load of the process.
 */
let bindingHeld = false;
function holdBinding(): void {
  if (bindingHeld) return;
  createRequire(import.meta.url)(ORT_ENTRY);
  bindingHeld = true;
}

/** The folder holding the native onnxruntime libraries for this platform. */
export function onnxruntimeBinDir(): string {
  return join(dirname(ORT_ENTRY), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** Whether the CUDA execution provider libraries are installed next to onnxruntime-node. */
export function cudaProviderInstalled(): { readonly installed: boolean; readonly reason: string } {
  if (process.platform !== 'linux' && process.platform !== 'win32') {
    return { installed: false, reason: `onnxruntime-node has no CUDA execution provider for ${process.platform}` };
  }
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  const file = join(onnxruntimeBinDir(), lib);
  return existsSync(file)
    ? { installed: true, reason: `${lib} found` }
    : { installed: false, reason: `the CUDA execution provider is not installed (${file} is missing)` };
}

export const CUDA_INSTALL_HINT =
  'install the CUDA 12 execution provider for onnxruntime-node: `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` ' +
  '(it downloads from api.nuget.org); it also needs the CUDA 12 runtime and cuDNN 9 libraries ' +
  "on the library path. See docs/models.md. Use device = 'auto' to fall back to CPU.";

/** Maps a declared element type to onnxruntime's tensor type name. */
function elementTypeOf(t: DataType): string | undefined {
  switch (t.kind) {
    case 'FLOAT':
      return 'float32';
    case 'DOUBLE':
      return 'float64';
    case 'INT':
      return 'int32';
    case 'BIGINT':
      return 'int64';
    case 'BOOLEAN':
      return 'bool';
    default:
      return undefined;
  }
}

export function shapeToString(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (typeof d === 'number' && d < 0 ? '?' : String(d))).join(', ')}]`;
}

/**
 * The signature a file declares itself: float32 [batch, n] is ARRAY<FLOAT>(n), [batch] or
 * [batch, 1] a scalar of the element type. Undefined (with the reason) for what a declaration
 * cannot describe, e.g. a symbolic feature dimension.
 */
export function signatureOf(t: TensorInfo): { readonly sql: string } | { readonly problem: string } {
  const scalar: Record<string, string> = { float32: 'FLOAT', float64: 'DOUBLE', int32: 'INT', int64: 'BIGINT', bool: 'BOOLEAN' };
  const element = scalar[t.type];
  const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.name) ? t.name : `"${t.name.replace(/"/g, '""')}"`;
  if (element === undefined) return { problem: `${describeTensor(t)} has no SQL type` };
  const [, feature, ...more] = t.shape;
  if (more.length > 0) return { problem: `${describeTensor(t)} has more than two dimensions` };
  if (feature === undefined || feature === 1) return { sql: `${name} ${element}` };
  if (typeof feature !== 'number' || feature < 1) return { problem: `${describeTensor(t)} has no fixed width` };
  if (element !== 'FLOAT') return { problem: `${describeTensor(t)}: only float32 arrays are supported` };
  return { sql: `${name} ARRAY<FLOAT>(${feature})` };
}

function describeTensor(t: TensorInfo): string {
  return t.type === 'non-tensor' ? `${t.name} (not a tensor)` : `${t.name} ${t.type} ${shapeToString(t.shape)}`;
}

/** The shape a declared column needs, for messages: `float32 [batch, 30]`. */
function expectedShape(elementType: string, width: number | undefined, scalar: boolean): string {
  return scalar ? `${elementType} [batch] or [batch, 1]` : `${elementType} [batch, ${width ?? 'k'}]`;
}

function findByName(list: readonly TensorInfo[], name: string): TensorInfo | undefined {
  return list.find((t) => t.name === name) ?? list.find((t) => t.name.toLowerCase() === name.toLowerCase());
}

const isBatchDim = (d: number | string | undefined): boolean => typeof d === 'string' || (typeof d === 'number' && d < 0);

interface Bindings {
  readonly inputs: InputBinding[];
  readonly outputs: OutputBinding[];
  readonly problems: string[];
}

/**
 * Checks the declared INPUT/OUTPUT columns against what the file says and works out the packed
 * row layout. Returns the problems found instead of stopping at the first.
 */
export function bindSignature(
  declaredIn: readonly Field[],
  declaredOut: readonly Field[],
  fileIn: readonly TensorInfo[],
  fileOut: readonly TensorInfo[],
): Bindings {
  const problems: string[] = [];
  const inputs: InputBinding[] = [];
  const outputs: OutputBinding[] = [];
  let offset = 0;
  const used = new Set<string>();
  for (const col of declaredIn) {
    const isArray = col.type.kind === 'ARRAY';
    const elem = col.type.kind === 'ARRAY' ? col.type.element : col.type;
    const declaredWidth = col.type.kind === 'ARRAY' ? col.type.size : 1;
    if (elementTypeOf(elem) !== 'float32') {
      problems.push(`input '${col.name}' is declared ${typeToString(col.type)}; model inputs must be FLOAT or ARRAY<FLOAT>(n)`);
      continue;
    }
    const t = findByName(fileIn, col.name);
    const want = expectedShape('float32', declaredWidth, !isArray);
    if (!t) {
      problems.push(`input '${col.name}' (${typeToString(col.type)}) is not in the file; its inputs are ${fileIn.map(describeTensor).join(', ') || 'none'}`);
      continue;
    }
    used.add(t.name);
    const actual = describeTensor(t);
    const mismatch = (): void => {
      problems.push(`input '${col.name}' is declared ${typeToString(col.type)}, which needs ${want}, but the file has ${actual}`);
    };
    if (t.type !== 'float32' || t.shape.length < 1 || t.shape.length > 2 || !isBatchDim(t.shape[0])) {
      mismatch();
      continue;
    }
    const inner = t.shape[1];
    let width: number;
    if (inner === undefined) {
      if (isArray) {
        mismatch();
        continue;
      }
      width = 1;
    } else if (typeof inner === 'number' && inner >= 0) {
      if (declaredWidth !== undefined && inner !== declaredWidth) {
        mismatch();
        continue;
      }
      width = inner;
    } else if (declaredWidth !== undefined) {
      width = declaredWidth;
    } else {
      problems.push(`input '${col.name}' is declared ${typeToString(col.type)} without a size and the file's ${actual} does not fix it; declare ARRAY<FLOAT>(n)`);
      continue;
    }
    inputs.push({ column: col.name, onnxName: t.name, width, offset, innerDims: inner === undefined ? [] : [width] });
    offset += width;
  }
  for (const t of fileIn) {
    if (!used.has(t.name) && !declaredIn.some((c) => c.name.toLowerCase() === t.name.toLowerCase())) {
      problems.push(`the file's input ${describeTensor(t)} is not declared in INPUT`);
    }
  }
  for (const col of declaredOut) {
    const isArray = col.type.kind === 'ARRAY';
    const elem = col.type.kind === 'ARRAY' ? col.type.element : col.type;
    const elementType = elementTypeOf(elem);
    const declaredWidth = col.type.kind === 'ARRAY' ? col.type.size : 1;
    if (elementType === undefined || (isArray && declaredWidth === undefined)) {
      problems.push(`output '${col.name}' is declared ${typeToString(col.type)}; outputs must be FLOAT, DOUBLE, INT, BIGINT, BOOLEAN or ARRAY<...>(n) of those`);
      continue;
    }
    const t = findByName(fileOut, col.name);
    if (!t) {
      problems.push(`output '${col.name}' (${typeToString(col.type)}) is not in the file; its outputs are ${fileOut.map(describeTensor).join(', ') || 'none'}`);
      continue;
    }
    const want = expectedShape(elementType, declaredWidth, !isArray);
    const shapeOk =
      t.shape.length === 0 || // unknown rank: checked when it runs
      (isBatchDim(t.shape[0]) &&
        (isArray
          ? t.shape.length === 2 && (isBatchDim(t.shape[1]) || t.shape[1] === declaredWidth)
          : t.shape.length === 1 || (t.shape.length === 2 && t.shape[1] === 1)));
    if (t.type !== elementType || !shapeOk) {
      problems.push(`output '${col.name}' is declared ${typeToString(col.type)}, which needs ${want}, but the file has ${describeTensor(t)}`);
      continue;
    }
    outputs.push({ column: col.name, onnxName: t.name, type: col.type, elementType, width: declaredWidth ?? 1 });
  }
  return { inputs, outputs, problems };
}

// ---------------------------------------------------------------------------------------------
// worker pool

/** Runs inside each worker thread; plain JavaScript so it needs no TypeScript loader. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortEntry);
let session;
// The feeds (name, values per row, dimensions after the batch) and the outputs to fetch: sent
// once, before the first run, since they are the same for every batch.
let layout;
const slabs = [];
const scratch = [];
const message = (e) => (e && e.message) || String(e);
let chain = Promise.resolve();
// One request at a time, in arrival order, so a close never overtakes a run.
parentPort.on('message', (msg) => { chain = chain.then(() => handle(msg)); });
async function handle(msg) {
  if (msg.type === 'load') {
    try {
      session = await ort.InferenceSession.create(msg.bytes, msg.options);
      const meta = (list) => list.map((m) => ({ name: m.name, type: m.isTensor ? m.type : 'non-tensor', shape: m.isTensor ? [...m.shape] : [] }));
      parentPort.postMessage({ id: msg.id, ok: true, inputs: meta(session.inputMetadata), outputs: meta(session.outputMetadata) });
    } catch (e) {
      parentPort.postMessage({ id: msg.id, ok: false, error: message(e) });
    }
  } else if (msg.type === 'layout') {
    layout = msg;
  } else if (msg.type === 'run') {
    try {
      if (msg.slab) slabs[msg.slot] = new Float32Array(msg.slab);
      const slab = slabs[msg.slot];
      const rows = msg.rows;
      const feeds = {};
      let at = 0;
      for (const [k, f] of layout.feeds.entries()) {
        // The rows sit in the shared slab, one input after the other; onnxruntime takes only
        // ordinary memory, so they are copied into this worker's own buffer for the feed
        // (grown when a batch needs more).
        const length = rows * f.width;
        if (!(scratch[k] && scratch[k].length >= length)) scratch[k] = new Float32Array(Math.max(length, 2 * ((scratch[k] && scratch[k].length) || 0)));
        const data = scratch[k].subarray(0, length);
        data.set(slab.subarray(at, at + length));
        feeds[f.name] = new ort.Tensor('float32', data, [rows, ...f.innerDims]);
        at += length;
      }
      const t0 = performance.now();
      const out = await session.run(feeds, layout.fetch);
      const ms = performance.now() - t0;
      // One entry per fetched output, in order: its element type, dimensions and values.
      const outputs = [];
      // Output arrays that own their whole buffer move to the caller instead of being copied.
      const transfer = [];
      for (const name of layout.fetch) {
        const t = out[name];
        outputs.push(t.type, t.dims, t.data);
        const b = t.data && t.data.buffer;
        if (b instanceof ArrayBuffer && t.data.byteOffset === 0 && t.data.byteLength === b.byteLength && !transfer.includes(b)) transfer.push(b);
      }
      try {
        parentPort.postMessage({ id: msg.id, ok: true, outputs, ms }, transfer);
      } catch (e) {
        parentPort.postMessage({ id: msg.id, ok: true, outputs, ms });
      }
    } catch (e) {
      parentPort.postMessage({ id: msg.id, ok: false, error: message(e) });
    }
  } else if (msg.type === 'close') {
    try { if (session) await session.release(); } catch (e) { /* released anyway */ }
    parentPort.postMessage({ id: msg.id, ok: true });
  }
}
`;

interface WorkerReply {
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly inputs?: TensorInfo[];
  /** A load's outputs, or a run's: element type, dimensions and values of each fetched output in turn. */
  readonly outputs?: TensorInfo[] | unknown[];
  readonly ms?: number;
}

/**
 * Runs a worker may hold at once: the one it is running and the next, already waiting in its
 * queue, so a worker goes straight from one batch to the next instead of sleeping until the
 * event loop hands it another (a thread wake-up here costs more than a small model's run).
 */
export const WORKER_QUEUE_DEPTH = 2;

/**
 * One worker thread holding one session; requests are answered in the order they are sent.
 * A batch's input rows travel through slabs of memory shared with the worker, one per queued
 * run, so a run's message holds only offsets (posting the rows themselves cost tens of
 * microseconds a batch).
 */
class SessionWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, (reply: WorkerReply) => void>();
  private nextId = 1;
  private deadReason: string | undefined;
  private readonly slabs: (Float32Array | undefined)[] = Array.from({ length: WORKER_QUEUE_DEPTH }, () => undefined);
  private readonly slabInUse: boolean[] = Array.from({ length: WORKER_QUEUE_DEPTH }, () => false);
  private layoutSent = false;
  /** Runs sent and not yet answered. */
  busy = 0;

  constructor() {
    holdBinding();
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortEntry: ORT_ENTRY } });
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => {
      const done = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      done?.(reply);
    });
    const fail = (reason: string): void => {
      this.deadReason ??= reason;
      for (const [id, done] of this.pending) done({ id, ok: false, error: reason });
      this.pending.clear();
    };
    this.worker.on('error', (e: Error) => fail(`model worker failed: ${e.message}`));
    this.worker.on('exit', (code) => fail(`model worker exited (code ${code})`));
  }

  request(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    const id = this.nextId++;
    if (this.deadReason !== undefined) return Promise.resolve({ id, ok: false, error: this.deadReason });
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  /**
   * Scores one batch: writes its feeds into a free shared slab, one input after the other, and
   * sends the slab's number and the row count (the feeds' layout goes once, before the first
   * run). The caller has counted the run in `busy` already, when it chose this worker (so no
   * two callers take the last free slab); `busy` drops when the worker answers. The slab stays
   * taken until then, since the worker reads the rows until it answers.
   */
  run(inputs: readonly InputBinding[], input: Float32Array, rows: number, width: number, fetch: readonly string[]): Promise<WorkerReply> {
    const slot = this.slabInUse.indexOf(false);
    if (slot < 0) {
      this.busy--;
      return Promise.reject(new Error('no free input slab: more runs queued than WORKER_QUEUE_DEPTH'));
    }
    const id = this.nextId++;
    if (this.deadReason !== undefined) {
      this.busy--;
      return Promise.resolve({ id, ok: false, error: this.deadReason });
    }
    const need = rows * width;
    let slab = this.slabs[slot];
    let grown: SharedArrayBuffer | undefined;
    if (slab === undefined || slab.length < need) {
      grown = new SharedArrayBuffer(Math.max(need, 2 * (slab?.length ?? 0)) * Float32Array.BYTES_PER_ELEMENT);
      slab = new Float32Array(grown);
      this.slabs[slot] = slab;
    }
    if (inputs.length === 1) {
      slab.set(input.subarray(0, need));
    } else {
      let at = 0;
      for (const b of inputs) {
        for (let r = 0; r < rows; r++) slab.set(input.subarray(r * width + b.offset, r * width + b.offset + b.width), at + r * b.width);
        at += rows * b.width;
      }
    }
    if (!this.layoutSent) {
      this.worker.postMessage({ type: 'layout', feeds: inputs.map((b) => ({ name: b.onnxName, width: b.width, innerDims: b.innerDims })), fetch });
      this.layoutSent = true;
    }
    this.slabInUse[slot] = true;
    return new Promise((resolve) => {
      this.pending.set(id, (reply) => {
        this.slabInUse[slot] = false;
        this.busy--;
        resolve(reply);
      });
      this.worker.postMessage(grown ? { type: 'run', id, slot, rows, slab: grown } : { type: 'run', id, slot, rows });
    });
  }

  async close(): Promise<void> {
    await this.request({ type: 'close' });
    await this.worker.terminate();
  }
}

/**
 * Session config for every model session: intra-op threads sleep between parallel sections
 * instead of spinning. A model's sessions share the cores with the engine's main thread (which
 * reads, decodes and emits the rows) and with the model's other workers, and a spinning thread
 * holds a core they need (see docs/models.md, "How a batch runs").
 */
const INTRA_OP_NO_SPINNING = { session: { intra_op: { allow_spinning: '0' } } };

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function newOutputArray(elementType: string, length: number): OutputArray {
  switch (elementType) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'int64':
      return new BigInt64Array(length);
    default:
      return new Uint8Array(length);
  }
}

/**
 * A loaded model file. Create with `OnnxModel.load`; `run` scores a batch of packed rows and
 * never rejects; `close` ends the worker threads.
 *
 * Invariants: `inputs` and `outputs` follow the declaration's order; `width` is the sum of the
 * input widths (a packed row is the input columns' values side by side); each output array of a
 * successful run has `rows * binding.width` values.
 */
export class OnnxModel {
  private readonly waiting: (() => void)[] = [];
  private closed = false;
  private readonly fetch: readonly string[];

  private constructor(
    readonly name: string,
    readonly path: string,
    readonly checksum: string,
    readonly provider: ProviderName,
    /** Why this provider was chosen, e.g. "CUDA not installed; using CPU". */
    readonly providerReason: string,
    readonly fileInputs: readonly TensorInfo[],
    readonly fileOutputs: readonly TensorInfo[],
    readonly inputs: readonly InputBinding[],
    readonly outputs: readonly OutputBinding[],
    readonly width: number,
    private readonly workers: SessionWorker[],
  ) {
    this.fetch = outputs.map((o) => o.onnxName);
  }

  /**
   * The file's inputs and outputs as onnxruntime reports them (a CPU session, closed again), for
   * registering a file without a declared signature. Throws MODEL_ERROR when it does not load.
   */
  static async inspect(name: string, path: string, bytes: Uint8Array): Promise<{ readonly inputs: readonly TensorInfo[]; readonly outputs: readonly TensorInfo[] }> {
    const w = new SessionWorker();
    try {
      const loaded = await w.request({ type: 'load', bytes, options: { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 } });
      if (!loaded.ok) throw new SluiceError('MODEL_ERROR', `model '${name}': onnxruntime cannot load '${path}': ${loaded.error}`);
      return { inputs: (loaded.inputs ?? []) as TensorInfo[], outputs: (loaded.outputs ?? []) as TensorInfo[] };
    } finally {
      await w.close();
    }
  }

  /** Loads, checks and warms up a model; throws MODEL_ERROR or MODEL_SCHEMA_MISMATCH. */
  static async load(opts: OnnxModelLoadOptions): Promise<OnnxModel> {
    const device = opts.device ?? 'auto';
    const threads = Math.max(1, Math.floor(opts.threads ?? 1));
    const intra = Math.max(1, Math.floor(opts.intraOpThreads ?? availableParallelism() / threads));
    const file = opts.resolvedPath ?? opts.path;
    let bytes: Uint8Array;
    try {
      bytes = opts.bytes ?? (await readFile(file));
    } catch (e) {
      throw new SluiceError('MODEL_ERROR', `model '${opts.name}': cannot read '${opts.path}': ${(e as Error).message}`, { cause: e });
    }
    const checksum = sha256(bytes);

    let provider: ProviderName = 'cpu';
    let providerReason = "device = 'cpu'";
    const cuda = cudaProviderInstalled();
    if (device === 'cuda' && !cuda.installed) {
      throw new SluiceError('MODEL_ERROR', `model '${opts.name}': device = 'cuda' but ${cuda.reason}`, { hint: CUDA_INSTALL_HINT });
    }
    if (device === 'auto') {
      provider = cuda.installed ? 'cuda' : 'cpu';
      providerReason = cuda.installed ? "device = 'auto' and the CUDA provider is installed" : `device = 'auto': ${cuda.reason}; using CPU`;
    } else if (device === 'cuda') {
      provider = 'cuda';
      providerReason = "device = 'cuda'";
    }

    const workers: SessionWorker[] = [];
    const closeAll = async (): Promise<void> => {
      await Promise.all(workers.map((w) => w.close()));
    };
    const sessionOptions = (p: ProviderName): Record<string, unknown> => ({
      executionProviders: [p],
      intraOpNumThreads: intra,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      extra: INTRA_OP_NO_SPINNING,
    });
    const first = new SessionWorker();
    workers.push(first);
    let loaded = await first.request({ type: 'load', bytes, options: sessionOptions(provider) });
    if (!loaded.ok && provider === 'cuda') {
      if (device === 'cuda') {
        await closeAll();
        throw new SluiceError('MODEL_ERROR', `model '${opts.name}': device = 'cuda' but the CUDA provider could not be created: ${loaded.error}`, {
          hint: CUDA_INSTALL_HINT,
        });
      }
      providerReason = `device = 'auto': the CUDA provider could not be created (${loaded.error}); using CPU`;
      provider = 'cpu';
      loaded = await first.request({ type: 'load', bytes, options: sessionOptions(provider) });
    }
    if (!loaded.ok) {
      await closeAll();
      throw new SluiceError('MODEL_ERROR', `model '${opts.name}': onnxruntime cannot load '${opts.path}': ${loaded.error}`);
    }
    const fileInputs = (loaded.inputs ?? []) as TensorInfo[];
    const fileOutputs = (loaded.outputs ?? []) as TensorInfo[];
    const bound = bindSignature(opts.inputs, opts.outputs, fileInputs, fileOutputs);
    if (bound.problems.length > 0) {
      await closeAll();
      throw new SluiceError(
        'MODEL_SCHEMA_MISMATCH',
        `model '${opts.name}': file '${opts.path}' does not match the declared signature: ${bound.problems.join('; ')}`,
        { hint: `the file has inputs ${fileInputs.map(describeTensor).join(', ')} and outputs ${fileOutputs.map(describeTensor).join(', ')}` },
      );
    }
    for (let i = 1; i < threads; i++) {
      const w = new SessionWorker();
      workers.push(w);
    }
    const rest = await Promise.all(workers.slice(1).map((w) => w.request({ type: 'load', bytes, options: sessionOptions(provider) })));
    const failed = rest.find((r) => !r.ok);
    if (failed) {
      await closeAll();
      throw new SluiceError('MODEL_ERROR', `model '${opts.name}': onnxruntime cannot load '${opts.path}': ${failed.error}`);
    }
    const width = bound.inputs.reduce((s, b) => s + b.width, 0);
    return new OnnxModel(opts.name, opts.path, checksum, provider, providerReason, fileInputs, fileOutputs, bound.inputs, bound.outputs, width, workers);
  }

  /** Worker threads, i.e. batches that can run at once. */
  get threads(): number {
    return this.workers.length;
  }

  /**
   * Scores `rows` packed rows (`rows * width` values; the array is copied, not kept). Resolves
   * with one array per declared output column, or with the error as a value.
   */
  async run(input: Float32Array, rows: number): Promise<ModelRunResult> {
    if (this.closed) return { ok: false, error: new SluiceError('MODEL_ERROR', `model '${this.name}': this version has been unloaded`) };
    if (input.length < rows * this.width) {
      return { ok: false, error: new SluiceError('MODEL_ERROR', `model '${this.name}': expected ${rows * this.width} values for ${rows} rows, got ${input.length}`) };
    }
    const worker = this.freeWorker() ?? (await this.nextFreeWorker());
    let reply: WorkerReply;
    try {
      reply = await worker.run(this.inputs, input, rows, this.width, this.fetch);
    } finally {
      this.waiting.shift()?.();
    }
    if (!reply.ok) return { ok: false, error: new SluiceError('MODEL_ERROR', `model '${this.name}' failed: ${reply.error ?? 'unknown error'}`) };
    const raw = (reply.outputs ?? []) as unknown[];
    const outputs: Record<string, OutputArray> = {};
    for (let k = 0; k < this.outputs.length; k++) {
      const o = this.outputs[k]!;
      const type = raw[3 * k] as string | undefined;
      const data = raw[3 * k + 2] as OutputArray | undefined;
      const want = rows * o.width;
      if (type !== o.elementType || data?.length !== want) {
        const got = type === undefined ? 'nothing' : `${type} ${shapeToString(raw[3 * k + 1] as number[])}`;
        return {
          ok: false,
          error: new SluiceError('MODEL_SCHEMA_MISMATCH', `model '${this.name}': output '${o.onnxName}' should have ${want} ${o.elementType} values for ${rows} rows, got ${got}`),
        };
      }
      outputs[o.column] = data;
    }
    return { ok: true, outputs, ms: reply.ms ?? 0 };
  }

  /** Empty output arrays for `rows` rows, shaped like a successful run's. */
  emptyOutputs(rows: number): Record<string, OutputArray> {
    const out: Record<string, OutputArray> = {};
    for (const o of this.outputs) out[o.column] = newOutputArray(o.elementType, rows * o.width);
    return out;
  }

  /**
   * The least busy worker that can take another run, or undefined when all are full. The run is
   * counted in the worker's `busy` before this returns.
   */
  private freeWorker(): SessionWorker | undefined {
    let best: SessionWorker | undefined;
    for (const w of this.workers) if (w.busy < WORKER_QUEUE_DEPTH && (best === undefined || w.busy < best.busy)) best = w;
    if (best) best.busy++;
    return best;
  }

  /** Waits until a worker can take another run, as freeWorker. */
  private async nextFreeWorker(): Promise<SessionWorker> {
    for (;;) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      const w = this.freeWorker();
      if (w) return w;
    }
  }

  /** Releases the sessions and ends the worker threads. Runs already started finish first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.close()));
    for (const wake of this.waiting.splice(0)) wake();
  }
}

