import type { CommandMeta } from './table.js';

/**
 * Metadata for commands (and subcommands) that Redis 7.0 does not have, written by
 * hand from the documentation of the Redis version that introduced them. Everything
 * else comes from meta.generated.ts.
 */
export const EXTRA_META: Record<string, CommandMeta> = {};
