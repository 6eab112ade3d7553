#!/usr/bin/env node
// Runs the TypeScript command line (src/cli/main.ts) through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
