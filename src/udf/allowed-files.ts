/**
 * Files that SQL may name (a model's `path`, a function's `module`): each resolves inside an
 * allowed folder, is a regular file, and is no larger than a cap, checked before any byte is
 * read.
 *
 * Invariants:
 * - A path is resolved against the base folder, then through `realpath` (symlinks followed),
 *   and only then compared with the allowed folders (themselves real paths): a symlink cannot
 *   lead outside, nor can `..`.
 * - The checks and the read use one open file descriptor (`fstat` on it), so the file cannot
 *   be swapped for a device or a bigger file between the check and the read.
 * - A refusal for a path outside the allowed folders reads the same whether that path exists,
 *   is a directory or a device: it says nothing about the rest of the machine.
 */
import { constants, realpathSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { SluiceError, type ErrorCode } from '../common/errors.js';

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;

export interface AllowedFilesOptions {
  /** Folders whose files (and subfolders' files) SQL may name. Missing folders are ignored. */
  readonly roots: readonly string[];
  /** Relative paths resolve against this folder. */
  readonly baseDir: string;
  /** Largest file that may be read, in bytes. */
  readonly maxBytes?: number;
  /** How the operator allows another folder, for the hint of a refusal. Default: the --allow-path flag. */
  readonly allowHint?: string;
}

/** A file that passed the checks, with its bytes. */
export interface AllowedFile {
  /** Its real path (symlinks resolved). */
  readonly realPath: string;
  readonly bytes: Uint8Array;
}

export class AllowedFiles {
  readonly maxBytes: number;
  private readonly baseDir: string;
  private readonly wanted: readonly string[];
  private readonly allowHint: string;

  constructor(opts: AllowedFilesOptions) {
    this.baseDir = resolve(opts.baseDir);
    this.wanted = [...new Set(opts.roots.map((r) => resolve(this.baseDir, r)))];
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.allowHint = opts.allowHint ?? 'start the server with --allow-path DIR (engine option allowedPaths)';
  }

  /** The allowed folders as they are now (real paths); a folder created after start counts. */
  roots(): string[] {
    const out: string[] = [];
    for (const r of this.wanted) {
      try {
        out.push(realpathSync(r));
      } catch {
        // A folder that does not exist holds no file to allow.
      }
    }
    return out;
  }

  /** The folders as the operator named them, for messages. */
  describeRoots(): string {
    return this.wanted.join(', ');
  }

  /**
   * The real path of `path` when it lies inside an allowed folder; otherwise INVALID_ARGUMENT
   * with the same message whether or not the path exists.
   */
  resolve(path: string, what: string, missingCode: ErrorCode = 'INVALID_ARGUMENT'): string {
    const full = isAbsolute(path) ? path : resolve(this.baseDir, path);
    let real: string | undefined;
    try {
      real = realpathSync(full);
    } catch {
      real = undefined;
    }
    const roots = this.roots();
    const inside = real !== undefined && roots.some((root) => isInside(root, real!));
    if (!inside) {
      // A missing file inside an allowed folder may be said to be missing: the folder is the
      // operator's. Outside, existence is not revealed.
      if (real === undefined && roots.some((root) => isInside(root, lexicalReal(full)))) {
        throw new SluiceError(missingCode, `${what}: cannot read '${path}': no such file`, { hint: `allowed folders: ${this.describeRoots()}` });
      }
      throw this.outside(path, what);
    }
    return real!;
  }

  /**
   * Reads an allowed regular file of at most `maxBytes`. A file missing (or unreadable) inside
   * an allowed folder is reported with `missingCode`; every other refusal is INVALID_ARGUMENT.
   */
  async read(path: string, what: string, missingCode: ErrorCode = 'INVALID_ARGUMENT'): Promise<AllowedFile> {
    const realPath = this.resolve(path, what, missingCode);
    // O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it.
    const fh = await open(realPath, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => {
      throw new SluiceError(missingCode, `${what}: cannot read '${path}': the file cannot be opened`, { hint: 'check that the server process can read it' });
    });
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new SluiceError('INVALID_ARGUMENT', `${what}: '${path}' is not a regular file`, { hint: 'name a file, not a folder, device or pipe' });
      if (st.size > this.maxBytes) {
        throw new SluiceError('INVALID_ARGUMENT', `${what}: file '${path}' is ${st.size} bytes, more than the limit of ${this.maxBytes}`, {
          hint: 'start the server with a larger --max-model-bytes (engine option maxFileBytes) if the file is trusted',
        });
      }
      const bytes = new Uint8Array(st.size);
      let got = 0;
      while (got < st.size) {
        const { bytesRead } = await fh.read(bytes, got, st.size - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return { realPath, bytes: got === st.size ? bytes : bytes.subarray(0, got) };
    } finally {
      await fh.close();
    }
  }

  private outside(path: string, what: string): SluiceError {
    return new SluiceError('INVALID_ARGUMENT', `${what}: '${path}' is not inside a folder files may be read from`, {
      hint: `put the file under ${this.describeRoots()}, or ${this.allowHint}`,
    });
  }
}

/** Whether `p` is `root` or lies below it. */
export function isInside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

/** The real path of the nearest existing ancestor of `p`, with the rest appended. */
function lexicalReal(p: string): string {
  const parts: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return resolve(realpathSync(cur), ...parts.reverse());
    } catch {
      const parent = resolve(cur, '..');
      if (parent === cur) return p;
      parts.push(cur.slice(parent.length).replace(/^[\\/]/, ''));
      cur = parent;
    }
  }
}
