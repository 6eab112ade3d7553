/**
 * ALTER MODEL: SET (...) makes a new serving version, swapped in between batches; SET CANDIDATE,
 * PROMOTE, ROLLBACK TO VERSION n and DROP CANDIDATE roll a model out (statements/model-rollout.ts).
 */
import { SluiceError } from '../../common/errors.js';
import { ok, optionsOf } from './definitions.js';
import type { StatementHandler } from './handler.js';
import { changeModel, ensurePredictionLog, rememberServing } from './model-rollout.js';
import { applyQualityOptions, atOption, splitQualityOptions } from '../model-quality.js';
import { guardText, parseGuardOptions, setGuard, splitGuardOptions } from '../model-guard.js';
import type { Session } from '../session.js';

export const alterModel: StatementHandler<'AlterModel'> = async (session, s, text) => {
  // SET is recorded as the serving version's full options (rememberServing), not as its text.
  const name = s.name.name;
  session.catalog.model(name, s.name.span);
  switch (s.action) {
    case 'set': {
      // Labels and quality options join labels to the prediction log; they load no version.
      const { quality, rest } = splitQualityOptions(optionsOf(s.options));
      if (Object.keys(quality).length) {
        const done = await applyQualityOptions(session, session.catalog.model(name), quality).catch((e: unknown) => {
          throw atOption(e, s.options, s.name.span);
        });
        if (Object.keys(rest).length === 0) return ok(text, done);
      }
      const v = await session.models.alter(name, rest, 'sql');
      await rememberServing(session, name, v);
      await ensurePredictionLog(session, name);
      refreshReference(session, name);
      return ok(text, `model ${name} now at version ${v.number} (${v.provider})`);
    }
    case 'candidate': {
      // 'promote.*' and 'rollback.*' guard the candidate (model-guard.ts); the rest make it.
      const { guard, rest } = splitGuardOptions(optionsOf(s.options));
      const guarded = (() => {
        try {
          return parseGuardOptions(guard);
        } catch (e) {
          throw atOption(e, s.options, s.name.span);
        }
      })();
      const message = (await changeModel(session, name, { kind: 'candidate', options: rest }, { by: 'sql' }, text)).message;
      setGuard(session.catalog, name, guard);
      return ok(text, Object.keys(guard).length ? `${message}; guarded (${guardText(guarded)})` : message);
    }
    case 'rollback':
      if (!session.models.hasVersion(name, s.version!.value)) {
        throw new SluiceError('UNKNOWN_VERSION', `model '${name}' has no version ${s.version!.value}`, { span: s.version!.span, hint: `DESCRIBE MODEL ${name} lists its versions` });
      }
      return withReference(session, name, ok(text, (await changeModel(session, name, { kind: 'rollback', version: s.version!.value }, { by: 'sql' })).message));
    default:
      return withReference(session, name, ok(text, (await changeModel(session, name, { kind: s.action }, { by: 'sql' })).message));
  }
};

/** The serving version may have changed: PSI in SQL compares with its reference. */
function refreshReference(session: Session, name: string): void {
  const { reference: _before, ...sig } = session.catalog.model(name);
  const reference = session.models.get(name).reference;
  session.catalog.setModel({ ...sig, ...(reference ? { reference } : {}) });
}

function withReference<T>(session: Session, name: string, result: T): T {
  refreshReference(session, name);
  return result;
}
