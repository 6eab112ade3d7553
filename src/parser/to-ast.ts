/**
 * The CST→AST visitor for statements. The grammar is deliberately a little looser than the
 * language (e.g. it reads any name as a type name); the checks that remain live here and raise
 * SYNTAX_ERROR with a span, like the parser does.
 */
import type { CstNode } from 'chevrotain';
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import type {
  InsertConflict,
  AlterModelStmt, CheckConstraint, ColumnDef, CreateFunctionStmt, CreateModelStmt, CreateSinkStmt, CreateStreamStmt,
  CreateTableStmt, CreateViewStmt, DescribeStmt, DropStmt, ExplainStmt, Ident, InsertStmt, ObjectKind,
  SelectItem, ShowStmt, ShowWhat, Statement, WatermarkDef,
} from './ast.js';
import { type AstContext, astError, node, nodes, onlyChild, optNode, numberText, optToken, token } from './cst-access.js';
import { toExpr } from './to-ast-expr.js';
import { stringValue, toIdent, toIdentList, toOptions } from './to-ast-names.js';
import { fromAndWhere, toSelect, toSelectItem } from './to-ast-query.js';
import { toDataType } from './to-ast-type.js';
import { K } from './lexer.js';

export { toExpr } from './to-ast-expr.js';

/** A `statement` node. */
export function toStatement(n: CstNode, cx: AstContext): Statement {
  const c = onlyChild(n);
  switch (c.name) {
    case 'selectQuery':
      return { kind: 'Query', query: toSelect(c, cx), span: cx.src.nodeSpan(c) };
    case 'createStatement':
      return toCreate(c, cx);
    case 'dropStatement':
      return toDrop(c, cx);
    case 'alterStatement':
      return toAlter(c, cx);
    case 'insertStatement':
      return toInsert(c, cx);
    case 'deleteStatement': {
      const truncate = optToken(c, 'TRUNCATE') ? { truncate: true as const } : {};
      const { from: using, where } = fromAndWhere(optNode(c, 'using'), optNode(c, 'where'), cx);
      return { kind: 'Delete', target: toIdent(node(c, 'target'), cx), ...(using ? { using } : {}), ...(where ? { where } : {}), ...truncate, ...returningOf(c, cx), span: cx.src.nodeSpan(c) };
    }
    case 'updateStatement': {
      const values = nodes(c, 'values');
      const sets = nodes(c, 'columns').map((col, i) => ({ column: toIdent(col, cx), value: toExpr(values[i]!, cx) }));
      const { from, where } = fromAndWhere(optNode(c, 'from'), optNode(c, 'where'), cx);
      return { kind: 'Update', target: toIdent(node(c, 'target'), cx), sets, ...(from ? { from } : {}), ...(where ? { where } : {}), ...returningOf(c, cx), span: cx.src.nodeSpan(c) };
    }
    case 'showStatement':
      return toShow(c, cx);
    case 'describeStatement':
      return toDescribe(c, cx);
    case 'explainStatement':
      return toExplain(c, cx);
    default:
      throw new SluiceError('INTERNAL', `parser: unexpected statement ${c.name}`);
  }
}

type CreateStmt = CreateStreamStmt | CreateTableStmt | CreateModelStmt | CreateFunctionStmt | CreateViewStmt | CreateSinkStmt;

const CREATE_RULES = ['createStream', 'createTable', 'createModel', 'createFunction', 'createView', 'createSink'];

function toCreate(n: CstNode, cx: AstContext): CreateStmt {
  const body = CREATE_RULES.map((r) => optNode(n, r)).find((b) => b !== undefined);
  if (!body) throw new SluiceError('INTERNAL', 'parser: CREATE without a body');
  const span = cx.src.nodeSpan(n);
  const orReplace = optToken(n, 'or');
  const ifNotExists = optNode(n, 'ifNotExistsBefore') !== undefined || optNode(body, 'ifNotExists') !== undefined;
  const logicalView = body.name === 'createView' && !optToken(body, 'materialized');
  const temp = optToken(n, 'temp');
  if (temp && body.name !== 'createTable' && body.name !== 'createView') {
    throw astError(`${temp.image.toUpperCase()} goes with CREATE TABLE and CREATE VIEW`, cx.src.tokenSpan(temp), 'leave it out');
  }
  if (orReplace && body.name !== 'createFunction' && body.name !== 'createTable' && !logicalView) {
    throw astError('OR REPLACE is only supported for CREATE TABLE, CREATE FUNCTION and CREATE VIEW', cx.src.tokenSpan(orReplace), 'use DROP and CREATE, or ALTER MODEL ... SET for models');
  }
  if (orReplace && ifNotExists) throw astError('CREATE OR REPLACE with IF NOT EXISTS says two things', cx.src.tokenSpan(orReplace), 'write one of them');
  const name = toIdent(node(body, 'name'), cx);
  const options = toOptions(optNode(body, 'withOptions'), cx);
  switch (body.name) {
    case 'createStream': {
      const { columns, watermark, checks } = toTableElements(body, cx, false);
      return { kind: 'CreateStream', name, ifNotExists, columns, ...(watermark ? { watermark } : {}), ...(checks.length ? { checks } : {}), options, span };
    }
    case 'createTable': {
      const query = optNode(body, 'selectQuery');
      const replace = orReplace ? { orReplace: true as const } : {};
      if (query) return { kind: 'CreateTable', name, ifNotExists, ...replace, columns: [], primaryKey: [], options, query: toSelect(query, cx), span };
      const { columns, watermark, primaryKey, checks, unique } = toTableElements(body, cx, true);
      return { kind: 'CreateTable', name, ifNotExists, ...replace, columns, primaryKey, ...(watermark ? { watermark } : {}), ...(checks.length ? { checks } : {}), ...(unique.length ? { unique } : {}), options, span };
    }
    case 'createModel':
      return {
        kind: 'CreateModel',
        name,
        ifNotExists,
        inputs: toColumnDefs(node(body, 'inputs'), cx),
        outputs: toColumnDefs(node(body, 'outputs'), cx),
        options,
        span,
      };
    case 'createFunction':
      return toCreateFunction(body, cx, name, orReplace !== undefined, ifNotExists, span);
    case 'createView': {
      const query = toSelect(node(body, 'selectQuery'), cx);
      const columnList = optNode(body, 'columns');
      if (!logicalView) {
        if (columnList) throw astError('a materialized view names its columns in its SELECT', cx.src.nodeSpan(columnList), 'write SELECT x AS a, y AS b ...');
        return { kind: 'CreateMaterializedView', name, ifNotExists, options, query, span };
      }
      if (options.length) throw astError('a view that is not materialized takes no WITH options', cx.src.nodeSpan(node(body, 'withOptions')), 'write CREATE MATERIALIZED VIEW for a view kept by key, with options');
      const columns = columnList ? nodes(columnList, 'names').map((x) => toIdent(x, cx)) : undefined;
      return { kind: 'CreateMaterializedView', name, ifNotExists, options, query, logical: true, ...(orReplace ? { orReplace: true as const } : {}), ...(columns ? { columns } : {}), span };
    }
    case 'createSink':
      return { kind: 'CreateSink', name, ifNotExists, options, query: toSelect(node(body, 'selectQuery'), cx), span };
    default:
      throw new SluiceError('INTERNAL', `parser: unexpected create ${body.name}`);
  }
}

function toCreateFunction(
  n: CstNode, cx: AstContext, name: Ident, orReplace: boolean, ifNotExists: boolean, span: CreateFunctionStmt['span'],
): CreateFunctionStmt {
  if (ifNotExists) throw astError('IF NOT EXISTS is not supported for CREATE FUNCTION', span, 'use CREATE OR REPLACE FUNCTION');
  const types = nodes(n, 'paramTypes');
  const params = nodes(n, 'paramNames').map((p, i) => ({ name: toIdent(p, cx), type: toDataType(types[i]!, cx) }));
  const bodyTok = optToken(n, 'body');
  return {
    kind: 'CreateFunction',
    name,
    orReplace,
    params,
    returns: toDataType(node(n, 'returns'), cx),
    language: toIdent(node(n, 'language'), cx).name.toLowerCase(),
    ...(bodyTok ? { body: stringValue(bodyTok) } : {}),
    options: toOptions(optNode(n, 'withOptions'), cx),
    span,
  };
}

function toColumnDef(n: CstNode, cx: AstContext): ColumnDef {
  const values = nodes(n, 'defaultValue');
  if (values.length > 1) throw astError('DEFAULT is given twice', cx.src.nodeSpan(values[1]!));
  return {
    name: toIdent(node(n, 'name'), cx),
    type: toDataType(node(n, 'dataType'), cx),
    notNull: optToken(n, 'notNull') !== undefined,
    primaryKey: optToken(n, 'primaryKey') !== undefined,
    ...(values[0] ? { default: toExpr(values[0], cx) } : {}),
    span: cx.src.nodeSpan(n),
  };
}

/** Model INPUT/OUTPUT lists: plain columns, no keys. */
function toColumnDefs(n: CstNode, cx: AstContext): ColumnDef[] {
  return nodes(n, 'columns').map((c) => {
    const pk = optToken(c, 'primaryKey');
    if (pk) throw astError('PRIMARY KEY is not allowed in a model signature', cx.src.tokenSpan(pk));
    const d = optToken(c, 'default');
    if (d) throw astError('DEFAULT is not allowed in a model signature', cx.src.tokenSpan(d));
    return toColumnDef(c, cx);
  });
}

interface TableElements {
  readonly columns: ColumnDef[];
  readonly watermark?: WatermarkDef;
  readonly primaryKey: Ident[];
  readonly checks: CheckConstraint[];
  readonly unique: Ident[][];
}

function toTableElements(n: CstNode, cx: AstContext, isTable: boolean): TableElements {
  const columns: ColumnDef[] = [];
  let watermark: WatermarkDef | undefined;
  let tableKey: Ident[] | undefined;
  const checks: CheckConstraint[] = [];
  const unique: Ident[][] = [];
  const noUnique = (span: Span) => astError('a stream has no UNIQUE columns: it is a log of every record', span, 'use CREATE TABLE with a PRIMARY KEY or UNIQUE for rows that must differ');
  for (const el of nodes(node(n, 'tableElements'), 'elements')) {
    const c = onlyChild(el);
    const span = cx.src.nodeSpan(c);
    if (c.name === 'columnDef') {
      const pk = optToken(c, 'primaryKey');
      if (pk && !isTable) throw astError('a stream has no PRIMARY KEY', cx.src.tokenSpan(pk), "use CREATE TABLE for keyed data, or WITH (key = '...') to partition a stream");
      columns.push(toColumnDef(c, cx));
      for (const cond of nodes(c, 'check')) checks.push({ cond: toExpr(cond, cx), span: cx.src.nodeSpan(cond) });
      const u = optToken(c, 'unique');
      if (u && !isTable) throw noUnique(cx.src.tokenSpan(u));
      if (u) unique.push([columns[columns.length - 1]!.name]);
    } else if (c.name === 'uniqueDef') {
      if (!isTable) throw noUnique(span);
      unique.push(toIdentList(node(c, 'identifierList'), cx));
    } else if (c.name === 'checkDef') {
      const name = optNode(c, 'constraint');
      checks.push({ ...(name ? { name: toIdent(name, cx) } : {}), cond: toExpr(node(c, 'check'), cx), span });
    } else if (c.name === 'watermarkDef') {
      if (watermark) throw astError('only one WATERMARK may be declared', span);
      watermark = { column: toIdent(node(c, 'column'), cx), expr: toExpr(node(c, 'expression'), cx), span };
    } else {
      if (!isTable) throw astError('a stream has no PRIMARY KEY', span, "use CREATE TABLE for keyed data, or WITH (key = '...') to partition a stream");
      if (tableKey) throw astError('PRIMARY KEY is declared twice', span);
      tableKey = toIdentList(node(c, 'identifierList'), cx);
    }
  }
  const columnKey = columns.filter((c) => c.primaryKey);
  if (tableKey && columnKey.length > 0) throw astError('PRIMARY KEY is declared twice', columnKey[0]!.span, 'declare it on the column or in a PRIMARY KEY (...) clause, not both');
  if (columnKey.length > 1) throw astError('more than one column is marked PRIMARY KEY', columnKey[1]!.span, 'for a composite key write PRIMARY KEY (a, b)');
  const primaryKey = tableKey ?? columnKey.map((c) => c.name);
  return watermark ? { columns, watermark, primaryKey, checks, unique } : { columns, primaryKey, checks, unique };
}

function toObjectKind(n: CstNode): ObjectKind {
  const word = token(n, 'kind').tokenType.name;
  return word === 'MATERIALIZED' || word === 'VIEW' ? 'MATERIALIZED VIEW' : (word as ObjectKind);
}

function toDrop(n: CstNode, cx: AstContext): DropStmt {
  return {
    kind: 'Drop',
    objectKind: toObjectKind(node(n, 'objectKind')),
    name: toIdent(node(n, 'name'), cx),
    ifExists: optToken(n, 'ifExists') !== undefined,
    span: cx.src.nodeSpan(n),
  };
}

function toAlter(n: CstNode, cx: AstContext): AlterModelStmt {
  const base = { kind: 'AlterModel', name: toIdent(node(n, 'name'), cx), span: cx.src.nodeSpan(n) } as const;
  const list = optNode(n, 'optionList');
  if (list) return { ...base, action: optToken(n, 'candidate') ? 'candidate' : 'set', options: toOptions(list, cx) };
  if (optToken(n, 'promote')) return { ...base, action: 'promote', options: [] };
  if (optToken(n, 'dropCandidate')) return { ...base, action: 'drop candidate', options: [] };
  const v = token(n, 'version');
  return { ...base, action: 'rollback', options: [], version: { value: Number(numberText(v)), span: cx.src.tokenSpan(v) } };
}

/** OR REPLACE, OR IGNORE, ON CONFLICT ... of an INSERT. */
function conflictOf(n: CstNode, cx: AstContext): { conflict?: InsertConflict } {
  const or = optToken(n, 'orReplace') ?? optToken(n, 'orIgnore');
  const on = optNode(n, 'conflict');
  if (or && on) throw astError('write OR REPLACE / OR IGNORE or ON CONFLICT, not both', cx.src.nodeSpan(on));
  if (or) return { conflict: { action: or.tokenType === K.REPLACE ? 'replace' : 'nothing', span: cx.src.tokenSpan(or) } };
  if (!on) return {};
  const span = cx.src.nodeSpan(on);
  if (optToken(on, 'nothing')) return { conflict: { action: 'nothing', span } };
  const values = nodes(on, 'setValues');
  const sets = nodes(on, 'setColumns').map((c, i) => ({ column: toIdent(c, cx), value: toExpr(values[i]!, cx) }));
  const where = optNode(on, 'where');
  return { conflict: { action: 'update', sets, ...(where ? { where: toExpr(where, cx) } : {}), span } };
}

function toInsert(n: CstNode, cx: AstContext): InsertStmt {
  const cols = optNode(n, 'columns');
  const defaults = optToken(n, 'defaultValues');
  const byName = optToken(n, 'byNameWord');
  if (byName && (byName.image.toUpperCase() !== 'NAME' || cols || !optNode(n, 'query'))) {
    throw astError(byName.image.toUpperCase() !== 'NAME' ? `unexpected '${byName.image}' after INSERT INTO ... BY` : 'INSERT ... BY NAME takes a query and no column list', cx.src.tokenSpan(byName), 'write INSERT INTO t BY NAME SELECT a, b FROM ...');
  }
  if (defaults && cols) throw astError('INSERT ... DEFAULT VALUES takes no column list', cx.src.tokenSpan(defaults), 'write INSERT INTO t DEFAULT VALUES, or INSERT INTO t (a, b) VALUES (...)');
  if (defaults) return { kind: 'Insert', target: toIdent(node(n, 'target'), cx), columns: [], rows: [[]], ...conflictOf(n, cx), ...returningOf(n, cx), span: cx.src.nodeSpan(n) };
  return {
    kind: 'Insert',
    target: toIdent(node(n, 'target'), cx),
    ...(cols ? { columns: toIdentList(cols, cx) } : {}),
    rows: nodes(n, 'rows').map((r) => nodes(r, 'values').map((v) => toExpr(v, cx))),
    ...(optNode(n, 'query') ? { query: toSelect(node(n, 'query'), cx) } : {}),
    ...(byName ? { byName: true as const } : {}),
    ...conflictOf(n, cx),
    ...returningOf(n, cx),
    span: cx.src.nodeSpan(n),
  };
}

/** The RETURNING items of an INSERT, UPDATE or DELETE, if it has them. */
function returningOf(n: CstNode, cx: AstContext): { returning?: SelectItem[] } {
  const r = optNode(n, 'returning');
  return r ? { returning: nodes(r, 'items').map((i) => toSelectItem(i, cx)) } : {};
}

function toShow(n: CstNode, cx: AstContext): ShowStmt {
  return { kind: 'Show', what: token(n, 'what').tokenType.name as ShowWhat, span: cx.src.nodeSpan(n) };
}

function toDescribe(n: CstNode, cx: AstContext): DescribeStmt {
  const k = optNode(n, 'objectKind');
  return {
    kind: 'Describe',
    ...(k ? { objectKind: toObjectKind(k) } : {}),
    name: toIdent(node(n, 'name'), cx),
    span: cx.src.nodeSpan(n),
  };
}

function toExplain(n: CstNode, cx: AstContext): ExplainStmt {
  const span = cx.src.nodeSpan(n);
  const verbose = optToken(n, 'VERBOSE') ? { verbose: true } : {};
  const select = optNode(n, 'selectQuery');
  if (select) return { kind: 'Explain', statement: { kind: 'Query', query: toSelect(select, cx), span: cx.src.nodeSpan(select) }, span, ...verbose };
  const create = toCreate(node(n, 'createStatement'), cx);
  if (create.kind !== 'CreateMaterializedView' && create.kind !== 'CreateSink') {
    throw astError('EXPLAIN takes a SELECT, CREATE MATERIALIZED VIEW or CREATE SINK', create.span);
  }
  return { kind: 'Explain', statement: create, span, ...verbose };
}
