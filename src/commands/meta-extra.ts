import type { ArgumentDoc, CommandMeta, KeySpec } from './table.js';

/**
 * Metadata for commands (and subcommands) that Redis 7.0 does not have, written by
 * hand from the documentation of the Redis version that introduced them. Everything
 * else comes from meta.generated.ts. A container that Redis 7.0 has gets only its new
 * subcommands here.
 */
export type ExtraMeta = CommandMeta | { subcommands: Record<string, CommandMeta> };


/**
 * Hash field expiration, new in Redis 7.4.0, from its command JSON files
 * (src/commands/hexpire.json, hpexpire.json, hexpireat.json, hpexpireat.json, httl.json,
 * hpttl.json, hexpiretime.json, hpexpiretime.json, hpersist.json as released in 7.4:
 * HEXPIRE and friends WRITE DENYOOM FAST, arity -6; HTTL and friends READONLY FAST,
 * arity -5; HPERSIST WRITE FAST, arity -5; ACL category HASH; one key at position 1;
 * "FIELDS numfields field [field ...]" as a block argument), rendered as Redis 7.0
 * renders such a JSON: @write/@read from the flags, @hash, @fast.
 * Docs: https://redis.io/docs/latest/commands/hexpire/ (and /hpexpire/, /hexpireat/,
 * /hpexpireat/, /httl/, /hpttl/, /hexpiretime/, /hpexpiretime/, /hpersist/).
 */
function hashFieldKeySpec(write: boolean): KeySpec {
  return {
    flags: write ? ['RW', 'update'] : ['RO', 'access'],
    beginSearch: { type: 'index', index: 1 },
    findKeys: { type: 'range', lastkey: 0, keystep: 1, limit: 0 },
  };
}

const FIELDS_BLOCK: ArgumentDoc = {
  name: 'fields',
  type: 'block',
  token: 'FIELDS',
  value: [
    { name: 'numfields', type: 'integer' },
    { name: 'field', type: 'string', flags: ['multiple'] },
  ],
};

const EXPIRE_CONDITION: ArgumentDoc = {
  name: 'condition',
  type: 'oneof',
  flags: ['optional'],
  value: [
    { name: 'nx', type: 'pure-token', token: 'NX' },
    { name: 'xx', type: 'pure-token', token: 'XX' },
    { name: 'gt', type: 'pure-token', token: 'GT' },
    { name: 'lt', type: 'pure-token', token: 'LT' },
  ],
};

function hexpireMeta(summary: string, time: ArgumentDoc): CommandMeta {
  return {
    arity: -6,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    aclCategories: ['@write', '@hash', '@fast'],
    tips: [],
    keySpecs: [hashFieldKeySpec(true)],
    doc: {
      summary,
      since: '7.4.0',
      group: 'hash',
      complexity: 'O(N) where N is the number of specified fields',
      arguments: [{ name: 'key', type: 'key', keySpecIndex: 0 }, time, EXPIRE_CONDITION, FIELDS_BLOCK],
    },
  };
}

function httlMeta(summary: string, complexity = 'O(N) where N is the number of arguments to the command'): CommandMeta {
  return {
    arity: -5,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    aclCategories: ['@read', '@hash', '@fast'],
    tips: [],
    keySpecs: [hashFieldKeySpec(false)],
    doc: {
      summary,
      since: '7.4.0',
      group: 'hash',
      complexity,
      arguments: [{ name: 'key', type: 'key', keySpecIndex: 0 }, FIELDS_BLOCK],
    },
  };
}

const HASH_FIELD_EXPIRATION_META: Record<string, CommandMeta> = {
  hexpire: hexpireMeta('Set expiry for hash field using relative time to expire (seconds)', {
    name: 'seconds',
    type: 'integer',
  }),
  hpexpire: hexpireMeta('Set expiry for hash field using relative time to expire (milliseconds)', {
    name: 'milliseconds',
    type: 'integer',
  }),
  hexpireat: hexpireMeta('Set expiry for hash field using an absolute Unix timestamp (seconds)', {
    name: 'unix-time-seconds',
    type: 'unix-time',
  }),
  hpexpireat: hexpireMeta('Set expiry for hash field using an absolute Unix timestamp (milliseconds)', {
    name: 'unix-time-milliseconds',
    type: 'unix-time',
  }),
  httl: httlMeta('Returns the TTL in seconds of a hash field.'),
  hpttl: httlMeta('Returns the TTL in milliseconds of a hash field.'),
  hexpiretime: httlMeta('Returns the expiration time of a hash field as a Unix timestamp, in seconds.'),
  hpexpiretime: httlMeta('Returns the expiration time of a hash field as a Unix timestamp, in msec.'),
  hpersist: {
    ...httlMeta('Removes the expiration time for each specified field', 'O(N) where N is the number of specified fields'),
    flags: ['write', 'fast'],
    aclCategories: ['@write', '@hash', '@fast'],
    keySpecs: [hashFieldKeySpec(true)],
  },
};

export const EXTRA_META: Record<string, ExtraMeta> = {
  ...HASH_FIELD_EXPIRATION_META,
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
