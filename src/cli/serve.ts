/** `sluice serve`: the engine behind the HTTP API until SIGINT/SIGTERM. */
import { join, resolve } from 'node:path';
import { PACKAGE_MODELS_DIR } from '../common/package-root.js';
import type { PlanLimits } from '../planner/limits.js';
import { buildServer } from '../server/app.js';
import type { ConsoleMode } from '../server/routes-console.js';
import type { ServerLimits } from '../server/limits.js';
import { inspectorOf, openEngine, setupDemo } from './load-engine.js';
import { safetyOptions, type SafetyFlags } from './safety-options.js';

export interface ServeOptions extends SafetyFlags {
  readonly port: number;
  readonly host: string;
  readonly data: string;
  /** Already checked by `resolveToken`: undefined or non-empty. */
  readonly token?: string | undefined;
  readonly limits?: { readonly plan: Partial<PlanLimits>; readonly server: Partial<ServerLimits> };
  /** Kafka brokers SQL may name (already parsed by parseKafkaAllowList); any when absent. */
  readonly allowKafka?: readonly string[] | undefined;
  /** Default 'read-write'. */
  readonly console?: ConsoleMode;
  readonly demo?: boolean;
  readonly log?: boolean;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export async function serve(opts: ServeOptions): Promise<void> {
  const dataDir = resolve(opts.data);
  const safety = safetyOptions(opts);
  // The demo's model may come from the installed package when the current folder has none.
  const allowedPaths = opts.demo === true ? [...(safety.allowedPaths ?? []), PACKAGE_MODELS_DIR] : safety.allowedPaths;
  const engine = await openEngine({ ...safety, ...(allowedPaths !== undefined ? { allowedPaths } : {}), dataDir, limits: opts.limits?.plan ?? {}, ...(opts.allowKafka !== undefined ? { kafkaAllow: opts.allowKafka } : {}) });
  if (opts.demo === true) {
    try {
      await setupDemo(engine);
    } catch (err) {
      await engine.close();
      throw err;
    }
  }
  const inspector = await inspectorOf(engine);
  const app = buildServer(engine, {
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    limits: opts.limits?.server ?? {},
    modelsDir: join(dataDir, 'models'),
    logger: opts.log === true,
    console: { mode: opts.console ?? 'read-write', ...(inspector ? { inspector } : {}) },
  });
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`sluice: ${signal}, shutting down\n`);
    await app.close();
    await engine.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  await app.listen({ port: opts.port, host: opts.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  const auth = opts.token !== undefined ? ' (bearer token required)' : ' (no token: anyone who can reach this address can run SQL)';
  process.stdout.write(`sluice: listening on http://${opts.host}:${port}${auth}, data in ${dataDir}\n`);
  if (opts.token === undefined && !isLoopback(opts.host)) {
    process.stderr.write(`WARNING: ${opts.host} is reachable from other machines and no token is set; give --token-file to require one (docs/security.md)\n`);
  }
}
