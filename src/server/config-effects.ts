import type { Acl } from '../acl/acl.js';
import type { CommandTimer } from '../commands/command-timing.js';
import { outputBufferLimitsOf, type OutputBufferLimits } from '../config/output-limits.js';
import type { ParamValue } from '../config/params.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import type { Persistence } from '../persistence/save-scheduler.js';
import type { ParserLimits } from '../protocol/parser.js';
import type { KeyspaceNotifier } from '../pubsub/notifications.js';
import type { Memory } from './memory.js';

/** Parameters the memory manager follows. */
const MEMORY_PARAMS = new Set([
  'maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'maxmemory-eviction-tenacity', 'lfu-log-factor', 'lfu-decay-time',
]);

/** The parts of a server that a configuration change reaches (LapseServer provides them). */
export interface ConfigSubjects {
  readonly parserLimits: ParserLimits;
  readonly acl: Acl;
  readonly keyspace: Keyspace;
  readonly persistence: Persistence;
  readonly notifier: KeyspaceNotifier;
  readonly memory: Memory;
  setOutputLimits(limits: OutputBufferLimits): void;
  /** TLS settings checked by the listeners' validator take effect. */
  applyPendingTls(): void;
  setCronHz(hz: number): void;
  /** Commands' timing, the slow log and the latency monitor. */
  readonly commandTimer: CommandTimer;
  /** Client-side caching (its table's limit follows tracking-table-max-keys). */
  readonly tracking: { maxKeys: number };
  /** The replication primary (its backlog follows repl-backlog-size). */
  readonly replication: { resizeBacklog(): void; refreshGoodReplicas(): void };
}

/**
 * What happens when a parameter changes (CONFIG SET, and at start-up for those the
 * server applies then): the one place that maps a parameter to the part of the server
 * that follows it. Parameters read where they are used (timeout, maxclients, ...) need
 * nothing here.
 */
export function applyConfigChange(s: ConfigSubjects, name: string, value: ParamValue): void {
  if (name === 'proto-max-bulk-len') s.parserLimits.maxBulkLength = Number(value);
  else if (name === 'client-query-buffer-limit') s.parserLimits.maxQueryBuffer = Number(value);
  else if (name === 'requirepass') s.acl.setRequirepass(value as string);
  else if (name === 'acl-pubsub-default') s.acl.allChannelsByDefault = value === 'allchannels';
  else if (name.startsWith('tls-')) s.applyPendingTls();
  else if (name === 'hash-max-listpack-entries') s.keyspace.hashEncoding.maxCompactEntries = Number(value);
  else if (name === 'hash-max-listpack-value') s.keyspace.hashEncoding.maxCompactValue = Number(value);
  else if (name === 'list-max-listpack-size') s.keyspace.listEncoding.fill = Number(value);
  else if (name === 'list-compress-depth') s.keyspace.listEncoding.compressDepth = Number(value);
  else if (name === 'set-max-intset-entries') s.keyspace.setEncoding.maxIntsetEntries = Number(value);
  else if (name === 'zset-max-listpack-entries') s.keyspace.zsetEncoding.maxCompactEntries = Number(value);
  else if (name === 'zset-max-listpack-value') s.keyspace.zsetEncoding.maxCompactValue = Number(value);
  else if (name === 'save') s.persistence.applySavePoints();
  else if (name === 'notify-keyspace-events') s.notifier.flags = value as number;
  else if (name === 'client-output-buffer-limit') s.setOutputLimits(outputBufferLimitsOf(value as string));
  else if (MEMORY_PARAMS.has(name)) s.memory.applyConfig(name);
  else if (name === 'hz') s.setCronHz(value as number);
  else if (name === 'repl-backlog-size') s.replication.resizeBacklog();
  else if (name === 'min-replicas-to-write' || name === 'min-replicas-max-lag') s.replication.refreshGoodReplicas();
  else if (name === 'slowlog-log-slower-than') s.commandTimer.slowerThanUs = Number(value);
  else if (name === 'slowlog-max-len') {
    s.commandTimer.slowlog.maxLen = Number(value);
    s.commandTimer.slowlog.trim();
  } else if (name === 'latency-monitor-threshold') s.commandTimer.latency.thresholdMs = Number(value);
  else if (name === 'latency-tracking') s.commandTimer.tracking = value === true;
  else if (name === 'command-timing') s.commandTimer.enabled = value === true;
  else if (name === 'tracking-table-max-keys') s.tracking.maxKeys = Number(value);
}
