#!/usr/bin/env node
/**
 * Builds the web console: console/src (Preact, uPlot, dagre) bundled by esbuild into
 * dist/console/app.js and app.css, with index.html and the icon copied beside them. No source
 * maps or inline code, so the page runs under the server's strict Content-Security-Policy.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Builds into `outdir` (default dist/console); answers the files written. */
export async function buildConsole({ outdir = join(root, 'dist', 'console'), minify = true } = {}) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: { app: join(root, 'console', 'src', 'main.tsx') },
    outdir,
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify,
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'favicon.svg']) copyFileSync(join(root, 'console', file), join(outdir, file));
  return Object.keys(result.metafile.outputs);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const files = await buildConsole();
  process.stdout.write(`console built in ${Date.now() - started} ms: ${files.map((f) => f.replace(root, '')).join(', ')}\n`);
}
