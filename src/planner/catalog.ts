import type { Reference, ReferenceBins } from '../udf/drift.js';
import { SluiceError, didYouMean } from '../common/errors.js';
import type { Span } from '../common/span.js';
import type { DataType, Field } from '../common/types.js';
import { normalizeName, type CheckConstraint, type Expr, type Ident, type SelectQuery } from '../parser/ast.js';
import { DEFAULT_PLAN_LIMITS, type PlanLimits } from './limits.js';

export type Options = Readonly<Record<string, string | number | boolean>>;

/**
 * Event-time declaration of a stream: rows carry `column`; the watermark trails the largest
 * time seen by `delayMs`, plus the allowed lateness: windows close only once that has passed,
 * so rows up to that late still count; later ones go to the dead-letter stream.
 */
export interface WatermarkSpec {
  readonly column: string;
  readonly delayMs: number;
  readonly latenessMs?: number;
}

/**
 * What a view's or sink's query reads, by normalized name: the relations in its FROM and JOIN
 * clauses, the models it calls and the registered functions it calls. Recorded when the view or
 * sink is created, so DROP can refuse to remove an object something still reads.
 */
export interface QueryDependencies {
  readonly relations: ReadonlySet<string>;
  readonly models: ReadonlySet<string>;
  readonly functions: ReadonlySet<string>;
}

export interface StreamDef {
  readonly kind: 'stream';
  readonly name: string;
  readonly schema: readonly Field[];
  readonly watermark?: WatermarkSpec;
  /** The column records are keyed and partitioned by (WITH key = ...), if any. */
  readonly key?: string;
  /** Columns' DEFAULT values, by column name (what an INSERT that leaves them out writes). */
  readonly defaults?: ColumnDefaults;
  /** CHECK constraints every row an INSERT writes must not make FALSE. */
  readonly checks?: readonly StoredCheck[];
  readonly options: Options;
  readonly sql: string;
}

export type ColumnDefaults = Readonly<Record<string, Expr>>;

/** A CHECK constraint as CREATE gave it, with its condition's text (what errors and dead letters quote). */
export interface StoredCheck extends CheckConstraint {
  readonly text: string;
}

/** A TABLE: upsert semantics, latest row per primary key. */
export interface TableDef {
  readonly kind: 'table';
  readonly name: string;
  readonly schema: readonly Field[];
  readonly primaryKey: readonly string[];
  /** Column sets no two rows share values of (rows with a NULL among them apart). */
  readonly unique?: readonly (readonly string[])[];
  readonly defaults?: ColumnDefaults;
  /** CHECK constraints every row an INSERT or UPDATE writes must not make FALSE. */
  readonly checks?: readonly StoredCheck[];
  readonly options: Options;
  readonly sql: string;
}

/** A materialized view: a persistent query whose result is kept by `key` and can be read. */
export interface ViewDef {
  readonly kind: 'view';
  readonly name: string;
  readonly schema: readonly Field[];
  readonly key: readonly string[];
  /**
   * Absent when the view's rows are only ever added (an append-only query whose rows `key` tells
   * apart). Otherwise its changelog carries -U/+U/-D: 'upsert' when `key` is the query's upsert
   * key, or the key of an append-only query's rows that replace each other (both halves of an
   * update share it), 'retracting' when it is not (a consumer must match whole rows).
   */
  readonly changes?: 'upsert' | 'retracting';
  /**
   * 'changelog' when the view's stored rows are the latest row per key of an append-only query
   * whose rows that key does not tell apart (a view of a stream that names no key): its stored
   * rows answer reads by key, and a pull query reads every row from the changelog instead, as a
   * batch engine would give them. Absent: a pull query reads the stored rows.
   */
  readonly pullFrom?: 'changelog';
  readonly queryId: string;
  /** Embedded-log topic holding every change of the view (its columns plus `__op`). */
  readonly changelog: string;
  /** Event time carried through from the source stream, when the view outputs that column. */
  readonly watermark?: WatermarkSpec;
  /** What the view's query reads, recorded when it was created. */
  readonly reads: QueryDependencies;
  readonly options: Options;
  readonly sql: string;
}

export interface SinkDef {
  readonly kind: 'sink';
  readonly name: string;
  readonly schema: readonly Field[];
  readonly queryId: string;
  /** What the sink's query reads, recorded when it was created. */
  readonly reads: QueryDependencies;
  readonly options: Options;
  readonly sql: string;
}

export type RelationDef = StreamDef | TableDef | ViewDef | SinkDef;

/** `CREATE VIEW name [(columns)] AS query`: a view that is not materialized, read as its query. */
export interface LogicalViewDef {
  readonly name: string;
  readonly query: SelectQuery;
  readonly columns?: readonly Ident[];
  readonly sql: string;
}

/** What the planner needs to know of a model: its declared signature, and its drift reference when it has one. */
export interface ModelSignature {
  readonly name: string;
  readonly inputs: readonly Field[];
  readonly outputs: readonly Field[];
  /** The active version's reference distribution per drift feature (for PSI). */
  readonly reference?: Reference;
  /** What the registry knows now (absent while a request is only being planned). */
  readonly live?: ModelLive;
}

/** A model's registry state the planner checks: versions a query may pin, the log's id column, the canary's key. */
export interface ModelLive {
  hasVersion(n: number): boolean;
  /** `log.id` when the model logs its predictions. */
  logId(): string | undefined;
  /** The candidate's `key` option. */
  routeKey(): string | undefined;
  /** When the serving version has no reference file: its reference of `feature` as collected from its first scored rows (undefined until complete). */
  collectedReference?(): ((feature: string) => ReferenceBins | undefined) | undefined;
  /** Version `n`'s own reference of `feature`: from its file, or collected from its first scored rows (undefined until complete, or for no such version). */
  versionReference?(n: number, feature: string): ReferenceBins | undefined;
}

export interface FunctionSignature {
  readonly name: string;
  readonly params: readonly Field[];
  readonly returns: DataType;
}

/**
 * The catalog: named relations, models and functions. Names are case-insensitive; the
 * catalog stores them as written and looks them up folded.
 */
export class Catalog {
  /** Resource limits statements planned against this catalog must respect. */
  limits: PlanLimits = DEFAULT_PLAN_LIMITS;
  private readonly relations = new Map<string, RelationDef>();
  private readonly models = new Map<string, ModelSignature>();
  private readonly functions = new Map<string, FunctionSignature>();
  /** Views that are not materialized: named queries, read as their query (logical-views.ts). */
  private readonly logicalViews = new Map<string, LogicalViewDef>();
  /**
   * Set by the engine: the error to answer, instead of UNKNOWN_RELATION, for a name that is not
   * in the catalog but still taken (a view or sink recorded but not running, e.g. stopped).
   */
  whyAbsent: ((name: string) => SluiceError | undefined) | undefined;

  /**
   * A copy whose changes do not reach this catalog: a request is planned against it, statement
   * after statement, before any statement runs. Definitions are immutable, so sharing them is safe.
   */
  clone(): Catalog {
    const c = new Catalog();
    c.limits = this.limits;
    c.whyAbsent = this.whyAbsent;
    for (const [k, v] of this.relations) c.relations.set(k, v);
    for (const [k, v] of this.models) c.models.set(k, v);
    for (const [k, v] of this.functions) c.functions.set(k, v);
    for (const [k, v] of this.logicalViews) c.logicalViews.set(k, v);
    return c;
  }

  addRelation(def: RelationDef, span?: Span): void {
    this.checkNameFree(def.name, span);
    this.relations.set(normalizeName(def.name), def);
  }

  /** Throws ALREADY_EXISTS, naming what holds `name` (a stream, table, view or sink), if any relation does. */
  checkNameFree(name: string, span?: Span): void {
    const logical = this.logicalViews.get(normalizeName(name));
    if (logical) {
      throw new SluiceError('ALREADY_EXISTS', `view '${logical.name}' already exists`, { span, hint: `use a different name, or DROP VIEW ${logical.name} first` });
    }
    const existing = this.relations.get(normalizeName(name));
    if (!existing) return;
    const what = existing.kind === 'view' ? 'materialized view' : existing.kind;
    throw new SluiceError('ALREADY_EXISTS', `${what} '${existing.name}' already exists`, {
      span,
      hint: `use a different name, or DROP ${existing.kind === 'view' ? 'MATERIALIZED VIEW' : existing.kind.toUpperCase()} ${existing.name} first`,
    });
  }

  hasRelation(name: string): boolean {
    return this.relations.has(normalizeName(name));
  }

  findRelation(name: string): RelationDef | undefined {
    return this.relations.get(normalizeName(name));
  }

  /** The relation named `name`, or an UNKNOWN_RELATION error with a "did you mean". */
  relation(name: string, span?: Span): RelationDef {
    const def = this.findRelation(name);
    if (def) return def;
    const why = this.whyAbsent?.(name);
    if (why) throw new SluiceError(why.code, why.message, { span, ...(why.hint !== undefined ? { hint: why.hint } : {}) });
    // A push query's dead-letter stream lives as long as the query (longer only when it holds
    // letters): not a name to suggest.
    const candidates = [...this.relations.values(), ...this.logicalViews.values()].map((r) => r.name).filter((n) => !/^push_\d+_dlq$/.test(n));
    throw new SluiceError('UNKNOWN_RELATION', `unknown stream, table or view '${name}'`, {
      span,
      hint: didYouMean(name, candidates) ?? (candidates.length ? `known: ${candidates.join(', ')}` : 'declare it with CREATE STREAM or CREATE TABLE first'),
    });
  }

  /** A view that is not materialized, by name. */
  findLogicalView(name: string): LogicalViewDef | undefined {
    return this.logicalViews.get(normalizeName(name));
  }

  /** Adds or (CREATE OR REPLACE) replaces a view that is not materialized; its name must not be a relation's. */
  setLogicalView(def: LogicalViewDef, span?: Span): void {
    const existing = this.relations.get(normalizeName(def.name));
    if (existing) this.checkNameFree(def.name, span);
    this.logicalViews.set(normalizeName(def.name), def);
  }

  removeLogicalView(name: string): LogicalViewDef | undefined {
    const def = this.logicalViews.get(normalizeName(name));
    this.logicalViews.delete(normalizeName(name));
    return def;
  }

  listLogicalViews(): LogicalViewDef[] {
    return [...this.logicalViews.values()];
  }

  removeRelation(name: string): RelationDef | undefined {
    const key = normalizeName(name);
    const def = this.relations.get(key);
    this.relations.delete(key);
    return def;
  }

  listRelations(kind?: RelationDef['kind']): RelationDef[] {
    return [...this.relations.values()].filter((r) => kind === undefined || r.kind === kind);
  }

  setModel(sig: ModelSignature): void {
    this.models.set(normalizeName(sig.name), sig);
  }

  findModel(name: string): ModelSignature | undefined {
    return this.models.get(normalizeName(name));
  }

  model(name: string, span?: Span): ModelSignature {
    const sig = this.findModel(name);
    if (sig) return sig;
    const names = [...this.models.values()].map((m) => m.name);
    throw new SluiceError('UNKNOWN_MODEL', `unknown model '${name}'`, {
      span,
      hint: didYouMean(name, names) ?? 'register it with CREATE MODEL name INPUT (...) OUTPUT (...) WITH (path = ...)',
    });
  }

  removeModel(name: string): boolean {
    return this.models.delete(normalizeName(name));
  }

  listModels(): ModelSignature[] {
    return [...this.models.values()];
  }

  setFunction(sig: FunctionSignature): void {
    this.functions.set(normalizeName(sig.name), sig);
  }

  findFunction(name: string): FunctionSignature | undefined {
    return this.functions.get(normalizeName(name));
  }

  removeFunction(name: string): boolean {
    return this.functions.delete(normalizeName(name));
  }

  listFunctions(): FunctionSignature[] {
    return [...this.functions.values()];
  }

  /** Every name the catalog knows, for completion in the shell. */
  names(): string[] {
    return [
      ...[...this.relations.values()].map((r) => r.name),
      ...[...this.models.values()].map((m) => m.name),
      ...[...this.functions.values()].map((f) => f.name),
    ];
  }
}
