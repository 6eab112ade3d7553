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

export const { CstParser, Lexer, createToken, tokenMatcher, LLkLookaheadStrategy } = chevrotain;

type LookaheadStrategy = import('chevrotain').ILookaheadStrategy;
type AlternationLookahead = ReturnType<LookaheadStrategy['buildLookaheadForAlternation']>;
type OptionalLookahead = ReturnType<LookaheadStrategy['buildLookaheadForOptional']>;

/**
 * chevrotain's LL(k) lookahead, each decision's function built the first time a parse reaches it
 * instead of all of them when the parser is built: computing the lookahead paths of every
 * alternative and option of the grammar was about two thirds of the parser's construction (some
 * 100 ms of every start-up), and a statement reaches a small part of the grammar. The functions
 * are the ones chevrotain builds, from the same rules, so parses are the same; the grammar checks
 * (`validate`) are chevrotain's own.
 */
export function lazyLookahead(maxLookahead: number): LookaheadStrategy {
  const llk = new LLkLookaheadStrategy({ maxLookahead });
  return {
    validate: (options) => llk.validate(options),
    buildLookaheadForAlternation(options) {
      let built: AlternationLookahead | undefined;
      // Called with the parser as `this`, as chevrotain calls the function it stands for.
      return function (this: unknown, orAlts) {
        built ??= llk.buildLookaheadForAlternation(options);
        return built.call(this, orAlts);
      };
    },
    buildLookaheadForOptional(options) {
      let built: OptionalLookahead | undefined;
      return function (this: unknown) {
        built ??= llk.buildLookaheadForOptional(options);
        return built.call(this);
      };
    },
  };
}
