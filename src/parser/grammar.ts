/**
 * The CST parser of the SQL dialect (DESIGN.md §2). Rules only recognise structure and label
 * their parts; all interpretation (types, literals, checks) happens in the CST→AST visitor.
 * Create no instances of your own: use `sqlParser`, which is built once.
 */
import { CstParser, lazyLookahead, tokenMatcher } from './chevrotain-runtime.js';
import type { IToken } from 'chevrotain';
import {
  allTokens, Colon, Comma, ComparisonOperator, Concat, DecimalLiteral, Dot, DoubleColon, Equals, Greater, Identifier,
  IntegerLiteral, K, LBracket, LCurly, Less, LParen, Minus, Percent, Plus, RBracket, RCurly, RParen, Semicolon, Slash, DoubleSlash, Caret, StartsWith, Arrow, LongArrow, Ampersand, Pipe,
  Star, StringLiteral, Tilde, TimeUnit, TrimSide, Word, MatchOperator,
} from './lexer.js';

export class SqlParser extends CstParser {
  /**
   * `validate` runs chevrotain's grammar checks (ambiguous alternatives, left recursion); they
   * take most of the parser's construction time and the grammar is fixed, so the engine skips
   * them and a test builds a validated parser. Lookahead functions are built on first use (see
   * lazyLookahead).
   */
  constructor(validate = false) {
    super(allTokens, { maxLookahead: 3, lookaheadStrategy: lazyLookahead(3), recoveryEnabled: false, nodeLocationTracking: 'onlyOffset', skipValidations: !validate });
    this.performSelfAnalysis();
  }

  // ------------------------------------------------------------ scripts and statements

  /** `stmt (; stmt)*` where statements may be empty. */
  readonly script = this.RULE('script', () => {
    this.OPTION(() => this.SUBRULE(this.statement, { LABEL: 'statements' }));
    this.MANY(() => {
      this.CONSUME(Semicolon);
      this.OPTION2(() => this.SUBRULE2(this.statement, { LABEL: 'statements' }));
    });
  });

  readonly statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.selectQuery) },
      { ALT: () => this.SUBRULE(this.createStatement) },
      { ALT: () => this.SUBRULE(this.dropStatement) },
      { ALT: () => this.SUBRULE(this.alterStatement) },
      { ALT: () => this.SUBRULE(this.insertStatement) },
      { ALT: () => this.SUBRULE(this.deleteStatement) },
      { ALT: () => this.SUBRULE(this.updateStatement) },
      { ALT: () => this.SUBRULE(this.showStatement) },
      { ALT: () => this.SUBRULE(this.describeStatement) },
      { ALT: () => this.SUBRULE(this.explainStatement) },
    ]);
  });

  readonly createStatement = this.RULE('createStatement', () => {
    this.CONSUME(K.CREATE);
    this.OPTION(() => {
      this.CONSUME(K.OR, { LABEL: 'or' });
      this.CONSUME(K.REPLACE);
    });
    this.OPTION2(() => this.SUBRULE(this.ifNotExists, { LABEL: 'ifNotExistsBefore' }));
    // CREATE TEMP TABLE / TEMPORARY VIEW (DuckDB, PostgreSQL): accepted, kept as any other (to-ast.ts).
    this.OPTION3(() => this.OR2([{ ALT: () => this.CONSUME(K.TEMP, { LABEL: 'temp' }) }, { ALT: () => this.CONSUME(K.TEMPORARY, { LABEL: 'temp' }) }]));
    this.OR([
      { ALT: () => this.SUBRULE(this.createStream) },
      { ALT: () => this.SUBRULE(this.createTable) },
      { ALT: () => this.SUBRULE(this.createModel) },
      { ALT: () => this.SUBRULE(this.createFunction) },
      { ALT: () => this.SUBRULE(this.createView) },
      { ALT: () => this.SUBRULE(this.createSink) },
    ]);
  });

  readonly ifNotExists = this.RULE('ifNotExists', () => {
    this.CONSUME(K.IF);
    this.CONSUME(K.NOT);
    this.CONSUME(K.EXISTS);
  });

  readonly createStream = this.RULE('createStream', () => {
    this.CONSUME(K.STREAM);
    this.OPTION(() => this.SUBRULE(this.ifNotExists));
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    this.SUBRULE(this.tableElements);
    this.OPTION2(() => this.SUBRULE(this.withOptions));
  });

  readonly createTable = this.RULE('createTable', () => {
    this.CONSUME(K.TABLE);
    this.OPTION(() => this.SUBRULE(this.ifNotExists));
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.tableElements);
          this.OPTION2(() => this.SUBRULE(this.withOptions));
        },
      },
      // CREATE TABLE t AS SELECT ...: a table of the query's rows now.
      {
        ALT: () => {
          this.CONSUME(K.AS);
          this.SUBRULE(this.selectQuery);
        },
      },
    ]);
  });

  readonly tableElements = this.RULE('tableElements', () => {
    this.CONSUME(LParen);
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.tableElement, { LABEL: 'elements' }) });
    this.CONSUME(RParen);
  });

  readonly tableElement = this.RULE('tableElement', () => {
    // The gates choose among words that may also name a column (WATERMARK, CHECK, CONSTRAINT,
    // UNIQUE); one token of lookahead spares the analysis of every path through a column's CHECK
    // and DEFAULT expressions (about 140 ms of the parser's construction).
    this.OR({
      MAX_LOOKAHEAD: 1,
      DEF: [
      { GATE: () => tokenMatcher(this.LA(1), K.WATERMARK) && tokenMatcher(this.LA(2), K.FOR), ALT: () => this.SUBRULE(this.watermarkDef) },
      { ALT: () => this.SUBRULE(this.primaryKeyDef) },
      // [CONSTRAINT name] CHECK (cond): CHECK and CONSTRAINT are names too; a column's name is followed by its type.
      {
        GATE: () => (tokenMatcher(this.LA(1), K.CHECK) && this.LA(2).tokenType === LParen) || (tokenMatcher(this.LA(1), K.CONSTRAINT) && tokenMatcher(this.LA(3), K.CHECK)),
        ALT: () => this.SUBRULE(this.checkDef),
      },
      {
        GATE: () => (tokenMatcher(this.LA(1), K.UNIQUE) && this.LA(2).tokenType === LParen) || (tokenMatcher(this.LA(1), K.CONSTRAINT) && tokenMatcher(this.LA(3), K.UNIQUE)),
        ALT: () => this.SUBRULE(this.uniqueDef),
      },
      { ALT: () => this.SUBRULE(this.columnDef) },
      ],
    });
  });

  /** `[CONSTRAINT name] UNIQUE (a, b)`: no two rows of a table share those values (NULLs apart). */
  readonly uniqueDef = this.RULE('uniqueDef', () => {
    this.OPTION(() => {
      this.CONSUME(K.CONSTRAINT);
      this.SUBRULE(this.identifier, { LABEL: 'constraint' });
    });
    this.CONSUME(K.UNIQUE);
    this.SUBRULE(this.identifierList);
  });

  /** `[CONSTRAINT name] CHECK (cond)`: what every row written must not make FALSE. */
  readonly checkDef = this.RULE('checkDef', () => {
    this.OPTION(() => {
      this.CONSUME(K.CONSTRAINT);
      this.SUBRULE(this.identifier, { LABEL: 'constraint' });
    });
    this.CONSUME(K.CHECK);
    this.CONSUME(LParen);
    this.SUBRULE(this.expression, { LABEL: 'check' });
    this.CONSUME(RParen);
  });

  readonly watermarkDef = this.RULE('watermarkDef', () => {
    this.CONSUME(K.WATERMARK);
    this.CONSUME(K.FOR);
    this.SUBRULE(this.identifier, { LABEL: 'column' });
    this.CONSUME(K.AS);
    this.SUBRULE(this.expression);
  });

  readonly primaryKeyDef = this.RULE('primaryKeyDef', () => {
    this.CONSUME(K.PRIMARY);
    this.CONSUME(K.KEY);
    this.SUBRULE(this.identifierList);
  });

  readonly columnDef = this.RULE('columnDef', () => {
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    this.SUBRULE(this.dataType);
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(K.NOT, { LABEL: 'notNull' });
            this.CONSUME(K.NULL);
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.PRIMARY, { LABEL: 'primaryKey' });
            this.CONSUME(K.KEY);
          },
        },
        { ALT: () => this.CONSUME(K.UNIQUE, { LABEL: 'unique' }) },
        // CHECK (cond) of a column.
        {
          ALT: () => {
            this.CONSUME(K.CHECK, { LABEL: 'checkWord' });
            this.CONSUME(LParen);
            this.SUBRULE(this.expression, { LABEL: 'check' });
            this.CONSUME(RParen);
          },
        },
        // DEFAULT value: what an INSERT that leaves the column out writes.
        {
          ALT: () => {
            this.CONSUME(K.DEFAULT, { LABEL: 'default' });
            this.SUBRULE(this.arithmetic, { LABEL: 'defaultValue' });
          },
        },
      ]);
    });
  });

  readonly columnDefList = this.RULE('columnDefList', () => {
    this.CONSUME(LParen);
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.columnDef, { LABEL: 'columns' }) });
    this.CONSUME(RParen);
  });

  readonly createModel = this.RULE('createModel', () => {
    this.CONSUME(K.MODEL);
    this.OPTION(() => this.SUBRULE(this.ifNotExists));
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    this.CONSUME(K.INPUT);
    this.SUBRULE(this.columnDefList, { LABEL: 'inputs' });
    this.CONSUME(K.OUTPUT);
    this.SUBRULE2(this.columnDefList, { LABEL: 'outputs' });
    this.OPTION2(() => this.SUBRULE(this.withOptions));
  });

  readonly createFunction = this.RULE('createFunction', () => {
    this.CONSUME(K.FUNCTION);
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    this.CONSUME(LParen);
    this.MANY_SEP({
      SEP: Comma,
      DEF: () => {
        this.SUBRULE2(this.identifier, { LABEL: 'paramNames' });
        this.SUBRULE(this.dataType, { LABEL: 'paramTypes' });
      },
    });
    this.CONSUME(RParen);
    this.CONSUME(K.RETURNS);
    this.SUBRULE2(this.dataType, { LABEL: 'returns' });
    this.CONSUME(K.LANGUAGE);
    this.SUBRULE3(this.identifier, { LABEL: 'language' });
    this.OPTION(() => {
      this.CONSUME(K.AS);
      this.CONSUME(StringLiteral, { LABEL: 'body' });
    });
    this.OPTION2(() => this.SUBRULE(this.withOptions));
  });

  /** `MATERIALIZED VIEW name [WITH (...)] AS query`, or `VIEW name [(columns)] AS query` (a logical view). */
  readonly createView = this.RULE('createView', () => {
    this.OPTION3(() => this.CONSUME(K.MATERIALIZED, { LABEL: 'materialized' }));
    this.CONSUME(K.VIEW);
    this.OPTION(() => this.SUBRULE(this.ifNotExists));
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    this.OPTION4(() => this.SUBRULE(this.identifierList, { LABEL: 'columns' }));
    this.OPTION2(() => this.SUBRULE(this.withOptions));
    this.CONSUME(K.AS);
    this.SUBRULE(this.selectQuery);
  });

  readonly createSink = this.RULE('createSink', () => {
    this.CONSUME(K.SINK);
    this.OPTION(() => this.SUBRULE(this.ifNotExists));
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    this.OPTION2(() => this.SUBRULE(this.withOptions));
    this.CONSUME(K.AS);
    this.SUBRULE(this.selectQuery);
  });

  readonly dropStatement = this.RULE('dropStatement', () => {
    this.CONSUME(K.DROP);
    this.SUBRULE(this.objectKind);
    this.OPTION(() => {
      this.CONSUME(K.IF, { LABEL: 'ifExists' });
      this.CONSUME(K.EXISTS);
    });
    this.SUBRULE(this.identifier, { LABEL: 'name' });
  });

  readonly objectKind = this.RULE('objectKind', () => {
    this.OR([
      { ALT: () => this.CONSUME(K.STREAM, { LABEL: 'kind' }) },
      { ALT: () => this.CONSUME(K.TABLE, { LABEL: 'kind' }) },
      { ALT: () => this.CONSUME(K.MODEL, { LABEL: 'kind' }) },
      { ALT: () => this.CONSUME(K.FUNCTION, { LABEL: 'kind' }) },
      {
        ALT: () => {
          this.CONSUME(K.MATERIALIZED, { LABEL: 'kind' });
          this.CONSUME(K.VIEW);
        },
      },
      { ALT: () => this.CONSUME2(K.VIEW, { LABEL: 'kind' }) },
      { ALT: () => this.CONSUME(K.SINK, { LABEL: 'kind' }) },
      { ALT: () => this.CONSUME(K.QUERY, { LABEL: 'kind' }) },
    ]);
  });

  readonly alterStatement = this.RULE('alterStatement', () => {
    this.CONSUME(K.ALTER);
    this.CONSUME(K.MODEL);
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    this.OR([
      {
        ALT: () => {
          this.CONSUME(K.SET);
          this.OPTION(() => this.CONSUME(K.CANDIDATE, { LABEL: 'candidate' }));
          this.SUBRULE(this.optionList);
        },
      },
      { ALT: () => this.CONSUME(K.PROMOTE, { LABEL: 'promote' }) },
      {
        ALT: () => {
          this.CONSUME(K.ROLLBACK, { LABEL: 'rollback' });
          this.CONSUME(K.TO);
          this.CONSUME(K.VERSION);
          this.CONSUME(IntegerLiteral, { LABEL: 'version' });
        },
      },
      {
        ALT: () => {
          this.CONSUME(K.DROP, { LABEL: 'dropCandidate' });
          this.CONSUME2(K.CANDIDATE);
        },
      },
    ]);
  });

  readonly insertStatement = this.RULE('insertStatement', () => {
    this.CONSUME(K.INSERT);
    // INSERT OR REPLACE (what INSERT does: the latest row per key), INSERT OR IGNORE (DO NOTHING).
    this.OPTION2(() => {
      this.CONSUME(K.OR);
      this.OR2([{ ALT: () => this.CONSUME(K.REPLACE, { LABEL: 'orReplace' }) }, { ALT: () => this.CONSUME(K.IGNORE, { LABEL: 'orIgnore' }) }]);
    });
    this.CONSUME(K.INTO);
    this.SUBRULE(this.identifier, { LABEL: 'target' });
    this.OPTION(() => this.SUBRULE(this.identifierList, { LABEL: 'columns' }));
    // INSERT INTO t BY NAME SELECT ... (DuckDB): the query's columns matched by name.
    this.OPTION5(() => {
      this.CONSUME(K.BY, { LABEL: 'byName' });
      this.CONSUME(Identifier, { LABEL: 'byNameWord' });
    });
    // VALUES here is the rows to insert (a query may start with VALUES too: the same rows).
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
      {
        ALT: () => {
          this.CONSUME(K.VALUES);
          this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.valuesRow, { LABEL: 'rows' }) });
        },
      },
      // INSERT INTO t DEFAULT VALUES: one row of every column's DEFAULT (NULL without one).
      {
        ALT: () => {
          this.CONSUME(K.DEFAULT, { LABEL: 'defaultValues' });
          this.CONSUME2(K.VALUES);
        },
      },
      // INSERT INTO t SELECT ...: the rows a query gives now (see engine/statements/insert.ts).
      { ALT: () => this.SUBRULE(this.selectQuery, { LABEL: 'query' }) },
      ],
    });
    this.OPTION3(() => this.SUBRULE(this.onConflict, { LABEL: 'conflict' }));
    this.OPTION4(() => this.SUBRULE(this.returningClause, { LABEL: 'returning' }));
  });

  /** `RETURNING item, ...` after INSERT, UPDATE or DELETE: the rows written (or deleted), as a SELECT list over them. */
  readonly returningClause = this.RULE('returningClause', () => {
    this.CONSUME(K.RETURNING);
    this.AT_LEAST_ONE_SEP({ SEP: Comma, MAX_LOOKAHEAD: 1, DEF: () => this.SUBRULE(this.selectItem, { LABEL: 'items' }) });
  });

  /** `ON CONFLICT [(key)] DO NOTHING | DO UPDATE SET c = e, ... [WHERE cond]` (PostgreSQL, DuckDB). */
  readonly onConflict = this.RULE('onConflict', () => {
    this.CONSUME(K.ON);
    this.CONSUME(K.CONFLICT);
    this.OPTION(() => this.SUBRULE(this.identifierList, { LABEL: 'columns' }));
    this.CONSUME(K.DO);
    this.OR([
      { ALT: () => this.CONSUME(K.NOTHING, { LABEL: 'nothing' }) },
      {
        ALT: () => {
          this.CONSUME(K.UPDATE);
          this.CONSUME(K.SET);
          this.AT_LEAST_ONE_SEP({
            SEP: Comma,
            DEF: () => {
              this.SUBRULE(this.identifier, { LABEL: 'setColumns' });
              this.CONSUME(Equals);
              this.SUBRULE(this.expression, { LABEL: 'setValues' });
            },
          });
          this.OPTION2(() => {
            this.CONSUME(K.WHERE);
            this.SUBRULE2(this.expression, { LABEL: 'where' });
          });
        },
      },
    ]);
  });

  /** DELETE FROM table [WHERE cond]. */
  /** DELETE FROM table [WHERE cond], or TRUNCATE [TABLE] table (every row). */
  readonly deleteStatement = this.RULE('deleteStatement', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(K.DELETE);
          this.CONSUME(K.FROM);
          this.SUBRULE(this.identifier, { LABEL: 'target' });
          // DELETE FROM t USING other WHERE t.k = other.k (PostgreSQL, DuckDB).
          this.OPTION4(() => {
            this.CONSUME(K.USING);
            this.SUBRULE(this.fromClause, { LABEL: 'using' });
          });
          this.OPTION(() => {
            this.CONSUME(K.WHERE);
            this.SUBRULE(this.expression, { LABEL: 'where' });
          });
          this.OPTION3(() => this.SUBRULE(this.returningClause, { LABEL: 'returning' }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(K.TRUNCATE);
          this.OPTION2(() => this.CONSUME(K.TABLE));
          this.SUBRULE2(this.identifier, { LABEL: 'target' });
        },
      },
    ]);
  });

  /** UPDATE table SET column = expr, ... [WHERE cond]. */
  readonly updateStatement = this.RULE('updateStatement', () => {
    this.CONSUME(K.UPDATE);
    this.SUBRULE(this.identifier, { LABEL: 'target' });
    this.CONSUME(K.SET);
    this.AT_LEAST_ONE_SEP({
      SEP: Comma,
      DEF: () => {
        this.SUBRULE2(this.identifier, { LABEL: 'columns' });
        this.CONSUME(Equals);
        this.SUBRULE(this.expression, { LABEL: 'values' });
      },
    });
    // UPDATE t SET ... FROM other WHERE t.k = other.k (PostgreSQL, DuckDB).
    this.OPTION3(() => {
      this.CONSUME(K.FROM);
      this.SUBRULE(this.fromClause, { LABEL: 'from' });
    });
    this.OPTION(() => {
      this.CONSUME(K.WHERE);
      this.SUBRULE2(this.expression, { LABEL: 'where' });
    });
    this.OPTION2(() => this.SUBRULE(this.returningClause, { LABEL: 'returning' }));
  });

  readonly valuesRow = this.RULE('valuesRow', () => {
    this.CONSUME(LParen);
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: 'values' }) });
    this.CONSUME(RParen);
  });

  readonly showStatement = this.RULE('showStatement', () => {
    this.CONSUME(K.SHOW);
    this.OR([
      { ALT: () => this.CONSUME(K.STREAMS, { LABEL: 'what' }) },
      { ALT: () => this.CONSUME(K.TABLES, { LABEL: 'what' }) },
      { ALT: () => this.CONSUME(K.MODELS, { LABEL: 'what' }) },
      { ALT: () => this.CONSUME(K.FUNCTIONS, { LABEL: 'what' }) },
      { ALT: () => this.CONSUME(K.QUERIES, { LABEL: 'what' }) },
      { ALT: () => this.CONSUME(K.VIEWS, { LABEL: 'what' }) },
      {
        ALT: () => {
          this.CONSUME(K.MATERIALIZED);
          this.CONSUME2(K.VIEWS, { LABEL: 'what' });
        },
      },
      { ALT: () => this.CONSUME(K.SINKS, { LABEL: 'what' }) },
    ]);
  });

  readonly describeStatement = this.RULE('describeStatement', () => {
    this.OR([{ ALT: () => this.CONSUME(K.DESCRIBE) }, { ALT: () => this.CONSUME(K.DESC) }]);
    // `DESCRIBE model` names an object called model; `DESCRIBE MODEL m` names its kind.
    this.OPTION({
      GATE: () => tokenMatcher(this.LA(1), K.MATERIALIZED) || tokenMatcher(this.LA(2), Identifier),
      DEF: () => this.SUBRULE(this.objectKind),
    });
    this.SUBRULE(this.identifier, { LABEL: 'name' });
  });

  readonly explainStatement = this.RULE('explainStatement', () => {
    this.CONSUME(K.EXPLAIN);
    this.OPTION(() => this.CONSUME(K.VERBOSE));
    this.OR([
      { ALT: () => this.SUBRULE(this.selectQuery) },
      { ALT: () => this.SUBRULE(this.createStatement) },
    ]);
  });

  // ------------------------------------------------------------ options, names, types

  readonly withOptions = this.RULE('withOptions', () => {
    this.CONSUME(K.WITH);
    this.SUBRULE(this.optionList);
  });

  readonly optionList = this.RULE('optionList', () => {
    this.CONSUME(LParen);
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.optionEntry, { LABEL: 'options' }) });
    this.CONSUME(RParen);
  });

  /** `key = value`; a bare key may be dotted (`batch.max_rows`). */
  readonly optionEntry = this.RULE('optionEntry', () => {
    this.OR([
      { ALT: () => this.CONSUME(StringLiteral, { LABEL: 'quotedKey' }) },
      {
        ALT: () => {
          this.CONSUME(Word, { LABEL: 'keyParts' });
          this.MANY(() => {
            this.CONSUME(Dot);
            this.CONSUME2(Word, { LABEL: 'keyParts' });
          });
        },
      },
    ]);
    this.CONSUME(Equals);
    this.OR2([
      { ALT: () => this.CONSUME2(StringLiteral, { LABEL: 'string' }) },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(Minus, { LABEL: 'minus' }));
          this.OR3([
            { ALT: () => this.CONSUME(IntegerLiteral, { LABEL: 'number' }) },
            { ALT: () => this.CONSUME(DecimalLiteral, { LABEL: 'number' }) },
          ]);
        },
      },
      { ALT: () => this.CONSUME(K.TRUE, { LABEL: 'boolean' }) },
      { ALT: () => this.CONSUME(K.FALSE, { LABEL: 'boolean' }) },
    ]);
  });

  readonly identifier = this.RULE('identifier', () => {
    this.CONSUME(Identifier, { LABEL: 'token' });
  });

  readonly identifierList = this.RULE('identifierList', () => {
    this.CONSUME(LParen);
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.identifier, { LABEL: 'names' }) });
    this.CONSUME(RParen);
  });

  /** Type names are plain names here; the visitor knows which exist (for "did you mean"). */
  readonly dataType = this.RULE('dataType', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(K.ARRAY, { LABEL: 'array' });
          this.CONSUME(Less);
          this.SUBRULE(this.dataType, { LABEL: 'element' });
          this.CONSUME(Greater);
          this.OPTION(() => this.SUBRULE(this.typeLength, { LABEL: 'length' }));
        },
      },
      {
        ALT: () => {
          // STRUCT<a INT, ...>, or STRUCT(a INT, ...) as DuckDB writes it.
          this.CONSUME(K.STRUCT, { LABEL: 'struct' });
          this.OR4([{ ALT: () => this.CONSUME2(Less) }, { ALT: () => this.CONSUME2(LParen) }]);
          this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.structField, { LABEL: 'fields' }) });
          this.OR5([{ ALT: () => this.CONSUME2(Greater) }, { ALT: () => this.CONSUME2(RParen) }]);
        },
      },
      { ALT: () => this.CONSUME(K.INTERVAL, { LABEL: 'interval' }) },
      {
        // MAP(K, V) as DuckDB writes it, or MAP<K, V>.
        ALT: () => {
          this.CONSUME(K.MAP, { LABEL: 'map' });
          this.OR2([{ ALT: () => this.CONSUME3(LParen) }, { ALT: () => this.CONSUME3(Less) }]);
          this.SUBRULE3(this.dataType, { LABEL: 'mapKey' });
          this.CONSUME(Comma);
          this.SUBRULE4(this.dataType, { LABEL: 'mapValue' });
          this.OR3([{ ALT: () => this.CONSUME3(RParen) }, { ALT: () => this.CONSUME3(Greater) }]);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Identifier, { LABEL: 'typeName' });
          this.OPTION2(() => this.CONSUME(K.PRECISION, { LABEL: 'precisionWord' }));
          this.OPTION3(() => this.SUBRULE2(this.typeLength, { LABEL: 'length' }));
        },
      },
    ]);
    // INT[] (as DuckDB and PostgreSQL): ARRAY<INT>.
    this.MANY({
      GATE: () => this.LA(2).tokenType === RBracket,
      DEF: () => {
        this.CONSUME(LBracket, { LABEL: 'listSuffix' });
        this.CONSUME(RBracket);
      },
    });
  });

  readonly typeLength = this.RULE('typeLength', () => {
    this.CONSUME(LParen);
    this.CONSUME(IntegerLiteral, { LABEL: 'value' });
    // DECIMAL(precision, scale)
    this.OPTION(() => {
      this.CONSUME(Comma);
      this.CONSUME2(IntegerLiteral, { LABEL: 'scale' });
    });
    this.CONSUME(RParen);
  });

  readonly structField = this.RULE('structField', () => {
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    this.SUBRULE(this.dataType, { LABEL: 'type' });
    this.OPTION(() => {
      this.CONSUME(K.NOT, { LABEL: 'notNull' });
      this.CONSUME(K.NULL);
    });
  });

  // ------------------------------------------------------------ queries

  readonly selectQuery = this.RULE('selectQuery', () => {
    // WITH name AS (SELECT ...), ...: common table expressions, each a subquery by name.
    this.OPTION8(() => {
      this.CONSUME(K.WITH, { LABEL: 'with' });
      // WITH RECURSIVE t ...: RECURSIVE is a name too (WITH recursive AS (...)).
      this.OPTION5({ GATE: () => tokenMatcher(this.LA(2), Identifier), DEF: () => this.CONSUME(K.RECURSIVE, { LABEL: 'recursive' }) });
      this.AT_LEAST_ONE_SEP4({ SEP: Comma, DEF: () => this.SUBRULE(this.commonTable, { LABEL: 'ctes' }) });
    });
    this.SUBRULE(this.queryBody, { LABEL: 'bodies' });
    // SELECT ... UNION | INTERSECT | EXCEPT [ALL | DISTINCT] SELECT ...: ORDER BY and LIMIT after the last apply to the whole.
    this.MANY(() => {
      this.OR2([
        { ALT: () => this.CONSUME(K.UNION, { LABEL: 'setOps' }) },
        { ALT: () => this.CONSUME(K.INTERSECT, { LABEL: 'setOps' }) },
        { ALT: () => this.CONSUME(K.EXCEPT, { LABEL: 'setOps' }) },
      ]);
      this.OPTION9(() => {
        this.OR3([
          { ALT: () => this.CONSUME(K.ALL, { LABEL: 'quantifiers' }) },
          { ALT: () => this.CONSUME(K.DISTINCT, { LABEL: 'quantifiers' }) },
        ]);
      });
      // UNION [ALL] BY NAME (DuckDB): columns matched by name.
      this.option(12, () => {
        this.CONSUME3(K.BY, { LABEL: 'byName' });
        this.CONSUME(Identifier, { LABEL: 'byNameWord' });
      });
      this.SUBRULE2(this.queryBody, { LABEL: 'bodies' });
    });
    this.OPTION6(() => {
      this.CONSUME(K.ORDER);
      this.CONSUME2(K.BY);
      this.AT_LEAST_ONE_SEP3({ SEP: Comma, DEF: () => this.SUBRULE(this.orderItem, { LABEL: 'orderBy' }) });
    });
    // LIMIT n | FETCH ... [OFFSET m [ROWS]], or OFFSET m [ROWS] [LIMIT n | FETCH ...].
    this.OPTION7(() => {
      this.OR([
        {
          ALT: () => {
            this.SUBRULE(this.limitClause);
            this.option(10, () => this.SUBRULE(this.offsetClause));
          },
        },
        {
          ALT: () => {
            this.SUBRULE2(this.offsetClause);
            this.option(11, () => this.SUBRULE2(this.limitClause));
          },
        },
      ]);
    });
  });

  /** `LIMIT n` (n a constant expression), or the standard's `FETCH FIRST | NEXT [n] ROW | ROWS ONLY` (one row without n). */
  readonly limitClause = this.RULE('limitClause', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(K.LIMIT);
          // A constant expression (LIMIT 10, LIMIT 2 * 5, LIMIT NULL), as DuckDB.
          this.SUBRULE(this.expression, { LABEL: 'limitExpr' });
        },
      },
      {
        ALT: () => {
          this.CONSUME(K.FETCH, { LABEL: 'fetch' });
          this.OR2([{ ALT: () => this.CONSUME(K.FIRST) }, { ALT: () => this.CONSUME(K.NEXT) }]);
          this.OPTION(() => this.CONSUME2(IntegerLiteral, { LABEL: 'limit' }));
          this.SUBRULE(this.rowsWord);
          this.CONSUME(K.ONLY);
        },
      },
    ]);
  });

  /** `OFFSET m` (a constant expression), or the standard's `OFFSET m ROW | ROWS`. */
  readonly offsetClause = this.RULE('offsetClause', () => {
    this.CONSUME(K.OFFSET);
    this.SUBRULE(this.expression, { LABEL: 'offsetExpr' });
    this.OPTION(() => this.SUBRULE(this.rowsWord));
  });

  readonly rowsWord = this.RULE('rowsWord', () => {
    this.OR([{ ALT: () => this.CONSUME(K.ROW) }, { ALT: () => this.CONSUME(K.ROWS) }]);
  });

  /** `name :=` before an argument, as DuckDB names STRUCT_PACK's: STRUCT_PACK(a := 1, b := 'x'). */
  readonly argumentName = this.RULE('argumentName', () => {
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(Colon);
    this.CONSUME(Equals);
  });

  /** Whether `name.name. ... .*` comes next. */
  private qualifiedStarAhead(): boolean {
    for (let i = 1; ; i += 2) {
      if (!tokenMatcher(this.LA(i), Identifier) || !tokenMatcher(this.LA(i + 1), Dot)) return false;
      if (tokenMatcher(this.LA(i + 2), Star)) return true;
    }
  }

  /** Whether `name :=` comes next. */
  private namedArgumentAhead(): boolean {
    return tokenMatcher(this.LA(1), Identifier) && tokenMatcher(this.LA(2), Colon) && tokenMatcher(this.LA(3), Equals) && (this.LA(2).endOffset ?? -2) + 1 === this.LA(3).startOffset;
  }

  /** `PIVOT from_item ON col IN (v [AS name], ...) USING agg [AS name], ... [GROUP BY expr, ...]` (DuckDB). */
  readonly pivotBody = this.RULE('pivotBody', () => {
    this.CONSUME(K.PIVOT);
    this.SUBRULE(this.fromPrimary, { LABEL: 'source' });
    this.CONSUME(K.ON);
    this.SUBRULE(this.identifier, { LABEL: 'column' });
    this.OPTION(() => {
      this.CONSUME(K.IN, { LABEL: 'in' });
      this.SUBRULE(this.pivotValues, { LABEL: 'values' });
    });
    this.CONSUME(K.USING);
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.pivotAggregate, { LABEL: 'aggregates' }) });
    this.OPTION2(() => {
      this.CONSUME(K.GROUP);
      this.CONSUME(K.BY);
      this.AT_LEAST_ONE_SEP2({ SEP: Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: 'groupBy' }) });
    });
  });

  /** `UNPIVOT from_item ON col, ... INTO NAME name VALUE value` (DuckDB). */
  readonly unpivotBody = this.RULE('unpivotBody', () => {
    this.CONSUME(K.UNPIVOT);
    this.SUBRULE(this.fromPrimary, { LABEL: 'source' });
    this.CONSUME(K.ON);
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.identifier, { LABEL: 'columns' }) });
    this.CONSUME(K.INTO);
    this.CONSUME(Identifier, { LABEL: 'nameWord' });
    this.SUBRULE2(this.identifier, { LABEL: 'nameColumn' });
    this.CONSUME2(Identifier, { LABEL: 'valueWord' });
    this.SUBRULE3(this.identifier, { LABEL: 'valueColumn' });
  });

  /** `(v [AS name], ...)`: the values of a PIVOT's column that become columns. */
  readonly pivotValues = this.RULE('pivotValues', () => {
    this.CONSUME(LParen);
    this.AT_LEAST_ONE_SEP({
      SEP: Comma,
      DEF: () => {
        this.SUBRULE(this.expression, { LABEL: 'values' });
        this.OPTION(() => {
          this.CONSUME(K.AS);
          this.SUBRULE(this.identifier, { LABEL: 'names' });
        });
      },
    });
    this.CONSUME(RParen);
  });

  /** `agg [[AS] name]`: an aggregate of a PIVOT. */
  readonly pivotAggregate = this.RULE('pivotAggregate', () => {
    this.SUBRULE(this.expression, { LABEL: 'aggregate' });
    this.OPTION(() => {
      this.OPTION2(() => this.CONSUME(K.AS));
      this.SUBRULE(this.identifier, { LABEL: 'name' });
    });
  });

  /**
   * `PIVOT (agg [AS name], ... FOR col IN (v [AS name], ...) [GROUP BY ...])` or `UNPIVOT [INCLUDE
   * NULLS] (value FOR name IN (col, ...))` after a relation in FROM, as the SQL standard writes them.
   */
  readonly pivotSuffix = this.RULE('pivotSuffix', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(K.PIVOT, { LABEL: 'pivot' });
          this.CONSUME(LParen);
          this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.pivotAggregate, { LABEL: 'aggregates' }) });
          this.CONSUME(K.FOR);
          this.SUBRULE(this.identifier, { LABEL: 'column' });
          this.CONSUME(K.IN);
          this.SUBRULE(this.pivotValues, { LABEL: 'values' });
          this.OPTION(() => {
            this.CONSUME(K.GROUP);
            this.CONSUME(K.BY);
            this.AT_LEAST_ONE_SEP2({ SEP: Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: 'groupBy' }) });
          });
          this.CONSUME(RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(K.UNPIVOT, { LABEL: 'unpivot' });
          this.OPTION2(() => {
            this.CONSUME(Identifier, { LABEL: 'includeWord' });
            this.CONSUME(K.NULLS);
          });
          this.CONSUME2(LParen);
          this.SUBRULE2(this.identifier, { LABEL: 'valueColumn' });
          this.CONSUME2(K.FOR);
          this.SUBRULE3(this.identifier, { LABEL: 'nameColumn' });
          this.CONSUME2(K.IN);
          this.CONSUME3(LParen);
          this.AT_LEAST_ONE_SEP3({ SEP: Comma, DEF: () => this.SUBRULE4(this.identifier, { LABEL: 'columns' }) });
          this.CONSUME3(RParen);
          this.CONSUME2(RParen);
        },
      },
    ]);
    this.OPTION3({ GATE: () => this.aliasNext(), DEF: () => this.SUBRULE(this.relationAlias, { LABEL: 'alias' }) });
  });

  /** `SELECT [DISTINCT [ON (...)]] items`. */
  readonly selectList = this.RULE('selectList', () => {
    this.CONSUME(K.SELECT);
    this.OPTION(() => {
      this.CONSUME(K.DISTINCT, { LABEL: 'distinct' });
      // DISTINCT ON (exprs) (as DuckDB and PostgreSQL): the first row of each value of exprs.
      this.OPTION7(() => {
        this.CONSUME(K.ON, { LABEL: 'distinctOn' });
        this.CONSUME(LParen);
        this.AT_LEAST_ONE_SEP3({ SEP: Comma, DEF: () => this.SUBRULE5(this.expression, { LABEL: 'distinctOnExprs' }) });
        this.CONSUME(RParen);
      });
    });
    this.AT_LEAST_ONE_SEP({ SEP: Comma, MAX_LOOKAHEAD: 1, DEF: () => this.SUBRULE(this.selectItem, { LABEL: 'items' }) });
  });

  /** One SELECT up to HAVING: a query, or one branch of a UNION. */
  /** A SELECT, or `VALUES (...), ...` as a query of its own (its columns col0, col1, ...). */
  readonly queryBody = this.RULE('queryBody', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.selectBody, { LABEL: 'select' }) },
      {
        // (SELECT ... ORDER BY ... LIMIT n) UNION ALL (...): a query in parentheses, its own ORDER BY and LIMIT in.
        ALT: () => {
          this.CONSUME(LParen, { LABEL: 'paren' });
          this.SUBRULE(this.selectQuery, { LABEL: 'inner' });
          this.CONSUME(RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.pivotBody, { LABEL: 'pivot' }) },
      { ALT: () => this.SUBRULE(this.unpivotBody, { LABEL: 'unpivot' }) },
      {
        ALT: () => {
          this.CONSUME(K.VALUES, { LABEL: 'values' });
          this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.valuesRow, { LABEL: 'rows' }) });
        },
      },
    ]);
  });

  readonly selectBody = this.RULE('selectBody', () => {
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.selectList);
          this.OPTION2(() => {
            this.CONSUME(K.FROM);
            this.SUBRULE(this.fromClause);
          });
        },
      },
      {
        // FROM t [SELECT ...] (as DuckDB): the FROM first; without a SELECT, every column.
        ALT: () => {
          this.CONSUME2(K.FROM, { LABEL: 'fromFirst' });
          this.SUBRULE2(this.fromClause);
          this.OPTION(() => this.SUBRULE2(this.selectList));
        },
      },
    ]);
    this.OPTION3(() => {
      this.CONSUME(K.WHERE);
      this.SUBRULE(this.expression, { LABEL: 'where' });
    });
    this.OPTION4(() => {
      this.CONSUME(K.GROUP);
      this.CONSUME(K.BY);
      this.AT_LEAST_ONE_SEP2({ SEP: Comma, MAX_LOOKAHEAD: 1, DEF: () => this.SUBRULE(this.groupingItem, { LABEL: 'groupBy' }) });
    });
    this.OPTION5(() => {
      this.CONSUME(K.HAVING);
      this.SUBRULE3(this.expression, { LABEL: 'having' });
    });
    this.OPTION8(() => this.SUBRULE(this.windowClause, { LABEL: 'windows' }));
    // QUALIFY cond (as DuckDB): keeps the rows for which cond, over window functions, is TRUE.
    this.OPTION6(() => {
      this.CONSUME(K.QUALIFY);
      this.SUBRULE4(this.expression, { LABEL: 'qualify' });
    });
  });

  /**
   * One item of GROUP BY: an expression, `ROLLUP (e, ...)`, `CUBE (e, ...)`, `GROUPING SETS (set,
   * ...)` or `()` (the empty set). ROLLUP, CUBE, GROUPING and SETS are names too: they start a
   * grouping only before `(` (GROUPING before SETS).
   */
  readonly groupingItem = this.RULE('groupingItem', () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      // The gates choose; one token of lookahead spares the analysis every path of three tokens
      // through an expression (about 1.8 s of the parser's construction).
      MAX_LOOKAHEAD: 1,
      DEF: [
        {
          GATE: () => this.LA(1).tokenType === K.GROUPING && this.LA(2).tokenType === K.SETS,
          ALT: () => {
            this.CONSUME(K.GROUPING, { LABEL: 'groupingSets' });
            this.CONSUME(K.SETS);
            this.CONSUME(LParen);
            this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.groupingSet, { LABEL: 'sets' }) });
            this.CONSUME(RParen);
          },
        },
        {
          GATE: () => (this.LA(1).tokenType === K.ROLLUP || this.LA(1).tokenType === K.CUBE) && this.LA(2).tokenType === LParen,
          ALT: () => {
            this.OR2([{ ALT: () => this.CONSUME(K.ROLLUP, { LABEL: 'rollup' }) }, { ALT: () => this.CONSUME(K.CUBE, { LABEL: 'cube' }) }]);
            this.CONSUME2(LParen);
            this.AT_LEAST_ONE_SEP2({ SEP: Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: 'exprs' }) });
            this.CONSUME2(RParen);
          },
        },
        { GATE: () => this.LA(1).tokenType === LParen && this.LA(2).tokenType === RParen, ALT: () => this.SUBRULE2(this.groupingSet, { LABEL: 'empty' }) },
        { ALT: () => this.SUBRULE2(this.expression, { LABEL: 'expr' }) },
      ],
    });
  });

  /** A set of GROUPING SETS: `(e, ...)`, `()` or one expression. */
  readonly groupingSet = this.RULE('groupingSet', () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          GATE: () => this.LA(1).tokenType === LParen,
          ALT: () => {
            this.CONSUME(LParen);
            this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: 'exprs' }) });
            this.CONSUME(RParen);
          },
        },
        { ALT: () => this.SUBRULE2(this.expression, { LABEL: 'exprs' }) },
      ],
    });
  });

  readonly commonTable = this.RULE('commonTable', () => {
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    // WITH t(a, b) AS (...): names for its columns.
    this.OPTION(() => this.SUBRULE(this.identifierList, { LABEL: 'columns' }));
    this.CONSUME(K.AS);
    // AS [NOT] MATERIALIZED (as PostgreSQL and DuckDB): a hint on how to evaluate it, which the
    // planner does not need (it plans each reference to a common table as its query).
    this.OPTION2(() => {
      this.OPTION3(() => this.CONSUME(K.NOT));
      this.CONSUME(K.MATERIALIZED);
    });
    this.CONSUME(LParen);
    this.SUBRULE(this.selectQuery);
    this.CONSUME(RParen);
  });

  readonly selectItem = this.RULE('selectItem', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Star, { LABEL: 'star' });
          this.OPTION(() => this.SUBRULE(this.starExclude, { LABEL: 'exclude' }));
          this.OPTION4(() => this.SUBRULE(this.starReplace, { LABEL: 'replace' }));
          this.OPTION6(() => this.SUBRULE(this.starRename, { LABEL: 'rename' }));
        },
      },
      {
        // t.*, or t.s.* of a STRUCT column s of t (a path of names before the star).
        GATE: () => this.qualifiedStarAhead(),
        ALT: () => {
          this.SUBRULE(this.identifier, { LABEL: 'qualifier' });
          this.MANY({
            GATE: () => !tokenMatcher(this.LA(2), Star),
            DEF: () => {
              this.CONSUME2(Dot);
              this.SUBRULE3(this.identifier, { LABEL: 'qualifierPath' });
            },
          });
          this.CONSUME(Dot);
          this.CONSUME2(Star, { LABEL: 'star' });
          this.OPTION2(() => this.SUBRULE2(this.starExclude, { LABEL: 'exclude' }));
          this.OPTION5(() => this.SUBRULE2(this.starReplace, { LABEL: 'replace' }));
          this.OPTION7(() => this.SUBRULE2(this.starRename, { LABEL: 'rename' }));
        },
      },
      {
        ALT: () => {
          this.SUBRULE(this.expression);
          this.OPTION3({ GATE: () => !this.fetchNext(), DEF: () => this.SUBRULE(this.alias) });
        },
      },
    ]);
  });

  /** `f(*)`, or `COLUMNS(* EXCLUDE (a, b))` as DuckDB writes every column but those. */
  readonly starArgument = this.RULE('starArgument', () => {
    this.CONSUME(Star, { LABEL: 'star' });
    this.OPTION(() => this.SUBRULE(this.starExclude, { LABEL: 'exclude' }));
  });

  /** `* EXCLUDE (a, b)` or `* EXCLUDE a` (as DuckDB): every column but those. */
  readonly starExclude = this.RULE('starExclude', () => {
    this.CONSUME(K.EXCLUDE);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(LParen);
          this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.identifier, { LABEL: 'columns' }) });
          this.CONSUME(RParen);
        },
      },
      { ALT: () => this.SUBRULE2(this.identifier, { LABEL: 'columns' }) },
    ]);
  });

  /** `* REPLACE (expr AS name, ...)` (as DuckDB): the star's column `name` as `expr` instead. */
  readonly starReplace = this.RULE('starReplace', () => {
    this.CONSUME(K.REPLACE);
    this.CONSUME(LParen);
    this.AT_LEAST_ONE_SEP({
      SEP: Comma,
      DEF: () => {
        this.SUBRULE(this.expression, { LABEL: 'exprs' });
        this.CONSUME(K.AS);
        this.SUBRULE(this.identifier, { LABEL: 'names' });
      },
    });
    this.CONSUME(RParen);
  });

  /** `* RENAME (a AS x, ...)` or `* RENAME a AS x` (as DuckDB): the star's column `a` named `x`. */
  readonly starRename = this.RULE('starRename', () => {
    this.CONSUME(K.RENAME);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(LParen);
          this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.renamedColumn, { LABEL: 'pairs' }) });
          this.CONSUME(RParen);
        },
      },
      { ALT: () => this.SUBRULE2(this.renamedColumn, { LABEL: 'pairs' }) },
    ]);
  });

  readonly renamedColumn = this.RULE('renamedColumn', () => {
    this.SUBRULE(this.identifier, { LABEL: 'column' });
    this.CONSUME(K.AS);
    this.SUBRULE2(this.identifier, { LABEL: 'name' });
  });

  readonly alias = this.RULE('alias', () => {
    this.OPTION(() => this.CONSUME(K.AS));
    this.SUBRULE(this.identifier, { LABEL: 'name' });
  });

  readonly orderItem = this.RULE('orderItem', () => {
    this.SUBRULE(this.expression);
    this.OPTION(() => {
      this.OR([
        { ALT: () => this.CONSUME(K.ASC, { LABEL: 'direction' }) },
        { ALT: () => this.CONSUME(K.DESC, { LABEL: 'direction' }) },
      ]);
    });
    this.OPTION2(() => {
      this.CONSUME(K.NULLS);
      this.OR2([
        { ALT: () => this.CONSUME(K.FIRST, { LABEL: 'nulls' }) },
        { ALT: () => this.CONSUME(K.LAST, { LABEL: 'nulls' }) },
      ]);
    });
  });

  /**
   * RIGHT, FULL, CROSS, NATURAL and ASOF are names too (soft keywords): before JOIN (or OUTER
   * JOIN, or a join type after NATURAL or ASOF) they start a join rather than alias the item
   * before them.
   */
  private joinWordNext(): boolean {
    const t = this.LA(1).tokenType;
    const next = this.LA(2).tokenType;
    if (this.semiAntiNext()) return true;
    // WINDOW w AS (...) after FROM starts the WINDOW clause.
    if (t === K.WINDOW) return this.LA(3).tokenType === K.AS;
    if (t === K.NATURAL) return next === K.JOIN || next === K.INNER || next === K.LEFT || next === K.RIGHT || next === K.FULL;
    // (ASOF RIGHT / FULL / CROSS JOIN parse, to be refused with what to write.)
    if (t === K.ASOF) return next === K.JOIN || next === K.INNER || next === K.LEFT || next === K.RIGHT || next === K.FULL || next === K.CROSS;
    if (t !== K.RIGHT && t !== K.FULL && t !== K.CROSS) return false;
    return next === K.JOIN || (next === K.OUTER && t !== K.CROSS);
  }

  /** Whether an alias may come next after a FROM item: not when a join or FETCH FIRST starts. */
  private aliasNext(): boolean {
    return !this.joinWordNext() && !this.fetchNext() && !this.pivotNext();
  }

  /** `FETCH FIRST` or `FETCH NEXT` next: FETCH is a name too (unquoted, it starts the clause here). */
  private fetchNext(): boolean {
    return tokenMatcher(this.LA(1), K.FETCH) && (tokenMatcher(this.LA(2), K.FIRST) || tokenMatcher(this.LA(2), K.NEXT));
  }

  /** `LATERAL (` or `LATERAL name(` next. */
  private lateralNext(): boolean {
    if (!tokenMatcher(this.LA(1), K.LATERAL)) return false;
    return tokenMatcher(this.LA(2), LParen) || (tokenMatcher(this.LA(2), Identifier) && tokenMatcher(this.LA(3), LParen));
  }

  /** `SEMI JOIN` or `ANTI JOIN` next: names anywhere else (unquoted, they start such a join here). */
  private semiAntiNext(): boolean {
    return (tokenMatcher(this.LA(1), K.SEMI) || tokenMatcher(this.LA(1), K.ANTI)) && tokenMatcher(this.LA(2), K.JOIN);
  }

  /** A left-deep chain of joins over from-items. */
  readonly fromClause = this.RULE('fromClause', () => {
    this.SUBRULE(this.fromPrimary, { LABEL: 'first' });
    this.MANY({ GATE: () => !tokenMatcher(this.LA(1), Identifier) || (this.joinWordNext() && !tokenMatcher(this.LA(1), K.WINDOW)), DEF: () => this.SUBRULE(this.joinClause, { LABEL: 'joins' }) });
  });

  /** `[ASOF] [NATURAL] [kind] JOIN item [ON ... | USING (...)]`, or `, item` (a CROSS JOIN, as in `FROM a, b WHERE ...`). */
  readonly joinClause = this.RULE('joinClause', () => {
    this.OR7([
      {
        ALT: () => {
          this.CONSUME2(Comma, { LABEL: 'comma' });
          this.SUBRULE2(this.fromPrimary, { LABEL: 'right' });
        },
      },
      {
        ALT: () => {
          this.OPTION7(() => this.CONSUME(K.ASOF, { LABEL: 'asof' }));
          this.OPTION6(() => this.CONSUME(K.NATURAL, { LABEL: 'natural' }));
          this.OPTION(() => {
            this.OR([
              { ALT: () => this.CONSUME(K.INNER, { LABEL: 'inner' }) },
              {
                ALT: () => {
                  this.CONSUME(K.LEFT, { LABEL: 'left' });
                  this.OPTION2(() => this.CONSUME(K.OUTER));
                },
              },
              {
                ALT: () => {
                  this.CONSUME(K.RIGHT, { LABEL: 'rightJoin' });
                  this.OPTION4(() => this.CONSUME2(K.OUTER));
                },
              },
              {
                ALT: () => {
                  this.CONSUME(K.FULL, { LABEL: 'full' });
                  this.OPTION5(() => this.CONSUME3(K.OUTER));
                },
              },
              { ALT: () => this.CONSUME(K.CROSS, { LABEL: 'cross' }) },
              { ALT: () => this.CONSUME(K.SEMI, { LABEL: 'semiAnti' }) },
              { ALT: () => this.CONSUME(K.ANTI, { LABEL: 'semiAnti' }) },
            ]);
          });
          this.CONSUME(K.JOIN);
          this.SUBRULE(this.fromPrimary, { LABEL: 'right' });
          this.OPTION3(() => {
            this.OR2([
              {
                ALT: () => {
                  this.CONSUME(K.ON);
                  this.SUBRULE(this.expression, { LABEL: 'on' });
                },
              },
              {
                ALT: () => {
                  this.CONSUME(K.USING, { LABEL: 'using' });
                  this.CONSUME(LParen);
                  this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.identifier, { LABEL: 'usingColumns' }) });
                  this.CONSUME(RParen);
                },
              },
            ]);
          });
        },
      },
    ]);
  });

  readonly fromPrimary = this.RULE('fromPrimary', () => {
    // LATERAL (SELECT ...), LATERAL unnest(t.list): LATERAL is a name too, unless a relation follows.
    this.OPTION({ GATE: () => this.lateralNext(), DEF: () => this.CONSUME(K.LATERAL, { LABEL: 'lateral' }) });
    this.OR([
      { ALT: () => this.SUBRULE(this.windowTvf) },
      { ALT: () => this.SUBRULE(this.subquery) },
      { ALT: () => this.SUBRULE(this.tableRef) },
    ]);
    this.MANY({ GATE: () => this.pivotNext(), DEF: () => this.SUBRULE(this.pivotSuffix, { LABEL: 'pivots' }) });
  });

  /** `PIVOT (` or `UNPIVOT (` / `UNPIVOT INCLUDE NULLS (` next: names anywhere else. */
  private pivotNext(): boolean {
    if (tokenMatcher(this.LA(1), K.PIVOT)) return tokenMatcher(this.LA(2), LParen);
    return tokenMatcher(this.LA(1), K.UNPIVOT) && (tokenMatcher(this.LA(2), LParen) || this.LA(2).image.toUpperCase() === 'INCLUDE');
  }

  /** `[AS] t` after a relation in FROM, which may name its columns: `t(a, b)`. */
  readonly relationAlias = this.RULE('relationAlias', () => {
    this.OPTION(() => this.CONSUME(K.AS));
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    this.OPTION2(() => this.SUBRULE(this.identifierList, { LABEL: 'columns' }));
  });

  /** A relation by name, or a table function's rows (`range(10) AS t(i)`, `unnest([1, 2])`). */
  readonly tableRef = this.RULE('tableRef', () => {
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    this.OPTION3(() => {
      this.CONSUME(LParen, { LABEL: 'call' });
      this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: 'args' }) });
      this.CONSUME(RParen);
      // WITH ORDINALITY (the SQL standard's, as DuckDB): each row's place in the list, from 1.
      this.OPTION2({
        GATE: () => tokenMatcher(this.LA(1), K.WITH) && this.LA(2).image.toUpperCase() === 'ORDINALITY',
        DEF: () => {
          this.CONSUME(K.WITH, { LABEL: 'ordinality' });
          this.SUBRULE2(this.identifier);
        },
      });
    });
    this.OPTION({ GATE: () => this.aliasNext(), DEF: () => this.SUBRULE(this.relationAlias, { LABEL: 'alias' }) });
  });

  /** `(SELECT ...)` or `(VALUES (...), ...)` in FROM, with an alias that may name its columns: `t(a, b)`. */
  readonly subquery = this.RULE('subquery', () => {
    this.CONSUME(LParen);
    // (VALUES ...) in FROM is its rows (a query may start with VALUES too: the same rows, first alternative).
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          ALT: () => {
            this.CONSUME(K.VALUES, { LABEL: 'values' });
            this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.valuesRow, { LABEL: 'rows' }) });
          },
        },
        { ALT: () => this.SUBRULE(this.selectQuery) },
      ],
    });
    this.CONSUME(RParen);
    this.OPTION({ GATE: () => this.aliasNext(), DEF: () => this.SUBRULE(this.relationAlias, { LABEL: 'alias' }) });
  });

  /** `TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE [, ...]))`; `TABLE (SELECT ...)` for t too. */
  readonly windowTvf = this.RULE('windowTvf', () => {
    this.CONSUME(K.TABLE);
    this.CONSUME(LParen);
    this.OR([
      { ALT: () => this.CONSUME(K.TUMBLE, { LABEL: 'fn' }) },
      { ALT: () => this.CONSUME(K.HOP, { LABEL: 'fn' }) },
      { ALT: () => this.CONSUME(K.SESSION, { LABEL: 'fn' }) },
    ]);
    this.CONSUME2(LParen);
    this.CONSUME2(K.TABLE, { LABEL: 'inputStart' });
    this.OR2([
      { ALT: () => this.SUBRULE(this.identifier, { LABEL: 'input' }) },
      {
        // TABLE (SELECT ...): the rows of a query, e.g. filtered before they form sessions.
        ALT: () => {
          this.CONSUME4(LParen);
          this.SUBRULE(this.selectQuery, { LABEL: 'inputQuery' });
          this.CONSUME4(RParen, { LABEL: 'inputEnd' });
        },
      },
    ]);
    this.CONSUME(Comma);
    this.CONSUME(K.DESCRIPTOR);
    this.CONSUME3(LParen);
    this.SUBRULE2(this.identifier, { LABEL: 'timeColumn' });
    this.CONSUME(RParen);
    this.MANY(() => {
      this.CONSUME2(Comma);
      this.SUBRULE(this.expression, { LABEL: 'args' });
    });
    this.CONSUME2(RParen);
    this.CONSUME3(RParen);
    this.OPTION({ GATE: () => this.aliasNext(), DEF: () => this.SUBRULE(this.alias) });
  });

  // ------------------------------------------------------------ expressions

  readonly standaloneExpression = this.RULE('standaloneExpression', () => {
    this.SUBRULE(this.expression);
  });

  /**
   * Operands joined by binary operators and followed by predicate suffixes, read as one flat
   * sequence; the AST visitor applies precedence (to-ast-expr.ts). Flat on purpose: a level of
   * parentheses then costs three rules (expression, operand, primary) of parser recursion, not
   * one per precedence level, so deeply nested expressions fit the stack.
   */
  readonly expression = this.RULE('expression', () => {
    this.SUBRULE(this.operand, { LABEL: 'operands' });
    this.MANY({
      // IN without '(' after it is POSITION(substring IN string)'s, not a predicate.
      GATE: () => !tokenMatcher(this.LA(1), K.IN) || tokenMatcher(this.LA(2), LParen),
      DEF: () => this.OR([
        {
          ALT: () => {
            this.SUBRULE(this.binaryOperator, { LABEL: 'ops' });
            this.SUBRULE2(this.operand, { LABEL: 'operands' });
          },
        },
        { ALT: () => this.SUBRULE(this.predicateSuffix, { LABEL: 'suffixes' }) },
      ]),
    });
  });

  /** Operands joined by arithmetic and `||` only: the bounds of BETWEEN, a LIKE pattern. */
  readonly arithmetic = this.RULE('arithmetic', () => {
    this.SUBRULE(this.operand, { LABEL: 'operands' });
    this.MANY(() => {
      this.SUBRULE(this.arithmeticOperator, { LABEL: 'ops' });
      this.SUBRULE2(this.operand, { LABEL: 'operands' });
    });
  });

  readonly binaryOperator = this.RULE('binaryOperator', () => {
    this.OR([
      { ALT: () => this.CONSUME(K.OR, { LABEL: 'op' }) },
      { ALT: () => this.CONSUME(K.AND, { LABEL: 'op' }) },
      // Before the comparisons: `<<` and `>>` start with a comparison's token.
      { ALT: () => this.SUBRULE(this.arithmeticOperator, { LABEL: 'arith' }) },
      { ALT: () => this.CONSUME(ComparisonOperator, { LABEL: 'op' }) },
    ]);
  });

  readonly arithmeticOperator = this.RULE('arithmeticOperator', () => {
    this.OR([
      { ALT: () => this.CONSUME(Concat, { LABEL: 'op' }) },
      { ALT: () => this.CONSUME(Plus, { LABEL: 'op' }) },
      { ALT: () => this.CONSUME(Minus, { LABEL: 'op' }) },
      { ALT: () => this.CONSUME(Star, { LABEL: 'op' }) },
      { ALT: () => this.CONSUME(Slash, { LABEL: 'op' }) },
      { ALT: () => this.CONSUME(DoubleSlash, { LABEL: 'op' }) },
      { ALT: () => this.CONSUME(Caret, { LABEL: 'op' }) },
      { ALT: () => this.CONSUME(StartsWith, { LABEL: 'op' }) },
      // x -> x * 2, (acc, x) -> acc + x: a lambda, read as an operator of the lowest binding (to-ast-lambda.ts).
      { ALT: () => this.CONSUME(Arrow, { LABEL: 'op' }) },
      // json ->> '$.path': JSON_EXTRACT_STRING.
      { ALT: () => this.CONSUME(LongArrow, { LABEL: 'op' }) },
      { ALT: () => this.CONSUME(Ampersand, { LABEL: 'op' }) },
      { ALT: () => this.CONSUME(Pipe, { LABEL: 'op' }) },
      // << and >> as two tokens each (a lone >> token would end ARRAY<ARRAY<INT>> early).
      {
        ALT: () => {
          this.CONSUME(Less, { LABEL: 'shift' });
          this.CONSUME2(Less, { LABEL: 'shift' });
        },
      },
      {
        ALT: () => {
          this.CONSUME(Greater, { LABEL: 'shift' });
          this.CONSUME2(Greater, { LABEL: 'shift' });
        },
      },
      { ALT: () => this.CONSUME(Percent, { LABEL: 'op' }) },
    ]);
  });

  /** IS [NOT] NULL, IS [NOT] DISTINCT FROM, [NOT] IN/BETWEEN/LIKE/ILIKE after an operand. */
  readonly predicateSuffix = this.RULE('predicateSuffix', () => {
    this.OR([
      {
        // s ~ 're', s !~ 're', s ~~ 'p%', ... (see MatchOperator).
        ALT: () => {
          this.or(23, [{ ALT: () => this.CONSUME(Tilde, { LABEL: 'match' }) }, { ALT: () => this.CONSUME(MatchOperator, { LABEL: 'match' }) }]);
          this.SUBRULE9(this.arithmetic, { LABEL: 'pattern' });
        },
      },
      {
        ALT: () => {
          this.CONSUME(K.IS, { LABEL: 'is' });
          this.OPTION(() => this.CONSUME(K.NOT, { LABEL: 'not' }));
          this.OR3([
            { ALT: () => this.CONSUME(K.NULL, { LABEL: 'end' }) },
            { ALT: () => this.CONSUME(K.TRUE, { LABEL: 'truth' }) },
            { ALT: () => this.CONSUME(K.FALSE, { LABEL: 'truth' }) },
            { ALT: () => this.CONSUME(K.UNKNOWN, { LABEL: 'truth' }) },
            {
              ALT: () => {
                this.CONSUME(K.DISTINCT, { LABEL: 'distinct' });
                this.CONSUME(K.FROM);
                this.SUBRULE5(this.arithmetic, { LABEL: 'right' });
              },
            },
          ]);
        },
      },
      {
        ALT: () => {
          this.OPTION2(() => this.CONSUME2(K.NOT, { LABEL: 'not' }));
          this.OR2([
            {
              ALT: () => {
                this.CONSUME(K.IN, { LABEL: 'in' });
                this.CONSUME(LParen);
                // A query first: `x IN (PIVOT (...` is a PIVOT query, not a call of a function named pivot.
                this.OR5({
                  IGNORE_AMBIGUITIES: true,
                  DEF: [
                    { ALT: () => this.SUBRULE(this.selectQuery, { LABEL: 'subquery' }) },
                    { ALT: () => this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: 'list' }) }) },
                  ],
                });
                this.CONSUME(RParen, { LABEL: 'end' });
              },
            },
            {
              ALT: () => {
                this.CONSUME(K.BETWEEN, { LABEL: 'between' });
                // BETWEEN SYMMETRIC a AND b: either bound may be the lower (the standard's form).
                this.option(20, () => this.or(20, [{ ALT: () => this.CONSUME(K.SYMMETRIC, { LABEL: 'symmetric' }) }, { ALT: () => this.CONSUME(K.ASYMMETRIC) }]));
                this.SUBRULE2(this.arithmetic, { LABEL: 'low' });
                this.CONSUME(K.AND);
                this.SUBRULE3(this.arithmetic, { LABEL: 'high' });
              },
            },
            {
              ALT: () => {
                this.OR4([
                  { ALT: () => this.CONSUME(K.LIKE, { LABEL: 'like' }) },
                  { ALT: () => this.CONSUME(K.ILIKE, { LABEL: 'like' }) },
                ]);
                this.SUBRULE4(this.arithmetic, { LABEL: 'pattern' });
                this.OPTION3(() => {
                  this.CONSUME(K.ESCAPE);
                  this.SUBRULE6(this.arithmetic, { LABEL: 'escape' });
                });
              },
            },
            {
              // x SIMILAR TO 'regex' (as DuckDB: the whole string matches the regular expression).
              ALT: () => {
                this.CONSUME(K.SIMILAR, { LABEL: 'similar' });
                this.CONSUME(K.TO);
                this.SUBRULE7(this.arithmetic, { LABEL: 'pattern' });
              },
            },
            {
              // x GLOB 'a*' (as DuckDB and SQLite: * any run, ? one character, [...] one of them).
              ALT: () => {
                this.CONSUME(K.GLOB, { LABEL: 'glob' });
                this.SUBRULE8(this.arithmetic, { LABEL: 'pattern' });
              },
            },
          ]);
        },
      },
    ]);
  });

  /** Prefix operators (NOT, -, +), a primary, then field accesses and indexes. */
  readonly operand = this.RULE('operand', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(K.NOT, { LABEL: 'prefix' }) },
        { ALT: () => this.CONSUME(Minus, { LABEL: 'prefix' }) },
        { ALT: () => this.CONSUME(Plus, { LABEL: 'prefix' }) },
        { ALT: () => this.CONSUME(Tilde, { LABEL: 'prefix' }) },
      ]);
    });
    this.SUBRULE(this.primary);
    this.MANY2(() => this.SUBRULE(this.postfixOp, { LABEL: 'ops' }));
  });

  readonly postfixOp = this.RULE('postfixOp', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(DoubleColon, { LABEL: 'cast' });
          this.SUBRULE(this.dataType);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Dot);
          this.CONSUME(Word, { LABEL: 'field' });
          // x.f(args): DuckDB's method call, f(x, args).
          this.OPTION4(() => {
            this.CONSUME(LParen, { LABEL: 'method' });
            this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE3(this.expression, { LABEL: 'methodArgs' }) });
            this.CONSUME(RParen);
          });
        },
      },
      {
        // x COLLATE nocase (or "nocase.noaccent", 'nocase'): how strings compare and sort.
        GATE: () => tokenMatcher(this.LA(2), Identifier) || this.LA(2).tokenType === StringLiteral,
        ALT: () => {
          this.CONSUME(K.COLLATE, { LABEL: 'collate' });
          this.OR2([
            { ALT: () => this.CONSUME2(StringLiteral, { LABEL: 'collation' }) },
            {
              ALT: () => {
                this.CONSUME2(Word, { LABEL: 'collation' });
                this.MANY(() => {
                  this.CONSUME2(Dot);
                  this.CONSUME3(Word, { LABEL: 'collation' });
                });
              },
            },
          ]);
        },
      },
      {
        // x[i], or a slice x[a:b] (either bound may be left out).
        ALT: () => {
          this.CONSUME(LBracket);
          this.OPTION(() => this.SUBRULE(this.expression, { LABEL: 'index' }));
          this.OPTION2(() => {
            this.CONSUME(Colon, { LABEL: 'slice' });
            this.OPTION3(() => this.SUBRULE2(this.expression, { LABEL: 'upper' }));
          });
          this.CONSUME(RBracket, { LABEL: 'end' });
        },
      },
    ]);
  });

  readonly primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.literal) },
      { ALT: () => this.SUBRULE(this.intervalLiteral) },
      { ALT: () => this.SUBRULE(this.timestampLiteral) },
      { ALT: () => this.SUBRULE(this.caseExpr) },
      { ALT: () => this.SUBRULE(this.castExpr) },
      { ALT: () => this.SUBRULE(this.arrayExpr) },
      { ALT: () => this.SUBRULE(this.structExpr) },
      { ALT: () => this.SUBRULE(this.mapExpr) },
      {
        // EXISTS (SELECT ...)
        ALT: () => {
          this.CONSUME(K.EXISTS, { LABEL: 'exists' });
          this.CONSUME2(LParen);
          this.SUBRULE2(this.selectQuery, { LABEL: 'subquery' });
          this.CONSUME2(RParen);
        },
      },
      {
        // (SELECT ...) as a value (a query's first word after the parenthesis: `(pivot(x))` is a call).
        GATE: () => QUERY_STARTS.some((t) => tokenMatcher(this.LA(2), t)),
        ALT: () => {
          this.CONSUME3(LParen, { LABEL: 'scalar' });
          this.SUBRULE(this.selectQuery, { LABEL: 'subquery' });
          this.CONSUME3(RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(LParen, { LABEL: 'paren' });
          this.SUBRULE(this.expression);
          // (a, b): a row value, compared with another or tested with IN (to-ast-rows.ts).
          this.MANY(() => {
            this.CONSUME(Comma);
            this.SUBRULE2(this.expression, { LABEL: 'rowItems' });
          });
          this.CONSUME(RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.leftCall) },
      { ALT: () => this.SUBRULE(this.nameOrCall) },
    ]);
  });

  /** `LEFT(s, n)`: the function, whose name is also the keyword of LEFT JOIN. */
  /** A call of a function whose name is a reserved word: LEFT(s, n), IF(cond, a, b). */
  readonly leftCall = this.RULE('leftCall', () => {
    this.OR([{ ALT: () => this.CONSUME(K.LEFT, { LABEL: 'name' }) }, { ALT: () => this.CONSUME(K.IF, { LABEL: 'name' }) }]);
    this.CONSUME(LParen);
    this.SUBRULE(this.expression, { LABEL: 'args' });
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.expression, { LABEL: 'args' });
    });
    this.CONSUME(RParen);
  });

  readonly literal = this.RULE('literal', () => {
    this.OR([
      { ALT: () => this.CONSUME(StringLiteral, { LABEL: 'string' }) },
      { ALT: () => this.CONSUME(IntegerLiteral, { LABEL: 'integer' }) },
      { ALT: () => this.CONSUME(DecimalLiteral, { LABEL: 'decimal' }) },
      { ALT: () => this.CONSUME(K.TRUE, { LABEL: 'boolean' }) },
      { ALT: () => this.CONSUME(K.FALSE, { LABEL: 'boolean' }) },
      { ALT: () => this.CONSUME(K.NULL, { LABEL: 'null' }) },
    ]);
  });

  readonly intervalLiteral = this.RULE('intervalLiteral', () => {
    this.CONSUME(K.INTERVAL);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(StringLiteral, { LABEL: 'text' });
          this.OPTION(() => this.CONSUME(TimeUnit, { LABEL: 'unit' }));
        },
      },
      // INTERVAL 5 MINUTE, as DuckDB and MySQL take it.
      {
        ALT: () => {
          this.CONSUME(IntegerLiteral, { LABEL: 'text' });
          this.CONSUME2(TimeUnit, { LABEL: 'unit' });
        },
      },
      // INTERVAL (n * 2) MINUTE: a computed amount, as DuckDB takes it (TO_MINUTES(n * 2)).
      {
        ALT: () => {
          this.CONSUME(LParen);
          this.SUBRULE(this.expression, { LABEL: 'amount' });
          this.CONSUME(RParen);
          this.CONSUME3(TimeUnit, { LABEL: 'unit' });
        },
      },
    ]);
  });

  /** `TIMESTAMP '2024-01-01 10:00:00'`, `DATE '2024-01-01'` or `TIME '10:00:00'`. */
  readonly timestampLiteral = this.RULE('timestampLiteral', () => {
    this.OR([{ ALT: () => this.CONSUME(K.TIMESTAMP, { LABEL: 'type' }) }, { ALT: () => this.CONSUME(K.DATE, { LABEL: 'type' }) }, { ALT: () => this.CONSUME(K.TIME, { LABEL: 'type' }) }]);
    this.CONSUME(StringLiteral, { LABEL: 'text' });
  });

  readonly caseExpr = this.RULE('caseExpr', () => {
    this.CONSUME(K.CASE);
    this.OPTION(() => this.SUBRULE(this.expression, { LABEL: 'operand' }));
    this.AT_LEAST_ONE(() => {
      this.CONSUME(K.WHEN);
      this.SUBRULE2(this.expression, { LABEL: 'whens' });
      this.CONSUME(K.THEN);
      this.SUBRULE3(this.expression, { LABEL: 'thens' });
    });
    this.OPTION2(() => {
      this.CONSUME(K.ELSE);
      this.SUBRULE4(this.expression, { LABEL: 'else' });
    });
    this.CONSUME(K.END);
  });

  readonly castExpr = this.RULE('castExpr', () => {
    this.OR([{ ALT: () => this.CONSUME(K.CAST) }, { ALT: () => this.CONSUME(K.TRY_CAST, { LABEL: 'try' }) }]);
    this.CONSUME(LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(K.AS);
    this.SUBRULE(this.dataType);
    this.CONSUME(RParen);
  });

  /** `{'a': 1, 'b': 'x'}`: a STRUCT value, as DuckDB writes one (a field name may be a bare name too). */
  readonly structExpr = this.RULE('structExpr', () => {
    this.CONSUME(LCurly);
    this.MANY_SEP({
      SEP: Comma,
      DEF: () => {
        this.OR([
          { ALT: () => this.CONSUME(StringLiteral, { LABEL: 'keys' }) },
          { ALT: () => this.SUBRULE(this.identifier, { LABEL: 'keys' }) },
        ]);
        this.CONSUME(Colon);
        this.SUBRULE(this.expression, { LABEL: 'values' });
      },
    });
    this.CONSUME(RCurly);
  });

  /** `MAP {'a': 1, 'b': 2}`: a MAP value, as DuckDB writes one (keys are expressions). */
  readonly mapExpr = this.RULE('mapExpr', () => {
    this.CONSUME(K.MAP);
    this.CONSUME(LCurly);
    this.MANY_SEP({
      SEP: Comma,
      DEF: () => {
        this.SUBRULE(this.expression, { LABEL: 'keys' });
        this.CONSUME(Colon);
        this.SUBRULE2(this.expression, { LABEL: 'values' });
      },
    });
    this.CONSUME(RCurly);
  });

  /** `ARRAY[a, b]`, or `[a, b]` as DuckDB writes a list; `ARRAY(SELECT ...)`, the list of a subquery's values. */
  readonly arrayExpr = this.RULE('arrayExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(K.ARRAY, { LABEL: 'arrayQuery' });
          this.CONSUME(LParen);
          this.SUBRULE(this.selectQuery, { LABEL: 'subquery' });
          this.CONSUME(RParen);
        },
      },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME2(K.ARRAY));
          this.CONSUME(LBracket);
          this.OPTION2(() => {
            this.SUBRULE(this.expression, { LABEL: 'elements' });
            // [expr FOR x IN list [IF cond]]: DuckDB's list comprehension.
            this.OPTION3(() => {
              this.CONSUME(K.FOR, { LABEL: 'for' });
              this.SUBRULE(this.identifier, { LABEL: 'variable' });
              this.CONSUME(K.IN);
              this.SUBRULE2(this.expression, { LABEL: 'source' });
              this.OPTION4(() => {
                this.CONSUME(K.IF);
                this.SUBRULE3(this.expression, { LABEL: 'condition' });
              });
            });
            this.MANY(() => {
              this.CONSUME(Comma);
              this.SUBRULE4(this.expression, { LABEL: 'elements' });
            });
          });
          this.CONSUME(RBracket);
        },
      },
    ]);
  });

  /**
   * A column name, or a function call when followed by `(`. The standard's
   * `TRIM([BOTH|LEADING|TRAILING] [chars] FROM s)` is recognised here as a call with a `side`
   * and a `from` argument; the AST visitor accepts that form for TRIM only.
   */
  readonly nameOrCall = this.RULE('nameOrCall', () => {
    this.SUBRULE(this.identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(LParen, { LABEL: 'call' });
      this.OPTION2(() => {
        // One token of lookahead and gates: the analysis of every three-token path through the
        // argument expressions took about 190 ms of the parser's construction.
        this.OR({
          MAX_LOOKAHEAD: 1,
          DEF: [
          { ALT: () => this.SUBRULE(this.starArgument, { LABEL: 'starArgument' }) },
          // x > ALL (SELECT ...), x = ANY (SELECT ...): a quantified comparison (to-ast-quantified.ts).
          {
            GATE: () => tokenMatcher(this.LA(1), K.SELECT) || tokenMatcher(this.LA(1), K.WITH),
            ALT: () => this.SUBRULE(this.selectQuery, { LABEL: 'quantified' }),
          },
          // TRIM(LEADING 'x' FROM s): BOTH, LEADING and TRAILING are names too, so the word after
          // tells: FROM, a value, or a name that is not an operator word (f(leading ILIKE 'x')).
          {
            GATE: () => tokenMatcher(this.LA(1), TrimSide) && startsTrimOperand(this.LA(2)),
            ALT: () => {
              this.CONSUME(TrimSide, { LABEL: 'side' });
              this.OPTION4(() => this.SUBRULE3(this.expression, { LABEL: 'args' }));
              this.CONSUME2(K.FROM, { LABEL: 'from' });
              this.SUBRULE4(this.expression, { LABEL: 'fromArg' });
            },
          },
          {
            ALT: () => {
              this.CONSUME(K.FROM, { LABEL: 'from' });
              this.SUBRULE5(this.expression, { LABEL: 'fromArg' });
            },
          },
          {
            ALT: () => {
              this.OPTION3(() => this.CONSUME(K.DISTINCT, { LABEL: 'distinct' }));
              this.option(22, { GATE: () => this.namedArgumentAhead(), DEF: () => this.SUBRULE(this.argumentName, { LABEL: 'argNames' }) });
              this.SUBRULE(this.expression, { LABEL: 'args' });
              this.OR2([
                {
                  ALT: () => {
                    this.CONSUME3(K.FROM, { LABEL: 'from' });
                    this.SUBRULE6(this.expression, { LABEL: 'fromArg' });
                    // SUBSTRING(s FROM start FOR length), the standard's form.
                    this.option(10, () => {
                      this.consume(10, K.FOR, { LABEL: 'for' });
                      this.subrule(10, this.expression, { LABEL: 'forArg' });
                    });
                  },
                },
                // POSITION(substring IN string), the standard's form.
                {
                  ALT: () => {
                    this.CONSUME(K.IN, { LABEL: 'in' });
                    this.SUBRULE8(this.expression, { LABEL: 'inArg' });
                  },
                },
                { ALT: () => this.MANY(() => {
                  this.CONSUME(Comma);
                  this.option(23, { GATE: () => this.namedArgumentAhead(), DEF: () => this.SUBRULE2(this.argumentName, { LABEL: 'argNames' }) });
                  this.SUBRULE2(this.expression, { LABEL: 'args' });
                }) },
              ]);
              // LAST_VALUE(v IGNORE NULLS), as DuckDB writes it.
              this.OPTION8(() => this.SUBRULE(this.nullsTreatment, { LABEL: 'nulls' }));
              // An aggregate's own order: STRING_AGG(name, ',' ORDER BY name).
              this.OPTION7(() => {
                this.CONSUME(K.ORDER);
                this.CONSUME(K.BY);
                this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.orderItem, { LABEL: 'argOrder' }) });
              });
            },
          },
          ],
        });
      });
      this.CONSUME(RParen);
      // An ordered-set aggregate's WITHIN GROUP (ORDER BY x): PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY v).
      this.OPTION9(() => {
        this.CONSUME(K.WITHIN, { LABEL: 'within' });
        this.CONSUME(K.GROUP);
        this.CONSUME6(LParen);
        this.CONSUME2(K.ORDER);
        this.CONSUME2(K.BY);
        this.SUBRULE2(this.orderItem, { LABEL: 'withinOrder' });
        this.CONSUME6(RParen);
      });
      // An aggregate's FILTER (WHERE cond): only the rows where cond is TRUE are aggregated.
      this.OPTION5(() => {
        this.CONSUME(K.FILTER);
        this.CONSUME5(LParen);
        // FILTER (WHERE cond), or FILTER (cond) as DuckDB also takes it.
        this.option(21, () => this.CONSUME(K.WHERE));
        this.SUBRULE7(this.expression, { LABEL: 'filter' });
        this.CONSUME5(RParen);
      });
      // LAST_VALUE(v) IGNORE NULLS OVER (...), as the SQL standard writes it.
      this.OPTION1({ GATE: () => tokenMatcher(this.LA(2), K.NULLS), DEF: () => this.SUBRULE2(this.nullsTreatment, { LABEL: 'nulls' }) });
      // A window function's OVER (PARTITION BY ... ORDER BY ...).
      this.OPTION6(() => this.SUBRULE(this.overClause, { LABEL: 'over' }));
    });
  });

  /** `IGNORE NULLS` or `RESPECT NULLS` of FIRST_VALUE, LAST_VALUE, NTH_VALUE, LAG and LEAD. */
  readonly nullsTreatment = this.RULE('nullsTreatment', () => {
    this.OR([{ ALT: () => this.CONSUME(K.IGNORE, { LABEL: 'ignore' }) }, { ALT: () => this.CONSUME(K.RESPECT) }]);
    this.CONSUME(K.NULLS);
  });

  /** `OVER (PARTITION BY ... ORDER BY ... frame)`, or `OVER w` naming a window of the WINDOW clause. */
  readonly overClause = this.RULE('overClause', () => {
    this.CONSUME(K.OVER);
    this.OR([{ ALT: () => this.SUBRULE(this.identifier, { LABEL: 'named' }) }, { ALT: () => this.SUBRULE(this.windowSpec, { LABEL: 'spec' }) }]);
  });

  /** A name opening a window spec: not one of the words a spec may start with. */
  private baseWindowAhead(): boolean {
    const t = this.LA(1);
    if (!tokenMatcher(t, Identifier)) return false;
    return ![K.PARTITION, K.ORDER, K.ROWS, K.RANGE, K.GROUPS].some((k) => tokenMatcher(t, k));
  }

  /** `WINDOW w AS (...), ...` after HAVING: windows that OVER names. */
  readonly windowClause = this.RULE('windowClause', () => {
    this.CONSUME(K.WINDOW);
    this.AT_LEAST_ONE_SEP({
      SEP: Comma,
      DEF: () => {
        this.SUBRULE(this.identifier, { LABEL: 'names' });
        this.CONSUME(K.AS);
        this.SUBRULE(this.windowSpec, { LABEL: 'specs' });
      },
    });
  });

  readonly windowSpec = this.RULE('windowSpec', () => {
    this.CONSUME(LParen);
    // `(w ORDER BY ...)`: the window w of the WINDOW clause, with what follows added (the standard's).
    this.OPTION4({ GATE: () => this.baseWindowAhead(), DEF: () => this.SUBRULE(this.identifier, { LABEL: 'base' }) });
    this.OPTION(() => {
      this.CONSUME(K.PARTITION);
      this.CONSUME(K.BY);
      this.AT_LEAST_ONE_SEP({ SEP: Comma, MAX_LOOKAHEAD: 1, DEF: () => this.SUBRULE(this.expression, { LABEL: 'partitionBy' }) });
    });
    this.OPTION2(() => {
      this.CONSUME(K.ORDER);
      this.CONSUME2(K.BY);
      this.AT_LEAST_ONE_SEP2({ SEP: Comma, MAX_LOOKAHEAD: 1, DEF: () => this.SUBRULE(this.orderItem, { LABEL: 'orderBy' }) });
    });
    this.OPTION3(() => this.SUBRULE(this.windowFrame, { LABEL: 'frame' }));
    this.CONSUME(RParen);
  });

  /** `ROWS | RANGE | GROUPS [BETWEEN bound AND bound | bound] [EXCLUDE ...]` of OVER (...). */
  readonly windowFrame = this.RULE('windowFrame', () => {
    this.OR([
      { ALT: () => this.CONSUME(K.ROWS, { LABEL: 'unit' }) },
      { ALT: () => this.CONSUME(K.RANGE, { LABEL: 'unit' }) },
      { ALT: () => this.CONSUME(K.GROUPS, { LABEL: 'unit' }) },
    ]);
    this.OR2([
      {
        ALT: () => {
          this.CONSUME(K.BETWEEN);
          this.SUBRULE(this.frameBound, { LABEL: 'start' });
          this.CONSUME(K.AND);
          this.SUBRULE2(this.frameBound, { LABEL: 'end' });
        },
      },
      { ALT: () => this.SUBRULE3(this.frameBound, { LABEL: 'start' }) },
    ]);
    // EXCLUDE CURRENT ROW | GROUP | TIES | NO OTHERS: the words are checked when the AST is built.
    this.OPTION(() => {
      this.CONSUME(K.EXCLUDE, { LABEL: 'exclude' });
      this.AT_LEAST_ONE(() => this.CONSUME(Word, { LABEL: 'excludeWords' }));
    });
  });

  /** `UNBOUNDED PRECEDING | n PRECEDING | CURRENT ROW | n FOLLOWING | UNBOUNDED FOLLOWING`. */
  readonly frameBound = this.RULE('frameBound', () => {
    this.OR({
      // UNBOUNDED and CURRENT are also names: as the first word of a bound they are the keywords.
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          ALT: () => {
            this.CONSUME(K.UNBOUNDED, { LABEL: 'unbounded' });
            this.SUBRULE(this.frameSide, { LABEL: 'side' });
          },
        },
        {
          ALT: () => {
            this.CONSUME(K.CURRENT, { LABEL: 'current' });
            this.CONSUME(K.ROW);
          },
        },
        {
          ALT: () => {
            this.SUBRULE(this.expression, { LABEL: 'offset' });
            this.SUBRULE2(this.frameSide, { LABEL: 'side' });
          },
        },
      ],
    });
  });

  readonly frameSide = this.RULE('frameSide', () => {
    this.OR([{ ALT: () => this.CONSUME(K.PRECEDING, { LABEL: 'side' }) }, { ALT: () => this.CONSUME(K.FOLLOWING, { LABEL: 'side' }) }]);
  });
}

let parser: SqlParser | undefined;
/**
 * The one parser instance, built on first use (chevrotain parsers are costly to build and meant
 * to be reused; a server that starts with no SQL to run does not pay for it at start-up).
 */
export function sqlParser(): SqlParser {
  parser ??= new SqlParser();
  return parser;
}

/** Names of the rules that can start a parse. */
export type StartRule = 'script' | 'standaloneExpression';

/** The words a query may start with. */
const QUERY_STARTS = [K.SELECT, K.WITH, K.FROM, K.VALUES, K.PIVOT, K.UNPIVOT];

/** Soft keywords that may follow an operand as an operator (`x ILIKE p`, `x GLOB p`, `x SIMILAR TO p`, `v IGNORE NULLS`). */
const OPERATOR_WORDS = [K.ILIKE, K.GLOB, K.SIMILAR, K.IGNORE, K.RESPECT, K.ESCAPE];

/** Whether `t`, after BOTH/LEADING/TRAILING in a call, starts TRIM's operand (or FROM) rather than continuing an expression. */
function startsTrimOperand(t: IToken): boolean {
  const type = t.tokenType;
  if (tokenMatcher(t, K.FROM) || type === StringLiteral || type === IntegerLiteral || type === DecimalLiteral || type === LParen) return true;
  return tokenMatcher(t, Identifier) && !OPERATOR_WORDS.some((w) => tokenMatcher(t, w));
}
