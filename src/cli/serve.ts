/** `sluice serve`: the engine behind the HTTP API until SIGINT/SIGTERM. */
import { join, resolve } from 'node:path';
import { buildServer } from '../server/app.js';
import { openEngine, setupDemo } from './load-engine.js';
import { safetyOptions, type SafetyFlags } from './safety-options.js';

export interface ServeOptions extends SafetyFlags {
  readonly port: number;
  readonly host: string;
  readonly data: string;
  readonly token?: string;
  readonly demo?: boolean;
  readonly log?: boolean;
}

export async function serve(opts: ServeOptions): Promise<void> {
  const dataDir = resolve(opts.data);
  const engine = await openEngine({ ...safetyOptions(opts), dataDir });
  if (opts.demo === true) {
    try {
      await setupDemo(engine);
    } catch (err) {
      await engine.close();
      throw err;
    }
  }
  const app = buildServer(engine, {
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    modelsDir: join(dataDir, 'models'),
    logger: opts.log === true,
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
  const auth = opts.token !== undefined ? ' (bearer token required)' : '';
  process.stdout.write(`sluice: listening on http://${opts.host}:${opts.port}${auth}, data in ${dataDir}\n`);
}
