/** ALTER MODEL ... SET (...): a new version of a model, swapped in between batches. */
import { ok, optionsOf } from './definitions.js';
import type { StatementHandler } from './handler.js';

export const alterModel: StatementHandler<'AlterModel'> = async (session, s, text) => {
  session.catalog.model(s.name.name, s.name.span);
  const v = await session.models.alter(s.name.name, optionsOf(s.options), 'sql');
  await session.record.remember('model-alter', s.name.name, text);
  return ok(text, `model ${s.name.name} now at version ${v.number} (${v.provider})`);
};
