/**
 * Runs the body of an inline JavaScript function inside QuickJS compiled to WebAssembly, on a
 * worker thread of its own.
 *
 * Invariants:
 * - The function's code never runs on a V8 heap: it sees QuickJS's own globals only (no
 *   `process`, `require`, module loader, file system, network, timers or host prototypes).
 *   Values cross as one JSON string each way per batch, so no host object is reachable.
 * - Each function has its own thread, WebAssembly module, runtime and context: one function's
 *   failure cannot affect another.
 * - A batch runs under a CPU budget (QuickJS's interrupt handler) and a memory limit; when either
 *   trips the whole batch fails with the reason and the context is rebuilt (global state the
 *   function kept is lost). The caller waits for a batch synchronously, but never longer than
 *   the budget plus a grace period: past that the thread is terminated and replaced.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { assertNever } from '../common/errors.js';
import { decodeFromSandbox, encodeForSandbox } from './js-sandbox-codec.js';
import { DRIVER, MAX_STACK_BYTES, QUICKJS_ENTRY, WORKER_SOURCE } from './js-sandbox-worker.js';

/** The budgets of one sandboxed function. */
export interface SandboxLimits {
  /** Heap limit of the function's QuickJS runtime, in bytes. */
  readonly memoryBytes: number;
  /** CPU time one batch may take, in milliseconds. */
  readonly cpuMsPerBatch: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { memoryBytes: 32 * 1024 * 1024, cpuMsPerBatch: 100 };

/** How long past its budget a batch may run inside a QuickJS builtin before its thread is ended. */
const GRACE_MS = 400;
/**
 * Room in the WebAssembly memory beyond QuickJS's heap limit: the module's static data and
 * stack, and allocator slack. The memory cannot grow past limit + this.
 */
const WASM_OVERHEAD_BYTES = 32 * 1024 * 1024;
/** How long a call waits for a replacement thread to start. */
const RESTART_WAIT_MS = 500;

/** Raw results of a batch: values as the function returned them (decoded), one message per failed row. */
export type SandboxBatch = { readonly ok: true; readonly values: unknown[]; readonly errors: (string | undefined)[] } | { readonly ok: false; readonly reason: string };

type Reply = { id: number; kind: 'ok'; out: string } | { id: number; kind: 'failed'; reason: string; done?: string } | { id: 0; kind: 'compile'; message: string };

interface Thread {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly seq: Int32Array;
  /** The empty request sent at spawn: its reply means the body compiled and the thread is ready. */
  readonly ping: number;
  ready: boolean;
}

export class JsSandbox {
  private nextId = 1;
  private thread: Thread;
  private disposed = false;

  private constructor(
    private readonly params: readonly string[],
    private readonly body: string,
    readonly limits: SandboxLimits,
  ) {
    this.thread = this.spawn();
  }

  /**
   * Starts the sandbox and compiles the body, waiting without blocking; throws an Error with
   * QuickJS's message (e.g. SyntaxError) when it does not compile.
   */
  static async create(params: readonly string[], body: string, limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS): Promise<JsSandbox> {
    const s = new JsSandbox(params, body, limits);
    const t = s.thread;
    const deadline = Date.now() + 30_000;
    while (!t.ready && Date.now() < deadline) {
      const m = receiveMessageOnPort(t.port)?.message as Reply | undefined;
      if (m?.kind === 'compile') {
        s.dispose();
        throw new Error(m.message);
      }
      if (m?.id === t.ping) t.ready = true;
      else if (!m) await new Promise((ok) => setTimeout(ok, 5));
    }
    if (!t.ready) {
      s.dispose();
      throw new Error('the function sandbox did not start in time');
    }
    return s;
  }

  private spawn(): Thread {
    const flag = new SharedArrayBuffer(4);
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        entry: QUICKJS_ENTRY,
        driver: DRIVER,
        params: [...this.params],
        body: this.body,
        memoryBytes: this.limits.memoryBytes,
        wasmPages: Math.max(256, Math.ceil((this.limits.memoryBytes + WASM_OVERHEAD_BYTES) / 65536)),
        cpuMs: this.limits.cpuMsPerBatch,
        stackBytes: MAX_STACK_BYTES,
        flag,
        port: port2,
      },
      transferList: [port2],
      // The function's memory lives in QuickJS's WebAssembly heap; the thread itself needs little.
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
    });
    worker.unref();
    worker.on('error', () => undefined);
    // A new thread answers its first message late (hundreds of ms on a busy machine, while it
    // settles after loading), so an empty batch goes first: the first real batch does not pay
    // that delay, nor fail its time budget because of it.
    const ping = this.nextId++;
    port1.postMessage({ id: ping, json: '[0]' });
    return { worker, port: port1, seq: new Int32Array(flag), ping, ready: false };
  }

  /** The next reply for request `id` (older ones are skipped), if one is queued. */
  private take(t: Thread, id: number): Reply | undefined {
    for (;;) {
      const m = receiveMessageOnPort(t.port);
      if (!m) return undefined;
      const r = m.message as Reply;
      if (r.id === id) return r;
    }
  }

  /** Waits (blocking) until the thread replies to `id` or `ms` pass. */
  private waitFor(t: Thread, id: number, ms: number): Reply | undefined {
    const deadline = Date.now() + ms;
    for (;;) {
      const seen = Atomics.load(t.seq, 0);
      const r = this.take(t, id);
      if (r) return r;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      Atomics.wait(t.seq, 0, seen, left);
    }
  }

  private replace(): void {
    void this.thread.worker.terminate();
    this.thread.port.close();
    this.thread = this.spawn();
  }

  /**
   * Runs the function on `rows` rows; `args[i][r]` is parameter i of row r. Never throws: a
   * failed row has its message in `errors`, a failed batch says why in `reason`.
   */
  call(args: readonly ArrayLike<unknown>[], rows: number): SandboxBatch {
    if (this.disposed) return { ok: false, reason: 'the function was dropped' };
    const t = this.thread;
    if (!t.ready) {
      if (!this.waitFor(t, t.ping, RESTART_WAIT_MS)) return { ok: false, reason: 'the function sandbox is restarting after a failure' };
      t.ready = true;
    }
    let json: string;
    try {
      json = encodeForSandbox(args, rows);
    } catch (e) {
      return { ok: false, reason: `arguments cannot be passed to the function: ${e instanceof Error ? e.message : String(e)}` };
    }
    const id = this.nextId++;
    t.port.postMessage({ id, json });
    const r = this.waitFor(t, id, this.limits.cpuMsPerBatch + GRACE_MS);
    if (!r) {
      this.replace();
      return { ok: false, reason: `exceeded its time budget of ${this.limits.cpuMsPerBatch} ms per batch` };
    }
    switch (r.kind) {
      case 'ok':
        return parseOutput(r.out, rows);
      case 'failed':
        if (/sandbox failed/.test(r.reason)) this.replace();
        return r.done === undefined ? { ok: false, reason: r.reason } : withCompleted(r.done, rows, r.reason);
      case 'compile':
        // Only a thread that never became ready sends it, and replies are matched by id.
        return { ok: false, reason: r.message };
      default:
        return assertNever(r, 'sandbox reply');
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.thread.worker.terminate();
    this.thread.port.close();
  }
}

/**
 * A batch that failed part-way: the rows it completed keep their results, the others fail with
 * `reason`. When the completed rows cannot be read, all rows fail.
 */
function withCompleted(json: string, rows: number, reason: string): SandboxBatch {
  let done: unknown;
  try {
    done = (JSON.parse(json) as unknown[])[0];
  } catch {
    return { ok: false, reason };
  }
  const k = Array.isArray(done) ? Math.min(done.length, rows) : 0;
  const head = parseOutput(json, k);
  if (!head.ok || k === 0) return { ok: false, reason };
  for (let r = k; r < rows; r++) {
    head.values.push(null);
    head.errors.push(reason);
  }
  return head;
}

/** Checks the driver's reply: `[values, errors]`, both `rows` long. */
function parseOutput(json: string, rows: number): SandboxBatch {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'the function sandbox returned malformed output' };
  }
  if (!Array.isArray(parsed) || !Array.isArray(parsed[0]) || !Array.isArray(parsed[1]) || parsed[0].length !== rows || parsed[1].length !== rows) {
    return { ok: false, reason: 'the function sandbox returned malformed output' };
  }
  const raw = parsed[0] as unknown[];
  const errs = parsed[1] as unknown[];
  const values = new Array<unknown>(rows);
  const errors = new Array<string | undefined>(rows);
  for (let r = 0; r < rows; r++) {
    const e = errs[r];
    errors[r] = e === null || e === undefined ? undefined : String(e).slice(0, 1000);
    values[r] = errors[r] === undefined ? decodeFromSandbox(raw[r]) : null;
  }
  return { ok: true, values, errors };
}
