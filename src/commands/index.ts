import { ACL_COMMANDS } from './acl-commands.js';
import { CONNECTION_COMMANDS } from './connection-commands.js';
import { EXPIRE_COMMANDS } from './expire-commands.js';
import { GENERIC_COMMANDS } from './key-commands.js';
import { HASH_COMMANDS } from './hash-commands.js';
import { MEMORY_COMMANDS } from './memory-commands.js';
import { PERSISTENCE_COMMANDS } from './persistence-commands.js';
import { PUBSUB_COMMANDS } from './pubsub-commands.js';
import { SERVER_COMMANDS } from './server-commands.js';
import { STRING_COMMANDS } from './string-commands.js';
import { TRANSACTION_COMMANDS } from './transaction-commands.js';
import { REDIS_META } from './meta.generated.js';
import { EXTRA_META } from './meta-extra.js';
import { CommandTable, type CommandDefinition, type CommandMeta } from './table.js';

/** Every command lapse implements, by group. */
export const DEFINITIONS: readonly CommandDefinition[] = [
  ...CONNECTION_COMMANDS,
  ...STRING_COMMANDS,
  ...GENERIC_COMMANDS,
  ...EXPIRE_COMMANDS,
  ...HASH_COMMANDS,
  ...SERVER_COMMANDS,
  ...TRANSACTION_COMMANDS,
  ...PERSISTENCE_COMMANDS,
  ...PUBSUB_COMMANDS,
  ...ACL_COMMANDS,
  ...MEMORY_COMMANDS,
];

/** Redis 7.0's metadata, with lapse's additions merged in (subcommands included). */
export function commandMeta(): Record<string, CommandMeta> {
  const meta: Record<string, CommandMeta> = { ...REDIS_META };
  for (const [name, extra] of Object.entries(EXTRA_META)) {
    const base = meta[name];
    if ('arity' in extra) meta[name] = extra;
    else if (base) meta[name] = { ...base, subcommands: { ...base.subcommands, ...extra.subcommands } };
  }
  return meta;
}

export function createCommandTable(): CommandTable {
  return new CommandTable(DEFINITIONS, commandMeta());
}
