import { ACL_COMMANDS } from './acl-commands.js';
import { BITMAP_COMMANDS } from './bitmap-commands.js';
import { CONNECTION_COMMANDS } from './connection-commands.js';
import { DEBUG_COMMANDS } from './debug-commands.js';
import { EXPIRE_COMMANDS } from './expire-commands.js';
import { FUNCTION_COMMANDS } from './function-commands.js';
import { KEY_COMMANDS } from './key-commands.js';
import { LIST_COMMANDS } from './list-commands.js';
import { HASH_COMMANDS } from './hash-commands.js';
import { HASH_TTL_COMMANDS } from './hash-ttl-commands.js';
import { MEMORY_COMMANDS } from './memory-commands.js';
import { SLOWLOG_COMMANDS } from './slowlog-commands.js';
import { LATENCY_COMMANDS } from './latency-commands.js';
import { PERSISTENCE_COMMANDS } from './persistence-commands.js';
import { PUBSUB_COMMANDS } from './pubsub-commands.js';
import { REPLICATION_COMMANDS } from './replication-commands.js';
import { MONITOR_COMMANDS } from './monitor-commands.js';
import { SCRIPT_COMMANDS } from './script-commands.js';
import { SERVER_COMMANDS } from './server-commands.js';
import { SET_COMMANDS } from './set-commands.js';
import { SORT_COMMANDS } from './sort-commands.js';
import { STRING_COMMANDS } from './string-commands.js';
import { TRANSACTION_COMMANDS } from './transaction-commands.js';
import { ZSET_COMMANDS } from './zset-commands.js';
import { REDIS_DOCS } from './redis-docs.js';
import type { CommandDefinition } from './declare.js';
import { CommandTable } from './table.js';

/** Every command lapse implements, by group, in the order COMMAND lists them. */
const DEFINITIONS: readonly CommandDefinition[] = [
  ...CONNECTION_COMMANDS,
  ...STRING_COMMANDS,
  ...KEY_COMMANDS,
  ...EXPIRE_COMMANDS,
  ...HASH_COMMANDS,
  ...HASH_TTL_COMMANDS,
  ...LIST_COMMANDS,
  ...SET_COMMANDS,
  ...ZSET_COMMANDS,
  ...SORT_COMMANDS,
  ...SERVER_COMMANDS,
  ...TRANSACTION_COMMANDS,
  ...PERSISTENCE_COMMANDS,
  ...REPLICATION_COMMANDS,
  ...MONITOR_COMMANDS,
  ...PUBSUB_COMMANDS,
  ...ACL_COMMANDS,
  ...MEMORY_COMMANDS,
  ...SLOWLOG_COMMANDS,
  ...LATENCY_COMMANDS,
  ...BITMAP_COMMANDS,
  ...DEBUG_COMMANDS,
  ...SCRIPT_COMMANDS,
  ...FUNCTION_COMMANDS,
];

/** A new command table (one per server). */
export function createCommandTable(): CommandTable {
  return new CommandTable(DEFINITIONS, REDIS_DOCS);
}
