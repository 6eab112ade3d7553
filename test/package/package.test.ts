/**
 * The package as a user gets it: `npm pack` holds the built code, the demo's model and the docs
 * and nothing of the development tree; the packed command line runs from dist/ alone; the
 * README's library example runs as written against the packed package.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../server/server-process.js';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let scratch: string;
let packed: string;
let files: string[];

beforeAll(async () => {
  // Builds dist/ only when it is missing or older than src/ (cheap otherwise).
  await run(process.execPath, ['scripts/dist.mjs', 'ensure'], { cwd: REPO_ROOT, timeout: 300_000 });
  scratch = await mkdtemp(join(tmpdir(), 'sluice-package-'));
  const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', scratch], { cwd: REPO_ROOT, timeout: 120_000 });
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  files = info!.files.map((f) => f.path).sort();
  await run('tar', ['-xzf', join(scratch, info!.filename), '-C', scratch]);
  packed = join(scratch, 'package');
  // The packed package finds its dependencies the way an install would: in node_modules above it.
  await symlink(join(REPO_ROOT, 'node_modules'), join(packed, 'node_modules'), 'dir');
}, 400_000);

afterAll(async () => {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('holds the built code with types, the command, the demo model and the docs', () => {
    for (const f of ['package.json', 'README.md', 'bin/sluice.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/engine/engine.d.ts', 'models/fraud.onnx', 'queries/schema.sql', 'examples/udfs/norm.mjs', 'docs/sql.md']) {
      expect(files).toContain(f);
    }
  });

  it('holds nothing of the development tree', () => {
    const unwanted = files.filter((f) => /^(src|test|bench|tools|scripts|\.ci|\.tmp|data)\//.test(f) || /\.(map|tsbuildinfo)$/.test(f) || f.startsWith('dist/.') || f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(unwanted).toEqual([]);
  });
});

describe('the packed command line', () => {
  it('runs from dist/ without the TypeScript sources', async () => {
    const help = await run(process.execPath, ['bin/sluice.js', '--help'], { cwd: packed });
    expect(help.stdout).toMatch(/Usage: sluice/);
    const explain = await run(process.execPath, ['bin/sluice.js', 'explain', 'SELECT tx_id FROM tx WHERE amount > 10', '--file', 'queries/schema.sql'], { cwd: packed, timeout: 60_000 });
    expect(explain.stdout).toMatch(/FilterExec: amount > 10/);
    expect(explain.stdout).toMatch(/SourceExec: stream=tx, connector=datagen/);
  });
});

describe('the README library example', () => {
  it('runs as written with `import { Engine } from "sluice"`', async () => {
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.split(/^## /m).find((s) => s.startsWith('Embedding'));
    const code = section === undefined ? undefined : /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code, 'README.md has an "Embedding" section with a ```js block').toBeDefined();
    const app = join(scratch, 'app');
    await mkdir(join(app, 'node_modules'), { recursive: true });
    await symlink(packed, join(app, 'node_modules', 'sluice'), 'dir');
    await writeFile(join(app, 'example.mjs'), code!);
    const { stdout } = await run(process.execPath, ['example.mjs'], { cwd: app, timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    // The rows were stored before the query read them, so one change per user: its count (u1
    // clicked twice, u2 once).
    expect([...lines].sort()).toEqual(["+I [ 'u1', 2n ]", "+I [ 'u2', 1n ]"]);
  });

  it('type-checks in a TypeScript project: the declarations ship and exports points at them', async () => {
    const app = join(scratch, 'typed');
    await mkdir(join(app, 'node_modules'), { recursive: true });
    await symlink(packed, join(app, 'node_modules', 'sluice'), 'dir');
    await symlink(join(REPO_ROOT, 'node_modules', '@types'), join(app, 'node_modules', '@types'), 'dir');
    await writeFile(join(app, 'package.json'), '{"type": "module"}\n');
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] } }),
    );
    await writeFile(
      join(app, 'app.ts'),
      [
        "import { Engine, SluiceError, type StatementResult } from 'sluice';",
        "const engine: Engine = await Engine.open({ dataDir: './d' });",
        "const results: StatementResult[] = await engine.execute('SHOW STREAMS');",
        "const wrong: number = results.length > 0 ? 'not a number' : 0;",
        'export { engine, wrong, SluiceError };',
      ].join('\n'),
    );
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const out = await run(process.execPath, [tsc, '-p', app], { cwd: app }).then(
      () => '',
      (err: { stdout: string }) => err.stdout,
    );
    // The one error is the deliberate one: the package's types were found and used.
    expect(out.split('\n').filter((l) => /error TS/.test(l))).toEqual([expect.stringMatching(/^app\.ts\(4,7\): error TS2322: Type 'string \| number' is not assignable to type 'number'/)]);
  });
});
