/*
 * bare_bank: the benchmark's bar. Concurrent bank transfers written directly against libpq, one
 * thread and one connection per client, in each of the three protocols of roachrun's
 * bank.workload step and with the same retry policy (bench/README.md says what is compared).
 *
 *   tutorial  BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT balance; [UPDATE debit; UPDATE credit;]
 *             COMMIT -- 5 round trips (3 when declined), statements prepared, BEGIN/COMMIT plain
 *   single    the whole transfer as one prepared statement in an implicit transaction, the session
 *             having SET default_transaction_isolation = 'serializable' -- 1 round trip
 *   pipeline  libpq pipeline mode: BEGIN, SELECT, UPDATE, UPDATE, Sync; then COMMIT (or ROLLBACK
 *             when the SELECT showed too little money: declined), Sync -- 2 round trips
 *
 * Retried: SQLSTATE 40001 and 40P01, after rolling back, at most --max-retries times; the sleep
 * before retry n (n = 1, 2, ...) is base * 2^n * U[0.5, 1.5), capped at --max-backoff-ms.
 * The run is time-boxed (--duration): no new transfer starts after the deadline, a transfer in
 * flight finishes, one waiting to retry past the deadline is abandoned (counted in neither).
 *
 * Output: one line of JSON on stdout at the end. Exit 0, or 1 when a client lost its connection
 * or hit an error that is not retried (the first one is printed on stderr), 2 on bad options.
 * Nothing is allocated or printed per transfer besides what libpq itself allocates for results.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define SQL_BEGIN "BEGIN ISOLATION LEVEL SERIALIZABLE"
#define SQL_SELECT "SELECT balance FROM accounts WHERE id = $1"
#define SQL_DEBIT "UPDATE accounts SET balance = balance - $1 WHERE id = $2"
#define SQL_CREDIT "UPDATE accounts SET balance = balance + $1 WHERE id = $2"
#define SQL_SINGLE                                                                               \
  "WITH debit AS (UPDATE accounts SET balance = balance - $3 WHERE id = $1 AND balance >= $3 " \
  "AND EXISTS (SELECT 1 FROM accounts WHERE id = $2) RETURNING id) "                            \
  "UPDATE accounts SET balance = balance + $3 WHERE id = $2 AND EXISTS (SELECT 1 FROM debit)"

#define INT8OID 20

enum protocol { TUTORIAL, SINGLE, PIPELINE };
static const char *const protocol_names[] = {"tutorial", "single", "pipeline"};

static struct {
  const char *conninfo;
  enum protocol protocol;
  int clients;
  double duration;
  int64_t accounts;
  int64_t amount;
  int64_t initial_balance;
  uint64_t seed;
  bool seed_set;
  bool setup;
  int max_retries;
  double base_backoff_ms;
  double max_backoff_ms;
} opt = {
    .conninfo = "",
    .protocol = TUTORIAL,
    .clients = 8,
    .duration = 10.0,
    .accounts = 1000,
    .amount = 10,
    .initial_balance = 1000,
    .max_retries = 3,
    .base_backoff_ms = 100.0,
    .max_backoff_ms = 10000.0,
};

/* What one attempt of a transfer came to. */
enum outcome { APPLIED, DECLINED, RETRYABLE, FAILED, BROKEN };

/* One per client, on its own cache lines: the counters are written on every transfer. */
typedef struct client {
  _Alignas(64) int index;
  PGconn *conn;
  uint64_t rng;
  struct timespec deadline;
  int64_t committed, declined, retries, failures;
  bool fatal;      /* lost its connection: the thread stopped */
  bool errored;    /* error[] holds the first error that was not retried */
  char error[512];
  char p_from[24], p_to[24], p_amount[24]; /* the text parameters of the current transfer */
} client_t;

static pthread_barrier_t start_line;
static struct timespec run_deadline;

/* ---- small helpers ---------------------------------------------------------------------------- */

static void die(const char *fmt, const char *arg) {
  fprintf(stderr, "bare_bank: ");
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  exit(2);
}

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* xorshift64*: per thread, no locks, never zero. */
static inline uint64_t next_random(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [0, n); the modulo bias is n / 2^64, immaterial here. */
static inline int64_t random_below(uint64_t *s, int64_t n) { return (int64_t)(next_random(s) % (uint64_t)n); }

/* Uniform in [0.5, 1.5). */
static inline double random_jitter(uint64_t *s) { return 0.5 + (double)(next_random(s) >> 11) * 0x1.0p-53; }

static inline void format_int(char *buf, int64_t v) {
  char tmp[24];
  int n = 0;
  bool neg = v < 0;
  uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (neg) *buf++ = '-';
  while (n) *buf++ = tmp[--n];
  *buf = '\0';
}

static inline struct timespec now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t;
}

static inline bool before(struct timespec a, struct timespec b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static inline struct timespec add_ms(struct timespec t, double ms) {
  int64_t ns = (int64_t)t.tv_nsec + (int64_t)(ms * 1e6);
  t.tv_sec += (time_t)(ns / 1000000000);
  t.tv_nsec = (long)(ns % 1000000000);
  return t;
}

static double seconds_between(struct timespec a, struct timespec b) {
  return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/* ---- errors --------------------------------------------------------------------------------- */

static bool is_retryable(const char *sqlstate) {
  return sqlstate && (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0);
}

/* Classifies a failed result (or a failed send, r == NULL) and remembers the first error that
 * is not retried. */
static enum outcome classify(client_t *c, const PGresult *r) {
  const char *sqlstate = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  if (is_retryable(sqlstate)) return RETRYABLE;
  bool broken = PQstatus(c->conn) != CONNECTION_OK;
  if (!c->errored) {
    c->errored = true;
    const char *msg = r ? PQresultErrorMessage(r) : "";
    if (!msg || !*msg) msg = PQerrorMessage(c->conn);
    int len = (int)strlen(msg);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' ')) --len;
    snprintf(c->error, sizeof c->error, "client %d: %.*s (SQLSTATE %s)", c->index, len, msg,
             sqlstate ? sqlstate : "none");
  }
  return broken ? BROKEN : FAILED;
}

static void exec_quietly(PGconn *conn, const char *sql) { PQclear(PQexec(conn, sql)); }

/* Outside pipeline mode: ends a transaction an error left open. */
static void rollback_if_open(client_t *c) {
  PGTransactionStatusType s = PQtransactionStatus(c->conn);
  if (s == PQTRANS_INTRANS || s == PQTRANS_INERROR) exec_quietly(c->conn, "ROLLBACK");
}

/* ---- tutorial: five round trips ------------------------------------------------------------- */

static enum outcome tutorial_attempt(client_t *c, int64_t amount) {
  PGconn *conn = c->conn;
  const char *select_params[1] = {c->p_from};
  const char *debit_params[2] = {c->p_amount, c->p_from};
  const char *credit_params[2] = {c->p_amount, c->p_to};
  bool enough = false;
  enum outcome o;

  PGresult *r = PQexec(conn, SQL_BEGIN);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) goto fail;
  PQclear(r);

  r = PQexecPrepared(conn, "select", 1, select_params, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) goto fail;
  enough = PQntuples(r) == 1 && strtoll(PQgetvalue(r, 0, 0), NULL, 10) >= amount;
  PQclear(r);

  if (enough) {
    r = PQexecPrepared(conn, "debit", 2, debit_params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) goto fail;
    PQclear(r);
    r = PQexecPrepared(conn, "credit", 2, credit_params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) goto fail;
    PQclear(r);
  }

  /* Also when declined: the tutorial commits its read-only transaction. */
  r = PQexec(conn, "COMMIT");
  if (PQresultStatus(r) != PGRES_COMMAND_OK) goto fail;
  PQclear(r);
  return enough ? APPLIED : DECLINED;

fail:
  o = classify(c, r);
  PQclear(r);
  if (o != BROKEN) rollback_if_open(c);
  return o;
}

/* ---- single: one statement, one round trip -------------------------------------------------- */

static enum outcome single_attempt(client_t *c, int64_t amount) {
  (void)amount;
  const char *params[3] = {c->p_from, c->p_to, c->p_amount};
  PGresult *r = PQexecPrepared(c->conn, "single", 3, params, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    enum outcome o = classify(c, r);
    PQclear(r);
    return o;
  }
  const char *rows = PQcmdTuples(r);
  bool applied = rows[0] == '1' && rows[1] == '\0';
  PQclear(r);
  return applied ? APPLIED : DECLINED;
}

/* ---- pipeline: two flights ------------------------------------------------------------------ */

/* Reads the results of one flight up to and including its Sync. Up to `max` results are kept in
 * `out` (the caller clears them); returns how many, or -1 when the connection broke. */
static int read_flight(client_t *c, PGresult **out, int max) {
  int n = 0;
  bool last_was_null = false;
  for (;;) {
    PGresult *r = PQgetResult(c->conn);
    if (!r) {
      /* One NULL ends each query's results; two in a row before the Sync means nothing more comes. */
      if (last_was_null || PQstatus(c->conn) != CONNECTION_OK) {
        for (int i = 0; i < n; ++i) PQclear(out[i]);
        return -1;
      }
      last_was_null = true;
      continue;
    }
    last_was_null = false;
    if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      return n;
    }
    if (n < max) out[n++] = r;
    else PQclear(r);
  }
}

/* After a failed flight: the Sync has been read; an explicit transaction may still be open. */
static bool pipeline_rollback_if_open(client_t *c) {
  PGTransactionStatusType s = PQtransactionStatus(c->conn);
  if (s != PQTRANS_INTRANS && s != PQTRANS_INERROR) return true;
  if (!PQsendQueryParams(c->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0) || !PQpipelineSync(c->conn))
    return false;
  PGresult *res[1];
  int n = read_flight(c, res, 1);
  if (n < 0) return false;
  for (int i = 0; i < n; ++i) PQclear(res[i]);
  return true;
}

/* The first error among a flight's results, or NULL. */
static PGresult *first_error(PGresult **res, int n) {
  for (int i = 0; i < n; ++i) {
    ExecStatusType s = PQresultStatus(res[i]);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_PIPELINE_ABORTED) return res[i];
  }
  return NULL;
}

static enum outcome flight_failed(client_t *c, PGresult **res, int n) {
  enum outcome o = n < 0 ? classify(c, NULL) : classify(c, first_error(res, n));
  for (int i = 0; i < n; ++i) PQclear(res[i]);
  if (o != BROKEN && !pipeline_rollback_if_open(c)) o = classify(c, NULL) == BROKEN ? BROKEN : FAILED;
  return o;
}

static enum outcome pipeline_attempt(client_t *c, int64_t amount) {
  PGconn *conn = c->conn;
  const char *select_params[1] = {c->p_from};
  const char *debit_params[2] = {c->p_amount, c->p_from};
  const char *credit_params[2] = {c->p_amount, c->p_to};
  PGresult *res[4];

  /* Flight 1: BEGIN, SELECT, debit, credit, Sync. The debit runs whatever the balance: when the
   * SELECT (which sees the balance before it) shows too little, flight 2 rolls it back. */
  if (!PQsendQueryPrepared(conn, "begin", 0, NULL, NULL, NULL, 0) ||
      !PQsendQueryPrepared(conn, "select", 1, select_params, NULL, NULL, 0) ||
      !PQsendQueryPrepared(conn, "debit", 2, debit_params, NULL, NULL, 0) ||
      !PQsendQueryPrepared(conn, "credit", 2, credit_params, NULL, NULL, 0) || !PQpipelineSync(conn))
    return classify(c, NULL) == BROKEN ? BROKEN : FAILED;
  int n = read_flight(c, res, 4);
  if (n != 4 || first_error(res, n)) return flight_failed(c, res, n);
  bool enough = PQntuples(res[1]) == 1 && strtoll(PQgetvalue(res[1], 0, 0), NULL, 10) >= amount;
  for (int i = 0; i < n; ++i) PQclear(res[i]);

  /* Flight 2: COMMIT, or ROLLBACK when declined; Sync. */
  if (!PQsendQueryPrepared(conn, enough ? "commit" : "rollback", 0, NULL, NULL, NULL, 0) ||
      !PQpipelineSync(conn))
    return classify(c, NULL) == BROKEN ? BROKEN : FAILED;
  n = read_flight(c, res, 1);
  if (n != 1 || first_error(res, n)) return flight_failed(c, res, n);
  PQclear(res[0]);
  return enough ? APPLIED : DECLINED;
}

/* ---- the client loop ------------------------------------------------------------------------ */

/* Sleeps before retry n; false when the retry would start after the deadline (abandoned). */
static bool back_off(client_t *c, int n) {
  if (opt.base_backoff_ms <= 0) return before(now(), c->deadline);
  double ms = ldexp(opt.base_backoff_ms, n) * random_jitter(&c->rng);
  if (ms > opt.max_backoff_ms) ms = opt.max_backoff_ms;
  struct timespec wake = add_ms(now(), ms);
  if (!before(wake, c->deadline)) return false;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL) == EINTR) {
  }
  return true;
}

static void transfer(client_t *c) {
  const int64_t n = opt.accounts;
  const int64_t from = 1 + random_below(&c->rng, n);
  const int64_t to = 1 + (from + random_below(&c->rng, n - 1)) % n; /* uniform over the others */
  const int64_t amount = 1 + random_below(&c->rng, opt.amount);
  format_int(c->p_from, from);
  format_int(c->p_to, to);
  format_int(c->p_amount, amount);

  for (int attempt = 1;; ++attempt) {
    enum outcome o = opt.protocol == TUTORIAL ? tutorial_attempt(c, amount)
                     : opt.protocol == SINGLE ? single_attempt(c, amount)
                                              : pipeline_attempt(c, amount);
    switch (o) {
      case APPLIED: c->committed++; return;
      case DECLINED: c->declined++; return;
      case FAILED: c->failures++; return;
      case BROKEN: c->failures++; c->fatal = true; return;
      case RETRYABLE:
        if (attempt > opt.max_retries) {
          c->failures++;
          return;
        }
        c->retries++;
        if (!back_off(c, attempt)) return;
        break;
    }
  }
}

static void *client_main(void *arg) {
  client_t *c = arg;
  pthread_barrier_wait(&start_line);
  c->deadline = run_deadline;
  while (!c->fatal && before(now(), c->deadline)) transfer(c);
  return NULL;
}

/* ---- set-up --------------------------------------------------------------------------------- */

static PGconn *connect_or_die(void) {
  PGconn *conn = PQconnectdb(opt.conninfo);
  if (PQstatus(conn) != CONNECTION_OK) {
    fprintf(stderr, "bare_bank: cannot connect: %s", PQerrorMessage(conn));
    exit(1);
  }
  return conn;
}

static void command_or_die(PGconn *conn, PGresult *r, const char *what) {
  ExecStatusType s = PQresultStatus(r);
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
    fprintf(stderr, "bare_bank: %s failed: %s", what, PQerrorMessage(conn));
    exit(1);
  }
  PQclear(r);
}

static void create_accounts(void) {
  PGconn *conn = connect_or_die();
  char sql[512];
  snprintf(sql, sizeof sql,
           "DROP TABLE IF EXISTS accounts; "
           "CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL); "
           "INSERT INTO accounts (id, balance) SELECT g, %" PRId64 " FROM generate_series(1, %" PRId64 ") g",
           opt.initial_balance, opt.accounts);
  command_or_die(conn, PQexec(conn, sql), "creating the accounts table");
  PQfinish(conn);
}

static void prepare_or_die(PGconn *conn, const char *name, const char *sql, int nparams) {
  const Oid types[3] = {INT8OID, INT8OID, INT8OID};
  command_or_die(conn, PQprepare(conn, name, sql, nparams, types), name);
}

static void connect_client(client_t *c) {
  c->conn = connect_or_die();
  switch (opt.protocol) {
    case TUTORIAL:
    case PIPELINE:
      prepare_or_die(c->conn, "select", SQL_SELECT, 1);
      prepare_or_die(c->conn, "debit", SQL_DEBIT, 2);
      prepare_or_die(c->conn, "credit", SQL_CREDIT, 2);
      if (opt.protocol == PIPELINE) {
        /* In pipeline mode every statement goes by the extended protocol: prepared, BEGIN and
         * COMMIT skip a parse each (as pgbench -M prepared does). */
        prepare_or_die(c->conn, "begin", SQL_BEGIN, 0);
        prepare_or_die(c->conn, "commit", "COMMIT", 0);
        prepare_or_die(c->conn, "rollback", "ROLLBACK", 0);
      }
      if (opt.protocol == PIPELINE && !PQenterPipelineMode(c->conn)) {
        fprintf(stderr, "bare_bank: cannot enter pipeline mode: %s", PQerrorMessage(c->conn));
        exit(1);
      }
      break;
    case SINGLE:
      command_or_die(c->conn, PQexec(c->conn, "SET default_transaction_isolation = 'serializable'"),
                     "SET default_transaction_isolation");
      prepare_or_die(c->conn, "single", SQL_SINGLE, 3);
      break;
  }
}

/* ---- options -------------------------------------------------------------------------------- */

static void usage(FILE *out) {
  fprintf(out,
          "usage: roachrun_bare_bank [options]\n"
          "  --conninfo S         libpq connection string or URL (default: libpq's defaults)\n"
          "  --protocol P         tutorial | single | pipeline (default tutorial)\n"
          "  --clients N          concurrent clients, one thread and connection each (default 8)\n"
          "  --duration SECONDS   time box of the run (default 10; 0 with --setup: only set up)\n"
          "  --accounts N         accounts 1..N (default 1000)\n"
          "  --amount N           each transfer moves a random amount in [1, N] (default 10)\n"
          "  --initial-balance N  balance of every account after --setup (default 1000)\n"
          "  --seed N             client i draws from seed + i (default: from the clock)\n"
          "  --setup              drop, create and fill the accounts table first\n"
          "  --max-retries N      retries after the first attempt on 40001/40P01 (default 3)\n"
          "  --base-backoff-ms X  sleep before retry n: X * 2^n * U[0.5,1.5) (default 100)\n"
          "  --max-backoff-ms X   cap of that sleep (default 10000)\n"
          "Prints one line of JSON on stdout at the end.\n");
}

static int64_t parse_int(const char *s, const char *name, int64_t min, int64_t max) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < min || v > max) die("bad value for %s", name);
  return (int64_t)v;
}

static double parse_double(const char *s, const char *name) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v >= 0) || isinf(v)) die("bad value for %s", name);
  return v;
}

static void parse_options(int argc, char **argv) {
  enum { O_CONNINFO = 256, O_PROTOCOL, O_CLIENTS, O_DURATION, O_ACCOUNTS, O_AMOUNT, O_INITIAL,
         O_SEED, O_SETUP, O_MAX_RETRIES, O_BASE_BACKOFF, O_MAX_BACKOFF, O_HELP };
  static const struct option longopts[] = {
      {"conninfo", required_argument, NULL, O_CONNINFO},
      {"protocol", required_argument, NULL, O_PROTOCOL},
      {"clients", required_argument, NULL, O_CLIENTS},
      {"duration", required_argument, NULL, O_DURATION},
      {"accounts", required_argument, NULL, O_ACCOUNTS},
      {"amount", required_argument, NULL, O_AMOUNT},
      {"initial-balance", required_argument, NULL, O_INITIAL},
      {"seed", required_argument, NULL, O_SEED},
      {"setup", no_argument, NULL, O_SETUP},
      {"max-retries", required_argument, NULL, O_MAX_RETRIES},
      {"base-backoff-ms", required_argument, NULL, O_BASE_BACKOFF},
      {"max-backoff-ms", required_argument, NULL, O_MAX_BACKOFF},
      {"help", no_argument, NULL, O_HELP},
      {NULL, 0, NULL, 0},
  };
  int o;
  while ((o = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (o) {
      case O_CONNINFO: opt.conninfo = optarg; break;
      case O_PROTOCOL:
        if (strcmp(optarg, "tutorial") == 0) opt.protocol = TUTORIAL;
        else if (strcmp(optarg, "single") == 0) opt.protocol = SINGLE;
        else if (strcmp(optarg, "pipeline") == 0) opt.protocol = PIPELINE;
        else die("unknown protocol '%s' (tutorial, single or pipeline)", optarg);
        break;
      case O_CLIENTS: opt.clients = (int)parse_int(optarg, "--clients", 1, 1024); break;
      case O_DURATION: opt.duration = parse_double(optarg, "--duration"); break;
      case O_ACCOUNTS: opt.accounts = parse_int(optarg, "--accounts", 2, INT64_MAX / 4); break;
      case O_AMOUNT: opt.amount = parse_int(optarg, "--amount", 1, INT64_MAX / 4); break;
      case O_INITIAL: opt.initial_balance = parse_int(optarg, "--initial-balance", 0, INT64_MAX / 4); break;
      case O_SEED:
        opt.seed = (uint64_t)parse_int(optarg, "--seed", 0, INT64_MAX);
        opt.seed_set = true;
        break;
      case O_SETUP: opt.setup = true; break;
      case O_MAX_RETRIES: opt.max_retries = (int)parse_int(optarg, "--max-retries", 0, 1000000); break;
      case O_BASE_BACKOFF: opt.base_backoff_ms = parse_double(optarg, "--base-backoff-ms"); break;
      case O_MAX_BACKOFF: opt.max_backoff_ms = parse_double(optarg, "--max-backoff-ms"); break;
      case O_HELP: usage(stdout); exit(0);
      default: usage(stderr); exit(2);
    }
  }
  if (optind < argc) die("unexpected argument '%s'", argv[optind]);
}

/* ---- main ----------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
  parse_options(argc, argv);
  if (opt.setup) create_accounts();
  if (opt.duration <= 0) return 0;
  if (!opt.seed_set) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    opt.seed = (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec + (uint64_t)getpid();
  }

  client_t *clients = aligned_alloc(64, sizeof(client_t) * (size_t)opt.clients);
  pthread_t *threads = calloc((size_t)opt.clients, sizeof(pthread_t));
  if (!clients || !threads) die("%s", "out of memory");
  memset(clients, 0, sizeof(client_t) * (size_t)opt.clients);
  for (int i = 0; i < opt.clients; ++i) {
    client_t *c = &clients[i];
    c->index = i;
    uint64_t s = opt.seed + (uint64_t)i;
    c->rng = splitmix64(&s) | 1; /* xorshift must not start at 0 */
    connect_client(c);
  }

  /* Every connection is open and prepared before the clock starts (as pgbench's tps "without
   * initial connection time"); the deadline is set just before the clients are let go. */
  pthread_barrier_init(&start_line, NULL, (unsigned)opt.clients + 1);
  for (int i = 0; i < opt.clients; ++i) {
    int rc = pthread_create(&threads[i], NULL, client_main, &clients[i]);
    if (rc) die("pthread_create: %s", strerror(rc));
  }
  struct timespec start = now();
  run_deadline = add_ms(start, opt.duration * 1000.0);
  pthread_barrier_wait(&start_line);
  for (int i = 0; i < opt.clients; ++i) pthread_join(threads[i], NULL);
  double elapsed = seconds_between(start, now());

  int64_t committed = 0, declined = 0, retries = 0, failures = 0;
  int status = 0;
  for (int i = 0; i < opt.clients; ++i) {
    client_t *c = &clients[i];
    committed += c->committed;
    declined += c->declined;
    retries += c->retries;
    failures += c->failures;
    if (c->errored) {
      if (!status) fprintf(stderr, "bare_bank: %s\n", c->error);
      status = 1;
    }
    PQfinish(c->conn);
  }
  printf("{\"program\":\"bare\",\"protocol\":\"%s\",\"clients\":%d,\"accounts\":%" PRId64
         ",\"elapsed_seconds\":%.3f,\"committed\":%" PRId64 ",\"declined\":%" PRId64
         ",\"transfers_per_second\":%.1f,\"retries\":%" PRId64 ",\"failures\":%" PRId64 "}\n",
         protocol_names[opt.protocol], opt.clients, opt.accounts, elapsed, committed, declined,
         elapsed > 0 ? (double)(committed + declined) / elapsed : 0.0, retries, failures);
  free(clients);
  free(threads);
  return status;
}
