/**
 * The model registry: models by name (case-insensitive), each with numbered versions. A new
 * version is loaded beside the active one and becomes active only once it has loaded and
 * matched the declared signature; a failed load leaves the active version as it was. Runners
 * lease the active version once per batch, so a swap takes effect between batches, and a
 * replaced version's sessions are closed when its last batch finishes.
 */
import { join } from 'node:path';
import { parseDuration } from '../common/duration.js';
import { SluiceError, didYouMean } from '../common/errors.js';
import { typeToString, type Field } from '../common/types.js';
import { AllowedFiles } from './allowed-files.js';
import { ModelStats, type ModelStatsSnapshot } from './model-stats.js';
import { OnnxModel, type DeviceOption, type ProviderName, type TensorInfo } from './onnx-model.js';

/** Option values as the parser hands them over (`WITH (key = value, ...)`). */
export type RawModelOptions = Readonly<Record<string, string | number | boolean>>;

/** Parsed CREATE/ALTER MODEL options. Durations are milliseconds. */
export interface ModelOptions {
  readonly path: string;
  /** `batch.max_rows`: a batch is sent once it has this many rows. Default 1024. */
  readonly maxRows: number;
  /** `batch.max_wait`: a partial batch is sent this long after its first row arrived. Default 5 ms. */
  readonly maxWaitMs: number;
  /** `timeout`: the latency budget of one batch; undefined means none. */
  readonly timeoutMs: number | undefined;
  /** `fallback`: the model that scores a batch that missed the budget or failed. */
  readonly fallback: string | undefined;
  /** `device`: auto (default), cpu or cuda. */
  readonly device: DeviceOption;
  /** `inflight`: batches that may run at once. Default 2. */
  readonly inflight: number;
}

export const MODEL_OPTION_KEYS = ['path', 'batch.max_rows', 'batch.max_wait', 'timeout', 'fallback', 'device', 'inflight'] as const;
type OptionKey = (typeof MODEL_OPTION_KEYS)[number];

const DEFAULTS: Omit<ModelOptions, 'path'> = {
  maxRows: 1024,
  maxWaitMs: 5,
  timeoutMs: undefined,
  fallback: undefined,
  device: 'auto',
  inflight: 2,
};

function parsePositiveInt(key: string, value: string | number | boolean, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new SluiceError('INVALID_ARGUMENT', `option '${key}' must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * Parses CREATE MODEL / ALTER MODEL options over `base` (the active version's options for
 * ALTER). Keys are case-insensitive; unknown keys and bad values throw INVALID_ARGUMENT.
 */
export function parseModelOptions(model: string, raw: RawModelOptions, base?: ModelOptions): ModelOptions {
  const o: { -readonly [K in keyof ModelOptions]: ModelOptions[K] } = { path: '', ...DEFAULTS, ...base };
  for (const [rawKey, value] of Object.entries(raw)) {
    const key = rawKey.toLowerCase() as OptionKey;
    switch (key) {
      case 'path':
        if (typeof value !== 'string' || value.trim() === '') {
          throw new SluiceError('INVALID_ARGUMENT', `option 'path' must be a non-empty string, got ${JSON.stringify(value)}`);
        }
        o.path = value;
        break;
      case 'batch.max_rows':
        o.maxRows = parsePositiveInt(key, value, 1 << 20);
        break;
      case 'batch.max_wait':
        o.maxWaitMs = parseDuration(key, value);
        break;
      case 'timeout': {
        const off = value === false || (typeof value === 'string' && /^\s*(none|off)?\s*$/i.test(value));
        o.timeoutMs = off ? undefined : parseDuration(key, value);
        if (o.timeoutMs === 0) throw new SluiceError('INVALID_ARGUMENT', `option 'timeout' must be greater than zero (use 'none' for no budget)`);
        break;
      }
      case 'fallback':
        if (typeof value !== 'string') throw new SluiceError('INVALID_ARGUMENT', `option 'fallback' must be a model name, got ${JSON.stringify(value)}`);
        o.fallback = /^\s*(none)?\s*$/i.test(value) ? undefined : value.trim();
        if (o.fallback?.toLowerCase() === model.toLowerCase()) {
          throw new SluiceError('INVALID_ARGUMENT', `model '${model}' cannot be its own fallback`);
        }
        break;
      case 'device': {
        const d = String(value).toLowerCase();
        if (d !== 'auto' && d !== 'cpu' && d !== 'cuda') {
          throw new SluiceError('INVALID_ARGUMENT', `option 'device' must be 'auto', 'cpu' or 'cuda', got ${JSON.stringify(value)}`);
        }
        o.device = d;
        break;
      }
      case 'inflight':
        o.inflight = parsePositiveInt(key, value, 64);
        break;
      default:
        throw new SluiceError('INVALID_ARGUMENT', `unknown model option '${rawKey}'`, {
          hint: didYouMean(rawKey, MODEL_OPTION_KEYS) ?? `known options: ${MODEL_OPTION_KEYS.join(', ')}`,
        });
    }
  }
  if (o.path === '') throw new SluiceError('INVALID_ARGUMENT', `model '${model}' needs a path: WITH (path = 'models/${model}.onnx')`);
  return o;
}

function optionsToRaw(o: ModelOptions): Record<string, string | number> {
  return {
    path: o.path,
    'batch.max_rows': o.maxRows,
    'batch.max_wait': `${o.maxWaitMs}ms`,
    ...(o.timeoutMs === undefined ? {} : { timeout: `${o.timeoutMs}ms` }),
    ...(o.fallback === undefined ? {} : { fallback: o.fallback }),
    device: o.device,
    inflight: o.inflight,
  };
}

/** One version of a model: immutable metadata. */
export interface ModelVersion {
  /** 1, 2, ... per model; only versions that loaded get a number. */
  readonly number: number;
  readonly path: string;
  /** sha256 of the file, hex. */
  readonly checksum: string;
  readonly createdAt: Date;
  /** Who registered it, e.g. 'sql' or 'http'. */
  readonly registeredBy: string;
  /** The execution provider the version runs on, and why it was chosen. */
  readonly provider: ProviderName;
  readonly providerReason: string;
  readonly options: ModelOptions;
}

/** A version leased for one batch; `release` must be called once when the batch is done. */
export interface ModelLease {
  readonly name: string;
  readonly version: ModelVersion;
  readonly model: OnnxModel;
  readonly stats: ModelStats;
  release(): void;
}

/** A lease, or why none could be had (errors are values on the data path). */
export type LeaseResult = { readonly ok: true; readonly lease: ModelLease } | { readonly ok: false; readonly error: SluiceError };

interface LoadedVersion {
  readonly info: ModelVersion;
  readonly model: OnnxModel;
  refs: number;
  retired: boolean;
}

interface ModelEntry {
  readonly name: string;
  readonly inputs: readonly Field[];
  readonly outputs: readonly Field[];
  readonly stats: ModelStats;
  readonly history: ModelVersion[];
  active: LoadedVersion;
  /** Serialises ALTERs of this model. */
  pending: Promise<unknown>;
  dropped: boolean;
}

/** What DESCRIBE MODEL shows; also the registry's JSON form (without stats). */
export interface ModelDescription {
  readonly name: string;
  readonly inputs: readonly { readonly name: string; readonly type: string }[];
  readonly outputs: readonly { readonly name: string; readonly type: string }[];
  readonly version: number;
  readonly path: string;
  readonly checksum: string;
  readonly provider: ProviderName;
  readonly providerReason: string;
  readonly options: Record<string, string | number>;
  readonly fileInputs: readonly TensorInfo[];
  readonly fileOutputs: readonly TensorInfo[];
  readonly versions: readonly { readonly number: number; readonly path: string; readonly checksum: string; readonly createdAt: string; readonly registeredBy: string; readonly provider: ProviderName }[];
  readonly stats?: ModelStatsSnapshot;
}

export interface ModelRegistryOptions {
  /** Relative model paths are resolved against this folder. Default: the process's cwd. */
  readonly baseDir?: string;
  /**
   * Where model files may come from, and how big they may be. Default: any file under
   * `baseDir`/models, at most 1 GiB (tests and embedders pass their own).
   */
  readonly files?: AllowedFiles;
}

export class ModelRegistry {
  private readonly models = new Map<string, ModelEntry>();
  private readonly files: AllowedFiles;

  constructor(opts: ModelRegistryOptions = {}) {
    const baseDir = opts.baseDir ?? process.cwd();
    this.files = opts.files ?? new AllowedFiles({ roots: [join(baseDir, 'models')], baseDir });
  }

  private async loadVersion(name: string, inputs: readonly Field[], outputs: readonly Field[], options: ModelOptions, number: number, by: string): Promise<LoadedVersion> {
    const file = await this.files.read(options.path, `model '${name}'`, 'MODEL_ERROR');
    const model = await OnnxModel.load({
      name,
      path: options.path,
      resolvedPath: file.realPath,
      bytes: file.bytes,
      inputs,
      outputs,
      device: options.device,
      threads: options.inflight,
    });
    const info: ModelVersion = {
      number,
      path: options.path,
      checksum: model.checksum,
      createdAt: new Date(),
      registeredBy: by,
      provider: model.provider,
      providerReason: model.providerReason,
      options,
    };
    return { info, model, refs: 0, retired: false };
  }

  /** CREATE MODEL: loads version 1. Throws ALREADY_EXISTS, INVALID_ARGUMENT, MODEL_ERROR or MODEL_SCHEMA_MISMATCH. */
  async register(name: string, inputs: readonly Field[], outputs: readonly Field[], options: RawModelOptions, by = 'sql'): Promise<ModelVersion> {
    const key = name.toLowerCase();
    if (this.models.has(key)) {
      throw new SluiceError('ALREADY_EXISTS', `model '${name}' already exists`, { hint: `use ALTER MODEL ${name} SET (path = ...) to add a version, or DROP MODEL ${name}` });
    }
    if (inputs.length === 0 || outputs.length === 0) {
      throw new SluiceError('INVALID_ARGUMENT', `model '${name}' needs at least one INPUT and one OUTPUT column`);
    }
    const parsed = parseModelOptions(name, options);
    this.checkFallback(name, parsed);
    const loaded = await this.loadVersion(name, inputs, outputs, parsed, 1, by);
    await this.checkFallbackWidth(name, parsed, loaded);
    if (this.models.has(key)) {
      await loaded.model.close();
      throw new SluiceError('ALREADY_EXISTS', `model '${name}' already exists`);
    }
    this.models.set(key, { name, inputs, outputs, stats: new ModelStats(), history: [loaded.info], active: loaded, pending: Promise.resolve(), dropped: false });
    return loaded.info;
  }

  /**
   * ALTER MODEL ... SET (...): loads a new version with the options merged over the active
   * version's, then makes it active. If loading fails the active version stays and the error
   * is thrown. Concurrent ALTERs of one model apply one after another.
   */
  async alter(name: string, options: RawModelOptions, by = 'sql'): Promise<ModelVersion> {
    const entry = this.entry(name);
    const run = async (): Promise<ModelVersion> => {
      if (entry.dropped) throw this.unknown(name);
      const parsed = parseModelOptions(entry.name, options, entry.active.info.options);
      this.checkFallback(entry.name, parsed);
      const next = entry.history[entry.history.length - 1]!.number + 1;
      const loaded = await this.loadVersion(entry.name, entry.inputs, entry.outputs, parsed, next, by);
      await this.checkFallbackWidth(entry.name, parsed, loaded);
      if (entry.dropped) {
        await loaded.model.close();
        throw this.unknown(name);
      }
      const old = entry.active;
      entry.active = loaded;
      entry.history.push(loaded.info);
      this.retire(old);
      return loaded.info;
    };
    const p = entry.pending.then(run, run);
    entry.pending = p.catch(() => undefined);
    return p;
  }

  /** DROP MODEL: forgets the model; its sessions close once running batches finish. */
  async drop(name: string): Promise<void> {
    const entry = this.entry(name);
    entry.dropped = true;
    this.models.delete(name.toLowerCase());
    await entry.pending;
    this.retire(entry.active);
  }

  /**
   * A fallback must be registered when it is named (it may be dropped later: a batch that then
   * needs it fails with the reason).
   */
  private checkFallback(name: string, options: ModelOptions): void {
    const fb = options.fallback;
    if (fb === undefined || this.models.has(fb.toLowerCase())) return;
    const names = [...this.models.values()].map((m) => m.name);
    throw new SluiceError('UNKNOWN_MODEL', `model '${name}': fallback model '${fb}' is not registered`, {
      hint: didYouMean(fb, names) ?? `create '${fb}' with CREATE MODEL first, then name it as the fallback`,
    });
  }

  /** The fallback takes the same packed rows as the model it stands in for; else the new version is closed and refused. */
  private async checkFallbackWidth(name: string, options: ModelOptions, loaded: LoadedVersion): Promise<void> {
    const fb = options.fallback === undefined ? undefined : this.models.get(options.fallback.toLowerCase());
    if (fb === undefined || fb.active.model.width === loaded.model.width) return;
    await loaded.model.close();
    throw new SluiceError('SCHEMA_MISMATCH', `model '${name}' takes rows of ${loaded.model.width} values, but its fallback '${fb.name}' takes ${fb.active.model.width}`, {
      hint: 'a fallback must declare the same INPUT columns as the model it stands in for',
    });
  }

  private retire(v: LoadedVersion): void {
    v.retired = true;
    if (v.refs === 0) void v.model.close();
  }

  private unknown(name: string): SluiceError {
    const names = [...this.models.values()].map((m) => m.name);
    return new SluiceError('UNKNOWN_MODEL', `unknown model '${name}'`, {
      hint: didYouMean(name, names) ?? 'register it with CREATE MODEL name INPUT (...) OUTPUT (...) WITH (path = ...)',
    });
  }

  private entry(name: string): ModelEntry {
    const e = this.models.get(name.toLowerCase());
    if (!e) throw this.unknown(name);
    return e;
  }

  has(name: string): boolean {
    return this.models.has(name.toLowerCase());
  }

  /** The active version's metadata; throws UNKNOWN_MODEL. */
  get(name: string): ModelVersion {
    return this.entry(name).active.info;
  }

  /** The declared signature; throws UNKNOWN_MODEL. */
  signature(name: string): { readonly name: string; readonly inputs: readonly Field[]; readonly outputs: readonly Field[] } {
    const e = this.entry(name);
    return { name: e.name, inputs: e.inputs, outputs: e.outputs };
  }

  /** The loaded active model (bindings, width); throws UNKNOWN_MODEL. */
  activeModel(name: string): OnnxModel {
    return this.entry(name).active.model;
  }

  stats(name: string): ModelStats {
    return this.entry(name).stats;
  }

  /** Every version that was active at some point, oldest first. */
  versions(name: string): readonly ModelVersion[] {
    return [...this.entry(name).history];
  }

  /** Registered model names, as written at CREATE. */
  list(): string[] {
    return [...this.models.values()].map((m) => m.name);
  }

  /**
   * Leases the active version for one batch: the runner calls this once per batch, which is
   * what makes a swap land between batches. Never throws.
   */
  acquire(name: string): LeaseResult {
    const e = this.models.get(name.toLowerCase());
    if (!e) return { ok: false, error: this.unknown(name) };
    const v = e.active;
    v.refs++;
    let released = false;
    const lease: ModelLease = {
      name: e.name,
      version: v.info,
      model: v.model,
      stats: e.stats,
      release: () => {
        if (released) return;
        released = true;
        v.refs--;
        if (v.retired && v.refs === 0) void v.model.close();
      },
    };
    return { ok: true, lease };
  }

  /** DESCRIBE MODEL. */
  describe(name: string, withStats = true): ModelDescription {
    const e = this.entry(name);
    const a = e.active;
    return {
      name: e.name,
      inputs: e.inputs.map((f) => ({ name: f.name, type: typeToString(f.type) })),
      outputs: e.outputs.map((f) => ({ name: f.name, type: typeToString(f.type) })),
      version: a.info.number,
      path: a.info.path,
      checksum: a.info.checksum,
      provider: a.info.provider,
      providerReason: a.info.providerReason,
      options: optionsToRaw(a.info.options),
      fileInputs: a.model.fileInputs,
      fileOutputs: a.model.fileOutputs,
      versions: e.history.map((v) => ({
        number: v.number,
        path: v.path,
        checksum: v.checksum,
        createdAt: v.createdAt.toISOString(),
        registeredBy: v.registeredBy,
        provider: v.provider,
      })),
      ...(withStats ? { stats: e.stats.snapshot() } : {}),
    };
  }

  /** Stats snapshots by model name, for /metrics. */
  statsSnapshots(): Map<string, ModelStatsSnapshot> {
    return new Map([...this.models.values()].map((m) => [m.name, m.stats.snapshot()]));
  }

  /** The registry's metadata (no sessions, no stats), e.g. to persist or to serve /v1/models. */
  toJSON(): { models: ModelDescription[] } {
    return { models: this.list().map((n) => this.describe(n, false)) };
  }

  /** Closes every model's sessions. */
  async close(): Promise<void> {
    const entries = [...this.models.values()];
    this.models.clear();
    await Promise.all(entries.map(async (e) => {
      e.dropped = true;
      await e.pending;
      e.active.retired = true;
      await e.active.model.close();
    }));
  }
}
