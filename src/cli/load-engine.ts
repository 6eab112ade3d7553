/**
 * Opens the embedded engine. Imported lazily so that `sluice shell` and `--help` start without
 * loading storage and model runtimes.
 */
import type { EngineOptions } from '../engine/engine.js';
import type { RelationInspector } from '../engine/relation-info.js';
import type { EngineLike } from '../server/engine-like.js';

export type OpenEngineOptions = EngineOptions;

/**
 * Opens the engine; statements of the catalog that could not be restored are reported on stderr.
 * The process's heap growth is limited first (see limitHeapGrowth).
 */
export async function openEngine(opts: OpenEngineOptions): Promise<EngineLike> {
  const [{ Engine }, { limitHeapGrowth }] = await Promise.all([import('../engine/engine.js'), import('../engine/heap-growth.js')]);
  limitHeapGrowth();
  const engine = await Engine.open(opts);
  for (const { error } of engine.restoreErrors) {
    process.stderr.write(
      `WARNING: a statement kept in ${opts.dataDir} could not be restored; the engine runs without it and tries again at the next start.\n${error.render()}\n`,
    );
  }
  const parked = engine.queries().filter((q) => q.status === 'not_started');
  if (parked.length) {
    process.stderr.write(
      `NOTE: --no-start-queries: ${parked.length} view(s) and sink(s) in ${opts.dataDir} are not running (${parked.map((q) => q.name ?? q.id).join(', ')}); DROP the bad one and start again without the flag.\n`,
    );
  }
  return engine;
}

/** Loads the demo setup (streams, models and generators) into an engine. */
export async function setupDemo(engine: EngineLike): Promise<void> {
  const spec = '../engine/demo.js';
  let mod: unknown;
  try {
    mod = await import(spec);
  } catch (err) {
    throw new Error(`--demo needs src/engine/demo.ts, which could not be loaded: ${err instanceof Error ? err.message : String(err)}`);
  }
  const fn = (mod as { setupDemo?: unknown }).setupDemo;
  if (typeof fn !== 'function') throw new Error('src/engine/demo.ts does not export setupDemo(engine)');
  await (fn as (e: EngineLike) => Promise<void>)(engine);
}

/** What the console shows of the engine's streams, tables and views; undefined for another EngineLike. */
export async function inspectorOf(engine: EngineLike): Promise<RelationInspector | undefined> {
  const [{ Engine }, { relationInspector }] = await Promise.all([import('../engine/engine.js'), import('../engine/relation-info.js')]);
  return engine instanceof Engine ? relationInspector(engine) : undefined;
}
