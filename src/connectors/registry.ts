/**
 * The connector registry: the one place that knows connector names. CREATE asks it which
 * connector backs a relation and checks the options against the connector's declarations; a
 * query asks it for the connector's source, sink or table loader.
 */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import type { Source } from '../exec/source.js';
import type { SourceExec } from '../planner/physical.js';
import type { CheckContext, Connector, ConnectorEnv, ConnectorRelation } from './connector.js';
import { checkOptions, int, str, type OptionDecl, type OptionMap, type WrittenOption } from './connector-options.js';
import { datagenConnector, nexmarkConnector } from './generator-connectors.js';
import { kafkaConnector } from './kafka/connector.js';
import { logConnector, tableConnector } from './log-connector.js';

export const CONNECTORS: readonly Connector[] = [logConnector, tableConnector, kafkaConnector, datagenConnector, nexmarkConnector];

const CONNECTOR_OPTION: OptionDecl = str('connector', 'Which connector backs the relation.');

/** Options every stream takes, whatever its connector: its key, event time and how it is aggregated. */
export const STREAM_OPTIONS: readonly OptionDecl[] = [
  CONNECTOR_OPTION,
  str('key', 'The column that keys the stream.', 'none'),
  { name: 'allowed.lateness', type: { kind: 'duration' }, doc: 'How far behind the watermark a row may arrive and still count in its windows.', default: '0' },
  int('aggregate.salt', 'Spread every GROUP BY key over this many partial aggregates before the final merge (for hot keys).', '1', 1),
  { name: 'skew.threshold', type: { kind: 'number', min: 0, max: 1, minExclusive: true }, doc: 'Share of a batch above which one key counts as hot and is spread over partial aggregates.', default: '0.5' },
  { name: 'aggregate.two_phase', type: { kind: 'boolean' }, doc: 'Aggregate in two phases (partial per batch, final per key); on by default only for scaled-out sinks.', default: 'false' },
];

/** Checks a materialized view's WITH options (views take no connector: they live in the engine's store). */
export function checkViewOptions(written: readonly WrittenOption[], what: string): void {
  checkOptions(written, VIEW_OPTIONS, { relation: what });
}

/** Options of a materialized view. */
export const VIEW_OPTIONS: readonly OptionDecl[] = [
  str('key', 'Output column(s) the view is keyed by, comma-separated.', "the query's key, or all columns"),
  { name: 'retention', type: { kind: 'duration' }, doc: "How long the view's changelog records are kept.", default: 'forever' },
];

const DEFAULT: Readonly<Record<ConnectorRelation, string>> = { stream: 'log', table: 'table', sink: 'log' };

/** The connector name a relation's options choose (lower-case), or the default for its kind. */
export function connectorName(kind: ConnectorRelation, options: OptionMap): string {
  return String(options['connector'] ?? DEFAULT[kind]).toLowerCase();
}

/** The connector `name` for a relation of `kind`; UNSUPPORTED naming those that back the kind. */
export function connectorFor(kind: ConnectorRelation, name: string, span?: Span): Connector {
  const c = CONNECTORS.find((x) => x.name === name);
  if (c?.options[kind]) return c;
  const names = CONNECTORS.filter((x) => x.options[kind]).map((x) => `'${x.name}'${x.name === DEFAULT[kind] ? ' (default)' : ''}`);
  throw new SluiceError('UNSUPPORTED', `${kind} connector '${name}' is not available in this build`, { ...(span ? { span } : {}), hint: `a ${kind} can use connector = ${names.join(', ')}` });
}

/** Every option a relation of `kind` over `connector` takes. */
export function optionDecls(kind: ConnectorRelation, connector: Connector): readonly OptionDecl[] {
  const own = connector.options[kind] ?? [];
  return kind === 'stream' ? [...STREAM_OPTIONS, ...own] : [CONNECTOR_OPTION, ...own];
}

/**
 * Checks a CREATE's WITH options: the connector exists for the kind, every option is declared
 * and its value fits its type (caret on the option; skipped without `checkEach`, when a data
 * folder's recorded statements are replayed), then the connector's own cross-option check
 * (caret on `span`, the statement). Returns the connector.
 */
export function checkConnectorOptions(kind: ConnectorRelation, written: readonly WrittenOption[], ctx: CheckContext & { readonly span: Span; readonly checkEach: boolean }): Connector {
  const options: OptionMap = Object.fromEntries(written.map((o) => [o.key.toLowerCase(), o.value]));
  const name = connectorName(kind, options);
  const connector = connectorFor(kind, name, written.find((o) => o.key.toLowerCase() === 'connector')?.span ?? ctx.span);
  if (ctx.checkEach) checkOptions(written, optionDecls(kind, connector), { relation: ctx.what, connector: name });
  if (connector.check) {
    try {
      connector.check(kind, options, ctx);
    } catch (e) {
      if (e instanceof SluiceError && !e.span) throw new SluiceError(e.code, e.message, { span: ctx.span, ...(e.hint ? { hint: e.hint } : {}) });
      throw e;
    }
  }
  return connector;
}

/** The source a continuous query reads a stream through. */
export function connectorSource(plan: SourceExec, env: ConnectorEnv): Source {
  const connector = connectorFor('stream', plan.connector);
  if (!connector.source) throw new SluiceError('UNSUPPORTED', `connector '${plan.connector}' of stream '${plan.relation}' cannot be read by a continuous query in this build`);
  return connector.source(plan, env);
}

/** Every option key a stream, table, sink or view takes with some connector (for completion). */
export function allOptionKeys(): string[] {
  const kinds: readonly ConnectorRelation[] = ['stream', 'table', 'sink'];
  const keys = CONNECTORS.flatMap((c) => kinds.flatMap((k) => (c.options[k] ? optionDecls(k, c).map((d) => d.name) : [])));
  return [...new Set([...keys, ...VIEW_OPTIONS.map((d) => d.name)])];
}
