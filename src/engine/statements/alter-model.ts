/**
 * ALTER MODEL: SET (...) makes a new serving version, swapped in between batches; SET CANDIDATE,
 * PROMOTE, ROLLBACK TO VERSION n and DROP CANDIDATE roll a model out (statements/model-rollout.ts).
 */
import { SluiceError } from '../../common/errors.js';
import { ok, optionsOf } from './definitions.js';
import type { StatementHandler } from './handler.js';
import { changeModel, ensurePredictionLog, rememberServing } from './model-rollout.js';

export const alterModel: StatementHandler<'AlterModel'> = async (session, s, text) => {
  // SET is recorded as the serving version's full options (rememberServing), not as its text.
  const name = s.name.name;
  session.catalog.model(name, s.name.span);
  switch (s.action) {
    case 'set': {
      const v = await session.models.alter(name, optionsOf(s.options), 'sql');
      await rememberServing(session, name, v);
      await ensurePredictionLog(session, name);
      return ok(text, `model ${name} now at version ${v.number} (${v.provider})`);
    }
    case 'candidate':
      return ok(text, (await changeModel(session, name, { kind: 'candidate', options: optionsOf(s.options) }, { by: 'sql' }, text)).message);
    case 'rollback':
      if (!session.models.hasVersion(name, s.version!.value)) {
        throw new SluiceError('UNKNOWN_VERSION', `model '${name}' has no version ${s.version!.value}`, { span: s.version!.span, hint: `DESCRIBE MODEL ${name} lists its versions` });
      }
      return ok(text, (await changeModel(session, name, { kind: 'rollback', version: s.version!.value }, { by: 'sql' })).message);
    default:
      return ok(text, (await changeModel(session, name, { kind: s.action }, { by: 'sql' })).message);
  }
};
