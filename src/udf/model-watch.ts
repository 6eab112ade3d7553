/**
 * Models as data: a folder watched for model files. A file counts once it is complete — written
 * elsewhere (or under another extension) and renamed in as `*.onnx` — so a half-written file is
 * never loaded. Files present when watching starts are taken as already seen.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** How often the folder is listed. */
export const WATCH_INTERVAL_MS = 250;

export class FolderWatch {
  private readonly seen = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  /**
   * @param folder the folder (relative paths resolve against `baseDir`)
   * @param onFile called once per new `.onnx` file, one at a time, with its path as written in the option joined with the file name
   */
  constructor(
    readonly folder: string,
    private readonly baseDir: string,
    private readonly onFile: (path: string) => Promise<void>,
  ) {}

  async start(): Promise<void> {
    for (const f of await this.list()) this.seen.add(f);
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.poll());
    }, WATCH_INTERVAL_MS);
    this.timer.unref();
  }

  private async list(): Promise<string[]> {
    try {
      const names = await readdir(resolve(this.baseDir, this.folder));
      const files: string[] = [];
      for (const n of names) {
        if (!n.endsWith('.onnx')) continue;
        const s = await stat(resolve(this.baseDir, this.folder, n)).catch(() => undefined);
        if (s?.isFile()) files.push(n);
      }
      return files.sort();
    } catch {
      return [];
    }
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    for (const f of await this.list()) {
      if (this.seen.has(f) || this.stopped) continue;
      this.seen.add(f);
      await this.onFile(join(this.folder, f)).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
