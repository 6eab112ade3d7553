/**
 * The WITH (...) options each kind of relation and connector takes. CREATE refuses a key it
 * does not know, with "did you mean": a misspelled option (`'retenton'`, `'aggregate.slt'`)
 * would otherwise be accepted and do nothing. Models check their own options in the registry,
 * and the Nexmark generator checks its own.
 */
import { SluiceError, didYouMean } from '../common/errors.js';
import type { OptionEntry } from '../parser/index.js';

const KAFKA_CLIENT = ['topic', 'format', 'bootstrap.servers', 'properties.bootstrap.servers', 'group.id', 'session.timeout.ms'];
/** Options a stream takes whatever its connector: its key, event time and how it is aggregated. */
const STREAM_COMMON = ['connector', 'key', 'allowed.lateness', 'aggregate.salt', 'skew.threshold', 'aggregate.two_phase'];

const KNOWN: Record<string, readonly string[] | undefined> = {
  'stream:log': [...STREAM_COMMON, 'topic', 'partitions', 'retention'],
  'stream:kafka': [...STREAM_COMMON, ...KAFKA_CLIENT, 'timestamp'],
  'stream:datagen': [...STREAM_COMMON, 'rows.per.second', 'cards', 'seed', 'base.time', 'max.events', 'batch.size', 'kind', 'label.delay'],
  'table:table': ['connector'],
  'table:log': ['connector'],
  'table:kafka': ['connector', ...KAFKA_CLIENT, 'load.timeout.ms'],
  'sink:log': ['connector', 'topic', 'format', 'retention'],
  'sink:kafka': ['connector', 'key', ...KAFKA_CLIENT, 'semantic', 'decisions.topic', 'transactional.id', 'delivery.timeout.ms', 'scale.out', 'scale.out.partitions'],
  'view:': ['key', 'retention'],
};

/**
 * Throws INVALID_ARGUMENT at the first option `kind` with `connector` does not take. Connectors
 * without a list here (nexmark) are not checked.
 */
export function checkWithOptions(entries: readonly OptionEntry[], kind: 'stream' | 'table' | 'sink' | 'view', connector: string, what: string): void {
  const known = KNOWN[`${kind}:${kind === 'view' ? '' : connector}`];
  if (!known) return;
  for (const o of entries) {
    const key = o.key.toLowerCase();
    if (known.includes(key)) continue;
    const suggestion = didYouMean(key, known);
    throw new SluiceError('INVALID_ARGUMENT', `${what} does not take option '${o.key}'${kind === 'view' ? '' : ` (connector '${connector}')`}`, {
      span: o.span,
      hint: suggestion ?? `it takes ${known.join(', ')}`,
    });
  }
}
