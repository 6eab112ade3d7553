/**
 * Keys for the rows of a table without a PRIMARY KEY: each row inserted is a row of its own
 * (a bag, as SQL's tables are), stored under a key no other row has. Keys grow with the time of
 * the insert (milliseconds, then a count within one), so the table reads in the order its rows
 * came; after a restart the clock has moved on past every key given before.
 */
let last = 0n;

export function freshRowKey(): string {
  let t = BigInt(Date.now()) * 1_000_000n;
  if (t <= last) t = last + 1n;
  last = t;
  // Fixed width: keys compare as their numbers do.
  return `\u0003${t.toString(16).padStart(20, '0')}`;
}
