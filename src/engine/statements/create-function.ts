/** CREATE [OR REPLACE] FUNCTION: a scalar function in a sandbox (or a trusted module). */
import { refuseIfRead } from '../readers.js';
import { ok, optionsOf } from './definitions.js';
import type { StatementHandler } from './handler.js';

export const createFunction: StatementHandler<'CreateFunction'> = async (session, s, text) => {
  if (s.orReplace && session.functions.find(s.name.name) && !session.record.replaying) {
    refuseIfRead(session.catalog, 'functions', s.name, 'replace', 'function', 'or create the new version under another name');
  }
  const params = s.params.map((p) => ({ name: p.name.name, type: p.type, nullable: true }));
  const options = optionsOf(s.options);
  await session.functions.create(
    {
      name: s.name.name,
      params,
      returns: s.returns,
      language: s.language,
      ...(s.body !== undefined ? { body: s.body } : {}),
      ...(options['module'] !== undefined ? { module: String(options['module']) } : {}),
      ...(options['export'] !== undefined ? { exportName: String(options['export']) } : {}),
    },
    s.orReplace,
  );
  session.catalog.setFunction({ name: s.name.name, params, returns: s.returns });
  await session.record.remember('function', s.name.name, text);
  return ok(text, `function ${s.name.name} created`);
};
