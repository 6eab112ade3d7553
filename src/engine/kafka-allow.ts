/**
 * The Kafka broker allow-list (`sluice serve --allow-kafka host:port,...`). SQL from the network
 * chooses `bootstrap.servers`, so without a list it can make the server open connections to any
 * address it can reach. With a list, a CREATE naming another broker is refused before anything
 * runs. Brokers from `$SLUICE_KAFKA_BOOTSTRAP` are the operator's own and always allowed.
 */
import { SluiceError } from '../common/errors.js';
import type { Statement } from '../parser/index.js';

/** 'any' lets SQL name any broker (the default, for compatibility); a list names the only ones allowed. */
export type KafkaAllowList = 'any' | readonly string[];

const BROKER_KEYS = ['bootstrap.servers', 'properties.bootstrap.servers'];
/** A model's updates topic (CREATE/ALTER MODEL ... WITH ('updates.topic' = ...)). */
const MODEL_BROKER_KEYS = ['updates.brokers'];

/** `Host:9092` -> `host:9092`: host names compare without regard to case. */
export function normalizeBroker(broker: string): string {
  return broker.trim().toLowerCase();
}

/** Parses the flag's value; throws on an entry that is not host:port. */
export function parseKafkaAllowList(value: string): string[] {
  const entries = value.split(',').map(normalizeBroker).filter((s) => s !== '');
  for (const e of entries) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}$/.test(e)) throw new Error(`--allow-kafka: '${e}' is not host:port`);
  }
  if (entries.length === 0) throw new Error('--allow-kafka needs at least one host:port');
  return entries;
}

/** Refuses a statement whose WITH options name a Kafka broker outside the list (streams, tables and sinks; a model's updates topic). */
export function checkKafkaAllowed(s: Statement, allow: KafkaAllowList): void {
  if (allow === 'any') return;
  let keys: readonly string[];
  if (s.kind === 'CreateModel' || s.kind === 'AlterModel') keys = MODEL_BROKER_KEYS;
  else if (s.kind === 'CreateStream' || s.kind === 'CreateTable' || s.kind === 'CreateSink') keys = BROKER_KEYS;
  else return;
  for (const o of s.options) {
    if (!keys.includes(o.key.toLowerCase())) continue;
    for (const broker of String(o.value).split(',').map(normalizeBroker).filter((b) => b !== '')) {
      if (!allow.includes(broker)) {
        throw new SluiceError('NOT_ALLOWED', `Kafka broker '${broker}' is not on this server's allow-list`, {
          span: o.span,
          hint: `allowed: ${allow.join(', ')} (set by sluice serve --allow-kafka); or leave ${o.key} out to use the server's own SLUICE_KAFKA_BOOTSTRAP`,
        });
      }
    }
  }
}
