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
import { parseReference, ReferenceCollector, type Reference } from './drift.js';
import { ModelStats, type ModelStatsSnapshot } from './model-stats.js';
import { FolderWatch } from './model-watch.js';
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
  /** `log`: write every prediction to the stream `<model>_predictions`. Default off. */
  readonly log: boolean;
  /** `log.id`: the input column that identifies a row in the log. */
  readonly logId: string | undefined;
  /** `log.inputs`: also log the packed input values. Default off. */
  readonly logInputs: boolean;
  /** `log.sample`: the share of rows logged, from 0 to 1, chosen by the row's id. Default 1. */
  readonly logSample: number;
  /** `log.retention`: how long the prediction log keeps its rows. Default 7 days. */
  readonly logRetentionMs: number;
  /** `metadata`: JSON text about this version (data set, code version, metrics); not inherited by the next version. */
  readonly metadata: string | undefined;
  /** `watch`: a folder whose new `.onnx` files become versions (or candidates). */
  readonly watch: string | undefined;
  /** `watch.as`: 'version' (default) or 'candidate' (a shadow candidate). */
  readonly watchAs: 'version' | 'candidate';
  /** `updates.topic`: a Kafka topic whose records (key = model name, value = the model file) become versions (or candidates). */
  readonly updatesTopic: string | undefined;
  /** `updates.brokers`: the topic's brokers; undefined means the engine's default (SLUICE_KAFKA_BOOTSTRAP). */
  readonly updatesBrokers: string | undefined;
  /** `updates.as`: 'version' (default) or 'candidate' (a shadow candidate). */
  readonly updatesAs: 'version' | 'candidate';
  /** `reference`: a CSV or NDJSON file whose rows are the reference distribution for drift. */
  readonly reference: string | undefined;
  /** `drift.alert`: a window whose PSI is above this is marked as drifted. Default 0.2. */
  readonly driftAlert: number;
  /** `reference.rows`: without a `reference` file, a version's reference is its first this many scored rows. Default 10,000. */
  readonly referenceRows: number;
}

export const MODEL_OPTION_KEYS = ['path', 'batch.max_rows', 'batch.max_wait', 'timeout', 'fallback', 'device', 'inflight', 'log', 'log.id', 'log.inputs', 'log.sample', 'log.retention', 'metadata', 'watch', 'watch.as', 'updates.topic', 'updates.brokers', 'updates.as', 'reference', 'reference.rows', 'drift.alert'] as const;
type OptionKey = (typeof MODEL_OPTION_KEYS)[number];

const DEFAULTS: Omit<ModelOptions, 'path'> = {
  maxRows: 1024,
  maxWaitMs: 5,
  timeoutMs: undefined,
  fallback: undefined,
  device: 'auto',
  inflight: 2,
  log: false,
  logId: undefined,
  logInputs: false,
  logSample: 1,
  logRetentionMs: 7 * 86_400_000,
  metadata: undefined,
  watch: undefined,
  watchAs: 'version',
  updatesTopic: undefined,
  updatesBrokers: undefined,
  updatesAs: 'version',
  reference: undefined,
  driftAlert: 0.2,
  referenceRows: 10_000,
};

function parsePositiveInt(key: string, value: string | number | boolean, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new SluiceError('INVALID_ARGUMENT', `option '${key}' must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** `watch.as` / `updates.as`: what an arriving model file becomes. */
function parseArrivalRole(key: string, value: string | number | boolean): 'version' | 'candidate' {
  const v = String(value).toLowerCase();
  if (v !== 'version' && v !== 'candidate') throw new SluiceError('INVALID_ARGUMENT', `option '${key}' must be 'version' or 'candidate', got ${JSON.stringify(value)}`);
  return v;
}

function parseSwitch(key: string, value: string | number | boolean): boolean {
  if (typeof value === 'boolean') return value;
  const v = String(value).trim().toLowerCase();
  if (v === 'on' || v === 'true' || v === '1') return true;
  if (v === 'off' || v === 'false' || v === '0') return false;
  throw new SluiceError('INVALID_ARGUMENT', `option '${key}' must be 'on' or 'off', got ${JSON.stringify(value)}`);
}

/** `metadata` must be a JSON object (training data, code version, hyperparameters, offline metrics). */
function parseMetadata(value: string | number | boolean): string {
  let parsed: unknown;
  try {
    parsed = typeof value === 'string' ? JSON.parse(value) : undefined;
  } catch (e) {
    throw new SluiceError('INVALID_ARGUMENT', `option 'metadata' is not valid JSON: ${(e as Error).message}`, { hint: `e.g. metadata = '{"dataset": "tx-2026-11", "auc": 0.97}'` });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SluiceError('INVALID_ARGUMENT', `option 'metadata' must be a JSON object, got ${JSON.stringify(value)}`, { hint: `e.g. metadata = '{"dataset": "tx-2026-11", "auc": 0.97}'` });
  }
  return JSON.stringify(parsed);
}

/**
 * Parses CREATE MODEL / ALTER MODEL options over `base` (the active version's options for
 * ALTER). Keys are case-insensitive; unknown keys and bad values throw INVALID_ARGUMENT.
 */
export function parseModelOptions(model: string, raw: RawModelOptions, base?: ModelOptions): ModelOptions {
  // Metadata describes one version: the next one starts without it.
  const o: { -readonly [K in keyof ModelOptions]: ModelOptions[K] } = { path: '', ...DEFAULTS, ...base, metadata: undefined };
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
      case 'log':
        o.log = parseSwitch(key, value);
        break;
      case 'log.inputs':
        o.logInputs = parseSwitch(key, value);
        break;
      case 'log.id':
        if (typeof value !== 'string' || value.trim() === '') throw new SluiceError('INVALID_ARGUMENT', `option 'log.id' must name an input column, got ${JSON.stringify(value)}`);
        o.logId = value.trim();
        break;
      case 'log.sample': {
        const n = typeof value === 'number' ? value : Number(value);
        if (typeof value === 'boolean' || !Number.isFinite(n) || n < 0 || n > 1) {
          throw new SluiceError('INVALID_ARGUMENT', `option 'log.sample' must be a number from 0 to 1, got ${JSON.stringify(value)}`);
        }
        o.logSample = n;
        break;
      }
      case 'log.retention':
        o.logRetentionMs = parseDuration(key, value);
        break;
      case 'metadata':
        o.metadata = parseMetadata(value);
        break;
      case 'watch':
        if (typeof value !== 'string') throw new SluiceError('INVALID_ARGUMENT', `option 'watch' must be a folder, got ${JSON.stringify(value)}`);
        o.watch = /^\s*(none|off)?\s*$/i.test(value) ? undefined : value.trim();
        break;
      case 'watch.as':
        o.watchAs = parseArrivalRole(key, value);
        break;
      case 'updates.topic':
        if (typeof value !== 'string') throw new SluiceError('INVALID_ARGUMENT', `option 'updates.topic' must be a Kafka topic, got ${JSON.stringify(value)}`);
        o.updatesTopic = /^\s*(none|off)?\s*$/i.test(value) ? undefined : value.trim();
        break;
      case 'updates.brokers':
        if (typeof value !== 'string' || !/^\s*[^\s,]+(\s*,\s*[^\s,]+)*\s*$/.test(value)) {
          throw new SluiceError('INVALID_ARGUMENT', `option 'updates.brokers' must be 'host:port[,host:port...]', got ${JSON.stringify(value)}`);
        }
        o.updatesBrokers = value.trim();
        break;
      case 'updates.as':
        o.updatesAs = parseArrivalRole(key, value);
        break;
      case 'reference':
        if (typeof value !== 'string') throw new SluiceError('INVALID_ARGUMENT', `option 'reference' must be a file path, got ${JSON.stringify(value)}`, { hint: "a CSV or NDJSON file of reference rows, e.g. 'models/data/fraud-reference.csv', or 'none'" });
        o.reference = /^\s*(none)?\s*$/i.test(value) ? undefined : value.trim();
        break;
      case 'reference.rows':
        o.referenceRows = parsePositiveInt(key, value, 1_000_000);
        break;
      case 'drift.alert': {
        const n = Number(value);
        if (typeof value === 'boolean' || !Number.isFinite(n) || n <= 0) throw new SluiceError('INVALID_ARGUMENT', `option 'drift.alert' must be a PSI above zero, got ${JSON.stringify(value)}`, { hint: "0.1 is a moderate shift, 0.2 (the default) a significant one" });
        o.driftAlert = n;
        break;
      }
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
    ...(o.watch === undefined ? {} : { watch: o.watch, 'watch.as': o.watchAs }),
    ...(o.updatesTopic === undefined ? {} : { 'updates.topic': o.updatesTopic, ...(o.updatesBrokers === undefined ? {} : { 'updates.brokers': o.updatesBrokers }), 'updates.as': o.updatesAs }),
    ...(o.log ? { log: 'on', ...(o.logId ? { 'log.id': o.logId } : {}), 'log.inputs': o.logInputs ? 'on' : 'off', 'log.sample': o.logSample, 'log.retention': `${o.logRetentionMs}ms` } : {}),
    ...(o.reference === undefined ? {} : { reference: o.reference }),
    'reference.rows': o.referenceRows,
    'drift.alert': o.driftAlert,
  };
}

/** How a version serves: `pinned` is a query that names the version (`predict('fraud@2', ...)`). */
export type ModelRole = 'serving' | 'canary' | 'shadow' | 'fallback' | 'pinned';

/** One version of a model: immutable metadata. */
export interface ModelVersion {
  /** 1, 2, ... per model; only versions that loaded get a number. */
  readonly number: number;
  readonly path: string;
  /** sha256 of the file, hex. */
  readonly checksum: string;
  readonly createdAt: Date;
  /** Who registered it, e.g. 'sql', 'http', 'watch', 'topic'. */
  readonly registeredBy: string;
  /** The execution provider the version runs on, and why it was chosen. */
  readonly provider: ProviderName;
  readonly providerReason: string;
  readonly options: ModelOptions;
  /** The reference distribution read from `options.reference`, per drift feature. */
  readonly reference?: Reference;
  /** Without a reference file: the reference being built from the version's first `reference.rows` scored rows. */
  readonly collector?: ReferenceCollector;
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

/** The candidate beside the serving version: `shadow` scores every row off the output path, `canary` a share of rows by key. */
export interface CandidateInfo {
  readonly version: ModelVersion;
  readonly mode: 'shadow' | 'canary';
  /** Canary share of rows, 0..1 (1 for shadow). */
  readonly share: number;
  /** The input column a canary routes by; undefined: the stream's key, else the log id, else the row's inputs. */
  readonly key: string | undefined;
  readonly since: Date;
}

/** A version a query pinned by number; kept loaded until every pin is released. */
export interface VersionPin {
  readonly version: ModelVersion;
  /** Leases the pinned version for one batch (loading it again first if it had been closed). Never rejects. */
  lease(): Promise<LeaseResult>;
  release(): void;
}

/** A change of the serving or candidate version, kept for DESCRIBE MODEL and audit. */
export interface ModelEvent {
  readonly at: Date;
  readonly action: 'create' | 'alter' | 'candidate' | 'promote' | 'rollback' | 'drop candidate' | 'load failed';
  readonly version: number | undefined;
  readonly by: string;
  readonly reason: string | undefined;
}

/** Who asked for a change, and why (automatic promotion passes its evidence as the reason). */
export interface ChangeOrigin {
  readonly by?: string;
  readonly reason?: string;
}

interface LoadedVersion {
  readonly info: ModelVersion;
  readonly model: OnnxModel;
  /** Batches running on it. */
  refs: number;
  /** Queries that named it. */
  pins: number;
  closed: boolean;
}

interface Candidate extends Omit<CandidateInfo, 'version'> {
  readonly loaded: LoadedVersion;
  /** The candidate's own statistics, so a slow or failing candidate shows apart from the serving version. */
  readonly stats: ModelStats;
}

interface ModelEntry {
  readonly name: string;
  readonly inputs: readonly Field[];
  readonly outputs: readonly Field[];
  readonly stats: ModelStats;
  readonly history: ModelVersion[];
  active: LoadedVersion;
  candidate: Candidate | undefined;
  /** Loaded versions by number: the active one, the candidate, pinned ones, and ones still finishing a batch. */
  readonly loaded: Map<number, LoadedVersion>;
  /** Versions being loaded again for a pin or a rollback. */
  readonly reloading: Map<number, Promise<LoadedVersion>>;
  readonly events: ModelEvent[];
  /** Serialises changes of this model. */
  pending: Promise<unknown>;
  dropped: boolean;
}

const MAX_EVENTS = 256;

type VersionSummary = {
  readonly number: number;
  readonly path: string;
  readonly checksum: string;
  readonly createdAt: string;
  readonly registeredBy: string;
  readonly provider: ProviderName;
  readonly role: ModelRole | 'retired';
  readonly loaded: boolean;
  readonly pins: number;
  readonly metadata: unknown;
};

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
  readonly metadata: unknown;
  readonly fileInputs: readonly TensorInfo[];
  readonly fileOutputs: readonly TensorInfo[];
  readonly candidate: { readonly version: number; readonly mode: 'shadow' | 'canary'; readonly share: number; readonly key: string | null; readonly since: string; readonly stats?: ModelStatsSnapshot } | null;
  readonly versions: readonly VersionSummary[];
  readonly events: readonly { readonly at: string; readonly action: ModelEvent['action']; readonly version: number | null; readonly by: string; readonly reason: string | null }[];
  readonly stats?: ModelStatsSnapshot;
}

/** One line of GET /v1/models: the model with its serving version, candidate and each version's role. */
export interface ModelSummary {
  readonly name: string;
  readonly serving: number;
  readonly candidate: { readonly version: number; readonly mode: 'shadow' | 'canary'; readonly share: number } | null;
  readonly versions: readonly { readonly number: number; readonly role: ModelRole | 'retired'; readonly createdAt: string; readonly registeredBy: string }[];
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

const CANDIDATE_KEYS = ['mode', 'share', 'key'] as const;

/** Splits SET CANDIDATE options into the candidate's own (mode, share, key) and the model options merged over the serving version's. */
function candidateOptions(model: string, raw: RawModelOptions): { mode: 'shadow' | 'canary'; share: number; key: string | undefined; rest: RawModelOptions } {
  const rest: Record<string, string | number | boolean> = {};
  let mode: string | undefined;
  let share: number | undefined;
  let key: string | undefined;
  for (const [k, v] of Object.entries(raw)) {
    switch (k.toLowerCase()) {
      case 'mode':
        mode = String(v).toLowerCase();
        break;
      case 'share':
        share = typeof v === 'number' ? v : Number(v);
        if (typeof v === 'boolean' || !Number.isFinite(share) || share < 0 || share > 1) {
          throw new SluiceError('INVALID_ARGUMENT', `candidate option 'share' must be a number from 0 to 1, got ${JSON.stringify(v)}`, { hint: 'share = 0.1 sends a tenth of the keys to the candidate' });
        }
        break;
      case 'key':
        if (typeof v !== 'string' || v.trim() === '') throw new SluiceError('INVALID_ARGUMENT', `candidate option 'key' must name an input column, got ${JSON.stringify(v)}`);
        key = v.trim();
        break;
      default:
        rest[k] = v;
    }
  }
  if (mode !== 'shadow' && mode !== 'canary') {
    throw new SluiceError('INVALID_ARGUMENT', `model '${model}': a candidate needs mode = 'shadow' or 'canary'${mode === undefined ? '' : `, got '${mode}'`}`, {
      hint: `ALTER MODEL ${model} SET CANDIDATE (path = '...', mode = 'canary', share = 0.1)`,
    });
  }
  if (mode === 'canary' && share === undefined) {
    throw new SluiceError('INVALID_ARGUMENT', `model '${model}': a canary needs a share of rows`, { hint: `add share = 0.1 to send a tenth of the keys to the candidate` });
  }
  if (mode === 'shadow' && share !== undefined) {
    throw new SluiceError('INVALID_ARGUMENT', `model '${model}': a shadow candidate scores every row; 'share' is for mode = 'canary'`);
  }
  return { mode, share: mode === 'shadow' ? 1 : share!, key, rest };
}

/** Options of SET CANDIDATE that are not model options, for "did you mean". */
export const CANDIDATE_OPTION_KEYS: readonly string[] = [...CANDIDATE_KEYS, ...MODEL_OPTION_KEYS];

/** A version that arrived as data (a watched folder, an updates topic): what to record so that a restart serves it too. */
export interface ArrivedVersion {
  readonly model: string;
  readonly as: 'version' | 'candidate';
  readonly path: string;
  /** The version's `metadata` (JSON object text), when the file came with some. */
  readonly metadata?: string;
}

/** A model file that arrived as data. */
export interface ArrivedFile {
  /** Where the file lies, as an option value (`path = ...`). */
  readonly path: string;
  /** Where it came from, for messages: `the file ... from the watched folder`, `the record ...`. */
  readonly origin: string;
  /** JSON object text that becomes the version's `metadata`. */
  readonly metadata?: string;
}

/**
 * Hands an arrived file to the registry: it becomes the next version or the (shadow) candidate.
 * Resolves true once it serves; false when it failed to load — then nothing changed, and the
 * failure was counted, noted and reported.
 */
export type ArriveFn = (file: ArrivedFile) => Promise<boolean>;

/** Something that delivers a model's files as they arrive: a watched folder, an updates topic. */
export interface ModelFeed {
  stop(): Promise<void>;
}

/** Where a version's reference collected from its first scored rows is kept, so that a restart does not collect it again. */
export interface ReferenceKeeper {
  load(model: string, version: number): Promise<Reference | undefined>;
  save(model: string, version: number, reference: Reference): Promise<void>;
}

/** Starts reading a model's updates topic (the engine sets it: it owns the Kafka clients and the data folder). */
export type TopicFeedFactory = (model: string, options: ModelOptions, arrive: ArriveFn) => Promise<ModelFeed>;

export class ModelRegistry {
  private readonly models = new Map<string, ModelEntry>();
  private readonly files: AllowedFiles;
  private readonly baseDir: string;
  /** Running feeds by model (lower-case name), each under what it reads (`watch:<folder>`, `topic:<topic>@<brokers>`). */
  private readonly feeds = new Map<string, Map<string, ModelFeed>>();
  /** Starts the feed of a model's `updates.topic`; without it the option is refused. */
  topicFeed: TopicFeedFactory | undefined;
  /** Told of each version that arrived as data (the engine records it). */
  onArrived: ((v: ArrivedVersion) => Promise<void>) | undefined;
  /** Told of each arrived file that failed to load (the engine logs it). */
  onArrivalFailed: ((model: string, origin: string, error: SluiceError) => void) | undefined;
  /** Keeps collected references (the engine sets it: it owns the store); without it they last as long as the process. */
  references: ReferenceKeeper | undefined;

  constructor(opts: ModelRegistryOptions = {}) {
    this.baseDir = opts.baseDir ?? process.cwd();
    this.files = opts.files ?? new AllowedFiles({ roots: [join(this.baseDir, 'models')], baseDir: this.baseDir });
  }

  /**
   * Starts, moves or stops the model's feeds (watched folder, updates topic) to match its
   * serving options. A file that arrives becomes the next version or the (shadow) candidate; one
   * that fails to load changes nothing and is counted, noted in the model's history and reported.
   */
  private async syncFeeds(name: string): Promise<void> {
    const key = name.toLowerCase();
    const e = this.models.get(key);
    const o = e && !e.dropped ? e.active.info.options : undefined;
    const want = new Map<string, () => Promise<ModelFeed>>();
    if (o?.watch !== undefined) {
      const folder = o.watch;
      want.set(`watch:${folder}`, async () => {
        const arrive = this.arrival(name, 'watch');
        const w = new FolderWatch(folder, this.baseDir, async (path) => void (await arrive({ path, origin: `the file ${path} from the watched folder` })));
        await w.start();
        return w;
      });
    }
    if (o?.updatesTopic !== undefined) {
      const start = this.topicFeed;
      if (!start) throw new SluiceError('UNSUPPORTED', `model '${name}': 'updates.topic' needs an engine that reads Kafka`);
      want.set(`topic:${o.updatesTopic}@${o.updatesBrokers ?? ''}`, () => start(name, o, this.arrival(name, 'topic')));
    }
    const have = this.feeds.get(key) ?? new Map<string, ModelFeed>();
    this.feeds.set(key, have);
    for (const [id, feed] of [...have]) {
      if (want.has(id)) continue;
      have.delete(id);
      await feed.stop();
    }
    for (const [id, start] of want) if (!have.has(id)) have.set(id, await start());
    if (have.size === 0) this.feeds.delete(key);
  }

  /** What a feed of `name` calls with each file: the next version or the candidate, as the model's `watch.as` / `updates.as` says. */
  private arrival(name: string, by: 'watch' | 'topic'): ArriveFn {
    return async ({ path, origin, metadata }) => {
      const key = name.toLowerCase();
      const options = this.models.get(key)?.active.info.options;
      const as = (by === 'watch' ? options?.watchAs : options?.updatesAs) ?? 'version';
      const raw = { path, ...(metadata === undefined ? {} : { metadata }) };
      try {
        if (as === 'candidate') await this.setCandidate(name, { ...raw, mode: 'shadow' }, { by, reason: `${origin} arrived` });
        else await this.alter(name, raw, by);
        await this.onArrived?.({ model: name, as, path, ...(metadata === undefined ? {} : { metadata }) });
        return true;
      } catch (err) {
        const error = err instanceof SluiceError ? err : new SluiceError('MODEL_ERROR', String(err));
        this.models.get(key)?.stats.recordLoadFailure();
        this.onArrivalFailed?.(name, origin, error);
        return false;
      }
    };
  }

  private async loadVersion(name: string, inputs: readonly Field[], outputs: readonly Field[], options: ModelOptions, number: number, by: string, createdAt = new Date(), intraOpThreads?: number): Promise<LoadedVersion> {
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
      ...(intraOpThreads === undefined ? {} : { intraOpThreads }),
    });
    const reference = await this.readReference(name, inputs, outputs, options).catch(async (err: unknown) => {
      await model.close();
      throw err;
    });
    const info: ModelVersion = {
      number,
      path: options.path,
      checksum: model.checksum,
      createdAt,
      registeredBy: by,
      provider: model.provider,
      providerReason: model.providerReason,
      options,
      ...(reference ? { reference } : {}),
    };
    // Not enumerable: the version's JSON form (HTTP answers) leaves the collector out.
    if (!reference) {
      const keeper = this.references;
      const kept = await keeper?.load(name, number).catch(async (err: unknown) => {
        await model.close();
        throw err;
      });
      const keep = (r: Reference) => void keeper?.save(name, number, r).catch((err: unknown) => process.stderr.write(`sluice: model '${name}' version ${number}: its collected reference was not kept: ${String(err)}\n`));
      Object.defineProperty(info, 'collector', { value: new ReferenceCollector(inputs, outputs, options.referenceRows, kept, keep), enumerable: false });
    }
    return { info, model, refs: 0, pins: 0, closed: false };
  }

  private async readReference(name: string, inputs: readonly Field[], outputs: readonly Field[], options: ModelOptions): Promise<Reference | undefined> {
    if (options.reference === undefined) return undefined;
    const file = await this.files.read(options.reference, `reference of model '${name}'`, 'INVALID_ARGUMENT');
    return parseReference(name, options.reference, new TextDecoder().decode(file.bytes), inputs, outputs);
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
    this.models.set(key, {
      name,
      inputs,
      outputs,
      stats: new ModelStats(),
      history: [loaded.info],
      active: loaded,
      candidate: undefined,
      loaded: new Map([[1, loaded]]),
      reloading: new Map(),
      events: [{ at: new Date(), action: 'create', version: 1, by, reason: undefined }],
      pending: Promise.resolve(),
      dropped: false,
    });
    await this.syncFeeds(name);
    return loaded.info;
  }

  /** Runs `change` after every earlier change of the model; a dropped model fails with UNKNOWN_MODEL. */
  private serialise<T>(name: string, change: (entry: ModelEntry) => Promise<T>): Promise<T> {
    const entry = this.entry(name);
    const run = async (): Promise<T> => {
      if (entry.dropped) throw this.unknown(name);
      return change(entry);
    };
    const p = entry.pending.then(run, run);
    entry.pending = p.catch(() => undefined);
    return p;
  }

  /** Loads a new version (the next number) with `raw` merged over the serving version's options. */
  private async loadNext(entry: ModelEntry, raw: RawModelOptions, by: string, intraOpThreads?: number): Promise<LoadedVersion> {
    const parsed = parseModelOptions(entry.name, raw, entry.active.info.options);
    this.checkFallback(entry.name, parsed);
    const next = entry.history[entry.history.length - 1]!.number + 1;
    let loaded: LoadedVersion;
    try {
      loaded = await this.loadVersion(entry.name, entry.inputs, entry.outputs, parsed, next, by, new Date(), intraOpThreads);
    } catch (e) {
      this.note(entry, { action: 'load failed', version: undefined, by, reason: e instanceof Error ? e.message : String(e) });
      throw e;
    }
    await this.checkFallbackWidth(entry.name, parsed, loaded);
    if (entry.dropped) {
      await loaded.model.close();
      throw this.unknown(entry.name);
    }
    entry.history.push(loaded.info);
    entry.loaded.set(next, loaded);
    return loaded;
  }

  private note(entry: ModelEntry, e: Omit<ModelEvent, 'at'>): void {
    entry.events.push({ at: new Date(), ...e });
    if (entry.events.length > MAX_EVENTS) entry.events.shift();
  }

  /** Makes `next` the serving version; the one it replaces closes once unused. */
  private serve(entry: ModelEntry, next: LoadedVersion): void {
    const old = entry.active;
    entry.active = next;
    this.closeIfUnused(entry, old);
  }

  /**
   * ALTER MODEL ... SET (...): loads a new version with the options merged over the active
   * version's, then makes it active. If loading fails the active version stays and the error
   * is thrown. Concurrent changes of one model apply one after another.
   */
  async alter(name: string, options: RawModelOptions, by = 'sql'): Promise<ModelVersion> {
    return this.serialise(name, async (entry) => {
      const loaded = await this.loadNext(entry, options, by);
      this.serve(entry, loaded);
      this.note(entry, { action: 'alter', version: loaded.info.number, by, reason: undefined });
      return loaded.info;
    }).then(async (v) => {
      await this.syncFeeds(name);
      return v;
    });
  }

  /**
   * ALTER MODEL ... SET CANDIDATE (...): loads a new version beside the serving one as the
   * candidate (replacing an earlier candidate). Model options merge over the serving version's.
   */
  async setCandidate(name: string, options: RawModelOptions, origin: ChangeOrigin = {}): Promise<CandidateInfo> {
    const c = candidateOptions(name, options);
    return this.serialise(name, async (entry) => {
      const by = origin.by ?? 'sql';
      // A shadow runs on spare CPU only: one onnxruntime thread per worker, so it cannot crowd out the serving version.
      const loaded = await this.loadNext(entry, c.rest, by, c.mode === 'shadow' ? 1 : undefined);
      const old = entry.candidate;
      entry.candidate = { loaded, mode: c.mode, share: c.share, key: c.key, since: new Date(), stats: new ModelStats() };
      if (old) this.closeIfUnused(entry, old.loaded);
      this.note(entry, { action: 'candidate', version: loaded.info.number, by, reason: origin.reason ?? `${c.mode}${c.mode === 'canary' ? ` share ${c.share}` : ''}` });
      return this.candidateInfo(entry.candidate);
    });
  }

  /** ALTER MODEL ... PROMOTE: the candidate becomes the serving version. Throws NO_CANDIDATE when there is none. */
  async promote(name: string, origin: ChangeOrigin = {}): Promise<ModelVersion> {
    return this.serialise(name, async (entry) => {
      const c = entry.candidate;
      if (!c) throw this.noCandidate(entry, 'PROMOTE');
      entry.candidate = undefined;
      this.serve(entry, c.loaded);
      this.note(entry, { action: 'promote', version: c.loaded.info.number, by: origin.by ?? 'sql', reason: origin.reason });
      return c.loaded.info;
    });
  }

  /** ALTER MODEL ... DROP CANDIDATE: stops routing to the candidate; returns the version that was the candidate. */
  async dropCandidate(name: string, origin: ChangeOrigin = {}): Promise<ModelVersion> {
    return this.serialise(name, async (entry) => {
      const c = entry.candidate;
      if (!c) throw this.noCandidate(entry, 'DROP CANDIDATE');
      entry.candidate = undefined;
      this.closeIfUnused(entry, c.loaded);
      this.note(entry, { action: 'drop candidate', version: c.loaded.info.number, by: origin.by ?? 'sql', reason: origin.reason });
      return c.loaded.info;
    });
  }

  /**
   * ALTER MODEL ... ROLLBACK TO VERSION n: serves version n again. A version still loaded (a
   * pin, the candidate, a batch) switches at once; otherwise it is loaded from its file (which
   * must still have its checksum) before the switch, while the current version keeps serving.
   */
  async rollback(name: string, number: number, origin: ChangeOrigin = {}): Promise<ModelVersion> {
    return this.serialise(name, async (entry) => {
      const target = await this.loadedVersion(entry, number);
      if (entry.dropped) throw this.unknown(name);
      if (entry.candidate?.loaded === target) entry.candidate = undefined;
      this.serve(entry, target);
      this.note(entry, { action: 'rollback', version: number, by: origin.by ?? 'sql', reason: origin.reason });
      return target.info;
    });
  }

  private noCandidate(entry: ModelEntry, what: string): SluiceError {
    return new SluiceError('NO_CANDIDATE', `model '${entry.name}' has no candidate to ${what === 'PROMOTE' ? 'promote' : 'drop'}`, {
      hint: `set one first: ALTER MODEL ${entry.name} SET CANDIDATE (path = '...', mode = 'shadow')`,
    });
  }

  /** The version `number` of the model, loaded (again, if it had been closed). Throws UNKNOWN_VERSION or MODEL_ERROR. */
  private async loadedVersion(entry: ModelEntry, number: number): Promise<LoadedVersion> {
    const have = entry.loaded.get(number);
    if (have && !have.closed) return have;
    const info = entry.history.find((v) => v.number === number);
    if (!info) throw this.unknownVersion(entry, number);
    let loading = entry.reloading.get(number);
    if (!loading) {
      loading = (async () => {
        const loaded = await this.loadVersion(entry.name, entry.inputs, entry.outputs, info.options, number, info.registeredBy, info.createdAt);
        if (loaded.model.checksum !== info.checksum) {
          await loaded.model.close();
          throw new SluiceError('MODEL_ERROR', `model '${entry.name}' version ${number}: file '${info.path}' changed since it was registered (sha256 ${info.checksum.slice(0, 12)}, now ${loaded.model.checksum.slice(0, 12)})`, {
            hint: `register the file as a new version with ALTER MODEL ${entry.name} SET (path = '${info.path}')`,
          });
        }
        entry.loaded.set(number, loaded);
        return loaded;
      })().finally(() => entry.reloading.delete(number));
      entry.reloading.set(number, loading);
    }
    return loading;
  }

  private unknownVersion(entry: ModelEntry, number: number): SluiceError {
    return new SluiceError('UNKNOWN_VERSION', `model '${entry.name}' has no version ${number}`, {
      hint: `its versions are ${entry.history.map((v) => v.number).join(', ')} (DESCRIBE MODEL ${entry.name})`,
    });
  }

  /** DROP MODEL: forgets the model; its sessions close once running batches finish. */
  async drop(name: string): Promise<void> {
    const entry = this.entry(name);
    entry.dropped = true;
    this.models.delete(name.toLowerCase());
    await this.syncFeeds(name);
    await entry.pending;
    entry.candidate = undefined;
    for (const v of entry.loaded.values()) this.closeIfUnused(entry, v);
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

  /** Closes a version's sessions when nothing serves on it, pins it or runs a batch on it. */
  private closeIfUnused(entry: ModelEntry, v: LoadedVersion): void {
    const inUse = !entry.dropped && (entry.active === v || entry.candidate?.loaded === v);
    if (v.closed || inUse || v.refs > 0 || v.pins > 0) return;
    v.closed = true;
    if (entry.loaded.get(v.info.number) === v) entry.loaded.delete(v.info.number);
    void v.model.close();
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

  /** Whether the model has a version with this number (serving, candidate or earlier). */
  hasVersion(name: string, number: number): boolean {
    const e = this.models.get(name.toLowerCase());
    return e !== undefined && e.history.some((v) => v.number === number);
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

  /** Every version registered (served, candidate or pinned at some point), oldest first. */
  versions(name: string): readonly ModelVersion[] {
    return [...this.entry(name).history];
  }

  /** The candidate, if one is set. */
  candidate(name: string): CandidateInfo | undefined {
    const c = this.models.get(name.toLowerCase())?.candidate;
    return c ? this.candidateInfo(c) : undefined;
  }

  private candidateInfo(c: Candidate): CandidateInfo {
    return { version: c.loaded.info, mode: c.mode, share: c.share, key: c.key, since: c.since };
  }

  /** Changes of the serving and candidate versions, oldest first (at most the last 256). */
  events(name: string): readonly ModelEvent[] {
    return [...this.entry(name).events];
  }

  /** Registered model names, as written at CREATE. */
  list(): string[] {
    return [...this.models.values()].map((m) => m.name);
  }

  private leaseOf(e: ModelEntry, v: LoadedVersion, stats = e.stats): ModelLease {
    v.refs++;
    let released = false;
    return {
      name: e.name,
      version: v.info,
      model: v.model,
      stats,
      release: () => {
        if (released) return;
        released = true;
        v.refs--;
        this.closeIfUnused(e, v);
      },
    };
  }

  /**
   * Leases the active version for one batch: the runner calls this once per batch, which is
   * what makes a swap land between batches. Never throws.
   */
  acquire(name: string): LeaseResult {
    const e = this.models.get(name.toLowerCase());
    if (!e) return { ok: false, error: this.unknown(name) };
    return { ok: true, lease: this.leaseOf(e, e.active) };
  }

  /** Leases the candidate for one batch; undefined when the model has no candidate now. Never throws. */
  acquireCandidate(name: string): ModelLease | undefined {
    const e = this.models.get(name.toLowerCase());
    return e?.candidate ? this.leaseOf(e, e.candidate.loaded, e.candidate.stats) : undefined;
  }

  /**
   * Pins version `number` for a query that names it: the version stays loaded until `release`.
   * Throws UNKNOWN_MODEL or UNKNOWN_VERSION (the planner checks both first, with a caret).
   */
  pin(name: string, number: number): VersionPin {
    const e = this.entry(name);
    const info = e.history.find((v) => v.number === number);
    if (!info) throw this.unknownVersion(e, number);
    let target: LoadedVersion | undefined;
    let failed: SluiceError | undefined;
    let released = false;
    const ready = this.loadedVersion(e, number).then(
      (v) => {
        if (released) this.closeIfUnused(e, v);
        else {
          v.pins++;
          target = v;
        }
      },
      (err: unknown) => {
        failed = err instanceof SluiceError ? err : new SluiceError('MODEL_ERROR', String(err));
      },
    );
    return {
      version: info,
      lease: async () => {
        await ready;
        if (failed) return { ok: false, error: failed };
        if (e.dropped || !target) return { ok: false, error: this.unknown(name) };
        return { ok: true, lease: this.leaseOf(e, target) };
      },
      release: () => {
        if (released) return;
        released = true;
        if (target) {
          target.pins--;
          this.closeIfUnused(e, target);
        }
      },
    };
  }

  /** The role each loaded version has now (the serving one, the candidate, pinned ones). */
  private roleOf(e: ModelEntry, number: number): ModelRole | 'retired' {
    if (e.active.info.number === number) return 'serving';
    if (e.candidate?.loaded.info.number === number) return e.candidate.mode;
    const v = e.loaded.get(number);
    return v && v.pins > 0 ? 'pinned' : 'retired';
  }

  /** DESCRIBE MODEL. */
  describe(name: string, withStats = true): ModelDescription {
    const e = this.entry(name);
    const a = e.active;
    const c = e.candidate;
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
      metadata: metadataOf(a.info),
      fileInputs: a.model.fileInputs,
      fileOutputs: a.model.fileOutputs,
      candidate: c ? { version: c.loaded.info.number, mode: c.mode, share: c.share, key: c.key ?? null, since: c.since.toISOString(), ...(withStats ? { stats: c.stats.snapshot() } : {}) } : null,
      versions: e.history.map((v) => ({
        number: v.number,
        path: v.path,
        checksum: v.checksum,
        createdAt: v.createdAt.toISOString(),
        registeredBy: v.registeredBy,
        provider: v.provider,
        role: this.roleOf(e, v.number),
        loaded: e.loaded.has(v.number),
        pins: e.loaded.get(v.number)?.pins ?? 0,
        metadata: metadataOf(v),
      })),
      events: e.events.map((x) => ({ at: x.at.toISOString(), action: x.action, version: x.version ?? null, by: x.by, reason: x.reason ?? null })),
      ...(withStats ? { stats: e.stats.snapshot() } : {}),
    };
  }

  /** GET /v1/models: each model with its serving version, candidate and every version's role. */
  summaries(): ModelSummary[] {
    return [...this.models.values()].map((e) => ({
      name: e.name,
      serving: e.active.info.number,
      candidate: e.candidate ? { version: e.candidate.loaded.info.number, mode: e.candidate.mode, share: e.candidate.share } : null,
      versions: e.history.map((v) => ({ number: v.number, role: this.roleOf(e, v.number), createdAt: v.createdAt.toISOString(), registeredBy: v.registeredBy })),
    }));
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
    const feeds = [...this.feeds.values()].flatMap((m) => [...m.values()]);
    this.feeds.clear();
    await Promise.all(feeds.map((f) => f.stop()));
    const entries = [...this.models.values()];
    this.models.clear();
    await Promise.all(entries.map(async (e) => {
      e.dropped = true;
      await e.pending;
      await Promise.all([...e.reloading.values()].map((p) => p.catch(() => undefined)));
      await Promise.all([...e.loaded.values()].map(async (v) => {
        if (v.closed) return;
        v.closed = true;
        await v.model.close();
      }));
    }));
  }
}

function metadataOf(v: ModelVersion): unknown {
  return v.options.metadata === undefined ? null : (JSON.parse(v.options.metadata) as unknown);
}
