/**
 * Files SQL names resolve inside the allowed folders, are regular files under the size cap, and
 * a refusal says nothing about what lies outside.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { AllowedFiles } from '../../src/udf/allowed-files.js';

const root = mkdtempSync(join(tmpdir(), 'sluice-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const allowed = join(root, 'allowed');
const outside = join(root, 'outside');
mkdirSync(join(allowed, 'sub'), { recursive: true });
mkdirSync(outside);
writeFileSync(join(allowed, 'small.bin'), Buffer.alloc(100, 1));
writeFileSync(join(allowed, 'big.bin'), Buffer.alloc(2000, 1));
writeFileSync(join(outside, 'secret.txt'), 'secret');
symlinkSync(join(outside, 'secret.txt'), join(allowed, 'to-secret'));
symlinkSync(join(allowed, 'small.bin'), join(allowed, 'sub', 'to-small'));
symlinkSync(outside, join(allowed, 'to-outside-dir'));
execFileSync('mkfifo', [join(allowed, 'pipe')]);

const files = new AllowedFiles({ roots: [allowed], baseDir: allowed, maxBytes: 1000 });

async function refusal(path: string): Promise<string> {
  try {
    await files.read(path, "model 'm'");
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`expected '${path}' to be refused`);
}

describe('AllowedFiles', () => {
  it('reads a regular file inside an allowed folder, through a symlink that stays inside too', async () => {
    expect((await files.read('small.bin', 'x')).bytes.length).toBe(100);
    const viaLink = await files.read('sub/to-small', 'x');
    expect(viaLink.realPath).toBe(join(allowed, 'small.bin'));
  });

  it.each([['../outside/secret.txt'], [join(outside, 'secret.txt')], ['to-secret'], ['to-outside-dir/secret.txt'], ['sub/../../outside/secret.txt']])('refuses %s, which leads outside', async (path) => {
    expect(await refusal(path)).toBe(`model 'm': '${path}' is not inside a folder files may be read from`);
  });

  it('says the same about an outside path whether it exists, is a folder, a device, or nothing', async () => {
    const paths = [join(outside, 'secret.txt'), join(outside, 'missing.txt'), outside, '/dev/zero', '/etc/passwd', '/no/such/dir/x', 'to-outside-dir/missing'];
    const messages = await Promise.all(paths.map(async (p) => (await refusal(p)).replace(p, 'P')));
    expect(new Set(messages)).toEqual(new Set(["model 'm': 'P' is not inside a folder files may be read from"]));
  });

  it('refuses folders, FIFOs and devices, even in an allowed folder, without blocking on a FIFO', async () => {
    expect(await refusal('sub')).toBe("model 'm': 'sub' is not a regular file");
    const t = Date.now();
    expect(await refusal('pipe')).toBe("model 'm': 'pipe' is not a regular file");
    expect(Date.now() - t).toBeLessThan(1000);
    const dev = new AllowedFiles({ roots: ['/dev'], baseDir: '/' });
    await expect(dev.read('/dev/zero', 'x')).rejects.toThrow("x: '/dev/zero' is not a regular file");
  });

  it('checks the size before reading', async () => {
    expect(await refusal('big.bin')).toBe("model 'm': file 'big.bin' is 2000 bytes, more than the limit of 1000");
  });

  it('says a file is missing only inside an allowed folder', async () => {
    expect(await refusal('nope.onnx')).toBe("model 'm': cannot read 'nope.onnx': no such file");
  });
});

describe('CREATE MODEL paths', () => {
  const SIG = 'INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT)';

  it('refuses /dev/zero and paths outside at once, reads from the data folder, models/ and --allow-path folders, and caps the size', async () => {
    const dataDir = join(root, 'data');
    const extra = join(root, 'extra');
    mkdirSync(extra);
    copyFileSync('models/fraud.onnx', join(extra, 'fraud.onnx'));
    const engine = await Engine.open({ dataDir, allowedPaths: [extra], maxFileBytes: 10_000_000 });
    try {
      const t = Date.now();
      await expect(engine.execute(`CREATE MODEL z ${SIG} WITH (path = '/dev/zero')`)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: "model 'z': '/dev/zero' is not inside a folder files may be read from",
      });
      // At once: refused by its path before any read (the message says which rule); the bound
      // leaves room for a loaded 2-core machine, which once took 2.4 s for the statement.
      expect(Date.now() - t).toBeLessThan(10_000);
      const secret = (await engine.execute(`CREATE MODEL z ${SIG} WITH (path = '${join(outside, 'secret.txt')}')`).catch((e: Error) => e)) as Error;
      const missing = (await engine.execute(`CREATE MODEL z ${SIG} WITH (path = '${join(outside, 'missing.onnx')}')`).catch((e: Error) => e)) as Error;
      expect(secret.message.replace('secret.txt', 'F')).toBe(missing.message.replace('missing.onnx', 'F'));

      await engine.execute(`CREATE MODEL a ${SIG} WITH (path = 'models/fraud.onnx')`);
      await engine.execute(`CREATE MODEL b ${SIG} WITH (path = '${join(extra, 'fraud.onnx')}')`);
      copyFileSync('models/fraud.onnx', join(dataDir, 'fraud.onnx'));
      await engine.execute(`CREATE MODEL c ${SIG} WITH (path = '${join(dataDir, 'fraud.onnx')}')`);
      writeFileSync(join(extra, 'huge.onnx'), Buffer.alloc(10_000_001));
      await expect(engine.execute(`ALTER MODEL a SET (path = '${join(extra, 'huge.onnx')}')`)).rejects.toMatchObject({
        message: expect.stringContaining('is 10000001 bytes, more than the limit of 10000000'),
        hint: expect.stringContaining('--max-model-bytes'),
      });
    } finally {
      await engine.close();
    }
  });
});
