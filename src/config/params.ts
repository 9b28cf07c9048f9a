import fs from 'node:fs';
import path from 'node:path';
import { INT64_MAX, UINT64_MAX } from '../util/numbers.js';
import { parseSavePoints } from './save-points.js';
import { keyspaceEventsToFlags, keyspaceEventsToString } from '../pubsub/event-classes.js';
import { cString } from '../util/c-string.js';
import { combineOutputBufferLimits, parseOutputBufferLimits } from './output-limits.js';
import { isValidProcTitleTemplate } from './proc-title-template.js';
import { ERR_WRONG_NUMBER_OF_ARGUMENTS, errnoText } from './config-errors.js';
import {
  aliasParam,
  asciiLower,
  boolParam,
  checkedStringParam,
  enumParam,
  enumTableParam,
  intParam,
  memoryParam,
  noEffect,
  notYet,
  numericParam,
  sizeParam,
  stringParam,
  strtollWhole,
  type ParamSpec,
} from './param-kinds.js';

export type { ParamSpec, ParamValue } from './param-kinds.js';

/**
 * THE table of configuration parameters: name as in redis.conf, type, default, whether
 * CONFIG SET may change it, and how its value is parsed and printed. The command line,
 * the config file, CONFIG GET/SET and INFO all read this one table.
 *
 * Error texts are Redis 7.0's (config.c), because users see them from CONFIG SET and
 * at start-up.
 *
 * Every parameter of Redis 7.0.15 is here (CONFIG GET * lists the same names, and
 * lapse's own: LAPSE_PARAMS), of one of three kinds:
 *  (a) implemented: a plain spec (the groups up to PROCESS_PARAMS);
 *  (b) a feature lapse does not have yet: wrapped in notYet(FEATURE, spec), which accepts
 *      only the values that mean the feature is off or unchanged and names the feature in
 *      its error otherwise (NOT_YET_PARAMS). Removing the wrapper makes it real;
 *  (c) no meaning for lapse: wrapped in noEffect(reason, spec), accepted at any valid
 *      value, stored, and named in a start-up warning when set (NO_EFFECT_PARAMS).
 *
 * The kinds of parameter (how a value is read and printed) are in param-kinds.ts, their
 * error texts in config-errors.ts.
 */

const INT_MAX = 2147483647;
const UINT_MAX = 4294967295;

const HASH_MAX_LISTPACK_ENTRIES = sizeParam('hash-max-listpack-entries', '512');
// A memory config in Redis 7.0: it takes units (1k) and reads an empty value as 0.
const HASH_MAX_LISTPACK_VALUE = memoryParam('hash-max-listpack-value', '64', 0n, INT64_MAX, true);
/**
 * Redis's default save points. The CLI starts from them; an embedded server starts with
 * none (see ServerOptions.persistence).
 */
export const REDIS_DEFAULT_SAVE = '3600 1 300 100 60 10000';

const PERSISTENCE_PARAMS: readonly ParamSpec[] = [
  {
    name: 'save',
    multiArg: true,
    mutable: true,
    defaultText: REDIS_DEFAULT_SAVE,
    parse(arg) {
      // One argument "" is the empty configuration; otherwise pairs of seconds (>= 1)
      // and changes (>= 0), as Redis's setConfigSaveOption checks them.
      const points = parseSavePoints(arg);
      if (points === null) return { error: 'Invalid save parameters' };
      return { value: points.map((p) => `${p.seconds} ${p.changes}`).join(' ') };
    },
    format: (v) => String(v),
  },
  {
    name: 'dir',
    mutable: true,
    protected: true,
    defaultText: './',
    parse(arg) {
      // Redis chdir()s to it; lapse keeps the absolute path, which CONFIG GET prints
      // as Redis prints its working directory.
      const dir = path.resolve(cString(arg));
      try {
        if (!fs.statSync(dir).isDirectory()) return { error: errnoText('ENOTDIR') };
      } catch (e) {
        return { error: errnoText((e as NodeJS.ErrnoException).code) };
      }
      return { value: dir };
    },
    format: (v) => String(v),
  },
  {
    name: 'dbfilename',
    mutable: true,
    protected: true,
    defaultText: 'dump.rdb',
    parse(arg) {
      if (arg.includes('/')) return { error: "dbfilename can't be a path, just a filename" };
      return { value: arg };
    },
    format: (v) => String(v),
  },
  boolParam('rdbcompression', 'yes'),
  boolParam('rdbchecksum', 'yes', false),
  boolParam('stop-writes-on-bgsave-error', 'yes'),
];

/** Access control: ACL users and the protections around them (Redis 7.0's names and bounds). */
const ACCESS_PARAMS: readonly ParamSpec[] = [
  boolParam('protected-mode', 'yes'),
  stringParam('aclfile', '', false),
  sizeParam('acllog-max-len', '128'),
  enumParam('acl-pubsub-default', 'resetchannels', ['allchannels', 'resetchannels']),
];

/**
 * TLS (Redis 7.0's names and defaults). The listener applies them when tls-port is set;
 * files may change at run time, and then apply to new connections.
 */
const TLS_PARAMS: readonly ParamSpec[] = [
  intParam('tls-port', '0', 0, 65535, false),
  stringParam('tls-cert-file', ''),
  stringParam('tls-key-file', ''),
  stringParam('tls-key-file-pass', ''),
  stringParam('tls-dh-params-file', ''),
  stringParam('tls-ca-cert-file', ''),
  stringParam('tls-ca-cert-dir', ''),
  enumParam('tls-auth-clients', 'yes', ['no', 'yes', 'optional']),
  stringParam('tls-protocols', ''),
  stringParam('tls-ciphers', ''),
  stringParam('tls-ciphersuites', ''),
  boolParam('tls-prefer-server-ciphers', 'no'),
  boolParam('tls-session-caching', 'yes'),
  intParam('tls-session-cache-size', '20480', 0, INT_MAX),
  intParam('tls-session-cache-timeout', '300', 0, INT_MAX),
];

/**
 * Limits (memory, eviction, client buffers), as Redis 7.0 names, bounds and defaults
 * them. maxmemory-policy lists its values in the order Redis's error message does.
 */
const LIMIT_PARAMS: readonly ParamSpec[] = [
  memoryParam('maxmemory', '0', 0n, UINT64_MAX, false),
  enumParam('maxmemory-policy', 'noeviction', [
    'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl',
    'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction',
  ]),
  intParam('maxmemory-samples', '5', 1, INT_MAX),
  intParam('maxmemory-eviction-tenacity', '10', 0, 100),
  intParam('lfu-log-factor', '10', 0, INT_MAX),
  intParam('lfu-decay-time', '1', 0, INT_MAX),
  {
    name: 'client-output-buffer-limit',
    multiArg: true,
    mutable: true,
    defaultText: 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    parse: (arg) => parseOutputBufferLimits(arg),
    combine: (current, parsed) => combineOutputBufferLimits(current as string, parsed as string),
    format: (v) => String(v),
  },
];

/** Redis's pathIsBaseName. */
const isBaseName = (v: string) => !v.includes('/') && !v.includes('\\');

/** Features lapse does not have yet, as the errors of their parameters name them. */
const AOF = 'the append-only file (AOF)';
const REPLICATION = 'replication';
const CLUSTER = 'Redis Cluster';
const HYPERLOGLOG = 'HyperLogLog';
const STREAMS = 'streams';
const CLIENT_EVICTION = 'client eviction';
const UNIX_SOCKETS = 'unix sockets';
const MODULES = 'Redis modules';
const DUMP_RESTORE = 'DUMP and RESTORE';
const SOCKET_MARKS = 'socket marks (SO_MARK)';

const LONG_MAX = INT64_MAX;
const INT_MAX_N = 2147483647n;
const INT_MIN_N = -2147483648n;

/** Redis's SHUTDOWN_* flags, as shutdown-on-sigint/sigterm name them. */
export const SHUTDOWN_SAVE = 1;
export const SHUTDOWN_NOSAVE = 2;
export const SHUTDOWN_NOW = 4;
export const SHUTDOWN_FORCE = 8;
const SHUTDOWN_ON_SIGNAL: readonly (readonly [string, number])[] = [
  ['default', 0], ['save', SHUTDOWN_SAVE], ['nosave', SHUTDOWN_NOSAVE], ['now', SHUTDOWN_NOW], ['force', SHUTDOWN_FORCE],
];
const checkShutdownFlags = (v: number) =>
  v & SHUTDOWN_SAVE && v & SHUTDOWN_NOSAVE ? "shutdown options SAVE and NOSAVE can't be used simultaneously" : null;

/** Redis's isValidAnnouncedHostname (its check stops at the second character by a bug; the intent is kept). */
function isValidAnnouncedHostname(v: string): string | null {
  if (v.length >= 256) return 'Hostnames must be less than 256 characters';
  if (!/^[A-Za-z0-9.-]*$/.test(v)) return 'Hostnames may only contain alphanumeric characters, hyphens or dots';
  return null;
}

/**
 * replicaof (alias slaveof): "<host> <port>" or "no one", as setConfigReplicaOfOption
 * reads it; the value is "" (no primary) or "host port", as CONFIG GET prints it.
 */
const REPLICAOF: ParamSpec = {
  name: 'replicaof',
  mutable: false,
  multiArg: true,
  defaultText: 'no one',
  parse(arg) {
    const words = arg.split(' ');
    if (words.length !== 2) return { error: ERR_WRONG_NUMBER_OF_ARGUMENTS };
    if (asciiLower(cString(words[0]!)) === 'no' && asciiLower(cString(words[1]!)) === 'one') return { value: '' };
    const port = strtollWhole(words[1]!, 10);
    if (port === undefined || port < 0n || port > 65535n) return { error: 'Invalid master port' };
    return { value: `${words[0]} ${port}` };
  },
  format: (v) => String(v),
};

/** latency-tracking-info-percentiles: doubles in [0, 100], printed with %f less trailing zeros. */
const LATENCY_PERCENTILES: ParamSpec = {
  name: 'latency-tracking-info-percentiles',
  mutable: true,
  multiArg: true,
  defaultText: '50 99 99.9',
  parse(arg) {
    const words = arg === '' ? [] : arg.split(' ');
    const out: string[] = [];
    for (const w of words) {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(w) && !/^[+-]?inf(inity)?$/i.test(w)) {
        return { error: 'Invalid latency-tracking-info-percentiles parameters' };
      }
      const p = Number(w.replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));
      if (p > 100 || p < 0) return { error: 'latency-tracking-info-percentiles parameters should sit between [0.0,100.0]' };
      out.push(p.toFixed(6).replace(/\.?0+$/, ''));
    }
    return { value: out.join(' ') };
  },
  format: (v) => String(v),
};

/** oom-score-adj-values: three integers in [-2000, 2000] (strtoll whole), as Redis reads them. */
const OOM_SCORE_ADJ_VALUES: ParamSpec = {
  name: 'oom-score-adj-values',
  mutable: true,
  multiArg: true,
  defaultText: '0 200 800',
  parse(arg) {
    const words = arg.split(' ');
    if (words.length !== 3) return { error: ERR_WRONG_NUMBER_OF_ARGUMENTS };
    const values: bigint[] = [];
    for (const w of words) {
      const v = strtollWhole(w, 10);
      if (v === undefined || v < -2000n || v > 2000n) {
        return { error: 'Invalid oom-score-adj-values, elements must be between -2000 and 2000.' };
      }
      values.push(v);
    }
    return { value: values.join(' ') };
  },
  format: (v) => String(v),
};

/**
 * The process around the server (src/cli.ts and src/process/): daemon, pid file, log
 * destinations, supervision, title, signals. Honoured by the command line; an embedded
 * server stores them and leaves its process alone.
 */
const PROCESS_PARAMS: readonly ParamSpec[] = [
  boolParam('daemonize', 'no', false),
  stringParam('pidfile', '', false),
  boolParam('syslog-enabled', 'no', false),
  stringParam('syslog-ident', 'redis', false),
  enumParam('syslog-facility', 'local0', ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'], false),
  enumParam('supervised', 'no', ['upstart', 'systemd', 'auto', 'no'], false),
  boolParam('always-show-logo', 'no', false),
  boolParam('set-proc-title', 'yes', false),
  checkedStringParam('proc-title-template', '{title} {listen-addr} {server-mode}', isValidProcTitleTemplate),
  enumTableParam('shutdown-on-sigint', 'default', SHUTDOWN_ON_SIGNAL, { flags: true, check: checkShutdownFlags }),
  enumTableParam('shutdown-on-sigterm', 'default', SHUTDOWN_ON_SIGNAL, { flags: true, check: checkShutdownFlags }),
  // The server's cron frequency. Redis clamps it to 1..500 (at load and on CONFIG SET)
  // and CONFIG GET then shows the clamped value.
  {
    ...intParam('hz', '10', 0, INT_MAX),
    parse(arg) {
      const r = intParam('hz', '10', 0, INT_MAX).parse(arg);
      if ('error' in r) return r;
      return { value: Math.min(500, Math.max(1, r.value as number)) };
    },
  },
  // The cron's millisecond of rehashing for a resizing keys' table (server.ts activeRehash).
  boolParam('activerehashing', 'yes'),
  // An uncaught exception is written to the log (as Redis writes its crash report)
  // before the process exits; with "no" it goes to stderr only.
  boolParam('crash-log-enabled', 'yes'),
  // Redis deletes the RDB files that replication syncs leave behind; lapse writes none
  // (no replication yet), so either value holds. Replication must honour it.
  boolParam('rdb-del-sync-files', 'no'),
  // CONFIG SET of protected configs (dir, dbfilename): no, yes, or local (from loopback
  // and unix-socket clients), as Redis's allowProtectedAction.
  enumParam('enable-protected-configs', 'no', ['no', 'yes', 'local'], false),
];

// Sorted sets' compact encoding limits (keyspace/zset.ts), as Redis 7.0's size_t configs.
const ZSET_MAX_LISTPACK_ENTRIES = numericParam('zset-max-listpack-entries', '128', 0n, LONG_MAX, { unsigned: true });
const ZSET_MAX_LISTPACK_VALUE = numericParam('zset-max-listpack-value', '64', 0n, LONG_MAX, { unsigned: true, memory: true });
// Lists: they shape the nodes of a list in the RDB file (keyspace/list.ts).
const LIST_MAX_LISTPACK_SIZE = numericParam('list-max-listpack-size', '-2', INT_MIN_N, INT_MAX_N);
// Scripts: past it a script runs in slices and other clients get BUSY (commands/script-busy.ts).
const BUSY_REPLY_THRESHOLD = numericParam('busy-reply-threshold', '5000', 0n, LONG_MAX);
const REPL_PING_REPLICA_PERIOD = numericParam('repl-ping-replica-period', '10', 1n, INT_MAX_N);
const MIN_REPLICAS_TO_WRITE = numericParam('min-replicas-to-write', '0', 0n, INT_MAX_N);
const MIN_REPLICAS_MAX_LAG = numericParam('min-replicas-max-lag', '10', 0n, INT_MAX_N);
const REPLICA_PRIORITY = numericParam('replica-priority', '100', 0n, INT_MAX_N);
const REPLICA_ANNOUNCE_PORT = numericParam('replica-announce-port', '0', 0n, 65535n);
const REPLICA_ANNOUNCE_IP = stringParam('replica-announce-ip', '');
const REPLICA_LAZY_FLUSH = notYet(REPLICATION, boolParam('replica-lazy-flush', 'no'));
const REPLICA_SERVE_STALE_DATA = boolParam('replica-serve-stale-data', 'yes');
const REPLICA_READ_ONLY = boolParam('replica-read-only', 'yes');
const REPLICA_IGNORE_MAXMEMORY = boolParam('replica-ignore-maxmemory', 'yes');
const REPLICAOF_PARAM = REPLICAOF;
const CLUSTER_REPLICA_NO_FAILOVER = notYet(CLUSTER, boolParam('cluster-replica-no-failover', 'no'));
const CLUSTER_REPLICA_VALIDITY_FACTOR = notYet(CLUSTER, numericParam('cluster-replica-validity-factor', '10', 0n, INT_MAX_N));

/**
 * Kind (b): parameters of features lapse does not have yet, with Redis 7.0's types,
 * bounds, defaults and aliases. Each accepts only its off/unchanged values (notYet).
 */
const NOT_YET_PARAMS: readonly ParamSpec[] = [
  // The append-only file.
  notYet(AOF, boolParam('appendonly', 'no')),
  notYet(AOF, enumParam('appendfsync', 'everysec', ['everysec', 'always', 'no'])),
  notYet(AOF, checkedStringParam('appendfilename', 'appendonly.aof', (v) =>
    v === '' ? "appendfilename can't be empty" : isBaseName(v) ? null : "appendfilename can't be a path, just a filename", false)),
  notYet(AOF, checkedStringParam('appenddirname', 'appendonlydir', (v) =>
    v === '' ? "appenddirname can't be empty" : isBaseName(v) ? null : "appenddirname can't be a path, just a dirname", false)),
  notYet(AOF, boolParam('aof-rewrite-incremental-fsync', 'yes')),
  notYet(AOF, boolParam('no-appendfsync-on-rewrite', 'no')),
  notYet(AOF, boolParam('aof-load-truncated', 'yes')),
  notYet(AOF, boolParam('aof-use-rdb-preamble', 'yes')),
  notYet(AOF, boolParam('aof-timestamp-enabled', 'no')),
  notYet(AOF, boolParam('aof-disable-auto-gc', 'no')),
  notYet(AOF, numericParam('auto-aof-rewrite-percentage', '100', 0n, INT_MAX_N)),
  notYet(AOF, numericParam('auto-aof-rewrite-min-size', '64mb', 0n, LONG_MAX, { memory: true })),
  // Replication (both sides), and what only a primary or a replica does.
  REPLICAOF_PARAM,
  aliasParam('slaveof', REPLICAOF_PARAM),
  stringParam('masterauth', ''),
  stringParam('masteruser', ''),
  REPLICA_SERVE_STALE_DATA,
  aliasParam('slave-serve-stale-data', REPLICA_SERVE_STALE_DATA),
  REPLICA_READ_ONLY,
  aliasParam('slave-read-only', REPLICA_READ_ONLY),
  REPLICA_IGNORE_MAXMEMORY,
  aliasParam('slave-ignore-maxmemory', REPLICA_IGNORE_MAXMEMORY),
  REPLICA_LAZY_FLUSH,
  aliasParam('slave-lazy-flush', REPLICA_LAZY_FLUSH),
  REPLICA_PRIORITY,
  aliasParam('slave-priority', REPLICA_PRIORITY),
  REPLICA_ANNOUNCE_IP,
  aliasParam('slave-announce-ip', REPLICA_ANNOUNCE_IP),
  REPLICA_ANNOUNCE_PORT,
  aliasParam('slave-announce-port', REPLICA_ANNOUNCE_PORT),
  boolParam('replica-announced', 'yes'),
  notYet(REPLICATION, boolParam('replica-ignore-disk-write-errors', 'no')),
  REPL_PING_REPLICA_PERIOD,
  aliasParam('repl-ping-slave-period', REPL_PING_REPLICA_PERIOD),
  MIN_REPLICAS_TO_WRITE,
  aliasParam('min-slaves-to-write', MIN_REPLICAS_TO_WRITE),
  MIN_REPLICAS_MAX_LAG,
  aliasParam('min-slaves-max-lag', MIN_REPLICAS_MAX_LAG),
  notYet(REPLICATION, boolParam('repl-disable-tcp-nodelay', 'no')),
  boolParam('repl-diskless-sync', 'yes'),
  numericParam('repl-diskless-sync-delay', '5', 0n, INT_MAX_N),
  numericParam('repl-diskless-sync-max-replicas', '0', 0n, INT_MAX_N),
  enumParam('repl-diskless-load', 'disabled', ['disabled', 'on-empty-db', 'swapdb']),
  numericParam('repl-timeout', '60', 1n, INT_MAX_N),
  numericParam('repl-backlog-size', '1mb', 1n, INT64_MAX, { memory: true }),
  numericParam('repl-backlog-ttl', '3600', 0n, LONG_MAX),
  notYet(REPLICATION, enumParam('propagation-error-behavior', 'ignore', ['ignore', 'panic', 'panic-on-replicas'])),
  // SHUTDOWN waits up to this many seconds for lagging replicas; there are none.
  notYet(REPLICATION, numericParam('shutdown-timeout', '10', 0n, INT_MAX_N)),
  // Outgoing connections: to a primary (and cluster peers).
  notYet(REPLICATION, stringParam('bind-source-addr', '')),
  notYet(REPLICATION, boolParam('tls-replication', 'no')),
  notYet(REPLICATION, stringParam('tls-client-cert-file', '')),
  notYet(REPLICATION, stringParam('tls-client-key-file', '')),
  notYet(REPLICATION, stringParam('tls-client-key-file-pass', '')),
  // Redis Cluster.
  notYet(CLUSTER, boolParam('cluster-enabled', 'no', false)),
  notYet(CLUSTER, stringParam('cluster-config-file', 'nodes.conf', false)),
  notYet(CLUSTER, numericParam('cluster-port', '0', 0n, 65535n, { mutable: false })),
  notYet(CLUSTER, numericParam('cluster-node-timeout', '15000', 0n, INT64_MAX)),
  notYet(CLUSTER, boolParam('cluster-require-full-coverage', 'yes')),
  CLUSTER_REPLICA_NO_FAILOVER,
  aliasParam('cluster-slave-no-failover', CLUSTER_REPLICA_NO_FAILOVER),
  CLUSTER_REPLICA_VALIDITY_FACTOR,
  aliasParam('cluster-slave-validity-factor', CLUSTER_REPLICA_VALIDITY_FACTOR),
  notYet(CLUSTER, boolParam('cluster-allow-reads-when-down', 'no')),
  notYet(CLUSTER, boolParam('cluster-allow-pubsubshard-when-down', 'yes')),
  notYet(CLUSTER, boolParam('cluster-allow-replica-migration', 'yes')),
  notYet(CLUSTER, numericParam('cluster-migration-barrier', '1', 0n, INT_MAX_N)),
  notYet(CLUSTER, stringParam('cluster-announce-ip', '')),
  notYet(CLUSTER, checkedStringParam('cluster-announce-hostname', '', isValidAnnouncedHostname)),
  notYet(CLUSTER, numericParam('cluster-announce-port', '0', 0n, 65535n)),
  notYet(CLUSTER, numericParam('cluster-announce-bus-port', '0', 0n, 65535n)),
  notYet(CLUSTER, numericParam('cluster-announce-tls-port', '0', 0n, 65535n)),
  notYet(CLUSTER, enumParam('cluster-preferred-endpoint-type', 'ip', ['ip', 'hostname', 'unknown-endpoint'])),
  notYet(CLUSTER, numericParam('cluster-link-sendbuf-limit', '0', 0n, UINT64_MAX, { memory: true, unsigned: true })),
  notYet(CLUSTER, boolParam('tls-cluster', 'no')),
  // Scripting.
  BUSY_REPLY_THRESHOLD,
  aliasParam('lua-time-limit', BUSY_REPLY_THRESHOLD),
  // Real (not notYet): the slow log (-1 turns it off), the latency monitor (0: off), INFO latencystats.
  numericParam('slowlog-log-slower-than', '10000', -1n, INT64_MAX),
  numericParam('slowlog-max-len', '128', 0n, LONG_MAX),
  numericParam('latency-monitor-threshold', '0', 0n, INT64_MAX),
  boolParam('latency-tracking', 'yes'),
  LATENCY_PERCENTILES,
  /**
   * lapse's own, hidden as Redis's test aids are (CONFIG GET * does not list it): no, and
   * commands are not timed at all (INFO commandstats shows usec=0, no latencystats, slow
   * log or command latency events). For measuring what timing costs (bench/).
   */
  { ...boolParam('command-timing', 'yes'), hidden: true },
  // Real (not notYet): lists and sorted sets are implemented; listed here to keep CONFIG GET's order.
  LIST_MAX_LISTPACK_SIZE,
  aliasParam('list-max-ziplist-size', LIST_MAX_LISTPACK_SIZE),
  numericParam('list-compress-depth', '0', 0n, INT_MAX_N),
  ZSET_MAX_LISTPACK_ENTRIES,
  aliasParam('zset-max-ziplist-entries', ZSET_MAX_LISTPACK_ENTRIES),
  ZSET_MAX_LISTPACK_VALUE,
  aliasParam('zset-max-ziplist-value', ZSET_MAX_LISTPACK_VALUE),
  notYet(HYPERLOGLOG, numericParam('hll-sparse-max-bytes', '3000', 0n, LONG_MAX, { unsigned: true, memory: true })),
  notYet(STREAMS, numericParam('stream-node-max-bytes', '4096', 0n, LONG_MAX, { unsigned: true, memory: true })),
  notYet(STREAMS, numericParam('stream-node-max-entries', '100', 0n, INT64_MAX)),
  // Other features.
  numericParam('tracking-table-max-keys', '1000000', 0n, LONG_MAX, { unsigned: true }),
  notYet(CLIENT_EVICTION, numericParam('maxmemory-clients', '0', -100n, INT64_MAX, { memory: true, percent: true })),
  notYet(UNIX_SOCKETS, stringParam('unixsocket', '', false)),
  notYet(UNIX_SOCKETS, numericParam('unixsocketperm', '0', 0n, 0o777n, { octal: true, unsigned: true, mutable: false })),
  notYet(MODULES, enumParam('enable-module-command', 'no', ['no', 'yes', 'local'], false)),
  // Who may run DEBUG (debug-commands.ts): no one, everyone, or loopback clients.
  enumParam('enable-debug-command', 'no', ['no', 'yes', 'local'], false),
  notYet(DUMP_RESTORE, enumParam('sanitize-dump-payload', 'no', ['no', 'yes', 'clients'])),
  notYet(SOCKET_MARKS, numericParam('socket-mark-id', '0', 0n, 4294967295n, { unsigned: true, mutable: false })),
];

const V8_MEMORY = "V8's garbage collector manages lapse's memory";
const ONE_THREAD = 'lapse runs its commands and its I/O on one thread';
const NO_CHILD = 'lapse forks no child processes';
/** Redis's isValidActiveDefrag, for a server that cannot defragment: only "no". */
const activeDefrag: ParamSpec = {
  ...boolParam('activedefrag', 'no'),
  parse(arg) {
    const r = boolParam('activedefrag', 'no').parse(arg);
    if ('value' in r && r.value === true) {
      return { error: "Active defragmentation cannot be enabled: lapse's memory is managed by V8's garbage collector" };
    }
    return r;
  },
};

/** Kind (c): parameters that have no meaning for lapse, each with the reason. */
const NO_EFFECT_PARAMS: readonly ParamSpec[] = [
  noEffect(ONE_THREAD, numericParam('io-threads', '1', 1n, 128n, { mutable: false })),
  noEffect(ONE_THREAD, boolParam('io-threads-do-reads', 'no', false)),
  noEffect(ONE_THREAD, stringParam('server_cpulist', '', false)),
  noEffect(ONE_THREAD, stringParam('bio_cpulist', '', false)),
  noEffect(NO_CHILD, stringParam('bgsave_cpulist', '', false)),
  noEffect(NO_CHILD, stringParam('aof_rewrite_cpulist', '', false)),
  noEffect(V8_MEMORY, boolParam('jemalloc-bg-thread', 'yes')),
  noEffect(V8_MEMORY, activeDefrag),
  noEffect(V8_MEMORY, numericParam('active-defrag-cycle-min', '1', 1n, 99n)),
  noEffect(V8_MEMORY, numericParam('active-defrag-cycle-max', '25', 1n, 99n)),
  noEffect(V8_MEMORY, numericParam('active-defrag-threshold-lower', '10', 0n, 1000n)),
  noEffect(V8_MEMORY, numericParam('active-defrag-threshold-upper', '100', 0n, 1000n)),
  noEffect(V8_MEMORY, numericParam('active-defrag-ignore-bytes', '100mb', 1n, INT64_MAX, { memory: true, unsigned: true })),
  noEffect(V8_MEMORY, numericParam('active-defrag-max-scan-fields', '1000', 1n, LONG_MAX)),
  noEffect(V8_MEMORY, boolParam('disable-thp', 'yes', false)),
  noEffect(V8_MEMORY + ': deleted values are freed by it, never by a background thread', boolParam('lazyfree-lazy-eviction', 'no')),
  noEffect(V8_MEMORY + ': deleted values are freed by it, never by a background thread', boolParam('lazyfree-lazy-expire', 'no')),
  noEffect(V8_MEMORY + ': deleted values are freed by it, never by a background thread', boolParam('lazyfree-lazy-server-del', 'no')),
  noEffect(V8_MEMORY + ': deleted values are freed by it, never by a background thread', boolParam('lazyfree-lazy-user-del', 'no')),
  noEffect(V8_MEMORY + ': deleted values are freed by it, never by a background thread', boolParam('lazyfree-lazy-user-flush', 'no')),
  noEffect('expiry runs on a timer wheel, not on sampling in the cron', numericParam('active-expire-effort', '1', 1n, 10n)),
  noEffect("the cron's per-client work is small at any client count", boolParam('dynamic-hz', 'yes')),
  noEffect('lapse does not set its OOM score', enumTableParam('oom-score-adj', 'no', [['no', 0], ['yes', 1], ['relative', 1], ['absolute', 2]])),
  noEffect('lapse does not set its OOM score', OOM_SCORE_ADJ_VALUES),
  noEffect('a crash of a Node.js process has no memory test to run', boolParam('crash-memcheck-enabled', 'yes')),
  noEffect('snapshots are written with one fsync at the end', boolParam('rdb-save-incremental-fsync', 'yes')),
  noEffect('lapse runs no start-up checks that could be silenced', stringParam('ignore-warnings', '')),
  // Hidden (test and debugging aids in Redis): found by exact name only.
  { ...noEffect('a Node.js process does not panic', boolParam('use-exit-on-panic', 'no')), hidden: true },
  noEffect('lapse has no software watchdog', numericParam('watchdog-period', '0', 0n, INT_MAX_N, { hidden: true })),
  noEffect('a test aid of Redis', numericParam('rdb-key-save-delay', '0', INT_MIN_N, INT_MAX_N, { hidden: true })),
  noEffect('a test aid of Redis', numericParam('key-load-delay', '0', INT_MIN_N, INT_MAX_N, { hidden: true })),
  noEffect('lapse loads a snapshot before it listens', numericParam('loading-process-events-interval-bytes', '2097152', 1024n, INT_MAX_N, { hidden: true })),
];

/**
 * lapse's own parameters (Redis has none of these names).
 *
 * metrics-port: the Prometheus endpoint's TCP port (server/metrics-endpoint.ts) on the
 * `bind` addresses; 0, the default, serves none. Set at start-up only.
 */
const LAPSE_PARAMS: readonly ParamSpec[] = [
  { ...intParam('metrics-port', '0', 0, 65535, false), lapseOnly: true },
];

export const PARAMS: readonly ParamSpec[] = [
  intParam('port', '6379', 0, 65535, false),
  {
    name: 'bind',
    multiArg: true,
    mutable: false,
    defaultText: '127.0.0.1 -::1',
    parse(arg) {
      const addrs = arg.split(' ').filter((a) => a.length > 0);
      if (addrs.length === 0) return { value: [] };
      if (addrs.length > 16) return { error: 'Too many bind addresses specified.' };
      return { value: addrs };
    },
    format: (v) => (v as string[]).join(' '),
  },
  intParam('tcp-backlog', '511', 0, INT_MAX, false),
  intParam('databases', '16', 1, INT_MAX, false),
  enumParam('loglevel', 'notice', ['debug', 'verbose', 'notice', 'warning']),
  stringParam('logfile', '', false),
  stringParam('requirepass', ''),
  memoryParam('proto-max-bulk-len', '512mb', 1024n * 1024n, INT64_MAX, true),
  memoryParam('client-query-buffer-limit', '1gb', 1024n * 1024n, INT64_MAX, false),
  intParam('maxclients', '10000', 1, UINT_MAX),
  intParam('timeout', '0', 0, INT_MAX),
  intParam('tcp-keepalive', '300', 0, INT_MAX),
  {
    name: 'notify-keyspace-events',
    mutable: true,
    defaultText: '',
    parse(arg) {
      const flags = keyspaceEventsToFlags(arg);
      if (flags === undefined) return { error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." };
      return { value: flags };
    },
    format: (v) => keyspaceEventsToString(v as number),
    fileForm: 'quoted',
  },
  // Defaults as built into Redis 7.0 (its shipped redis.conf lowers the entries to 128).
  HASH_MAX_LISTPACK_ENTRIES,
  HASH_MAX_LISTPACK_VALUE,
  aliasParam('hash-max-ziplist-entries', HASH_MAX_LISTPACK_ENTRIES),
  aliasParam('hash-max-ziplist-value', HASH_MAX_LISTPACK_VALUE),
  // Redis 7.0's createSizeTConfig: 0 to LONG_MAX, no units (t_set.c caps its use at 2^30).
  numericParam('set-max-intset-entries', '512', 0n, LONG_MAX, { unsigned: true }),
  ...PERSISTENCE_PARAMS,
  ...ACCESS_PARAMS,
  ...TLS_PARAMS,
  ...LIMIT_PARAMS,
  ...PROCESS_PARAMS,
  ...NOT_YET_PARAMS,
  ...NO_EFFECT_PARAMS,
  ...LAPSE_PARAMS,
];

const BY_NAME = new Map(PARAMS.map((p) => [p.name, p]));

export function findParam(name: string): ParamSpec | undefined {
  return BY_NAME.get(name.toLowerCase());
}
