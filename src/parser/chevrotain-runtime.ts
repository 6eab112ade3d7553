/**
 * chevrotain's runtime, loaded from the single-file build the package ships (lib/chevrotain.mjs)
 * rather than its module tree: the tree imports several hundred lodash-es files, which took about
 * 0.2 s of every start-up of the command line; the single file loads in about 15 ms and is the
 * same code. Every runtime use of chevrotain goes through this module, so one copy is loaded
 * (token types and parser classes from two copies would not match); types still come from
 * 'chevrotain' itself.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Chevrotain = typeof import('chevrotain');

async function load(): Promise<Chevrotain> {
  const entry = createRequire(import.meta.url).resolve('chevrotain');
  const bundle = join(dirname(entry), '..', 'chevrotain.mjs');
  if (existsSync(bundle)) return (await import(pathToFileURL(bundle).href)) as Chevrotain;
  return import('chevrotain');
}

const chevrotain = await load();

export const { CstParser, Lexer, createToken, tokenMatcher } = chevrotain;
