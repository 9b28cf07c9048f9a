import os from 'node:os';
import type { ServerContext } from './context.js';
import { REDIS_COMPAT_VERSION, VERSION } from '../version.js';
import { bytesToHuman, cFixed } from '../util/format.js';
import type { ParamValue } from '../config/params.js';

/**
 * The text of INFO, section by section, with Redis 7.0's section names, field names
 * and field order (server.c, genRedisInfoString), so that redis-cli, client libraries
 * (ioredis waits for `loading:0`) and monitoring tools read it as they read Redis's.
 *
 * Values are lapse's own and true for lapse. Fields about machinery lapse does not have
 * (forks, AOF, replicas, Lua, jemalloc, active defrag) report it idle or absent, as
 * Redis reports its own when unused. Memory: used_memory is what maxmemory is compared
 * with: what the server holds beyond the process's own baseline (src/server/memory.ts:
 * what creating the server allocated, the keys' estimated bytes, the clients' buffers,
 * and from the command line the live heap's difference at the last full GC);
 * used_memory_dataset is the keys' estimated bytes; used_memory_rss the process's real
 * RSS; the allocator_* fields map V8's heap as it is now, garbage included (allocated:
 * heap used plus external, active: heap committed plus external, resident: the RSS).
 *
 * lapse adds at the end of the memory section:
 *
 *   lapse_baseline_memory        the process's memory before the server was created (node,
 *                                V8, lapse's code), which used_memory leaves out; RSS is
 *                                about baseline + used_memory + V8's garbage and young
 *                                generation
 *   lapse_reclaim_gcs            full GCs lapse ran by itself to give memory back (when
 *                                quiet, or after a large deletion; from the command line)
 *   lapse_reclaim_last_pause_ms  the last one's pause, ms; lapse_reclaim_max_pause_ms the
 *                                longest
 *
 * lapse adds at the end of the persistence section:
 *
 *   lapse_bgsave_worker          1 when the running BGSAVE (else the last one since the
 *                                start) writes its string keys on a worker thread, 0 when
 *                                it writes every key on the main thread
 *   lapse_save_worker            1 when the last SAVE since the start shared its work
 *                                with that worker (each encoding half of the strings), 0
 *                                when the main thread did it alone
 *
 * lapse adds lapse_version to the server section, and at the end of the stats section
 * what Redis cannot show, how late expired keys are reclaimed:
 *
 *   expired_reclaim_lag_samples  keys reclaimed after their deadline in the last minute
 *                                (between 55 and 60 s: the window moves in 5 s steps), by
 *                                the timer wheel or lazily by a command
 *   expired_reclaim_lag_p50_ms   median of (time reclaimed - deadline) over those keys, ms
 *   expired_reclaim_lag_p99_ms   99th percentile of it (nearest rank), ms
 *   expired_reclaim_lag_max_ms   the largest, ms. Lags are exact below 64 ms, within 3%
 *                                above (see LagWindow); 0 when there are no samples.
 *   expired_keys_past_deadline   keys whose deadline has passed and that are still in
 *                                memory right now (no client can see them: every access
 *                                checks the deadline). Exact.
 *
 * A key's deadline is the first millisecond at which it no longer exists (Redis's expire
 * time + 1), so a key reclaimed by the wheel in that millisecond has a lag of 0.
 *
 * commandstats and latencystats come from command-timing.ts, which says what a
 * command's time includes and what measuring it costs.
 */

/** Sections in output order; `default` marks those INFO prints with no argument. */
const SECTIONS: readonly { name: string; default: boolean; render: (s: ServerContext, now: number) => string }[] = [
  { name: 'server', default: true, render: serverSection },
  { name: 'clients', default: true, render: clientsSection },
  { name: 'memory', default: true, render: memorySection },
  { name: 'persistence', default: true, render: persistenceSection },
  { name: 'stats', default: true, render: statsSection },
  { name: 'replication', default: true, render: replicationSection },
  { name: 'cpu', default: true, render: cpuSection },
  { name: 'modules', default: true, render: () => '# Modules\r\n' },
  { name: 'commandstats', default: false, render: commandstatsSection },
  { name: 'errorstats', default: true, render: errorstatsSection },
  { name: 'latencystats', default: false, render: latencystatsSection },
  { name: 'cluster', default: true, render: () => '# Cluster\r\ncluster_enabled:0\r\n' },
  { name: 'keyspace', default: true, render: keyspaceSection },
];

/**
 * INFO [section ...]: the sections asked for (ASCII case-insensitive, read up to a NUL
 * as Redis reads them; "default", "all" and "everything" as in Redis 7.0; "module_list"
 * is another name of "modules"), in Redis's order, separated by an empty line. Unknown
 * sections print nothing.
 */
export function infoText(server: ServerContext, sections: readonly string[]): string {
  const wanted = new Set<string>();
  let all = false;
  if (sections.length === 0) wanted.add('default');
  for (const arg of sections) {
    // Redis copies each name as a C string (cut at NUL) and lowercases it (ASCII).
    const nul = arg.indexOf('\0');
    const name = (nul >= 0 ? arg.slice(0, nul) : arg).replace(/[A-Z]+/g, (m) => m.toLowerCase());
    if (name === 'all' || name === 'everything') all = true;
    else wanted.add(name === 'module_list' ? 'modules' : name);
  }
  const withDefaults = wanted.has('default');
  const now = Date.now();
  let out = '';
  for (const section of SECTIONS) {
    if (!all && !wanted.has(section.name) && !(withDefaults && section.default)) continue;
    if (out.length > 0) out += '\r\n';
    out += section.render(server, now);
  }
  return out;
}

function lines(title: string, fields: readonly (readonly [string, string | number])[]): string {
  let out = `# ${title}\r\n`;
  for (const [name, value] of fields) out += `${name}:${value}\r\n`;
  return out;
}

/** libuv's event loop backend on each platform, as Redis names its own. */
function multiplexingApi(): string {
  switch (process.platform) {
    case 'linux': return 'epoll';
    case 'darwin': case 'freebsd': case 'openbsd': return 'kqueue';
    case 'sunos': return 'evport';
    case 'win32': return 'iocp';
    default: return 'poll';
  }
}

/** Microseconds since the epoch, with the sub-millisecond part Date.now() lacks. */
function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

function serverSection(s: ServerContext, now: number): string {
  const info = s.info;
  const uptime = Math.floor((now - info.startTime) / 1000);
  return lines('Server', [
    ['redis_version', REDIS_COMPAT_VERSION],
    ['lapse_version', VERSION],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    ['redis_build_id', '0'],
    ['redis_mode', 'standalone'],
    ['os', `${os.type()} ${os.release()} ${os.machine()}`],
    ['arch_bits', /64/.test(process.arch) ? 64 : 32],
    ['monotonic_clock', 'POSIX clock_gettime'],
    ['multiplexing_api', multiplexingApi()],
    ['atomicvar_api', 'none'],
    ['gcc_version', '0.0.0'],
    ['process_id', info.pid],
    ['process_supervised', info.supervised],
    ['run_id', info.runId],
    ['tcp_port', info.tcpPort()],
    ['server_time_usec', nowMicros()],
    ['uptime_in_seconds', uptime],
    ['uptime_in_days', Math.floor(uptime / 86400)],
    ['hz', info.hz],
    ['configured_hz', info.hz],
    ['lru_clock', Math.floor(now / 1000) & 0xffffff],
    ['executable', info.executable],
    ['config_file', info.configFile],
    ['io_threads_active', 0],
  ]);
}

function clientsSection(s: ServerContext): string {
  let maxInput = 0;
  let maxOutput = 0;
  for (const c of s.clients()) {
    maxInput = Math.max(maxInput, c.transport.queryBufferLength());
    maxOutput = Math.max(maxOutput, c.transport.outputBufferLength());
  }
  return lines('Clients', [
    // As Redis: replicas are not counted as clients here (connected_slaves counts them).
    ['connected_clients', s.clientCount - s.replication.replicas.length],
    ['cluster_connections', 0],
    ['maxclients', s.config.number('maxclients')],
    ['client_recent_max_input_buffer', maxInput],
    ['client_recent_max_output_buffer', maxOutput],
    // As Redis: clients parked by CLIENT PAUSE are blocked clients too (BLOCKED_POSTPONE).
    ['blocked_clients', s.blocking.blockedCount + s.pause.parkedCount],
    ['tracking_clients', s.tracking.clientCount],
    ['clients_in_timeout_table', s.blocking.timeoutCount],
  ]);
}

/** Memory of the clients' buffers: unfinished commands and unsent replies. */
function clientsMemory(s: ServerContext): number {
  let n = 0;
  for (const c of s.clients()) n += c.transport.queryBufferLength() + c.transport.outputBufferLength();
  return n;
}

function ratio(a: number, b: number): string {
  return cFixed(b > 0 ? a / b : 0, 2);
}

/**
 * bytesToHuman of a maxmemory that may be beyond 2^53 (a bigint, from 2^53 on: always
 * petabytes, and from 1024 PB the exact bytes, which a double could not print).
 */
function maxmemoryHuman(value: ParamValue): string {
  if (typeof value !== 'bigint') return bytesToHuman(Number(value));
  if (value >= 1n << 60n) return `${value}B`;
  return `${cFixed(Number(value) / 2 ** 50, 2)}P`;
}

function memorySection(s: ServerContext): string {
  const m = process.memoryUsage();
  const used = s.memory.used();
  const allocated = m.heapUsed + m.external;
  const active = m.heapTotal + m.external;
  const rss = m.rss;
  const stats = s.stats;
  if (used > stats.peakMemory) stats.peakMemory = used;
  const peak = stats.peakMemory;
  const startup = s.info.startupMemory;
  const clients = clientsMemory(s);
  const dataset = Math.min(used, s.memory.dataset());
  const overhead = used - dataset;
  const netUsed = used - startup;
  const total = os.totalmem();
  const maxmemory = s.config.get('maxmemory');
  const reclaimer = s.memory.reclaimer;
  const luaVm = s.scripts.vmMemory();
  const evalScripts = s.scripts.scriptsMemory();
  const functionsVm = s.functions.vmMemory();
  const functionsBytes = s.functions.current.bytes;
  return lines('Memory', [
    ['used_memory', used],
    ['used_memory_human', bytesToHuman(used)],
    ['used_memory_rss', rss],
    ['used_memory_rss_human', bytesToHuman(rss)],
    ['used_memory_peak', peak],
    ['used_memory_peak_human', bytesToHuman(peak)],
    ['used_memory_peak_perc', `${cFixed(peak > 0 ? (used * 100) / peak : 0, 2)}%`],
    ['used_memory_overhead', overhead],
    ['used_memory_startup', startup],
    ['used_memory_dataset', dataset],
    ['used_memory_dataset_perc', `${cFixed(netUsed > 0 ? (dataset * 100) / netUsed : 0, 2)}%`],
    ['allocator_allocated', allocated],
    ['allocator_active', active],
    ['allocator_resident', rss],
    ['total_system_memory', total],
    ['total_system_memory_human', bytesToHuman(total)],
    // EVAL's Lua state and script cache (scripting/script-engine.ts), the functions' state
    // and libraries (scripting/function-engine.ts).
    ['used_memory_lua', luaVm],
    ['used_memory_vm_eval', luaVm],
    ['used_memory_lua_human', bytesToHuman(luaVm)],
    ['used_memory_scripts_eval', evalScripts],
    ['number_of_cached_scripts', s.scripts.cachedScripts],
    ['number_of_functions', s.functions.current.functions.size],
    ['number_of_libraries', s.functions.current.libraries.size],
    ['used_memory_vm_functions', functionsVm],
    ['used_memory_vm_total', luaVm + functionsVm],
    ['used_memory_vm_total_human', bytesToHuman(luaVm + functionsVm)],
    ['used_memory_functions', functionsBytes],
    ['used_memory_scripts', evalScripts + functionsBytes],
    ['used_memory_scripts_human', bytesToHuman(evalScripts + functionsBytes)],
    // Redis prints it with %lld: from 2^63 on, as a negative number.
    ['maxmemory', typeof maxmemory === 'bigint' && maxmemory >= 1n << 63n ? String(maxmemory - (1n << 64n)) : String(maxmemory)],
    ['maxmemory_human', maxmemoryHuman(maxmemory)],
    ['maxmemory_policy', s.config.string('maxmemory-policy')],
    ['allocator_frag_ratio', ratio(active, allocated)],
    ['allocator_frag_bytes', active - allocated],
    ['allocator_rss_ratio', ratio(rss, active)],
    ['allocator_rss_bytes', rss - active],
    ['rss_overhead_ratio', ratio(rss, rss)],
    ['rss_overhead_bytes', 0],
    ['mem_fragmentation_ratio', ratio(rss, used)],
    ['mem_fragmentation_bytes', rss - used],
    ['mem_not_counted_for_evict', 0],
    ['mem_replication_backlog', s.replication.backlog?.size ?? 0],
    ['mem_total_replication_buffers', 0],
    ['mem_clients_slaves', 0],
    ['mem_clients_normal', clients],
    ['mem_cluster_links', 0],
    ['mem_aof_buffer', 0],
    ['mem_allocator', 'v8'],
    ['active_defrag_running', 0],
    ['lazyfree_pending_objects', 0],
    ['lazyfreed_objects', 0],
    ['lapse_baseline_memory', s.memory.baseline],
    ['lapse_baseline_memory_human', bytesToHuman(s.memory.baseline)],
    ['lapse_reclaim_gcs', reclaimer?.collections ?? 0],
    ['lapse_reclaim_last_pause_ms', cFixed(reclaimer?.lastPauseMs ?? 0, 2)],
    ['lapse_reclaim_max_pause_ms', cFixed(reclaimer?.maxPauseMs ?? 0, 2)],
  ]);
}

/**
 * Snapshots. lapse loads before it listens, so clients never see `loading:1`. BGSAVE
 * runs without a child process: the copy-on-write fields are 0, and
 * current_save_keys_processed/total report the walk's progress.
 */
function persistenceSection(s: ServerContext): string {
  const p = s.persistence;
  const save = p.backgroundSave;
  return lines('Persistence', [
    ['loading', 0],
    ['async_loading', 0],
    ['current_cow_peak', 0],
    ['current_cow_size', 0],
    ['current_cow_size_age', 0],
    ['current_fork_perc', save === null ? '0.00' : cFixed(save.keysTotal > 0 ? (save.keysWritten * 100) / save.keysTotal : 0, 2)],
    ['current_save_keys_processed', save === null ? 0 : save.keysWritten],
    ['current_save_keys_total', save === null ? 0 : save.keysTotal],
    ['rdb_changes_since_last_save', s.keyspace.changesSinceSave],
    ['rdb_bgsave_in_progress', save === null ? 0 : 1],
    ['rdb_last_save_time', p.lastSave],
    ['rdb_last_bgsave_status', p.lastBgsaveOk ? 'ok' : 'err'],
    ['rdb_last_bgsave_time_sec', p.lastBgsaveSeconds],
    ['rdb_current_bgsave_time_sec', p.currentBgsaveSeconds],
    ['rdb_saves', p.saves],
    ['rdb_last_cow_size', 0],
    ['rdb_last_load_keys_expired', p.lastLoad.expired],
    ['rdb_last_load_keys_loaded', p.lastLoad.loaded],
    ['aof_enabled', 0],
    ['aof_rewrite_in_progress', 0],
    ['aof_rewrite_scheduled', 0],
    ['aof_last_rewrite_time_sec', -1],
    ['aof_current_rewrite_time_sec', -1],
    ['aof_last_bgrewrite_status', 'ok'],
    ['aof_rewrites', 0],
    ['aof_rewrites_consecutive_failures', 0],
    ['aof_last_write_status', 'ok'],
    ['aof_last_cow_size', 0],
    ['module_fork_in_progress', 0],
    ['module_fork_last_cow_size', 0],
    ['lapse_bgsave_worker', p.bgsaveWorker ? 1 : 0],
    ['lapse_save_worker', p.saveWorker ? 1 : 0],
  ]);
}

function statsSection(s: ServerContext): string {
  const st = s.stats;
  const ks = s.keyspace.stats;
  // The keyspace's clock, which deadlines and reclaim times are read from.
  const now = s.keyspace.clock.now();
  const lag = s.keyspace.expiryLag.summary(now);
  const exceeded = s.memory.exceededTime();
  return lines('Stats', [
    ['total_connections_received', st.totalConnectionsReceived],
    ['total_commands_processed', st.totalCommandsProcessed],
    ['instantaneous_ops_per_sec', Math.round(st.instantaneousOpsPerSec)],
    ['total_net_input_bytes', st.netInputBytes],
    ['total_net_output_bytes', st.netOutputBytes],
    ['total_net_repl_input_bytes', 0],
    ['total_net_repl_output_bytes', s.replication.outputBytes],
    ['instantaneous_input_kbps', cFixed(st.instantaneousInputKbps, 2)],
    ['instantaneous_output_kbps', cFixed(st.instantaneousOutputKbps, 2)],
    ['instantaneous_input_repl_kbps', '0.00'],
    ['instantaneous_output_repl_kbps', '0.00'],
    ['rejected_connections', st.rejectedConnections],
    ['sync_full', s.replication.syncFull],
    ['sync_partial_ok', s.replication.syncPartialOk],
    ['sync_partial_err', s.replication.syncPartialErr],
    ['expired_keys', ks.expiredKeys],
    ['expired_stale_perc', '0.00'],
    ['expired_time_cap_reached_count', 0],
    ['expire_cycle_cpu_milliseconds', 0],
    ['evicted_keys', ks.evictedKeys],
    ['evicted_clients', 0],
    ['total_eviction_exceeded_time', exceeded.total],
    ['current_eviction_exceeded_time', exceeded.current],
    ['keyspace_hits', ks.keyspaceHits],
    ['keyspace_misses', ks.keyspaceMisses],
    ['pubsub_channels', s.pubsub.channels.size],
    ['pubsub_patterns', s.pubsub.patterns.size],
    ['pubsubshard_channels', s.pubsub.shardChannels.size],
    ['latest_fork_usec', 0],
    ['total_forks', 0],
    ['migrate_cached_sockets', 0],
    ['slave_expires_tracked_keys', 0],
    ['active_defrag_hits', 0],
    ['active_defrag_misses', 0],
    ['active_defrag_key_hits', 0],
    ['active_defrag_key_misses', 0],
    ['total_active_defrag_time', 0],
    ['current_active_defrag_time', 0],
    ['tracking_total_keys', s.tracking.totalKeys],
    ['tracking_total_items', s.tracking.totalItems],
    ['tracking_total_prefixes', s.tracking.totalPrefixes],
    ['unexpected_error_replies', 0],
    ['total_error_replies', st.totalErrorReplies],
    ['dump_payload_sanitizations', 0],
    ['total_reads_processed', st.totalReadsProcessed],
    ['total_writes_processed', st.totalWritesProcessed],
    ['io_threaded_reads_processed', 0],
    ['io_threaded_writes_processed', 0],
    ['reply_buffer_shrinks', 0],
    ['reply_buffer_expands', 0],
    ['expired_reclaim_lag_samples', lag.samples],
    ['expired_reclaim_lag_p50_ms', lag.p50],
    ['expired_reclaim_lag_p99_ms', lag.p99],
    ['expired_reclaim_lag_max_ms', lag.max],
    ['expired_keys_past_deadline', s.keyspace.pastDeadlineCount(now)],
  ]);
}

/** Redis's names for a replica's state in INFO (replstateToString); '' is left out. */
const REPLICA_STATE_NAMES: Readonly<Record<string, string>> = {
  wait_bgsave_start: 'wait_bgsave',
  wait_bgsave_end: 'wait_bgsave',
  send_bulk: 'send_bulk',
  online: 'online',
  rdb_transmitted: 'rdb_transmitted',
};

/** A primary: its replicas (slaveN lines), replication ids, offset and backlog. */
function replicationSection(s: ServerContext): string {
  const primary = s.replication;
  const config = s.config;
  const link = s.primaryLink;
  const fields: [string, string | number][] = [['role', link.isReplica ? 'slave' : 'master']];
  if (link.isReplica) {
    const nowSec = Math.floor(Date.now() / 1000);
    fields.push(
      ['master_host', link.host!],
      ['master_port', link.port],
      ['master_link_status', link.linkUp ? 'up' : 'down'],
      ['master_last_io_seconds_ago', link.linkUp ? Math.floor((Date.now() - link.lastIo) / 1000) : -1],
      ['master_sync_in_progress', link.state === 'transfer' ? 1 : 0],
      ['slave_read_repl_offset', link.linkUp ? link.readReplOffset : link.reportedOffset],
      ['slave_repl_offset', link.reportedOffset],
    );
    if (link.state === 'transfer') {
      const size = link.transferSize;
      fields.push(
        ['master_sync_total_bytes', size],
        ['master_sync_read_bytes', link.transferRead],
        ['master_sync_left_bytes', size - link.transferRead],
        ['master_sync_perc', cFixed(size > 0 ? (link.transferRead / size) * 100 : 0, 2)],
        ['master_sync_last_io_seconds_ago', Math.floor((Date.now() - link.lastIo) / 1000)],
      );
    }
    if (!link.linkUp) fields.push(['master_link_down_since_seconds', link.downSince ? nowSec - link.downSince : -1]);
    fields.push(
      ['slave_priority', config.number('replica-priority')],
      ['slave_read_only', config.bool('replica-read-only') ? 1 : 0],
      ['replica_announced', config.bool('replica-announced') ? 1 : 0],
    );
  }
  fields.push(['connected_slaves', primary.replicas.length]);
  if (config.number('min-replicas-to-write') > 0 && config.number('min-replicas-max-lag') > 0) {
    fields.push(['min_slaves_good_slaves', primary.goodReplicas]);
  }
  const now = Math.floor(Date.now() / 1000);
  let id = 0;
  for (const link of primary.replicas) {
    const state = REPLICA_STATE_NAMES[link.state] ?? '';
    if (state === '') continue;
    const lag = link.state === 'online' ? now - link.ackTime : 0;
    fields.push([`slave${id++}`, `ip=${link.ip},port=${link.listeningPort},state=${state},offset=${link.ackOffset},lag=${lag}`]);
  }
  const backlog = primary.backlog;
  fields.push(
    ['master_failover_state', 'no-failover'],
    ['master_replid', primary.replid],
    ['master_replid2', primary.replid2],
    ['master_repl_offset', primary.offset],
    ['second_repl_offset', primary.secondReplidOffset],
    ['repl_backlog_active', backlog === null ? 0 : 1],
    ['repl_backlog_size', primary.backlogSize],
    ['repl_backlog_first_byte_offset', backlog === null ? 0 : backlog.firstOffset],
    ['repl_backlog_histlen', backlog === null ? 0 : backlog.histlen],
  );
  return lines('Replication', fields);
}

/** CPU seconds as Redis prints a timeval: "%ld.%06ld". */
function seconds(micros: number): string {
  return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
}

/**
 * Node does not report the main thread's CPU time apart (before Node 23), so the
 * main_thread fields repeat the process's, which the main thread dominates.
 */
function cpuSection(): string {
  const cpu = process.cpuUsage();
  return lines('CPU', [
    ['used_cpu_sys', seconds(cpu.system)],
    ['used_cpu_user', seconds(cpu.user)],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
    ['used_cpu_sys_main_thread', seconds(cpu.system)],
    ['used_cpu_user_main_thread', seconds(cpu.user)],
  ]);
}

/**
 * Commands that were called, refused or failed: calls, time in whole µs, the mean as a C
 * float printed with %.2f, refusals and failures (Redis's genRedisInfoStringCommandStats).
 */
function commandstatsSection(s: ServerContext): string {
  const fields: [string, string][] = [];
  for (const cmd of s.commands.everySpec()) {
    if (cmd.calls === 0 && cmd.failedCalls === 0 && cmd.rejectedCalls === 0) continue;
    const usec = Math.floor(cmd.usec);
    const perCall = cmd.calls === 0 ? 0 : Math.fround(Math.fround(usec) / cmd.calls);
    fields.push([
      `cmdstat_${cmd.fullName}`,
      `calls=${cmd.calls},usec=${usec},usec_per_call=${cFixed(perCall, 2)},rejected_calls=${cmd.rejectedCalls},failed_calls=${cmd.failedCalls}`,
    ]);
  }
  return lines('Commandstats', fields);
}

/**
 * Per command with samples, the latency-tracking-info-percentiles of its histogram in µs
 * with three decimals (Redis's fillPercentileDistributionLatencies); nothing while
 * latency-tracking is off.
 */
function latencystatsSection(s: ServerContext): string {
  const fields: [string, string][] = [];
  if (s.config.bool('latency-tracking')) {
    const text = s.config.string('latency-tracking-info-percentiles');
    const percentiles = text === '' ? [] : text.split(' ');
    for (const cmd of s.commands.everySpec()) {
      const h = cmd.histogram;
      if (h === null) continue;
      fields.push([
        `latency_percentiles_usec_${cmd.fullName}`,
        percentiles.map((p) => `p${p}=${cFixed(h.valueAtPercentile(Number(p)) / 1000, 3)}`).join(','),
      ]);
    }
  }
  return lines('Latencystats', fields);
}

/** Error replies by code, in byte order as Redis's radix tree lists them. */
function errorstatsSection(s: ServerContext): string {
  const codes = [...s.stats.errorCodes.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return lines(
    'Errorstats',
    codes.map((code) => [`errorstat_${code}`, `count=${s.stats.errorCodes.get(code)}`] as const),
  );
}

/** One line per database holding keys; avg_ttl is the exact mean remaining TTL in ms. */
function keyspaceSection(s: ServerContext, now: number): string {
  const fields: [string, string][] = [];
  for (const db of s.keyspace.dbs) {
    if (db.size === 0) continue;
    fields.push([`db${db.index}`, `keys=${db.size},expires=${db.expiresCount},avg_ttl=${db.averageTtl(now)}`]);
  }
  return lines('Keyspace', fields);
}
