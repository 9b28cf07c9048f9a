import { describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { PARAMS } from '../../src/config/params.js';
import { mapParts } from '../helpers/reply-parts.js';

/**
 * Every Redis 7.0.15 parameter, against redis-server 7.0.15: the names CONFIG GET *
 * lists, their values, the hidden ones, and how CONFIG SET checks them. The three kinds
 * of src/config/params.ts: implemented parameters behave as Redis's; parameters of a
 * feature lapse does not have yet take only their off value (Redis takes the others,
 * lapse refuses them naming the feature); parameters with no meaning for lapse take
 * every value Redis takes.
 */

const p = pairSuite({ reset: false });

/**
 * Values that differ for a stated reason: the two servers listen on different ports
 * (Pair's lapse on port 0, which it reports as 0). Everything else, dir and bind
 * included, is set alike by Pair.
 */
const OWN_VALUES = new Set(['port']);

async function configGet(...patterns: string[]): Promise<[Map<string, string>, Map<string, string>]> {
  const [r, l] = await p.both(['CONFIG', 'GET', ...patterns]);
  const asMap = (raw: Buffer) => new Map(mapParts(raw).map(([k, v]) => [k, v.toString('latin1')]));
  return [asMap(r), asMap(l)];
}

describe('CONFIG GET', () => {
  test('* lists the same names as redis-server 7.0.15, with the same values', async () => {
    const [redis, lapse] = await configGet('*');
    // lapse's own parameters (metrics-port) are listed too, and only they are extra.
    const own = PARAMS.filter((s) => s.lapseOnly).map((s) => s.name);
    expect(own).toEqual(['metrics-port']);
    expect([...lapse.keys()].filter((n) => !own.includes(n)).sort()).toEqual([...redis.keys()].sort()); // as a set: names
    for (const name of own) expect(lapse.has(name), name).toBe(true);
    expect(lapse.size).toBeGreaterThanOrEqual(190);
    for (const [name, value] of redis) {
      if (OWN_VALUES.has(name)) continue;
      expect(`${name}=${lapse.get(name)}`).toBe(`${name}=${value}`);      // exact: each value
    }
  });

  test('hidden parameters answer their exact name only, as in Redis', async () => {
    const hidden = PARAMS.filter((s) => s.hidden).map((s) => s.name);
    expect(hidden.sort()).toEqual(['command-timing', 'key-load-delay', 'loading-process-events-interval-bytes', 'rdb-key-save-delay', 'use-exit-on-panic', 'watchdog-period']);
    for (const name of hidden.filter((n) => n !== 'command-timing')) {
      await p.exact('CONFIG', 'GET', name);                                // exact
      await p.exact('CONFIG', 'GET', `${name.slice(0, -1)}*`);             // exact: not by glob
    }
  });

  test('enable-protected-configs, enable-debug-command and enable-module-command answer no', async () => {
    await p.exact('CONFIG', 'GET', 'enable-protected-configs');          // exact
    await p.exact('CONFIG', 'GET', 'enable-debug-command');              // exact
    await p.exact('CONFIG', 'GET', 'enable-module-command');             // exact
    const [redis, lapse] = await configGet('enable-*');
    expect([...lapse].sort()).toEqual([...redis].sort());                // as a set: three pairs
  });

  test('aliases are names of their own that read their target', async () => {
    for (const alias of ['slaveof', 'slave-priority', 'lua-time-limit', 'list-max-ziplist-size', 'zset-max-ziplist-value',
      'min-slaves-to-write', 'repl-ping-slave-period', 'cluster-slave-validity-factor', 'slave-announce-ip']) {
      await p.exact('CONFIG', 'GET', alias);                               // exact
    }
    const [redis, lapse] = await configGet('SLAVEOF', 'replicaof');
    expect([...lapse].sort()).toEqual([...redis].sort());                // as a set: two names, one parameter
  });

  test('a name Redis does not know', async () => {
    await p.exact('CONFIG', 'GET', 'list-max-ziplist-entries');           // exact: empty (config-file only)
    await p.exact('CONFIG', 'SET', 'list-max-ziplist-entries', '5');      // exact: unknown
    await p.exact('CONFIG', 'SET', 'no-such-parameter', '5');             // exact: unknown
    await p.exact('CONFIG', 'SET', 'mymodule.param', '5');                // exact: unknown
  });
});

describe('CONFIG SET: Redis validation of every type', () => {
  /** Each is set on both servers, then read back; the values are valid for lapse too or refused by both. */
  const cases: [string, string][] = [
    // bool
    ['activerehashing', 'no'], ['activerehashing', 'maybe'], ['activerehashing', 'YES'],
    ['lazyfree-lazy-user-del', 'yes'], ['lazyfree-lazy-user-del', 'no'],
    ['crash-memcheck-enabled', 'no'], ['crash-memcheck-enabled', 'yes'],
    ['rdb-del-sync-files', 'yes'], ['rdb-del-sync-files', 'no'],
    // int bounds and syntax
    ['hz', '0'], ['hz', '1000'], ['hz', '-1'], ['hz', '50'], ['hz', 'x'], ['hz', '10'],
    ['active-expire-effort', '0'], ['active-expire-effort', '11'], ['active-expire-effort', '10'], ['active-expire-effort', '1'],
    ['active-defrag-cycle-min', '100'], ['active-defrag-cycle-min', '5'], ['active-defrag-cycle-min', '1'],
    ['active-defrag-threshold-upper', '1001'], ['active-defrag-threshold-upper', '100'],
    ['list-max-listpack-size', '-2147483649'], ['list-max-listpack-size', 'x'],
    ['repl-timeout', '0'], ['repl-ping-replica-period', '0'], ['replica-announce-port', '65536'],
    // unsigned long / size_t / long long
    ['active-defrag-max-scan-fields', '0'], ['active-defrag-max-scan-fields', '-1'], ['active-defrag-max-scan-fields', '500'],
    ['active-defrag-max-scan-fields', '1000'],
    ['slowlog-max-len', '-1'], ['set-max-intset-entries', '-1'], ['tracking-table-max-keys', 'x'],
    ['slowlog-log-slower-than', '-2'], ['stream-node-max-entries', '-1'], ['busy-reply-threshold', '-1'],
    // memory
    ['active-defrag-ignore-bytes', '0'], ['active-defrag-ignore-bytes', '1kb'], ['active-defrag-ignore-bytes', '5x'],
    ['active-defrag-ignore-bytes', '18446744073709551615'], ['active-defrag-ignore-bytes', '100mb'],
    ['zset-max-listpack-value', '-1'], ['hll-sparse-max-bytes', 'abc'], ['repl-backlog-size', '0'],
    ['auto-aof-rewrite-min-size', '1.5mb'], ['cluster-link-sendbuf-limit', '-1'],
    // memory or percent
    ['maxmemory-clients', '101%'], ['maxmemory-clients', '-1'], ['maxmemory-clients', 'x%'], ['maxmemory-clients', '%'],
    ['maxmemory-clients', '0'],
    // enums
    ['oom-score-adj', 'relative'], ['oom-score-adj', 'absolute'], ['oom-score-adj', 'RELATIVE'], ['oom-score-adj', 'maybe'],
    ['oom-score-adj', 'no'],
    ['appendfsync', 'sometimes'], ['repl-diskless-load', 'x'], ['sanitize-dump-payload', 'x'], ['propagation-error-behavior', 'x'],
    ['cluster-preferred-endpoint-type', 'x'],
    // multi-argument enum flags
    ['shutdown-on-sigint', 'now save force'], ['shutdown-on-sigint', 'save nosave'], ['shutdown-on-sigint', 'NOW'],
    ['shutdown-on-sigint', ''], ['shutdown-on-sigint', 'default now'], ['shutdown-on-sigint', 'now  force'],
    ['shutdown-on-sigint', 'default'],
    ['shutdown-on-sigterm', 'force nosave'], ['shutdown-on-sigterm', 'x'], ['shutdown-on-sigterm', 'default'],
    // special multi-argument values
    ['oom-score-adj-values', '1 2'], ['oom-score-adj-values', '0 200 2001'], ['oom-score-adj-values', '-2000 0 2000'],
    ['oom-score-adj-values', ' 1 2 3'], ['oom-score-adj-values', '1 2 3x'], ['oom-score-adj-values', '0 200 800'],
    ['latency-tracking-info-percentiles', '50 101'], ['latency-tracking-info-percentiles', 'x'],
    ['latency-tracking-info-percentiles', '-1'],
    // strings with Redis's checks
    ['proc-title-template', '{foo}'], ['proc-title-template', ''], ['proc-title-template', '{title}'],
    ['proc-title-template', '{{'], ['proc-title-template', '{'], ['proc-title-template', '{title'],
    ['proc-title-template', '{{title} {port}'], ['proc-title-template', '{title} {listen-addr} {server-mode}'],
    ['cluster-announce-hostname', 'a_b'], ['ignore-warnings', 'ARM64-COW-BUG'], ['ignore-warnings', ''],
    // immutable
    ['daemonize', 'yes'], ['supervised', 'systemd'], ['syslog-enabled', 'yes'], ['pidfile', 'x'], ['io-threads', '2'],
    ['unixsocketperm', '700'], ['enable-protected-configs', 'yes'], ['enable-debug-command', 'yes'], ['cluster-enabled', 'yes'],
    ['appendfilename', 'x'], ['always-show-logo', 'yes'], ['set-proc-title', 'no'], ['disable-thp', 'no'],
    // aliases: errors name what the client typed
    ['slave-priority', 'x'], ['lua-time-limit', '-5'], ['slaveof', 'no one'],
  ];

  test('values, bounds and errors as Redis words them', async () => {
    for (const [name, value] of cases) {
      await p.exact('CONFIG', 'SET', name, value);                         // exact
      await p.exact('CONFIG', 'GET', name);                                // exact: the value now
    }
  });

  test('accepted values of parameters with no effect are stored as Redis stores them', async () => {
    const values: [string, string][] = [
      ['io-threads-do-reads', 'no'], ['jemalloc-bg-thread', 'no'], ['activedefrag', 'no'], ['dynamic-hz', 'no'],
      ['lazyfree-lazy-eviction', 'yes'], ['lazyfree-lazy-expire', 'yes'], ['lazyfree-lazy-server-del', 'yes'],
      ['lazyfree-lazy-user-flush', 'yes'], ['active-defrag-cycle-max', '50'], ['active-defrag-threshold-lower', '20'],
      // Values Redis can apply in this container (it writes /proc/self/oom_score_adj).
      ['rdb-save-incremental-fsync', 'no'], ['oom-score-adj-values', '0 300 900'], ['oom-score-adj', 'yes'],
      // The slow log, the latency monitor and latency tracking (implemented).
      ['slowlog-max-len', '10'], ['slowlog-log-slower-than', '0'], ['latency-monitor-threshold', '100'],
      ['latency-tracking-info-percentiles', '50 99.990000 0 100'], ['latency-tracking-info-percentiles', ''],
      // Client-side caching (tracking.ts).
      ['tracking-table-max-keys', '10'], ['tracking-table-max-keys', '0'],
    ];
    for (const [name, value] of values) {
      await p.exact('CONFIG', 'SET', name, value);                         // exact: OK
      await p.exact('CONFIG', 'GET', name);                                // exact
    }
    await p.exact('CONFIG', 'SET', 'watchdog-period', '0');               // exact: hidden, settable
    await p.run(values.reverse().map(([name]) => ['CONFIG', 'SET', name, PARAMS.find((s) => s.name === name)!.defaultText]));
  });

  test('the off value of a feature lapse does not have is accepted, as Redis accepts it', async () => {
    const off: [string, string][] = [
      ['appendonly', 'no'], ['appendfsync', 'everysec'], ['slowlog-log-slower-than', '-1'], ['slowlog-log-slower-than', '10000'],
      ['latency-monitor-threshold', '0'], ['latency-tracking', 'no'], ['latency-tracking', 'yes'],
      ['replica-read-only', 'yes'], ['slave-read-only', 'YES'], ['list-max-listpack-size', '-2'],
      ['zset-max-ziplist-entries', '128'], ['auto-aof-rewrite-min-size', '64mb'], ['repl-backlog-size', '1048576'],
      ['maxmemory-clients', '0'], ['shutdown-timeout', '10'], ['latency-tracking-info-percentiles', '50 99 99.9'],
      ['sanitize-dump-payload', 'no'],
    ];
    for (const [name, value] of off) {
      await p.exact('CONFIG', 'SET', name, value);                         // exact: OK
      await p.exact('CONFIG', 'GET', name);                                // exact
    }
  });

  test('any other value of such a parameter: Redis applies it, lapse refuses it naming the feature', async () => {
    const refused: [string, string, string][] = [
      ['appendonly', 'yes', 'the append-only file (AOF)'],
      ['appendfsync', 'always', 'the append-only file (AOF)'],
      ['hll-sparse-max-bytes', '100', 'HyperLogLog'],
      ['stream-node-max-entries', '5', 'streams'],
      ['repl-disable-tcp-nodelay', 'yes', 'replication'],
      ['slave-lazy-flush', 'yes', 'replication'],
      ['propagation-error-behavior', 'panic', 'replication'],
      ['cluster-node-timeout', '5000', 'Redis Cluster'],
      ['maxmemory-clients', '10%', 'client eviction'],
      ['sanitize-dump-payload', 'yes', 'DUMP and RESTORE'],
    ];
    for (const [name, value, feature] of refused) {
      const [before] = await configGet(name);
      const [r, l] = await p.both(['CONFIG', 'SET', name, value]);
      expect(show(r), `redis: ${name} ${value}`).toBe(show(Buffer.from('+OK\r\n')));
      expect(l.toString('latin1'), `lapse: ${name} ${value}`).toMatch(
        new RegExp(`^-ERR CONFIG SET failed \\(possibly related to argument '${name}'\\) - ` +
          `lapse does not implement ${feature.replace(/[()]/g, '\\$&')} yet, so only '[^']*' is accepted\r\n$`),
      );
      const [, after] = await configGet(name);
      expect(after.get(name), `lapse: ${name} unchanged`).toBe(before.get(name));
      await p.r.call('CONFIG', 'SET', name, before.get(name)!);
    }
  });
});
