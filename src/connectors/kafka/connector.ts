/** The Kafka connector: JSON records of a topic as a stream, a compacted topic as a table, a sink topic written exactly once. */
import type { Connector } from '../connector.js';
import { int, str, type OptionDecl } from '../connector-options.js';
import { kafkaSink, kafkaSource, startKafkaTable } from './index.js';
import { checkKafkaOptions, DEFAULT_DECISIONS_TOPIC, DELETED_RECORDS_POLICIES } from './options.js';

const CLIENT: readonly OptionDecl[] = [
  str('topic', 'The Kafka topic.', "the relation's name"),
  str('format', 'Record value format: one JSON object per record.', 'json', ['json']),
  str('bootstrap.servers', "Brokers as 'host:port[,host:port...]'.", 'the SLUICE_KAFKA_BOOTSTRAP environment variable'),
  str('properties.bootstrap.servers', "Brokers, as Flink names the option (same as 'bootstrap.servers').", 'none'),
  str('group.id', 'Consumer group the query reads in.', 'sluice-<query id>'),
  int('session.timeout.ms', 'Consumer group session timeout in milliseconds.', '10000', 1000),
  str('client', "Kafka client library: 'kafkajs', 'native' (librdkafka, built by scripts/build-native-kafka.sh) or 'auto' (native when built, else kafkajs). Both are exactly once and pass the same kill -9 and broker-outage tests; scaled-out queries use kafkajs.", 'the SLUICE_KAFKA_CLIENT environment variable, else kafkajs', ['kafkajs', 'native', 'auto']),
];

export const kafkaConnector: Connector = {
  name: 'kafka',
  doc: 'Apache Kafka (or any broker speaking its protocol). Streams read JSON records of a topic by partition; tables keep the latest record per key of a compacted topic; sinks write JSON records exactly once with Kafka transactions that also commit the consumer offsets.',
  options: {
    stream: [
      ...CLIENT,
      str('timestamp', "'record': fill the WATERMARK column from the Kafka record timestamp instead of the JSON value.", 'the JSON value', ['record']),
      str('deleted.records', "When records were deleted (retention, DeleteRecords) before the query read them: 'fail' the query with an error naming the partition, its position and log start offset, or 'skip' to the log start offset with a dead letter stating the skipped offsets.", 'the SLUICE_KAFKA_DELETED_RECORDS environment variable, else fail', DELETED_RECORDS_POLICIES),
    ],
    table: [...CLIENT, int('load.timeout.ms', 'How long CREATE TABLE waits for the topic to be read up to its end before it keeps loading in the background.', '30000', 0)],
    sink: [
      str('key', "Output column(s) used as the record key, comma-separated.", "the query's key, or none"),
      ...CLIENT,
      str('semantic', 'Delivery guarantee.', 'exactly_once', ['exactly_once', 'at_least_once']),
      str('decisions.topic', 'One-partition topic the commit decisions are recorded against; it must exist.', DEFAULT_DECISIONS_TOPIC),
      str('transactional.id', 'Transactional id of the producer (and prefix of internal topics when scaled out).', 'sluice-<query id>'),
      int('delivery.timeout.ms', 'How long a transaction may take to deliver before the query fails.', 'kafkajs default', 1),
      { name: 'scale.out', type: { kind: 'boolean' }, doc: 'Run the query across every process that runs the same CREATE SINK, sharing the input partitions through consumer groups.', default: 'false' },
      int('scale.out.partitions', 'Partitions of the repartition and changelog topics when scaled out.', "the input topic's partition count", 1),
    ],
  },
  check(kind, options, ctx) {
    checkKafkaOptions(options, ctx.what, kind, ctx.hasWatermark);
  },
  source: (plan) => kafkaSource(plan),
  sink: (args) => kafkaSink(args),
  table: (args) => startKafkaTable(args.def, args.rows, args.constraints),
};
