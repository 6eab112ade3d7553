/*
 * kafka-mock: a Kafka-protocol test broker built on librdkafka's mock cluster.
 *
 * Usage:
 *   kafka-mock [--brokers N] [--topic name:partitions[:replication]]...
 *              [--rebalance-delay MS] [--retention-bytes BYTES]
 *              [--debug CONTEXTS]
 *
 * Starts N brokers (ids 1..N) listening on 127.0.0.1, sets broker 1 as the
 * controller, creates the given topics and prints one line
 *
 *   BOOTSTRAP=127.0.0.1:port,127.0.0.1:port,...
 *
 * to stdout once the cluster is ready. Each partition keeps at most
 * --retention-bytes bytes of record batches (default 5 MiB; the newest batch
 * is always kept) and 100000 batches: older batches are deleted and the
 * partition's log start offset moves past them, as retention does on a
 * real broker.
 *
 * It then reads one command per line
 * from stdin and answers each with a single line, "OK" or "ERR <reason>":
 *
 *   broker-down <id>                   close the broker's connections and
 *                                      refuse new ones
 *   broker-up <id>                     undo broker-down
 *   rtt <broker> <ms>                  add latency to the broker's responses
 *   error <ApiKey> <errcode> [count]   make the next `count` (default 1)
 *                                      requests of that API fail with the
 *                                      error; ApiKey by name (EndTxn) or
 *                                      number (26), errcode by number (51)
 *                                      or name (CONCURRENT_TRANSACTIONS)
 *   create-topic name:partitions[:replication]
 *   delete-records <topic> <partition> <offset>
 *                                      delete the records before offset
 *                                      (the log start offset moves there)
 *   leader <topic> <partition> <broker>   move a partition leader
 *   coordinator <group|transaction> <key> <broker>
 *                                      pin a group/transaction coordinator
 *   quit                               shut down
 *
 * The process exits cleanly (status 0) on "quit", stdin EOF, SIGTERM or
 * SIGINT. Diagnostics go to stderr.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rdkafka.h"
#include "rdkafka_mock.h"

/* From retention.patch (kept out of rdkafka_mock.h, which every librdkafka
 * source includes). */
void rd_kafka_mock_partition_set_retention(rd_kafka_mock_cluster_t *mcluster,
                                           size_t max_size,
                                           size_t max_cnt);

/* Message sets a partition keeps at most (librdkafka's mock default). */
#define RETENTION_MAX_CNT 100000

static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig) {
        stop_signal = sig;
}

/* Kafka protocol API keys, by their protocol names. */
static const struct {
        const char *name;
        int key;
} api_keys[] = {
    {"Produce", 0},
    {"Fetch", 1},
    {"ListOffsets", 2},
    {"Metadata", 3},
    {"OffsetCommit", 8},
    {"OffsetFetch", 9},
    {"FindCoordinator", 10},
    {"JoinGroup", 11},
    {"Heartbeat", 12},
    {"LeaveGroup", 13},
    {"SyncGroup", 14},
    {"DescribeGroups", 15},
    {"ListGroups", 16},
    {"SaslHandshake", 17},
    {"ApiVersions", 18},
    {"CreateTopics", 19},
    {"DeleteTopics", 20},
    {"DeleteRecords", 21},
    {"InitProducerId", 22},
    {"OffsetForLeaderEpoch", 23},
    {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25},
    {"EndTxn", 26},
    {"WriteTxnMarkers", 27},
    {"TxnOffsetCommit", 28},
    {"DescribeConfigs", 32},
    {"AlterConfigs", 33},
    {"SaslAuthenticate", 36},
    {"CreatePartitions", 37},
    {"DeleteGroups", 42},
    {"OffsetDelete", 47},
    {"DescribeCluster", 60},
    {"DescribeProducers", 61},
    {"ConsumerGroupHeartbeat", 68},
};

/* Parses a base-10 integer that must span the whole string. */
static int parse_int(const char *s, long *out) {
        char *end;
        if (!s || !*s)
                return -1;
        errno = 0;
        *out  = strtol(s, &end, 10);
        return (errno || *end) ? -1 : 0;
}

static int parse_api_key(const char *s) {
        long v;
        size_t i;
        if (!parse_int(s, &v))
                return (v >= 0 && v < 1000) ? (int)v : -1;
        for (i = 0; i < sizeof(api_keys) / sizeof(api_keys[0]); i++)
                if (!strcasecmp(api_keys[i].name, s))
                        return api_keys[i].key;
        return -1;
}

/* Error code by number or by librdkafka's name (e.g. NOT_COORDINATOR). */
static int parse_err(const char *s, rd_kafka_resp_err_t *errp) {
        const struct rd_kafka_err_desc *descs;
        size_t cnt, i;
        long v;

        if (!parse_int(s, &v)) {
                *errp = (rd_kafka_resp_err_t)v;
                return 0;
        }
        rd_kafka_get_err_descs(&descs, &cnt);
        for (i = 0; i < cnt; i++) {
                if (descs[i].name && !strcasecmp(descs[i].name, s)) {
                        *errp = descs[i].code;
                        return 0;
                }
        }
        return -1;
}

/* Parses "name:partitions[:replication]". */
static int parse_topic(char *spec, const char **name, int *partitions,
                       int *replication) {
        char *p1, *p2;
        long v;

        if (!(p1 = strchr(spec, ':')))
                return -1;
        *p1++ = '\0';
        if ((p2 = strchr(p1, ':')))
                *p2++ = '\0';
        if (!*spec || parse_int(p1, &v) || v < 1)
                return -1;
        *name       = spec;
        *partitions = (int)v;
        *replication = -1; /* cluster default: min(3, brokers) */
        if (p2) {
                if (parse_int(p2, &v) || v < 1)
                        return -1;
                *replication = (int)v;
        }
        return 0;
}

static rd_kafka_resp_err_t create_topic(rd_kafka_mock_cluster_t *mcluster,
                                        int broker_cnt, char *spec,
                                        char *errstr, size_t errstr_size) {
        const char *name;
        int partitions, replication;
        rd_kafka_resp_err_t err;

        if (parse_topic(spec, &name, &partitions, &replication)) {
                snprintf(errstr, errstr_size,
                         "bad topic spec, expected name:partitions"
                         "[:replication]");
                return RD_KAFKA_RESP_ERR__INVALID_ARG;
        }
        if (replication == -1)
                replication = broker_cnt < 3 ? broker_cnt : 3;
        err = rd_kafka_mock_topic_create(mcluster, name, partitions,
                                         replication);
        if (err)
                snprintf(errstr, errstr_size, "%s", rd_kafka_err2str(err));
        return err;
}

/* Executes one command line; writes the answer (without newline). */
static int run_command(rd_kafka_mock_cluster_t *mcluster, int broker_cnt,
                       char *line, char *answer, size_t answer_size) {
        char *argv[8];
        int argc = 0;
        char *tok, *save = NULL;
        long a, b;
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        char errstr[256]        = "";

        for (tok = strtok_r(line, " \t\r\n", &save); tok && argc < 8;
             tok = strtok_r(NULL, " \t\r\n", &save))
                argv[argc++] = tok;

#define USAGE(msg)                                                             \
        do {                                                                   \
                snprintf(answer, answer_size, "ERR usage: %s", msg);           \
                return 0;                                                      \
        } while (0)

        if (argc == 0) {
                snprintf(answer, answer_size, "ERR empty command");
                return 0;
        }

        if (!strcmp(argv[0], "quit")) {
                snprintf(answer, answer_size, "OK");
                return 1;

        } else if (!strcmp(argv[0], "broker-down") ||
                   !strcmp(argv[0], "broker-up")) {
                if (argc != 2 || parse_int(argv[1], &a))
                        USAGE("broker-down|broker-up <id>");
                err = argv[0][7] == 'd'
                          ? rd_kafka_mock_broker_set_down(mcluster, (int32_t)a)
                          : rd_kafka_mock_broker_set_up(mcluster, (int32_t)a);

        } else if (!strcmp(argv[0], "rtt")) {
                if (argc != 3 || parse_int(argv[1], &a) ||
                    parse_int(argv[2], &b) || b < 0)
                        USAGE("rtt <broker> <ms>");
                err = rd_kafka_mock_broker_set_rtt(mcluster, (int32_t)a,
                                                   (int)b);

        } else if (!strcmp(argv[0], "error")) {
                rd_kafka_resp_err_t code;
                rd_kafka_resp_err_t *errs;
                int apikey;
                long cnt = 1, i;

                if (argc < 3 || argc > 4 ||
                    (argc == 4 && (parse_int(argv[3], &cnt) || cnt < 1 ||
                                   cnt > 100000)))
                        USAGE("error <ApiKey> <errcode> [count]");
                if ((apikey = parse_api_key(argv[1])) < 0) {
                        snprintf(answer, answer_size, "ERR unknown ApiKey %s",
                                 argv[1]);
                        return 0;
                }
                if (parse_err(argv[2], &code)) {
                        snprintf(answer, answer_size,
                                 "ERR unknown error code %s", argv[2]);
                        return 0;
                }
                errs = malloc(sizeof(*errs) * (size_t)cnt);
                for (i = 0; i < cnt; i++)
                        errs[i] = code;
                rd_kafka_mock_push_request_errors_array(
                    mcluster, (int16_t)apikey, (size_t)cnt, errs);
                free(errs);

        } else if (!strcmp(argv[0], "create-topic")) {
                if (argc != 2)
                        USAGE("create-topic name:partitions[:replication]");
                err = create_topic(mcluster, broker_cnt, argv[1], errstr,
                                   sizeof(errstr));

        } else if (!strcmp(argv[0], "delete-records")) {
                long long before;
                char *end;
                if (argc != 4 || parse_int(argv[2], &a))
                        USAGE("delete-records <topic> <partition> <offset>");
                errno  = 0;
                before = strtoll(argv[3], &end, 10);
                if (errno || *end || end == argv[3] || before < 0)
                        USAGE("delete-records <topic> <partition> <offset>");
                err = rd_kafka_mock_partition_delete_records(
                    mcluster, argv[1], (int32_t)a, (int64_t)before);

        } else if (!strcmp(argv[0], "leader")) {
                if (argc != 4 || parse_int(argv[2], &a) ||
                    parse_int(argv[3], &b))
                        USAGE("leader <topic> <partition> <broker>");
                err = rd_kafka_mock_partition_set_leader(
                    mcluster, argv[1], (int32_t)a, (int32_t)b);

        } else if (!strcmp(argv[0], "coordinator")) {
                if (argc != 4 || parse_int(argv[3], &b) ||
                    (strcmp(argv[1], "group") &&
                     strcmp(argv[1], "transaction")))
                        USAGE("coordinator <group|transaction> <key> <broker>");
                err = rd_kafka_mock_coordinator_set(mcluster, argv[1], argv[2],
                                                    (int32_t)b);

        } else {
                snprintf(answer, answer_size, "ERR unknown command %s",
                         argv[0]);
                return 0;
        }

        if (err)
                snprintf(answer, answer_size, "ERR %s",
                         *errstr ? errstr : rd_kafka_err2str(err));
        else
                snprintf(answer, answer_size, "OK");
        return 0;
#undef USAGE
}

static void usage(const char *argv0) {
        fprintf(stderr,
                "Usage: %s [--brokers N] "
                "[--topic name:partitions[:replication]]... "
                "[--rebalance-delay MS] [--retention-bytes BYTES] "
                "[--debug CONTEXTS]\n",
                argv0);
        exit(2);
}

int main(int argc, char **argv) {
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mcluster;
        char errstr[512];
        long broker_cnt = 1, rebalance_delay = -1, retention_bytes = -1;
        const char *debug = NULL;
        char **topics     = calloc((size_t)argc, sizeof(*topics));
        int topic_cnt     = 0;
        int i;
        char buf[8192];
        size_t buflen = 0;
        int done      = 0;
        struct sigaction sa;

        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--brokers") && i + 1 < argc) {
                        if (parse_int(argv[++i], &broker_cnt) ||
                            broker_cnt < 1 || broker_cnt > 64)
                                usage(argv[0]);
                } else if (!strcmp(argv[i], "--topic") && i + 1 < argc) {
                        topics[topic_cnt++] = argv[++i];
                } else if (!strcmp(argv[i], "--rebalance-delay") &&
                           i + 1 < argc) {
                        if (parse_int(argv[++i], &rebalance_delay) ||
                            rebalance_delay < 0)
                                usage(argv[0]);
                } else if (!strcmp(argv[i], "--retention-bytes") &&
                           i + 1 < argc) {
                        if (parse_int(argv[++i], &retention_bytes) ||
                            retention_bytes < 1)
                                usage(argv[0]);
                } else if (!strcmp(argv[i], "--debug") && i + 1 < argc) {
                        debug = argv[++i];
                } else {
                        usage(argv[0]);
                }
        }

        setvbuf(stdout, NULL, _IOLBF, 0);

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        /* The mock cluster needs a client instance for its bookkeeping. */
        conf = rd_kafka_conf_new();
        /* Hide the client's notices (e.g. "No bootstrap.servers") unless
         * debugging. */
        if (!debug)
                rd_kafka_conf_set(conf, "log_level", "4", errstr,
                                  sizeof(errstr));
        if (debug &&
            rd_kafka_conf_set(conf, "debug", debug, errstr, sizeof(errstr))) {
                fprintf(stderr, "kafka-mock: %s\n", errstr);
                return 2;
        }
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "kafka-mock: rd_kafka_new failed: %s\n",
                        errstr);
                return 1;
        }

        mcluster = rd_kafka_mock_cluster_new(rk, (int)broker_cnt);
        if (!mcluster) {
                fprintf(stderr, "kafka-mock: failed to create mock cluster\n");
                rd_kafka_destroy(rk);
                return 1;
        }

        /* Without a valid controller id, clients that look up the
         * controller (admin clients, idempotent producers) fail. */
        rd_kafka_mock_set_controller_id(mcluster, 1);

        /* The mock advertises LeaveGroup v3-v4 but parses and answers
         * them in the v0-v2 format (single MemberId, no Members array), so
         * clients using v3+ (kafkajs) fail to parse the response and the
         * member is not removed. Advertise v0-v2 only. */
        rd_kafka_mock_set_apiversion(mcluster, 13 /* LeaveGroup */, 0, 2);

        if (rebalance_delay >= 0)
                rd_kafka_mock_group_initial_rebalance_delay_ms(
                    mcluster, (int32_t)rebalance_delay);

        /* Before any topic exists: it applies to partitions created later. */
        if (retention_bytes > 0)
                rd_kafka_mock_partition_set_retention(
                    mcluster, (size_t)retention_bytes, RETENTION_MAX_CNT);

        for (i = 0; i < topic_cnt; i++) {
                char spec[512];
                snprintf(spec, sizeof(spec), "%s", topics[i]);
                if (create_topic(mcluster, (int)broker_cnt, spec, errstr,
                                 sizeof(errstr))) {
                        fprintf(stderr, "kafka-mock: --topic %s: %s\n",
                                topics[i], errstr);
                        rd_kafka_mock_cluster_destroy(mcluster);
                        rd_kafka_destroy(rk);
                        return 2;
                }
        }
        free(topics);

        printf("BOOTSTRAP=%s\n", rd_kafka_mock_cluster_bootstraps(mcluster));

        while (!done && !stop_signal) {
                struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
                ssize_t r;
                char *nl;

                if (poll(&pfd, 1, 200) <= 0)
                        continue; /* timeout or EINTR: re-check signal */

                r = read(STDIN_FILENO, buf + buflen, sizeof(buf) - 1 - buflen);
                if (r < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        break;
                }
                if (r == 0) /* EOF */
                        break;
                buflen += (size_t)r;
                buf[buflen] = '\0';

                while (!done && (nl = strchr(buf, '\n'))) {
                        char answer[512];
                        *nl  = '\0';
                        done = run_command(mcluster, (int)broker_cnt, buf,
                                           answer, sizeof(answer));
                        printf("%s\n", answer);
                        buflen -= (size_t)(nl + 1 - buf);
                        memmove(buf, nl + 1, buflen + 1);
                }

                if (buflen == sizeof(buf) - 1) {
                        printf("ERR line too long\n");
                        buflen = 0;
                }
        }

        rd_kafka_mock_cluster_destroy(mcluster);
        rd_kafka_destroy(rk);
        return 0;
}
