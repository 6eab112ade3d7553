/** A Sluice HTTP server over the in-memory fake engine, for driving the shell in a terminal. */
import { buildServer } from '../../src/server/app.js';
import { createFakeEngine } from '../server/fake-engine.js';

const port = Number(process.argv[2] ?? '0');
const engine = createFakeEngine();
engine.tickMs = 200;
const app = buildServer(engine, {});
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`fake sluice: listening on http://127.0.0.1:${port}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
