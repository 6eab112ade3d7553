/**
 * Files that ship with the package (the demo's model), found from this module's own place: it is
 * src/common in a checkout and dist/common in an installed package, two levels below the root.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PACKAGE_MODELS_DIR = join(PACKAGE_ROOT, 'models');

/**
 * How the demo names its model: `models/fraud.onnx` when the current folder has it (a checkout),
 * else the copy inside the installed package.
 */
export function demoModelPath(cwd: string = process.cwd()): string {
  const relative = join('models', 'fraud.onnx');
  return existsSync(resolve(cwd, relative)) ? 'models/fraud.onnx' : join(PACKAGE_MODELS_DIR, 'fraud.onnx');
}
