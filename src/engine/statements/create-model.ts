/** CREATE MODEL: declares a model's signature and registers its first version from a file. */
import { SluiceError, throwIfCancelled } from '../../common/errors.js';
import { fieldsOf, ok, optionsOf } from './definitions.js';
import type { StatementHandler } from './handler.js';
import { modelLive } from '../prediction-log.js';
import { ensurePredictionLog } from './model-rollout.js';

export const createModel: StatementHandler<'CreateModel'> = async (session, s, text, opts) => {
  if (s.ifNotExists && session.models.has(s.name.name)) return ok(text, `model ${s.name.name} already exists`);
  const inputs = fieldsOf(s.inputs);
  const outputs = fieldsOf(s.outputs);
  const v = await session.models.register(s.name.name, inputs, outputs, optionsOf(s.options), 'sql').catch((e: unknown) => {
    throw e instanceof SluiceError && !e.span ? new SluiceError(e.code, e.message, { span: s.name.span, ...(e.hint ? { hint: e.hint } : {}) }) : e;
  });
  if (opts.signal?.aborted) {
    // Loading the file is the long part: a call cancelled meanwhile leaves no model behind.
    await session.models.drop(s.name.name);
    throwIfCancelled(opts.signal, `loading model ${s.name.name}`, s.name.span);
  }
  session.catalog.setModel({ name: s.name.name, inputs, outputs, live: modelLive(session.models, s.name.name), ...(v.reference ? { reference: v.reference } : {}) });
  await session.record.remember('model', s.name.name, text);
  await ensurePredictionLog(session, s.name.name);
  return ok(text, `model ${s.name.name} version ${v.number} registered (${v.provider})`);
};
