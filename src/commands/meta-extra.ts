import type { CommandMeta } from './table.js';

/**
 * Metadata for commands (and subcommands) that Redis 7.0 does not have, written by
 * hand from the documentation of the Redis version that introduced them. Everything
 * else comes from meta.generated.ts. A container that Redis 7.0 has gets only its new
 * subcommands here.
 */
export type ExtraMeta = CommandMeta | { subcommands: Record<string, CommandMeta> };

export const EXTRA_META: Record<string, ExtraMeta> = {
  client: {
    subcommands: {
      /**
       * CLIENT SETINFO, new in Redis 7.2.0: https://redis.io/commands/client-setinfo/
       * ("CLIENT SETINFO <LIB-NAME libname | LIB-VER libver>", O(1), @slow @connection)
       * and its command JSON in Redis 7.2 (src/commands/client-setinfo.json: arity 4,
       * flags NOSCRIPT LOADING STALE SENTINEL, ACL category CONNECTION, one oneof
       * argument "attr"). Rendered as Redis 7.0 renders such a JSON: SENTINEL is not a
       * reported flag, and a command not marked FAST gets @slow.
       */
      setinfo: {
        arity: 4,
        flags: ['noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        aclCategories: ['@slow', '@connection'],
        tips: [],
        keySpecs: [],
        doc: {
          summary: 'Sets information specific to the client or connection.',
          since: '7.2.0',
          group: 'connection',
          complexity: 'O(1)',
          arguments: [
            {
              name: 'attr',
              type: 'oneof',
              value: [
                { name: 'libname', type: 'string', token: 'lib-name' },
                { name: 'libver', type: 'string', token: 'lib-ver' },
              ],
            },
          ],
        },
      },
    },
  },
};
