/**
 * Worker threads that run one of the engine's own modules. In an installed package the module is
 * JavaScript in dist/ and runs as it is; in a checkout run through tsx or vitest it is TypeScript
 * in src/, and the worker first registers tsx's loader, then imports it.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const TYPESCRIPT_BOOT = `const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then((tsx) => { tsx.register(); return import(workerData.moduleUrl); });`;

/** A worker running the module `name` (without extension) beside `fromUrl` (the caller's import.meta.url). */
export function moduleWorker(fromUrl: string, name: string, options: WorkerOptions = {}): Worker {
  if (!new URL(fromUrl).pathname.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, fromUrl), options);
  const tsxApi = pathToFileURL(tsxEsmApi(fromUrl)).href;
  return new Worker(TYPESCRIPT_BOOT, { ...options, eval: true, workerData: { tsxApi, moduleUrl: new URL(`./${name}.ts`, fromUrl).href } });
}

/** The file of tsx's ESM API as its package's exports name it (require.resolve would give the CommonJS one). */
function tsxEsmApi(fromUrl: string): string {
  const manifest = createRequire(fromUrl).resolve('tsx/package.json');
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports;
  return join(dirname(manifest), exports['./esm/api']!.import.default);
}
