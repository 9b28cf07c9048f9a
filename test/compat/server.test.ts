import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { createServer } from '../../src/index.js';
import { PARAMS } from '../../src/config/params.js';
import { RawClient } from '../helpers/raw-client.js';
import { startRedis } from '../helpers/redis-server.js';
import { decodeReply } from '../helpers/resp.js';
import { mapParts, texts } from '../helpers/reply-parts.js';

/**
 * Server commands: INFO, CONFIG, TIME, SHUTDOWN, against Redis 7.0.
 *
 * INFO values are mostly the servers' own (memory, pids, ports, times), so INFO is
 * compared by section and field names, and by value where both servers must agree
 * after the same commands (counters after CONFIG RESETSTAT, keyspace, errorstats, and
 * fields that describe the same facts, such as loading:0 or role:master).
 */

const p = pairSuite();

/** An INFO reply (bulk or verbatim) as its text. */
function infoOf(raw: Buffer): string {
  const r = decodeReply(raw)!.reply;
  if (r.type !== 'bulk' && r.type !== 'verbatim') throw new Error(`INFO replied ${show(raw)}`);
  return r.value.toString('latin1');
}

/** Section titles and, per section, its fields in order. */
function parseInfo(text: string): Map<string, [string, string][]> {
  const sections = new Map<string, [string, string][]>();
  let current: [string, string][] | undefined;
  for (const line of text.split('\r\n')) {
    if (line.startsWith('# ')) {
      current = [];
      sections.set(line.slice(2), current);
    } else if (line !== '') {
      const colon = line.indexOf(':');
      current!.push([line.slice(0, colon), line.slice(colon + 1)]);
    }
  }
  return sections;
}

async function bothInfo(...sections: string[]): Promise<[Map<string, [string, string][]>, Map<string, [string, string][]>]> {
  const [r, l] = await p.both(['INFO', ...sections]);
  return [parseInfo(infoOf(r)), parseInfo(infoOf(l))];
}

/** The value of one INFO field on each server. */
async function field(section: string, name: string): Promise<[string, string]> {
  const [r, l] = await bothInfo(section);
  const get = (m: Map<string, [string, string][]>) => [...m.values()].flat().find(([k]) => k === name)?.[1];
  return [get(r)!, get(l)!];
}

/** Fields lapse adds at the end of the stats section (expiry lag, see src/commands/info-sections.ts). */
const LAPSE_STATS = [
  'expired_reclaim_lag_samples', 'expired_reclaim_lag_p50_ms', 'expired_reclaim_lag_p99_ms',
  'expired_reclaim_lag_max_ms', 'expired_keys_past_deadline',
];

/** lapse's own fields at the end of the memory section (src/commands/info-sections.ts). */
const LAPSE_MEMORY = [
  'lapse_baseline_memory', 'lapse_baseline_memory_human', 'lapse_reclaim_gcs', 'lapse_reclaim_last_pause_ms',
  'lapse_reclaim_max_pause_ms',
];

/** Sections whose fields are per command or per error, compared in their own tests (test/compat/commandstats.test.ts). */
const PER_NAME = ['Commandstats', 'Latencystats'];

describe('INFO sections', () => {
  test('which sections each argument selects, in Redis order', async () => {
    for (const args of [[], ['default'], ['all'], ['everything'], ['ALL'], ['server'], ['Server', 'KEYSPACE'],
      ['keyspace', 'server', 'server'], ['modules'], ['module_list'], ['default', 'errorstats'], ['cpu', 'nosuch'],
      ['everything', 'server'], ['all', 'default'], ['cluster', 'replication', 'persistence', 'stats', 'clients', 'memory']]) {
      const [r, l] = await bothInfo(...args);
      expect([...l.keys()], `INFO ${args.join(' ')}`).toEqual([...r.keys()]); // section titles
    }
  });

  test('unknown sections print nothing', async () => {
    await p.exact('INFO', 'nosuch');                                // exact: empty
    await p.exact('INFO', '');                                      // exact
    const [r, l] = await bothInfo('server\0');                      // the name is read up to NUL
    expect([...l.keys()]).toEqual([...r.keys()]);
    await p.exact('INFO', 'nosuch', 'other');                       // exact
  });

  test('every section has Redis 7.0 field names in Redis order', async () => {
    const [r, l] = await bothInfo('everything');
    for (const [section, redisFields] of r) {
      if (PER_NAME.includes(section) || section === 'Keyspace' || section === 'Errorstats') continue;
      const names = redisFields.map(([k]) => k);
      if (section === 'Server') names.splice(1, 0, 'lapse_version'); // lapse's additions
      if (section === 'Stats') names.push(...LAPSE_STATS);
      if (section === 'Memory') names.push(...LAPSE_MEMORY);
      if (section === 'Persistence') names.push('lapse_bgsave_worker', 'lapse_save_worker');
      expect(l.get(section)!.map(([k]) => k), `# ${section}`).toEqual(names);
    }
  });

  test('section layout: titles, CRLF lines, an empty line between sections', async () => {
    const text = infoOf(await p.l.call('INFO', 'cpu', 'cluster'));
    expect(text).toMatch(/^# CPU\r\n(used_cpu_[a-z_]+:\d+\.\d{6}\r\n){6}\r\n# Cluster\r\ncluster_enabled:0\r\n$/);
    await p.exact('INFO', 'cluster');                               // exact
    await p.exact('INFO', 'modules');                               // exact: empty section
    await p.exact('INFO', 'Cluster', 'MODULES');                    // exact: Redis order
  });

  test('fields that state the same facts have the same values', async () => {
    const [r, l] = await bothInfo('server', 'clients', 'persistence', 'replication', 'cluster', 'stats');
    const same: Record<string, string[]> = {
      Server: ['redis_version', 'redis_git_sha1', 'redis_git_dirty', 'redis_mode', 'os', 'arch_bits',
        'monotonic_clock', 'multiplexing_api', 'process_supervised', 'hz', 'configured_hz', 'config_file',
        'io_threads_active'],
      Clients: ['cluster_connections', 'maxclients', 'blocked_clients', 'tracking_clients', 'clients_in_timeout_table'],
      Persistence: ['loading', 'async_loading', 'current_cow_peak', 'current_cow_size', 'current_cow_size_age',
        'current_fork_perc', 'current_save_keys_processed', 'current_save_keys_total', 'rdb_bgsave_in_progress',
        'rdb_last_bgsave_status', 'rdb_last_bgsave_time_sec', 'rdb_current_bgsave_time_sec', 'rdb_saves',
        'rdb_last_cow_size', 'rdb_last_load_keys_expired', 'rdb_last_load_keys_loaded', 'aof_enabled',
        'aof_rewrite_in_progress', 'aof_rewrite_scheduled', 'aof_last_rewrite_time_sec',
        'aof_current_rewrite_time_sec', 'aof_last_bgrewrite_status', 'aof_rewrites',
        'aof_rewrites_consecutive_failures', 'aof_last_write_status', 'aof_last_cow_size',
        'module_fork_in_progress', 'module_fork_last_cow_size'],
      Replication: ['role', 'connected_slaves', 'master_failover_state', 'master_replid2', 'master_repl_offset',
        'second_repl_offset', 'repl_backlog_active', 'repl_backlog_size', 'repl_backlog_first_byte_offset',
        'repl_backlog_histlen'],
      Stats: ['total_net_repl_input_bytes', 'total_net_repl_output_bytes', 'instantaneous_input_repl_kbps',
        'instantaneous_output_repl_kbps', 'rejected_connections', 'sync_full', 'sync_partial_ok', 'sync_partial_err',
        'evicted_keys', 'evicted_clients', 'pubsub_channels', 'pubsub_patterns', 'pubsubshard_channels',
        'latest_fork_usec', 'total_forks', 'migrate_cached_sockets', 'slave_expires_tracked_keys',
        'tracking_total_keys', 'tracking_total_items', 'tracking_total_prefixes', 'unexpected_error_replies',
        'dump_payload_sanitizations', 'io_threaded_reads_processed', 'io_threaded_writes_processed'],
      Cluster: ['cluster_enabled'],
    };
    for (const [section, names] of Object.entries(same)) {
      const rv = new Map(r.get(section));
      const lv = new Map(l.get(section));
      for (const name of names) expect(lv.get(name), `${section} ${name}`).toBe(rv.get(name));
    }
    const lv = new Map(l.get('Server'));
    expect(lv.get('tcp_port')).toBe(String(p.lapsePort));
    expect(lv.get('lapse_version')).toMatch(/^\d+\.\d+\.\d+/);
    expect(lv.get('process_id')).toBe(String(process.pid));
    expect(lv.get('run_id')).toMatch(/^[0-9a-f]{40}$/);
    expect(new Map(l.get('Replication')).get('master_replid')).toMatch(/^[0-9a-f]{40}$/);
  });

  test('INFO is a verbatim string in RESP3', async () => {
    await p.both(['HELLO', '3']);
    const [r, l] = await p.both(['INFO', 'server']);
    expect([r[0], l[0]]).toEqual([0x3d, 0x3d]);
    expect(l.toString('latin1')).toMatch(/^=\d+\r\ntxt:# Server\r\n/);
    await p.exact('INFO', 'cluster');                               // exact: verbatim
    await p.exact('INFO', 'nosuch');                                // exact: empty verbatim
  });
});

describe('INFO values after known commands', () => {
  test('keyspace', async () => {
    await p.exact('INFO', 'keyspace');                              // exact: no databases listed
    await p.exact('SET', 'a', '1');                                 // exact
    await p.exact('SET', 'b', '2');                                 // exact
    await p.exact('SELECT', '3');                                   // exact
    await p.exact('SET', 'c', '3');                                 // exact
    await p.exact('INFO', 'keyspace');                              // exact: db0 and db3
    await p.exact('SET', 'a', '1', 'EX', '1000');                   // exact: a TTL in db3
    const [r0, l0] = await field('keyspace', 'db0');
    expect(l0).toBe(r0);                                            // db0 line exact
    const [r3, l3] = await field('keyspace', 'db3');
    // avg_ttl is Redis's estimate from sampling; lapse's is the exact mean.
    expect(l3.replace(/avg_ttl=\d+/, '')).toBe(r3.replace(/avg_ttl=\d+/, '')); // keys=2,expires=1
    expect(Number(/avg_ttl=(\d+)/.exec(l3)![1])).toBeGreaterThan(998_000); // mean over keys with a TTL, ms

  });

  test('command, error and keyspace counters after CONFIG RESETSTAT', async () => {
    await p.exact('CONFIG', 'RESETSTAT');                           // exact
    await p.exact('SET', 'a', '1');                                 // exact
    await p.exact('GET', 'a');                                      // exact: hit
    await p.exact('GET', 'b');                                      // exact: miss
    await p.exact('SET', 'a', '2', 'GET');                          // exact: hit
    await p.exact('SET', 'c', '3', 'NX', 'GET');                    // exact: miss
    await p.exact('SET', 'a', '3', 'XX');                           // exact: not a read
    for (const name of ['total_commands_processed', 'keyspace_hits', 'keyspace_misses', 'total_error_replies', 'expired_keys']) {
      const [r, l] = await field('stats', name);
      expect(l, name).toBe(r);                                      // same counter
    }
    await p.exact('NOSUCH');                                        // exact: ERR, rejected
    await p.exact('GET');                                           // exact: ERR, rejected
    await p.exact('SELECT', 'x');                                   // exact: ERR, failed
    await p.exact('CLIENT', 'nosuch');                              // exact
    await p.exact('AUTH', 'x');                                     // exact
    await p.exact('AUTH', 'nobody', 'x');                           // exact: WRONGPASS
    await p.exact('HELLO', '9');                                    // exact: NOPROTO
    await p.exact('INFO', 'errorstats');                            // exact: counts by code, sorted
    for (const name of ['total_commands_processed', 'total_error_replies']) {
      const [r, l] = await field('stats', name);
      expect(l, name).toBe(r);                                      // same counter
    }
    await p.exact('CONFIG', 'RESETSTAT');                           // exact
    await p.exact('INFO', 'errorstats');                            // exact: empty again
    for (const name of ['total_commands_processed', 'keyspace_hits', 'keyspace_misses', 'total_error_replies', 'total_connections_received']) {
      const [r, l] = await field('stats', name);
      expect(l, name).toBe(r);                                      // reset; RESETSTAT counts itself
    }
  });

  test('expired_keys counts a key expired on access', async () => {
    await p.exact('CONFIG', 'RESETSTAT');                           // exact
    await p.exact('SET', 'k', 'v', 'PX', '1');                      // exact
    await new Promise((resolve) => setTimeout(resolve, 20));
    await p.exact('GET', 'k');                                      // exact: gone
    const [r, l] = await field('stats', 'expired_keys');
    expect(l).toBe(r);                                              // 1 on both
  });

  test('rdb_changes_since_last_save counts writes as Redis does', async () => {
    const [r0, l0] = await field('persistence', 'rdb_changes_since_last_save');
    await p.exact('SET', 'a', '1');                                 // exact
    await p.exact('SET', 'a', '2');                                 // exact
    await p.exact('SET', 'a', '3', 'NX');                           // exact: no change
    await p.exact('GET', 'a');                                      // exact: no change
    const [r1, l1] = await field('persistence', 'rdb_changes_since_last_save');
    expect(Number(l1) - Number(l0)).toBe(Number(r1) - Number(r0));  // same number of changes
  });

  test('error codes longer than 30 characters count as ERR, as in Redis', async () => {
    await p.exact('CONFIG', 'RESETSTAT');                           // exact
    await p.exact('HELLO', '3', 'AUTH', 'x', 'y');                  // exact: WRONGPASS
    p.lapse.reply.error(`${'X'.repeat(31)} long code`);
    p.lapse.reply.discard();
    const text = infoOf(await p.l.call('INFO', 'errorstats'));
    expect(text).toBe('# Errorstats\r\nerrorstat_ERR:count=1\r\nerrorstat_WRONGPASS:count=1\r\n');
  });
});

describe("INFO values that are lapse's own", () => {
  async function lapseSection(name: string): Promise<Map<string, string>> {
    return new Map([...parseInfo(infoOf(await p.l.call('INFO', name))).values()][0]);
  }

  test('memory fields are consistent', async () => {
    const mem = await lapseSection('memory');
    const n = (k: string) => Number(mem.get(k));
    expect(n('used_memory')).toBeGreaterThan(0);
    expect(n('used_memory_peak')).toBeGreaterThanOrEqual(n('used_memory'));
    expect(n('used_memory_rss')).toBeGreaterThan(0);
    expect(n('used_memory_dataset') + n('used_memory_overhead')).toBe(n('used_memory'));
    for (const k of ['used_memory_human', 'used_memory_rss_human', 'used_memory_peak_human', 'total_system_memory_human']) {
      expect(mem.get(k), k).toMatch(/^(\d+\.\d\d[KMGTP]|\d+B)$/);
    }
    for (const k of ['allocator_frag_ratio', 'allocator_rss_ratio', 'rss_overhead_ratio', 'mem_fragmentation_ratio']) {
      expect(mem.get(k), k).toMatch(/^\d+\.\d\d$/);
    }
    expect(mem.get('used_memory_peak_perc')).toMatch(/^\d+\.\d\d%$/);
    expect(n('total_system_memory')).toBe(os.totalmem());
    expect(mem.get('maxmemory_policy')).toBe('noeviction');
    // CONFIG RESETSTAT keeps the peak, as in Redis.
    await p.exact('CONFIG', 'RESETSTAT');                           // exact
    expect(Number((await lapseSection('memory')).get('used_memory_peak'))).toBeGreaterThanOrEqual(n('used_memory_peak'));
  });

  test('instantaneous_ops_per_sec follows the command rate', async () => {
    const until = Date.now() + 500;
    while (Date.now() < until) await p.l.call('PING');
    const stats = await lapseSection('stats');
    expect(Number(stats.get('instantaneous_ops_per_sec'))).toBeGreaterThan(0);
    expect(Number(stats.get('instantaneous_input_kbps'))).toBeGreaterThan(0);
  });

  test('server: uptime and clock', async () => {
    const server = await lapseSection('server');
    expect(Number(server.get('uptime_in_seconds'))).toBeGreaterThanOrEqual(0);
    expect(Math.abs(Number(server.get('server_time_usec')) / 1000 - Date.now())).toBeLessThan(1000);
    const lru = Number(server.get('lru_clock'));
    expect(Math.abs(lru - (Math.floor(Date.now() / 1000) & 0xffffff))).toBeLessThanOrEqual(1); // tolerance: 1 s
  });
});

/** lapse's parameters, for restricting Redis's CONFIG GET replies. */
const LAPSE_PARAMS = new Set(PARAMS.map((x) => x.name));
/** Parameters Redis does not have (metrics-port): config-params.test.ts checks that they are listed. */
const LAPSE_ONLY = new Set(PARAMS.filter((x) => x.lapseOnly).map((x) => x.name));

/** A glob's matches on Redis restricted to lapse's parameters; same pairs, any order. */
async function compareGlob(...patterns: string[]): Promise<void> {
  const [r, l] = await p.both(['CONFIG', 'GET', ...patterns]);
  const redis = mapParts(r).filter(([k]) => LAPSE_PARAMS.has(k.toLowerCase()) && k !== 'port');
  const lapse = mapParts(l).filter(([k]) => k !== 'port' && !LAPSE_ONLY.has(k.toLowerCase()));
  const asText = (xs: [string, Buffer][]) => xs.map(([k, v]) => `${k}=${show(v)}`).sort();
  expect(asText(lapse), `CONFIG GET ${patterns.join(' ')}`).toEqual(asText(redis));
}

describe('CONFIG GET', () => {
  test('exact names', async () => {
    for (const param of PARAMS) {
      if (param.name === 'port') continue; // the two servers listen on different ports
      if (param.lapseOnly || param.name === 'command-timing') continue; // lapse's own: Redis has no such parameter
      await p.exact('CONFIG', 'GET', param.name);                   // exact
    }
    await p.exact('CONFIG', 'GET', 'TIMEOUT');                      // exact: reported as typed
    await p.exact('CONFIG', 'GET', 'MaxClients', 'maxclients');    // exact: once, as first typed
    await p.exact('CONFIG', 'GET', 'nosuch');                       // exact: empty
    await p.exact('CONFIG', 'GET', 'time\0out');                    // exact: empty
    await p.exact('CONFIG', 'GET', 'po\0*');                        // exact: not a glob after NUL
    await p.exact('CONFIG', 'GET');                                 // exact: arity
  });

  test('globs and several patterns', async () => {
    await compareGlob('*');                                         // sorted, restricted
    await compareGlob('*max*');                                     // sorted, restricted
    await compareGlob('TCP-*');                                     // sorted: case-insensitive
    await compareGlob('?imeout');                                   // sorted
    await compareGlob('[lt]*');                                     // sorted
    await compareGlob('timeout', 'databases', 'timeout');           // sorted: each once
    await compareGlob('*', 'timeout');                              // sorted
    await compareGlob('TIMEOUT', 'time*');                          // sorted: exact name wins
    await compareGlob('nosuch*');                                   // sorted: empty
  });

  test('a map in RESP3', async () => {
    await p.both(['HELLO', '3']);
    await p.exact('CONFIG', 'GET', 'maxclients');                   // exact: %1
    await p.exact('CONFIG', 'GET', 'nosuch');                       // exact: %0
  });
});

describe('CONFIG SET', () => {
  afterAll(async () => {
    await p.run([['CONFIG', 'SET', 'timeout', '0', 'maxclients', '10000', 'loglevel', 'notice', 'tcp-keepalive', '300',
      'proto-max-bulk-len', '512mb', 'client-query-buffer-limit', '1gb']]);
  });

  test('values, units and errors as Redis words them', async () => {
    const cases: [string, string][] = [
      ['timeout', '5'], ['timeout', '-1'], ['timeout', '2147483647'], ['timeout', '2147483648'], ['timeout', '007'],
      ['timeout', ' 7'], ['timeout', '0x10'], ['timeout', '1e3'], ['timeout', ''], ['timeout', '-0'], ['timeout', '+5'],
      ['timeout', '99999999999999999999'], ['timeout', '10\0x'], ['timeout', '0'],
      ['maxclients', '0'], ['maxclients', '4294967295'], ['maxclients', '4294967296'], ['maxclients', 'abc'],
      ['maxclients', '-1'], ['maxclients', '10000'],
      ['tcp-keepalive', '-1'], ['tcp-keepalive', '60'], ['tcp-keepalive', '300'],
      ['loglevel', 'foo'], ['loglevel', 'WARNING'], ['loglevel', 'notice warning'], ['loglevel', ' notice'],
      ['loglevel', 'verbose\0x'], ['loglevel', ''], ['loglevel', 'notice'],
      ['proto-max-bulk-len', '1'], ['proto-max-bulk-len', '1x'], ['proto-max-bulk-len', '-1'], ['proto-max-bulk-len', ''],
      ['proto-max-bulk-len', 'kb'], ['proto-max-bulk-len', '1KB'], ['proto-max-bulk-len', '2mb'], ['proto-max-bulk-len', '1g'],
      ['proto-max-bulk-len', '1GB'], ['proto-max-bulk-len', '99999999999999999999'],
      ['proto-max-bulk-len', '18446744073709551615'], ['proto-max-bulk-len', '9223372036854775807'],
      ['proto-max-bulk-len', '9223372036854775808'], ['proto-max-bulk-len', '9007199254740993'],
      ['proto-max-bulk-len', ' 1048576'], ['proto-max-bulk-len', '+1048576'], ['proto-max-bulk-len', '1048576b'],
      ['proto-max-bulk-len', '01048576'], ['proto-max-bulk-len', '1.5mb'], ['proto-max-bulk-len', '2097152\0junk'],
      ['proto-max-bulk-len', '18014398509481984gb'], ['proto-max-bulk-len', '512mb'],
      ['client-query-buffer-limit', '1'], ['client-query-buffer-limit', '18446744073709551615'],
      ['client-query-buffer-limit', '9223372036854775807'], ['client-query-buffer-limit', '1gb'],
      ['appendonly', 'maybe'], ['appendonly', 'No'], ['appendonly', 'YES '], ['appendonly', 'no\0x'],
      ['tcp-backlog', '5'], ['databases', '5'], ['logfile', 'x'],
      // size_t configs: string2ll syntax, 0..LLONG_MAX.
      ['acllog-max-len', '-1'], ['acllog-max-len', 'x'], ['acllog-max-len', '9223372036854775807'],
      ['acllog-max-len', '9223372036854775808'], ['acllog-max-len', '01'], ['acllog-max-len', '1kb'], ['acllog-max-len', '128'],
      ['hash-max-listpack-entries', '-5'], ['hash-max-listpack-entries', ''], ['hash-max-listpack-entries', '512'],
      ['rdbcompression', 'maybe'], ['rdbcompression', 'YES'], ['rdbcompression', 'yes'],
    ];
    for (const [name, value] of cases) {
      await p.exact('CONFIG', 'SET', name, value);                  // exact
      await p.exact('CONFIG', 'GET', name);                         // exact: the value now
    }
  });

  test('several pairs are checked first and set together', async () => {
    await p.exact('CONFIG', 'SET', 'timeout', '5', 'maxclients', '20');   // exact
    await p.exact('CONFIG', 'GET', 'timeout');                            // exact: 5
    await p.exact('CONFIG', 'GET', 'maxclients');                         // exact: 20
    await p.exact('CONFIG', 'SET', 'timeout', '6', 'maxclients', 'x');    // exact: value error
    await p.exact('CONFIG', 'GET', 'timeout');                            // exact: still 5
    await p.exact('CONFIG', 'SET', 'timeout', '1', 'foo', 'bar');         // exact: unknown
    await p.exact('CONFIG', 'SET', 'foo', 'bar', 'timeout', 'x');         // exact: unknown first
    await p.exact('CONFIG', 'SET', 'timeout', '1', 'timeout', '2');       // exact: duplicate
    await p.exact('CONFIG', 'SET', 'timeout', '1', 'TIMEOUT', '2');       // exact: named as typed
    await p.exact('CONFIG', 'SET', 'timeout', 'x', 'tcp-backlog', '1');   // exact: immutable first
    await p.exact('CONFIG', 'SET', 'databases', 'x', 'foo', 'y');         // exact: immutable before unknown
    await p.exact('CONFIG', 'SET', 'MAXCLIENTS', 'abc');                  // exact: canonical name in value errors
    await p.exact('CONFIG', 'SET', 'timeout', '1', '2');                  // exact: odd count, syntax error
    await p.exact('CONFIG', 'SET', 'timeout');                            // exact: arity
    await p.exact('CONFIG', 'SET');                                       // exact: arity
    await p.exact('CONFIG', 'GET', 'timeout');                            // exact: still 5
    await p.exact('CONFIG', 'SET', 'timeout', '0', 'maxclients', '10000'); // exact
  });

  test('requirepass takes any bytes', async () => {
    await p.exact('CONFIG', 'SET', 'requirepass', '\0a\xff');             // exact
    await p.exact('CONFIG', 'GET', 'requirepass');                        // exact
    await p.exact('CONFIG', 'SET', 'requirepass', '');                    // exact
    await compareGlob('*pass*');                                          // sorted, restricted
  });

  test('CONFIG SET maxclients applies to new connections', async () => {
    const count = Number((await field('clients', 'connected_clients'))[1]);
    await p.exact('CONFIG', 'SET', 'maxclients', String(count));          // exact
    const extra = await RawClient.connect(p.lapsePort);
    try {
      expect(show(await extra.readReplyBytes())).toBe(show(Buffer.from('-ERR max number of clients reached\r\n')));
    } finally {
      extra.close();
      await p.exact('CONFIG', 'SET', 'maxclients', '10000');              // exact
    }
  });
});

describe('CONFIG RESETSTAT, HELP and errors', () => {
  test('arity and unknown subcommands', async () => {
    await p.exact('CONFIG');                                        // exact: container arity
    await p.exact('CONFIG', 'RESETSTAT', 'x');                      // exact
    await p.exact('CONFIG', 'HELP', 'x');                           // exact
    await p.exact('CONFIG', 'nosuch');                              // exact: unknown subcommand
    await p.exact('config', 'NoSuch', 'a');                         // exact
    await p.exact('CONFIG', 'resetstat');                           // exact: OK
  });

  test('CONFIG HELP is Redis text for the subcommands lapse implements', async () => {
    const [r, l] = await p.both(['CONFIG', 'HELP']);
    const implemented = p.lapse.commands.lookup('config')!.subcommands!;
    const kept: string[] = [];
    let keep = true;
    for (const line of texts(r)) {
      if (!line.startsWith(' ') && kept.length > 0) keep = implemented.has(line.split(' ')[0]!.toLowerCase());
      if (keep) kept.push(line);
    }
    expect(texts(l)).toEqual(kept);
    expect(kept).toContain('REWRITE');
  });
});

describe('TIME', () => {
  test('seconds and microseconds as bulk strings, within a second of Redis', async () => {
    const [r, l] = await p.both(['TIME']);
    expect(l.toString('latin1')).toMatch(/^\*2\r\n\$\d+\r\n\d+\r\n\$\d+\r\n\d{1,6}\r\n$/);
    const rv = texts(r).map(Number);
    const lv = texts(l).map(Number);
    expect(lv[1]).toBeLessThan(1_000_000);
    const micros = (v: number[]) => v[0]! * 1e6 + v[1]!;
    expect(Math.abs(micros(lv) - micros(rv))).toBeLessThan(1_000_000); // tolerance: 1 s
    await p.exact('TIME', 'x');                                     // exact: arity
  });
});

describe('SHUTDOWN (on servers of its own)', () => {
  /** A Redis whose directory is gone, so a final save fails, and a fresh lapse. */
  async function freshPair() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-shutdown-'));
    const redis = await startRedis(['--dir', dir]);
    const lapse = createServer({ port: 0, bind: '127.0.0.1', dir });
    fs.rmSync(dir, { recursive: true, force: true });
    const { port } = await lapse.listen();
    const on: [RawClient, RawClient] = [await RawClient.connect(redis.port), await RawClient.connect(port)];
    return { redis, lapse, port, on };
  }

  async function exactOn(on: [RawClient, RawClient], ...args: string[]): Promise<void> {
    const a = await on[0].call(...args);
    const b = await on[1].call(...args);
    expect(show(b), `exact: ${args.join(' ')}`).toBe(show(a));
  }

  test('errors, ABORT, SAVE that cannot save, then NOSAVE closes the server', async () => {
    const { redis, lapse, port, on } = await freshPair();
    try {
      await exactOn(on, 'SHUTDOWN', 'ABORT');                       // exact: no shutdown in progress
      await exactOn(on, 'shutdown', 'abort', 'abort');              // exact
      await exactOn(on, 'SHUTDOWN', 'foo');                         // exact: syntax error
      await exactOn(on, 'SHUTDOWN', 'SAVE', 'NOSAVE');              // exact
      await exactOn(on, 'SHUTDOWN', 'ABORT', 'NOW');                // exact
      await exactOn(on, 'SHUTDOWN', 'NOSAVE', 'ABORT');             // exact
      await exactOn(on, 'SHUTDOWN', 'SAVE');                        // exact: the save fails, no exit
      await exactOn(on, 'SHUTDOWN', 'save', 'NOW');                 // exact
      await exactOn(on, 'PING');                                    // exact: still up
      on[0].send('SHUTDOWN', 'NOSAVE', 'NOW');
      on[1].send('SHUTDOWN', 'NOSAVE', 'NOW');
      await on[0].waitClosed();
      await on[1].waitClosed();
      expect(show(on[1].pending())).toBe(show(on[0].pending()));    // exact: no reply, closed
      await expect(RawClient.connect(port)).rejects.toThrow();      // no longer listening
    } finally {
      on[0].close();
      on[1].close();
      await lapse.close();
      await redis.stop();
    }
  });

  test('SAVE FORCE exits even though nothing can be saved; plain SHUTDOWN exits', async () => {
    const first = await freshPair();
    try {
      first.on[0].send('SHUTDOWN', 'SAVE', 'FORCE');
      first.on[1].send('SHUTDOWN', 'SAVE', 'FORCE');
      await first.on[0].waitClosed();
      await first.on[1].waitClosed();
      expect(show(first.on[1].pending())).toBe(show(first.on[0].pending())); // exact: no reply
    } finally {
      await first.lapse.close();
      await first.redis.stop();
    }
    const second = await freshPair();
    try {
      second.on[0].send('SHUTDOWN');
      second.on[1].send('SHUTDOWN');
      await second.on[0].waitClosed();
      await second.on[1].waitClosed();
      expect(show(second.on[1].pending())).toBe(show(second.on[0].pending())); // exact: no reply
      await expect(RawClient.connect(second.port)).rejects.toThrow();
    } finally {
      await second.lapse.close();
      await second.redis.stop();
    }
  });
});
