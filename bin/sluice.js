#!/usr/bin/env node
// Runs the built command line (dist/cli/main.js). In a source checkout whose dist/ is missing or
// older than src/, it runs the TypeScript sources through tsx (a dev dependency) instead, so the
// command always runs the code as it is; `npm run build` makes start-up fast again.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const distMain = join(root, 'dist', 'cli', 'main.js');

async function fromSources() {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    return false;
  }
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
  return true;
}

const hasSources = existsSync(join(root, 'src', 'cli', 'main.ts'));
const status = hasSources ? (await import('../scripts/dist.mjs')).distStatus() : existsSync(distMain) ? 'current' : 'missing';
if (status === 'current') {
  await import(pathToFileURL(distMain).href);
} else if (!hasSources || !(await fromSources())) {
  process.stderr.write(
    `sluice: ${distMain} is ${status === 'missing' ? 'missing' : 'older than the sources'}; run \`npm run build\` (it needs the dev dependencies: npm ci)\n`,
  );
  process.exitCode = 1;
}
