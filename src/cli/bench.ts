/** `sluice bench`: runs the benchmarks (`npm run bench`) with the given arguments. */
import { spawn } from 'node:child_process';

export function bench(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const child = spawn(npm, ['run', 'bench', ...(args.length > 0 ? ['--', ...args] : [])], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal !== null ? 130 : 1)));
  });
}
