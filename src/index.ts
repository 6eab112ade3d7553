/**
 * Sluice as a library: `import { Engine } from 'sluice'` embeds the engine in a Node.js process;
 * `buildServer` puts the HTTP API in front of it. See the README's "Embedding" section.
 */
export { Engine, type EngineOptions, type ExecuteOptions } from './engine/engine.js';
export type { PushBatch, PushRow, QueryInfo, ResultColumn, RowError, StatementResult } from './engine/types.js';
export { SluiceError, ERROR_CODES, type ErrorCode, type ErrorKind } from './common/errors.js';
export { buildServer, DEFAULT_HOST, DEFAULT_PORT, type ServerOptions } from './server/app.js';
