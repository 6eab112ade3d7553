/** One vitest test per record of every test/sql/*.slt file; one engine per file. */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SltSession } from './sql/runner.js';

const DIR = fileURLToPath(new URL('./sql/', import.meta.url));
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.slt')).sort();

for (const file of FILES) {
  describe(`sql/${file}`, () => {
    const session = new SltSession(`${DIR}${file}`);
    beforeAll(async () => session.open());
    afterAll(async () => session.close());
    for (const record of session.records) {
      if (record.kind === 'comment') continue;
      const first = record.kind === 'checkpoint' ? 'checkpoint' : record.sql.split('\n')[0];
      it(`${file}:${record.line} ${record.kind} ${first}`, async () => {
        const { actual, expected } = await session.run(record);
        expect(actual).toBe(expected);
      });
    }
  });
}
