/**
 * INFO's text as Prometheus metrics (text exposition format 0.0.4), with the names
 * redis_exporter (github.com/oliver006/redis_exporter) gives Redis's INFO fields, so that
 * its dashboards and alerts read lapse unchanged: one source of truth, the INFO text the
 * INFO command prints, read as the exporter reads it (`field:value` lines under
 * `# Section` headings; ok/true read 1, err/fail/false 0, other values as numbers).
 *
 * - Fields of the exporter's gauge and counter maps become redis_<its name>.
 * - Keyspace: redis_db_keys, redis_db_keys_expiring, redis_db_avg_ttl_seconds, by db.
 * - Commandstats (`cmdstat_get:calls=1,usec=2,usec_per_call=2.00,rejected_calls=0,
 *   failed_calls=0`): redis_commands_total, redis_commands_duration_seconds_total,
 *   redis_commands_rejected_calls_total, redis_commands_failed_calls_total, by cmd.
 * - Errorstats (`errorstat_ERR:count=3`): redis_errors_total, by err.
 * - Replication: redis_connected_slave_offset_bytes and _lag_seconds by replica, and on a
 *   replica redis_master_link_up and friends, by master_host and master_port.
 * - redis_instance_info (role, versions, mode, os, policy, port, run id, pid, replid: 1),
 *   redis_start_time_seconds, redis_up 1 (the server answers the scrape itself).
 *
 * lapse's own fields become lapse_* metrics (lapseFields), and what INFO cannot print,
 * given as LapseMeasures, follows: the expiry reclaim lag as a histogram since start,
 * and V8's garbage-collection pauses by kind.
 *
 * Pure: text in, text out (unit-tested with hand-written INFO texts).
 */

/** What the exporter's gauge map calls the INFO fields lapse (or Redis 7.0) prints. */
const GAUGES: Readonly<Record<string, string>> = {
  uptime_in_seconds: 'uptime_in_seconds',
  process_id: 'process_id',
  connected_clients: 'connected_clients',
  blocked_clients: 'blocked_clients',
  tracking_clients: 'tracking_clients',
  client_recent_max_output_buffer: 'client_recent_max_output_buffer_bytes',
  client_recent_max_input_buffer: 'client_recent_max_input_buffer_bytes',
  allocator_active: 'allocator_active_bytes',
  allocator_allocated: 'allocator_allocated_bytes',
  allocator_resident: 'allocator_resident_bytes',
  allocator_frag_ratio: 'allocator_frag_ratio',
  allocator_frag_bytes: 'allocator_frag_bytes',
  allocator_rss_ratio: 'allocator_rss_ratio',
  allocator_rss_bytes: 'allocator_rss_bytes',
  used_memory: 'memory_used_bytes',
  used_memory_rss: 'memory_used_rss_bytes',
  used_memory_peak: 'memory_used_peak_bytes',
  used_memory_lua: 'memory_used_lua_bytes',
  used_memory_overhead: 'memory_used_overhead_bytes',
  used_memory_startup: 'memory_used_startup_bytes',
  used_memory_dataset: 'memory_used_dataset_bytes',
  used_memory_scripts: 'memory_used_scripts_bytes',
  maxmemory: 'memory_max_bytes',
  mem_fragmentation_ratio: 'mem_fragmentation_ratio',
  mem_fragmentation_bytes: 'mem_fragmentation_bytes',
  mem_clients_slaves: 'mem_clients_slaves',
  mem_clients_normal: 'mem_clients_normal',
  expired_stale_perc: 'expired_stale_percentage',
  mem_not_counted_for_evict: 'mem_not_counted_for_eviction_bytes',
  lazyfree_pending_objects: 'lazyfree_pending_objects',
  active_defrag_running: 'active_defrag_running',
  migrate_cached_sockets: 'migrate_cached_sockets_total',
  active_defrag_hits: 'defrag_hits',
  active_defrag_misses: 'defrag_misses',
  active_defrag_key_hits: 'defrag_key_hits',
  active_defrag_key_misses: 'defrag_key_misses',
  expired_time_cap_reached_count: 'expired_time_cap_reached_total',
  loading: 'loading_dump_file',
  rdb_changes_since_last_save: 'rdb_changes_since_last_save',
  rdb_bgsave_in_progress: 'rdb_bgsave_in_progress',
  rdb_last_save_time: 'rdb_last_save_timestamp_seconds',
  rdb_last_bgsave_status: 'rdb_last_bgsave_status',
  rdb_last_bgsave_time_sec: 'rdb_last_bgsave_duration_sec',
  rdb_current_bgsave_time_sec: 'rdb_current_bgsave_duration_sec',
  rdb_last_cow_size: 'rdb_last_cow_size_bytes',
  aof_enabled: 'aof_enabled',
  aof_rewrite_in_progress: 'aof_rewrite_in_progress',
  aof_rewrite_scheduled: 'aof_rewrite_scheduled',
  aof_last_rewrite_time_sec: 'aof_last_rewrite_duration_sec',
  aof_current_rewrite_time_sec: 'aof_current_rewrite_duration_sec',
  aof_last_cow_size: 'aof_last_cow_size_bytes',
  aof_last_bgrewrite_status: 'aof_last_bgrewrite_status',
  aof_last_write_status: 'aof_last_write_status',
  module_fork_in_progress: 'module_fork_in_progress',
  module_fork_last_cow_size: 'module_fork_last_cow_size',
  pubsub_channels: 'pubsub_channels',
  pubsub_patterns: 'pubsub_patterns',
  latest_fork_usec: 'latest_fork_usec',
  connected_slaves: 'connected_slaves',
  repl_backlog_size: 'replication_backlog_bytes',
  repl_backlog_active: 'repl_backlog_is_active',
  repl_backlog_first_byte_offset: 'repl_backlog_first_byte_offset',
  repl_backlog_histlen: 'repl_backlog_history_bytes',
  master_repl_offset: 'master_repl_offset',
  second_repl_offset: 'second_repl_offset',
  slave_expires_tracked_keys: 'slave_expires_tracked_keys',
  slave_priority: 'slave_priority',
  sync_full: 'replica_resyncs_full',
  sync_partial_ok: 'replica_partial_resync_accepted',
  sync_partial_err: 'replica_partial_resync_denied',
  total_system_memory: 'total_system_memory_bytes',
  // Read by the exporter from CONFIG GET; INFO prints them too.
  maxclients: 'config_maxclients',
};

/** The exporter's counter map. */
const COUNTERS: Readonly<Record<string, string>> = {
  total_connections_received: 'connections_received_total',
  total_commands_processed: 'commands_processed_total',
  rejected_connections: 'rejected_connections_total',
  total_net_input_bytes: 'net_input_bytes_total',
  total_net_output_bytes: 'net_output_bytes_total',
  expired_keys: 'expired_keys_total',
  evicted_keys: 'evicted_keys_total',
  keyspace_hits: 'keyspace_hits_total',
  keyspace_misses: 'keyspace_misses_total',
  used_cpu_sys: 'cpu_sys_seconds_total',
  used_cpu_user: 'cpu_user_seconds_total',
  used_cpu_sys_children: 'cpu_sys_children_seconds_total',
  used_cpu_user_children: 'cpu_user_children_seconds_total',
};

/** lapse's own INFO fields: metric name, type, and the factor from INFO's unit to the metric's. */
const LAPSE_FIELDS: Readonly<Record<string, readonly [string, 'gauge' | 'counter', number]>> = {
  lapse_baseline_memory: ['lapse_baseline_memory_bytes', 'gauge', 1],
  lapse_reclaim_gcs: ['lapse_reclaim_gcs_total', 'counter', 1],
  lapse_reclaim_last_pause_ms: ['lapse_reclaim_last_pause_seconds', 'gauge', 1e-3],
  lapse_reclaim_max_pause_ms: ['lapse_reclaim_max_pause_seconds', 'gauge', 1e-3],
  lapse_bgsave_worker: ['lapse_bgsave_worker', 'gauge', 1],
  lapse_save_worker: ['lapse_save_worker', 'gauge', 1],
  expired_keys_past_deadline: ['lapse_expired_keys_past_deadline', 'gauge', 1],
  expired_reclaim_lag_samples: ['lapse_expired_reclaim_lag_recent_samples', 'gauge', 1],
  expired_reclaim_lag_p50_ms: ['lapse_expired_reclaim_lag_recent_p50_seconds', 'gauge', 1e-3],
  expired_reclaim_lag_p99_ms: ['lapse_expired_reclaim_lag_recent_p99_seconds', 'gauge', 1e-3],
  expired_reclaim_lag_max_ms: ['lapse_expired_reclaim_lag_recent_max_seconds', 'gauge', 1e-3],
};

const INSTANCE_LABELS = ['role', 'redis_version', 'redis_build_id', 'redis_mode', 'os', 'maxmemory_policy', 'tcp_port', 'run_id', 'process_id', 'master_replid'];

/** Measures INFO does not print, for the lapse_* metrics that follow INFO's. */
export interface LapseMeasures {
  /**
   * Every expired key's reclaim lag since the start: how many were at most each bound
   * (seconds, ascending), their number and sum (seconds).
   */
  reclaimLag?: { boundsSeconds: readonly number[]; atMost: readonly number[]; count: number; sumSeconds: number };
  /** V8's garbage-collection pauses seen since the endpoint started, by kind. */
  gc?: ReadonlyMap<string, { count: number; seconds: number; maxSeconds: number }>;
}

type Labels = readonly (readonly [string, string])[];

interface Family {
  readonly help: string;
  readonly type: 'gauge' | 'counter' | 'histogram';
  readonly lines: string[];
}

/** Metric families in the order first seen; each family's samples stay together, as the format requires. */
class Exposition {
  private readonly families = new Map<string, Family>();

  add(name: string, type: Family['type'], help: string, value: number, labels: Labels = [], suffix = ''): void {
    let family = this.families.get(name);
    if (family === undefined) this.families.set(name, (family = { help, type, lines: [] }));
    family.lines.push(`${name}${suffix}${formatLabels(labels)} ${formatValue(value)}`);
  }

  text(): string {
    let out = '';
    for (const [name, f] of this.families) {
      out += `# HELP ${name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${f.type}\n`;
      for (const line of f.lines) out += `${line}\n`;
    }
    return out;
  }
}

function formatLabels(labels: Labels): string {
  if (labels.length === 0) return '';
  return `{${labels.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

/** A sample value as the format writes it (Go's ParseFloat reads it back). */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** An INFO value as the exporter reads it; undefined if it is not a number. */
function infoNumber(value: string): number | undefined {
  if (value === 'ok' || value === 'true') return 1;
  if (value === 'err' || value === 'fail' || value === 'false') return 0;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value)) return undefined;
  return Number(value);
}

/** `a=1,b=2` as a map of its fields. */
function subfields(value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

/** The Prometheus text for an INFO text (and lapse's measures), at time nowMs. */
export function infoToPrometheus(info: string, measures: LapseMeasures = {}, nowMs: number = Date.now()): string {
  const m = new Exposition();
  m.add('redis_up', 'gauge', 'Whether the server answered (it answers this scrape itself)', 1);
  const fields = new Map<string, string>();
  let section = '';
  for (const raw of info.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('# ')) {
      section = line.slice(2);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    fields.set(key, value);
    if (section === 'Keyspace' && /^db\d+$/.test(key)) {
      keyspaceLine(m, key, value);
      continue;
    }
    if (section === 'Commandstats' && key.startsWith('cmdstat_')) {
      commandstatsLine(m, key.slice('cmdstat_'.length), value);
      continue;
    }
    if (section === 'Errorstats' && key.startsWith('errorstat_')) {
      const count = infoNumber(subfields(value).get('count') ?? '');
      if (count !== undefined) m.add('redis_errors_total', 'counter', 'Error replies by their first word (INFO errorstats)', count, [['err', key.slice('errorstat_'.length)]]);
      continue;
    }
    if (section === 'Replication' && replicationLine(m, key, value, fields)) continue;
    plainField(m, key, value, nowMs);
  }
  const labels = INSTANCE_LABELS.map((name) => [name, fields.get(name) ?? ''] as const);
  m.add('redis_instance_info', 'gauge', 'Information about the server (INFO server and replication)', 1, labels);
  const version = fields.get('lapse_version');
  if (version !== undefined) m.add('lapse_build_info', 'gauge', "lapse's version", 1, [['version', version]]);
  lapseMeasures(m, measures);
  return m.text();
}

function plainField(m: Exposition, key: string, value: string, nowMs: number): void {
  const lapse = LAPSE_FIELDS[key];
  const number = infoNumber(value);
  if (number === undefined) return;
  if (lapse !== undefined) {
    const [name, type, factor] = lapse;
    m.add(name, type, `INFO ${key}${factor === 1 ? '' : ', in seconds'}`, number * factor);
    return;
  }
  if (key === 'uptime_in_seconds') m.add('redis_start_time_seconds', 'gauge', 'Start time of the server, seconds since the epoch', Math.floor(nowMs / 1000) - number);
  if (key === 'latest_fork_usec') {
    m.add('redis_latest_fork_seconds', 'gauge', 'INFO latest_fork_usec, in seconds', number / 1e6);
    return;
  }
  if (key === 'hz' || key === 'configured_hz') {
    m.add(`redis_${key}`, 'gauge', `INFO ${key}`, number);
    return;
  }
  if (key === 'maxmemory') m.add('redis_config_maxmemory', 'gauge', 'INFO maxmemory (the maxmemory parameter)', number);
  const gauge = GAUGES[key];
  if (gauge !== undefined) {
    m.add(`redis_${gauge}`, 'gauge', `INFO ${key}`, number);
    return;
  }
  const counter = COUNTERS[key];
  if (counter !== undefined) m.add(`redis_${counter}`, 'counter', `INFO ${key}`, number);
}

function keyspaceLine(m: Exposition, db: string, value: string): void {
  const f = subfields(value);
  const keys = infoNumber(f.get('keys') ?? '');
  const expires = infoNumber(f.get('expires') ?? '');
  if (keys === undefined || expires === undefined) return;
  const labels: Labels = [['db', db]];
  m.add('redis_db_keys', 'gauge', 'Keys by database (INFO keyspace)', keys, labels);
  m.add('redis_db_keys_expiring', 'gauge', 'Keys with a TTL by database (INFO keyspace)', expires, labels);
  const avg = infoNumber(f.get('avg_ttl') ?? '');
  if (avg !== undefined) m.add('redis_db_avg_ttl_seconds', 'gauge', 'Average TTL by database, seconds (INFO keyspace)', avg / 1000, labels);
}

function commandstatsLine(m: Exposition, cmd: string, value: string): void {
  const f = subfields(value);
  const calls = infoNumber(f.get('calls') ?? '');
  const usec = infoNumber(f.get('usec') ?? '');
  if (calls === undefined || usec === undefined) return;
  const labels: Labels = [['cmd', cmd]];
  m.add('redis_commands_total', 'counter', 'Calls by command (INFO commandstats)', calls, labels);
  m.add('redis_commands_duration_seconds_total', 'counter', 'Time spent by command, seconds (INFO commandstats)', usec / 1e6, labels);
  const rejected = infoNumber(f.get('rejected_calls') ?? '');
  const failed = infoNumber(f.get('failed_calls') ?? '');
  if (rejected === undefined || failed === undefined) return;
  m.add('redis_commands_rejected_calls_total', 'counter', 'Calls refused before running, by command (INFO commandstats)', rejected, labels);
  m.add('redis_commands_failed_calls_total', 'counter', 'Calls that failed, by command (INFO commandstats)', failed, labels);
}

/** The replication fields the exporter labels; false for the others (plain fields). */
function replicationLine(m: Exposition, key: string, value: string, fields: ReadonlyMap<string, string>): boolean {
  const primary: Labels = [['master_host', fields.get('master_host') ?? ''], ['master_port', fields.get('master_port') ?? '']];
  if (key === 'master_link_status') {
    m.add('redis_master_link_up', 'gauge', 'Whether the link to the primary is up (a replica)', value === 'up' ? 1 : 0, primary);
    return true;
  }
  if (key === 'master_last_io_seconds_ago' || key === 'master_sync_in_progress' || key === 'slave_repl_offset') {
    const n = infoNumber(value);
    if (n !== undefined) m.add(`redis_${key}`, 'gauge', `INFO ${key}`, n, primary);
    return true;
  }
  if (/^slave\d+$/.test(key)) {
    const f = subfields(value);
    const labels: Labels = [['slave_ip', f.get('ip') ?? ''], ['slave_port', f.get('port') ?? ''], ['slave_state', f.get('state') ?? '']];
    const offset = infoNumber(f.get('offset') ?? '');
    if (offset !== undefined) m.add('redis_connected_slave_offset_bytes', 'gauge', 'Replication offset a replica acknowledged', offset, labels);
    const lag = infoNumber(f.get('lag') ?? '');
    if (lag !== undefined) m.add('redis_connected_slave_lag_seconds', 'gauge', 'Seconds since a replica last acknowledged', lag, labels);
    return true;
  }
  return false;
}

function lapseMeasures(m: Exposition, measures: LapseMeasures): void {
  const lag = measures.reclaimLag;
  if (lag !== undefined) {
    const name = 'lapse_expired_reclaim_lag_seconds';
    const help = 'How late expired keys were reclaimed after their deadline (by the timer wheel or lazily), since start';
    lag.boundsSeconds.forEach((bound, i) => m.add(name, 'histogram', help, lag.atMost[i]!, [['le', formatValue(bound)]], '_bucket'));
    m.add(name, 'histogram', help, lag.count, [['le', '+Inf']], '_bucket');
    m.add(name, 'histogram', help, lag.sumSeconds, [], '_sum');
    m.add(name, 'histogram', help, lag.count, [], '_count');
  }
  const gc = measures.gc;
  if (gc !== undefined) {
    for (const [kind, g] of gc) {
      const labels: Labels = [['kind', kind]];
      m.add('lapse_gc_pauses_total', 'counter', "V8's garbage-collection pauses, by kind", g.count, labels);
      m.add('lapse_gc_pause_seconds_total', 'counter', "Time in V8's garbage-collection pauses, by kind, seconds", g.seconds, labels);
      m.add('lapse_gc_pause_max_seconds', 'gauge', "The longest V8 garbage-collection pause, by kind, seconds", g.maxSeconds, labels);
    }
  }
}
