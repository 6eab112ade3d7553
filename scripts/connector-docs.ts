/**
 * Writes docs/connectors.md from the connectors' option declarations.
 *
 *   npx tsx scripts/connector-docs.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectorDocs } from '../src/connectors/connector-docs.js';

const out = fileURLToPath(new URL('../docs/connectors.md', import.meta.url));
writeFileSync(out, connectorDocs());
console.log(`wrote ${out}`);
