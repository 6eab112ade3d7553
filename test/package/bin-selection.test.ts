/**
 * Which code `bin/sluice.js` runs: the build in dist/ when it is current (or when there are no
 * sources, as in an installed package), else the TypeScript sources through tsx, else a message
 * saying what to build. Runs the real bin/sluice.js and scripts/dist.mjs in a scratch copy whose
 * src/ and dist/ entry points only print which one ran.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../server/server-process.js';

const run = promisify(execFile);
let root: string;

function layout(parts: { src?: boolean; dist?: boolean; stamp?: boolean; deps?: boolean }): void {
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'scripts'), { recursive: true });
  cpSync(join(REPO_ROOT, 'bin/sluice.js'), join(root, 'bin/sluice.js'));
  cpSync(join(REPO_ROOT, 'scripts/dist.mjs'), join(root, 'scripts/dist.mjs'));
  writeFileSync(join(root, 'package.json'), '{"type": "module"}\n');
  if (parts.deps === true) symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  if (parts.src === true) {
    mkdirSync(join(root, 'src/cli'), { recursive: true });
    writeFileSync(join(root, 'src/cli/main.ts'), "const from: string = 'sources';\nconsole.log(`ran the ${from}`);\n");
  }
  if (parts.dist === true) {
    mkdirSync(join(root, 'dist/cli'), { recursive: true });
    writeFileSync(join(root, 'dist/cli/main.js'), "console.log('ran the build');\n");
  }
  if (parts.stamp === true) writeFileSync(join(root, 'dist/.build-stamp'), 'now\n');
}

async function sluice(): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(root, 'bin/sluice.js')], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Makes src/ look edited after the build. */
function editSources(): void {
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(root, 'src/cli/main.ts'), later, later);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sluice-bin-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('bin/sluice.js', () => {
  it('runs the build when it is current', async () => {
    layout({ src: true, dist: true, stamp: true, deps: true });
    expect((await sluice()).stdout).toBe('ran the build\n');
  });

  it('runs the sources through tsx when they changed after the build, or when there is no build', async () => {
    layout({ src: true, dist: true, stamp: true, deps: true });
    editSources();
    expect((await sluice()).stdout).toBe('ran the sources\n');
    rmSync(join(root, 'dist'), { recursive: true });
    expect((await sluice()).stdout).toBe('ran the sources\n');
  });

  it('an installed package (no sources) runs its build', async () => {
    layout({ dist: true });
    expect((await sluice()).stdout).toBe('ran the build\n');
  });

  it('says what to do when there is neither a current build nor tsx to run the sources', async () => {
    layout({ src: true, dist: true, stamp: true });
    editSources();
    const stale = await sluice();
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/dist\/cli\/main\.js is older than the sources; run `npm run build`/);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root);
    layout({});
    const missing = await sluice();
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/dist\/cli\/main\.js is missing; run `npm run build`/);
  });

  it('npm start\'s build step is a no-op when the build is current, and says what to do when it cannot build', async () => {
    layout({ src: true, dist: true, stamp: true });
    await expect(run(process.execPath, ['scripts/dist.mjs', 'ensure'], { cwd: root })).resolves.toMatchObject({ stderr: '' });
    editSources();
    await expect(run(process.execPath, ['scripts/dist.mjs', 'ensure'], { cwd: root })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/dist\/ is older than src\/ and TypeScript is not installed to build it; run `npm ci && npm run build`/),
    });
  });
});
