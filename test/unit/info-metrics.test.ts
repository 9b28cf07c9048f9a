import { describe, expect, test } from 'vitest';
import { infoToPrometheus } from '../../src/server/info-metrics.js';
import { LagWindow, bucketOf, upperBoundOf } from '../../src/keyspace/expiry/lag-window.js';

/**
 * The INFO-to-Prometheus mapping on hand-written INFO texts in Redis 7.0's format, with
 * sections lapse does not print yet (Commandstats) and a replica's fields: the names
 * redis_exporter gives them, their values, labels and types, and the format's rules
 * (one HELP and TYPE per family, its samples together).
 */
const INFO = [
  '# Server',
  'redis_version:7.0.15',
  'lapse_version:0.9.0',
  'redis_build_id:0',
  'redis_mode:standalone',
  'os:Linux 6.1.0 x86_64',
  'process_id:4242',
  'run_id:abc123',
  'tcp_port:6379',
  'uptime_in_seconds:100',
  'hz:10',
  '',
  '# Clients',
  'connected_clients:7',
  'maxclients:10000',
  'blocked_clients:2',
  '',
  '# Memory',
  'used_memory:1048576',
  'used_memory_human:1.00M',
  'maxmemory:0',
  'maxmemory_policy:noeviction',
  'lapse_baseline_memory:5000000',
  'lapse_reclaim_gcs:3',
  'lapse_reclaim_last_pause_ms:12',
  '',
  '# Persistence',
  'rdb_changes_since_last_save:5',
  'rdb_last_save_time:1700000000',
  'rdb_last_bgsave_status:ok',
  'aof_last_write_status:err',
  'rdb_last_bgsave_time_sec:2',
  'lapse_bgsave_worker:1',
  'lapse_save_worker:1',
  '',
  '# Stats',
  'total_connections_received:11',
  'total_commands_processed:1234',
  'total_net_input_bytes:999',
  'expired_keys:4',
  'evicted_keys:0',
  'keyspace_hits:30',
  'keyspace_misses:6',
  'latest_fork_usec:2500',
  'expired_reclaim_lag_p99_ms:250',
  'expired_keys_past_deadline:1',
  '',
  '# Replication',
  'role:master',
  'connected_slaves:1',
  'slave0:ip=127.0.0.1,port=6380,state=online,offset=4321,lag=1',
  'master_replid:0123456789abcdef',
  'master_repl_offset:4321',
  '',
  '# Commandstats',
  'cmdstat_get:calls=1,usec=2,usec_per_call=2.00,rejected_calls=0,failed_calls=0',
  'cmdstat_config|get:calls=3,usec=1500000,usec_per_call=500000.00,rejected_calls=1,failed_calls=2',
  '',
  '# Errorstats',
  'errorstat_ERR:count=3',
  'errorstat_WRONGTYPE:count=1',
  '',
  '# Keyspace',
  'db0:keys=10,expires=4,avg_ttl=61500',
  'db3:keys=1,expires=0,avg_ttl=0',
  '',
].join('\r\n');

/** The sample lines of the text, without comments. */
function samples(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('infoToPrometheus', () => {
  const text = infoToPrometheus(INFO, {}, 1_700_000_100_000);
  const lines = samples(text);

  test('plain fields get redis_exporter names and INFO values; ok/err read 1/0', () => {
    for (const line of [
      'redis_up 1',
      'redis_uptime_in_seconds 100',
      'redis_start_time_seconds 1700000000',
      'redis_connected_clients 7',
      'redis_blocked_clients 2',
      'redis_config_maxclients 10000',
      'redis_memory_used_bytes 1048576',
      'redis_memory_max_bytes 0',
      'redis_rdb_changes_since_last_save 5',
      'redis_rdb_last_save_timestamp_seconds 1700000000',
      'redis_rdb_last_bgsave_status 1',
      'redis_aof_last_write_status 0',
      'redis_rdb_last_bgsave_duration_sec 2',
      'redis_connections_received_total 11',
      'redis_commands_processed_total 1234',
      'redis_net_input_bytes_total 999',
      'redis_expired_keys_total 4',
      'redis_evicted_keys_total 0',
      'redis_keyspace_hits_total 30',
      'redis_keyspace_misses_total 6',
      'redis_latest_fork_seconds 0.0025',
      'redis_connected_slaves 1',
      'redis_master_repl_offset 4321',
      'redis_hz 10',
    ]) {
      expect(lines, line).toContain(line);
    }
    // Text values that are not numbers (used_memory_human, maxmemory_policy) make no metric.
    expect(text).not.toMatch(/used_memory_human|^redis_maxmemory_policy/m);
  });

  test('counters and gauges are typed as the exporter types them', () => {
    expect(text).toContain('# TYPE redis_commands_processed_total counter\n');
    expect(text).toContain('# TYPE redis_connected_clients gauge\n');
    expect(text).toContain('# TYPE redis_commands_total counter\n');
  });

  test('commandstats: calls, seconds, rejected and failed calls by cmd', () => {
    for (const line of [
      'redis_commands_total{cmd="get"} 1',
      'redis_commands_duration_seconds_total{cmd="get"} 0.000002',
      'redis_commands_rejected_calls_total{cmd="get"} 0',
      'redis_commands_failed_calls_total{cmd="get"} 0',
      'redis_commands_total{cmd="config|get"} 3',
      'redis_commands_duration_seconds_total{cmd="config|get"} 1.5',
      'redis_commands_rejected_calls_total{cmd="config|get"} 1',
      'redis_commands_failed_calls_total{cmd="config|get"} 2',
    ]) {
      expect(lines, line).toContain(line);
    }
  });

  test('errorstats, keyspace and replicas, with their labels', () => {
    for (const line of [
      'redis_errors_total{err="ERR"} 3',
      'redis_errors_total{err="WRONGTYPE"} 1',
      'redis_db_keys{db="db0"} 10',
      'redis_db_keys_expiring{db="db0"} 4',
      'redis_db_avg_ttl_seconds{db="db0"} 61.5',
      'redis_db_keys{db="db3"} 1',
      'redis_connected_slave_offset_bytes{slave_ip="127.0.0.1",slave_port="6380",slave_state="online"} 4321',
      'redis_connected_slave_lag_seconds{slave_ip="127.0.0.1",slave_port="6380",slave_state="online"} 1',
    ]) {
      expect(lines, line).toContain(line);
    }
  });

  test('redis_instance_info and lapse_build_info carry the identity as labels', () => {
    expect(lines).toContain(
      'redis_instance_info{role="master",redis_version="7.0.15",redis_build_id="0",redis_mode="standalone",os="Linux 6.1.0 x86_64",' +
        'maxmemory_policy="noeviction",tcp_port="6379",run_id="abc123",process_id="4242",master_replid="0123456789abcdef"} 1',
    );
    expect(lines).toContain('lapse_build_info{version="0.9.0"} 1');
  });

  test("lapse's own fields, in seconds where INFO says ms", () => {
    expect(lines).toContain('lapse_baseline_memory_bytes 5000000');
    expect(lines).toContain('lapse_reclaim_gcs_total 3');
    expect(lines).toContain('lapse_reclaim_last_pause_seconds 0.012');
    expect(lines).toContain('lapse_expired_reclaim_lag_recent_p99_seconds 0.25');
    expect(lines).toContain('lapse_expired_keys_past_deadline 1');
    expect(lines).toContain('lapse_bgsave_worker 1');
    expect(lines).toContain('lapse_save_worker 1');
  });

  test('each family has one HELP and one TYPE, before its samples, which stay together', () => {
    const seen = new Set<string>();
    let current = '';
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type !== null) {
        expect(seen.has(type[1]!), `TYPE twice: ${type[1]}`).toBe(false);
        seen.add(type[1]!);
        current = type[1]!;
        continue;
      }
      if (line.startsWith('# HELP ')) continue;
      const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)![1]!;
      expect(name === current || name.startsWith(`${current}_`), `${name} outside its family ${current}`).toBe(true);
    }
  });

  test('label values are escaped', () => {
    const out = infoToPrometheus('# Errorstats\r\nerrorstat_a"b\\c:count=1\r\n');
    expect(samples(out)).toContain('redis_errors_total{err="a\\"b\\\\c"} 1');
  });

  test('the reclaim lag histogram: cumulative buckets, +Inf, sum and count; GC pauses by kind', () => {
    const out = infoToPrometheus('', {
      reclaimLag: { boundsSeconds: [0, 0.001, 0.101], atMost: [2, 3, 5], count: 6, sumSeconds: 1.25 },
      gc: new Map([['minor', { count: 4, seconds: 0.01, maxSeconds: 0.004 }]]),
    });
    expect(out).toContain('# TYPE lapse_expired_reclaim_lag_seconds histogram\n');
    expect(samples(out)).toEqual(
      expect.arrayContaining([
        'lapse_expired_reclaim_lag_seconds_bucket{le="0"} 2',
        'lapse_expired_reclaim_lag_seconds_bucket{le="0.001"} 3',
        'lapse_expired_reclaim_lag_seconds_bucket{le="0.101"} 5',
        'lapse_expired_reclaim_lag_seconds_bucket{le="+Inf"} 6',
        'lapse_expired_reclaim_lag_seconds_sum 1.25',
        'lapse_expired_reclaim_lag_seconds_count 6',
        'lapse_gc_pauses_total{kind="minor"} 4',
        'lapse_gc_pause_seconds_total{kind="minor"} 0.01',
        'lapse_gc_pause_max_seconds{kind="minor"} 0.004',
      ]),
    );
  });
});

describe('LagWindow.cumulative', () => {
  test('counts every lag since the start at or below each bound (exact at bucket upper bounds), beyond the window', () => {
    const w = new LagWindow(1000, 2);
    for (const lag of [0, 0, 1, 63, 100, 101, 102, 5000]) w.record(lag, 0);
    // Far later: the window has forgotten them, the cumulative counts have not.
    expect(w.summary(1_000_000).samples).toBe(0);
    const bounds = [0, 1, 50, upperBoundOf(bucketOf(100)), 1000];
    expect(bounds[3]).toBe(101);
    expect(w.cumulative(bounds)).toEqual({ atMost: [2, 3, 3, 6, 7], count: 8, sumMs: 0 + 0 + 1 + 63 + 100 + 101 + 102 + 5000 });
    w.reset();
    expect(w.cumulative(bounds)).toEqual({ atMost: [0, 0, 0, 0, 0], count: 0, sumMs: 0 });
  });
});
