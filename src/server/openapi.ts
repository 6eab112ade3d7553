/** The OpenAPI 3 description of the HTTP API, served at GET /v1/openapi.json. */

const errorRef = { $ref: '#/components/schemas/Error' };
const jsonError = (description: string) => ({ description, content: { 'application/json': { schema: errorRef } } });
const jsonOk = (description: string, schema: Record<string, unknown> = { type: 'object' }) => ({
  description,
  content: { 'application/json': { schema } },
});
const sqlBody = {
  required: true,
  content: {
    'application/json': { schema: { $ref: '#/components/schemas/SqlRequest' } },
    'text/plain': { schema: { type: 'string', description: 'The SQL text itself.' } },
  },
};
const common = {
  '400': jsonError('Malformed request or SQL error'),
  '401': jsonError('Missing or wrong bearer token'),
  '405': jsonError('Wrong method for this route; the Allow header lists the right ones'),
  '414': jsonError('Request line too long'),
  '431': jsonError('Request headers too large'),
};
const sqlErrors = {
  ...common,
  '404': jsonError('Unknown relation or model'),
  '409': jsonError('Object already exists'),
  '413': jsonError('Body too large'),
  '415': jsonError('Content-Type is neither application/json nor text/plain'),
};
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
const timestampsParam = {
  name: 'timestamps',
  in: 'query',
  schema: { type: 'string', enum: ['iso', 'epoch_ms'], default: 'iso' },
  description: "How TIMESTAMP values are written: ISO-8601 text in UTC with milliseconds, or epoch milliseconds (a JSON body's 'timestamps' field takes precedence)",
};
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const byParam = { name: 'by', in: 'query', schema: { type: 'string' }, description: 'Who makes the change (default http), kept in the model history' };
const reasonParam = { name: 'reason', in: 'query', schema: { type: 'string' }, description: 'Why, kept in the model history' };

export const openApiDocument = {
  openapi: '3.0.3',
  info: {
    title: 'Sluice HTTP API',
    version: '1',
    description: 'Statements, push queries, rows in over HTTP, materialized view lookups, query status and models. Errors are JSON with a stable code.',
  },
  security: [{ bearer: [] }],
  paths: {
    '/v1/sql': {
      post: {
        summary: 'Run one or more statements (not push queries)',
        description:
          'Every statement is parsed and planned before any runs, so a syntax or binding error (or a push query in the request) changes nothing and ' +
          'answers the error alone. When a statement fails while running, the answer has the status of its error and holds both `results` ' +
          '(of the statements that ran before it) and `error`; the statements after it did not run.',
        parameters: [timestampsParam],
        requestBody: sqlBody,
        responses: {
          '200': jsonOk('One result per statement', { $ref: '#/components/schemas/SqlResponse' }),
          ...sqlErrors,
          '500': jsonOk('A statement failed while running: results of those before it, and the error', { $ref: '#/components/schemas/PartialSqlResponse' }),
        },
      },
    },
    '/v1/query': {
      post: {
        summary: 'Stream the results of one SELECT until the client disconnects',
        description:
          'The first message is {columns, queryId, updating}; then one {op, values} per row; {error} on failure; {end, rows} when the input ends. ' +
          'NDJSON by default; server-sent events (events columns, row, error, end) with Accept: text/event-stream. Disconnecting cancels the query.',
        parameters: [
          timestampsParam,
          { name: 'from', in: 'query', schema: { type: 'string', enum: ['latest', 'earliest'], default: 'latest' }, description: "Where a push query starts reading (a JSON body's 'from' field takes precedence)" },
        ],
        requestBody: sqlBody,
        responses: {
          '200': {
            description: 'A stream of messages',
            content: {
              'application/x-ndjson': { schema: { $ref: '#/components/schemas/StreamMessage' } },
              'text/event-stream': { schema: { type: 'string' } },
            },
          },
          ...sqlErrors,
          '429': jsonError('As many push queries stream as the server or this client may have'),
        },
      },
    },
    '/v1/views/{name}': {
      get: {
        summary: 'Scan a materialized view',
        parameters: [
          nameParam,
          timestampsParam,
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100000, default: 1000 } },
          { name: 'prefix', in: 'query', schema: { type: 'string' }, description: 'Only keys starting with this text' },
        ],
        responses: { '200': jsonOk('Rows of the view'), ...common, '404': jsonError('No such view') },
      },
    },
    '/v1/views/{name}/keys/{key}': {
      get: {
        summary: 'Look up one row of a materialized view by a string key',
        description: "The key is one string value ('%00' is the string of one NUL, never NULL). Use POST .../lookup for NULL, composite or very long keys.",
        parameters: [nameParam, { name: 'key', in: 'path', required: true, schema: { type: 'string' } }, timestampsParam],
        responses: { '200': jsonOk('The row'), ...common, '404': jsonError('No such view, or no row with that key') },
      },
    },
    '/v1/views/{name}/lookup': {
      post: {
        summary: 'Look up one row of a materialized view by a key given as JSON',
        parameters: [nameParam, timestampsParam],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/LookupRequest' } } } },
        responses: { '200': jsonOk('The row'), ...common, '404': jsonError('No such view, or no row with that key'), '415': jsonError('Not application/json') },
      },
    },
    '/v1/queries': { get: { summary: 'List running and finished queries (status, rates, lag, checkpoint, state size per operator)', responses: { '200': jsonOk('Queries'), ...common } } },
    '/v1/queries/{id}': {
      get: { summary: 'Status of one query', parameters: [idParam], responses: { '200': jsonOk('The query'), ...common, '404': jsonError('Unknown query') } },
      delete: {
        summary: "Cancel a push query; a view's or sink's query is stopped, as by POST .../stop",
        parameters: [idParam],
        responses: { '200': jsonOk('Cancelled'), ...common, '404': jsonError('Unknown query') },
      },
    },
    '/v1/queries/{id}/stop': {
      post: {
        summary: "Stop a view's or sink's query, keeping its state (status 'stopped', also after a restart); a push query is cancelled",
        parameters: [idParam],
        responses: { '200': jsonOk('The query, stopped'), ...common, '404': jsonError('Unknown query') },
      },
    },
    '/v1/queries/{id}/start': {
      post: {
        summary: 'Start a stopped (or failed, or not started) view or sink again from its last checkpoint',
        parameters: [idParam],
        responses: { '200': jsonOk('The query, running'), ...common, '404': jsonError('Unknown query') },
      },
    },
    '/v1/models': {
      get: { summary: 'Registered models, each with its serving version, candidate and the role of every version', responses: { '200': jsonOk('Models'), ...common } },
      post: {
        summary: 'Upload an ONNX file and register it (or a new version of it)',
        parameters: [
          { name: 'name', in: 'query', required: true, schema: { type: 'string' } },
          { name: 'by', in: 'query', schema: { type: 'string' }, description: 'Who registers it, kept with the version' },
        ],
        requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        responses: { '201': jsonOk('Registered'), ...common, '413': jsonError('File too large') },
      },
    },
    '/v1/models/{name}': {
      get: {
        summary: 'One model: signature, active version, provider and why, options, versions, statistics',
        parameters: [nameParam],
        responses: { '200': jsonOk('The model'), ...common, '404': jsonError('Unknown model') },
      },
    },
    '/v1/models/{name}/quality': {
      get: {
        summary: "Live quality of a model whose labels are joined (ALTER MODEL ... SET (labels = ...)): its labels settings, the most recent windows of <model>_quality (newest first) and the totals per version and role",
        parameters: [nameParam],
        responses: {
          '200': jsonOk('Quality', {
            type: 'object',
            properties: {
              quality: {
                type: 'object',
                properties: {
                  model: { type: 'string' },
                  labels: { type: 'object', nullable: true, description: 'labels, labelId, labelValue, withinMs, threshold, windowMs; null when no labels are joined' },
                  windows: { type: 'array', items: { type: 'object', description: 'window_start, window_end, version, role, labelled, positive_rate, auc, log_loss, brier, precision, recall, mean_score, label_delay_p50, label_delay_p99[, score_psi]' } },
                  totals: { type: 'array', items: { type: 'object', description: 'version, role and the same metrics over every labelled row' } },
                },
              },
            },
          }),
          ...common,
          '404': jsonError('Unknown model'),
        },
      },
    },
    '/v1/models/{name}/candidate': {
      post: {
        summary: 'Set the candidate (ALTER MODEL ... SET CANDIDATE): a new version beside the serving one, in shadow or canary mode',
        parameters: [nameParam, byParam, reasonParam],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', description: 'path, mode (shadow or canary), share (canary, 0..1), key (input column), and any model option, merged over the serving version', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } } } },
        },
        responses: { '201': jsonOk('The candidate'), ...common, '404': jsonError('Unknown model'), '400': jsonError('Bad options, or the file does not match the signature'), '500': jsonError('The file does not load') },
      },
      delete: { summary: 'Drop the candidate (ALTER MODEL ... DROP CANDIDATE)', parameters: [nameParam, byParam, reasonParam], responses: { '200': jsonOk('The dropped version'), ...common, '404': jsonError('Unknown model, or no candidate') } },
    },
    '/v1/models/{name}/promote': {
      post: { summary: 'The candidate becomes the serving version (ALTER MODEL ... PROMOTE)', parameters: [nameParam, byParam, reasonParam], responses: { '200': jsonOk('The serving version'), ...common, '404': jsonError('Unknown model, or no candidate') } },
    },
    '/v1/models/{name}/rollback': {
      post: {
        summary: 'Serve an earlier version again, without a reload gap (ALTER MODEL ... ROLLBACK TO VERSION n)',
        parameters: [nameParam, { name: 'version', in: 'query', schema: { type: 'integer', minimum: 1 }, description: 'Or {"version": n} in a JSON body' }, byParam, reasonParam],
        responses: { '200': jsonOk('The serving version'), ...common, '404': jsonError('Unknown model or version') },
      },
    },
    '/v1/models/{name}/predict': {
      post: {
        summary: 'Score rows now with the serving version (or "version"), through the same workers and batching as streams; row errors per row',
        parameters: [nameParam],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['rows'], properties: { rows: { type: 'array', description: 'Each row: the INPUT values in declaration order, or an object by input name', items: {} }, version: { type: 'integer', minimum: 1 } } } } },
        },
        responses: { '200': jsonOk('{"model", "rows": [{"outputs": {...}, "version": n} | {"error": "..."}]}'), ...common, '404': jsonError('Unknown model or version') },
      },
    },
    '/v1/models/{name}/versions': {
      get: { summary: 'Versions of a model', parameters: [nameParam], responses: { '200': jsonOk('Versions'), ...common, '404': jsonError('Unknown model') } },
    },
    '/v1/queries/{id}/plan': {
      get: {
        summary: "A query's plan: EXPLAIN of its SQL",
        parameters: [idParam],
        responses: { '200': jsonOk('The plan as EXPLAIN text', { type: 'object', properties: { id: { type: 'string' }, text: { type: 'string' } } }), ...common, '404': jsonError('Unknown query') },
      },
    },
    '/v1/series': {
      get: {
        summary: 'Live figures of the last 15 minutes, sampled about once a second (the console charts)',
        description:
          'One series per figure: scope `engine` (cpu_percent, heap_used_bytes, rss_bytes, external_bytes), `query` (rows_in_per_s, rows_out_per_s, lag, ' +
          'latency_p50_ms, latency_p99_ms, dead_letters_per_s, checkpoint_age_s), `operator` (rows_per_s, id `<query id>/<n>:<Operator>`) and `model` ' +
          '(rows_per_s, fallbacks_per_s, errors_per_s). Rates are over the last ~5 s. Values that were not known are null.',
        parameters: [
          { name: 'scope', in: 'query', schema: { type: 'string', enum: ['engine', 'query', 'operator', 'model'] } },
          { name: 'id', in: 'query', schema: { type: 'string' }, description: 'A query id (its operators too) or model name' },
          { name: 'since', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'Only samples at or after this time (ms since the epoch)' },
        ],
        responses: { '200': jsonOk('Series', { $ref: '#/components/schemas/SeriesResponse' }), ...common },
      },
    },
    '/v1/relations': {
      get: { summary: 'Streams, tables, views and sinks: schema, key, connector, partitions, retention and size', responses: { '200': jsonOk('Relations'), ...common, '404': jsonError('This server does not describe its relations') } },
    },
    '/v1/relations/{name}/rows': {
      get: {
        summary: 'The latest rows of a stream (newest first, with partition and offset), or rows of a table or view',
        parameters: [
          nameParam,
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 20 } },
          { name: 'partition', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'Only this partition of a stream' },
          { name: 'before', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'Only offsets below this one (the `next` of the previous page); needs one partition' },
          { name: 'timestamps', in: 'query', schema: { type: 'string', enum: ['iso', 'epoch_ms'], default: 'iso' }, description: 'How TIMESTAMP values are written' },
        ],
        responses: { '200': jsonOk('Rows'), ...common, '404': jsonError('No such relation') },
      },
    },
    '/v1/console': {
      get: { summary: "The web console's settings: mode (read-write or read-only), sampling interval and window", responses: { '200': jsonOk('Settings'), ...common } },
    },
    '/': { get: { summary: 'The web console (its page and files under /console/ answer without a token; they hold no data)', security: [], responses: { '200': { description: 'HTML page' } } } },
    '/v1/streams/{name}/rows': {
      post: {
        summary: 'Append rows to a stream kept in the embedded log',
        description:
          'The body is NDJSON (one JSON object per line) or a JSON array of objects; each is decoded with the stream schema (TIMESTAMP as ISO-8601 text or ' +
          'epoch milliseconds, BIGINT exact, BYTES base64). Rows that fit are appended and rows that do not go to the dead-letter stream <name>_dlq, in one ' +
          'write: a request is stored whole or not at all. Limits: --max-ingest-bytes, --max-ingest-rows; 429 with Retry-After while a view or sink ' +
          'reading the stream is more than --ingest-max-lag records behind.',
        parameters: [nameParam],
        requestBody: {
          required: true,
          content: {
            'application/x-ndjson': { schema: { type: 'string', description: 'One JSON object per line; blank lines are skipped' } },
            'application/json': { schema: { type: 'array', items: { type: 'object' } } },
          },
        },
        responses: {
          '200': jsonOk('How many rows were appended, and why each rejected row was refused', { $ref: '#/components/schemas/IngestResponse' }),
          ...common,
          '404': jsonError('No such stream'),
          '413': jsonError('Body larger than --max-ingest-bytes'),
          '415': jsonError('Content-Type is neither application/x-ndjson nor application/json'),
          '429': { ...jsonError('The readers of the stream lag too far behind; retry after the Retry-After seconds'), headers: { 'Retry-After': { schema: { type: 'integer' } } } },
        },
      },
    },
    '/v1/catalog': {
      get: {
        summary: 'Names in the catalog, relations with kinds and columns, models, functions and WITH option keys (for completion)',
        responses: {
          '200': jsonOk('The catalog', {
            type: 'object',
            properties: {
              names: { type: 'array', items: { type: 'string' } },
              relations: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { name: { type: 'string' }, kind: { type: 'string', enum: ['stream', 'table', 'view', 'sink'] }, columns: { type: 'array', items: { $ref: '#/components/schemas/Column' } } },
                },
              },
              models: { type: 'array', items: { type: 'string' } },
              functions: { type: 'array', items: { type: 'string' } },
              options: { type: 'array', items: { type: 'string' } },
            },
          }),
          ...common,
        },
      },
    },
    '/v1/openapi.json': { get: { summary: 'This document', responses: { '200': jsonOk('OpenAPI 3 document') } } },
    '/metrics': {
      get: { summary: 'Prometheus metrics', responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, ...common } },
    },
    '/healthz': { get: { summary: 'Liveness and the server version; never needs a token', security: [], responses: { '200': jsonOk('{"status":"ok","version":"0.1.0"}') } } },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      SqlRequest: {
        type: 'object',
        required: ['sql'],
        properties: {
          sql: { type: 'string' },
          from: {
            type: 'string',
            enum: ['latest', 'earliest'],
            default: 'latest',
            description: 'POST /v1/query: where a push query starts reading its streams, at the rows that arrive after it starts (latest) or at every row still stored (earliest)',
          },
          timestamps: {
            type: 'string',
            enum: ['iso', 'epoch_ms'],
            default: 'iso',
            description: "How TIMESTAMP values are written: ISO-8601 text in UTC with milliseconds ('2026-12-02T14:00:00.123Z'), or epoch milliseconds",
          },
        },
      },
      SqlResponse: {
        type: 'object',
        properties: {
          results: {
            type: 'array',
            items: {
              type: 'object',
              required: ['kind', 'statement'],
              properties: {
                kind: { type: 'string', enum: ['ok', 'rows', 'explain'] },
                statement: { type: 'string' },
                message: { type: 'string' },
                columns: { type: 'array', items: { $ref: '#/components/schemas/Column' } },
                rows: { type: 'array', items: { type: 'array', items: {} } },
                text: { type: 'string' },
              },
            },
          },
        },
      },
      PartialSqlResponse: {
        type: 'object',
        required: ['results', 'error'],
        properties: { results: { $ref: '#/components/schemas/SqlResponse/properties/results' }, error: { $ref: '#/components/schemas/ErrorDetail' } },
      },
      LookupRequest: {
        type: 'object',
        required: ['key'],
        properties: {
          key: {
            description: 'One key value (string, number, boolean or null), or an array of them for a key of several columns',
            oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array', minItems: 1, items: {} }],
            nullable: true,
          },
          timestamps: { $ref: '#/components/schemas/SqlRequest/properties/timestamps' },
        },
      },
      IngestResponse: {
        type: 'object',
        required: ['stream', 'accepted', 'rejected'],
        properties: {
          stream: { type: 'string' },
          accepted: { type: 'integer', description: 'Rows appended to the stream' },
          rejected: {
            type: 'array',
            items: { type: 'object', properties: { index: { type: 'integer', description: 'Position of the row in the request, from 0' }, reason: { type: 'string' } } },
          },
          deadLetters: { type: 'string', description: 'The dead-letter stream that holds the rejected rows, when there were any' },
        },
      },
      Column: { type: 'object', properties: { name: { type: 'string' }, type: { type: 'string' } } },
      SeriesResponse: {
        type: 'object',
        properties: {
          now: { type: 'integer' },
          intervalMs: { type: 'integer' },
          windowMs: { type: 'integer' },
          series: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                scope: { type: 'string' },
                id: { type: 'string' },
                metric: { type: 'string' },
                t: { type: 'array', items: { type: 'integer' } },
                v: { type: 'array', items: { type: 'number', nullable: true } },
              },
            },
          },
        },
      },
      StreamMessage: {
        type: 'object',
        properties: {
          columns: { type: 'array', items: { $ref: '#/components/schemas/Column' } },
          queryId: { type: 'string', nullable: true },
          updating: { type: 'boolean' },
          op: { type: 'string', enum: ['+I', '-U', '+U', '-D'] },
          values: { type: 'array', items: {} },
          error: { $ref: '#/components/schemas/ErrorDetail' },
          end: { type: 'boolean' },
          rows: { type: 'integer' },
        },
      },
      Position: { type: 'object', properties: { line: { type: 'integer' }, column: { type: 'integer' }, offset: { type: 'integer' } } },
      ErrorDetail: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', description: 'Stable code; see docs/errors.md' },
          kind: { type: 'string' },
          message: { type: 'string' },
          position: { $ref: '#/components/schemas/Position' },
          end: { $ref: '#/components/schemas/Position' },
          hint: { type: 'string' },
          requestId: { type: 'string', description: 'Errors with a 5xx status: the request id (also in the x-request-id header) under which the server logged the error' },
        },
      },
      Error: { type: 'object', required: ['error'], properties: { error: { $ref: '#/components/schemas/ErrorDetail' } } },
    },
  },
} as const;
