#!/usr/bin/env node
/**
 * Whether dist/ holds a build of the current sources, and the commands that keep it so:
 *   node scripts/dist.mjs stamp    after a build: records that dist/ matches src/
 *   node scripts/dist.mjs ensure   before `npm start`: builds when dist/ is missing or older
 *                                  than src/ or console/ (cheap when it is current; needs dev
 *                                  dependencies)
 * Plain JavaScript so that it runs without a TypeScript loader; bin/sluice.js imports it too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST_MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const STAMP = join(ROOT, 'dist', '.build-stamp');
const SRC = join(ROOT, 'src');
/** The web console's sources, built into dist/console by the same build. */
const CONSOLE = join(ROOT, 'console');
const CONSOLE_APP = join(ROOT, 'dist', 'console', 'app.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * 'current' when dist/ was built from the sources as they are, the web console's included (or
 * there are no sources, as in an installed package); 'stale' when a source changed since;
 * 'missing' when there is no build.
 */
export function distStatus() {
  if (!existsSync(DIST_MAIN) || !existsSync(STAMP)) return 'missing';
  if (!existsSync(SRC)) return 'current';
  const console = existsSync(CONSOLE);
  if (console && !existsSync(CONSOLE_APP)) return 'missing';
  const newest = Math.max(newestMtime(SRC), console ? newestMtime(CONSOLE) : 0);
  return newest <= statSync(STAMP).mtimeMs ? 'current' : 'stale';
}

function ensure() {
  const status = distStatus();
  if (status === 'current') return 0;
  if (!existsSync(join(ROOT, 'node_modules', 'typescript'))) {
    process.stderr.write(
      `sluice: dist/ is ${status === 'missing' ? 'missing' : 'older than src/'} and TypeScript is not installed to build it; ` +
        'run `npm ci && npm run build` (with dev dependencies) first, then `npm ci --omit=dev` if you want production dependencies only\n',
    );
    return 1;
  }
  process.stderr.write(`sluice: building dist/ (${status === 'missing' ? 'no build yet' : 'sources changed'})\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  return r.status ?? 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const command = process.argv[2];
  if (command === 'stamp') writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  else if (command === 'ensure') process.exitCode = ensure();
  else {
    process.stderr.write('usage: node scripts/dist.mjs stamp|ensure\n');
    process.exitCode = 2;
  }
}
