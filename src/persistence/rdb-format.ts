/**
 * Constants of Redis's RDB format (rdb.h), by Redis's names.
 *
 * RDB version 10 is Redis 7.0's; 11 is 7.2's; 12 is 7.4's (hash field TTLs). Redis
 * refuses a file whose version is newer than its own.
 */

/** The version lapse writes: Redis 7.0 and later load it. */
export const RDB_VERSION = 10;
/** The version lapse writes when some hash field has a TTL: Redis 7.4 and later. */
export const RDB_VERSION_FIELD_TTL = 12;
/** The newest version lapse reads. */
export const RDB_VERSION_MAX = 12;

export const RDB_TYPE_STRING = 0;
export const RDB_TYPE_LIST = 1;
export const RDB_TYPE_SET = 2;
export const RDB_TYPE_ZSET = 3;
export const RDB_TYPE_HASH = 4;
export const RDB_TYPE_ZSET_2 = 5;
export const RDB_TYPE_MODULE_PRE_GA = 6;
export const RDB_TYPE_MODULE_2 = 7;
export const RDB_TYPE_HASH_ZIPMAP = 9;
export const RDB_TYPE_LIST_ZIPLIST = 10;
export const RDB_TYPE_SET_INTSET = 11;
export const RDB_TYPE_ZSET_ZIPLIST = 12;
export const RDB_TYPE_HASH_ZIPLIST = 13;
export const RDB_TYPE_LIST_QUICKLIST = 14;
export const RDB_TYPE_STREAM_LISTPACKS = 15;
export const RDB_TYPE_HASH_LISTPACK = 16;
export const RDB_TYPE_ZSET_LISTPACK = 17;
export const RDB_TYPE_LIST_QUICKLIST_2 = 18;
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;
export const RDB_TYPE_SET_LISTPACK = 20;
export const RDB_TYPE_STREAM_LISTPACKS_3 = 21;
/** Redis 7.4 release candidates' hash-with-TTL types (absolute TTLs, no minimum first). */
export const RDB_TYPE_HASH_METADATA_PRE_GA = 22;
export const RDB_TYPE_HASH_LISTPACK_EX_PRE_GA = 23;
/** Redis 7.4's hash with field TTLs: minimum TTL, then [relative TTL, field, value]. */
export const RDB_TYPE_HASH_METADATA = 24;
/** Redis 7.4's small hash with field TTLs: minimum TTL, then a listpack of triples. */
export const RDB_TYPE_HASH_LISTPACK_EX = 25;

/** What each type number is, for error messages. */
export const RDB_TYPE_NAMES: Record<number, string> = {
  0: 'string', 1: 'list', 2: 'set', 3: 'zset', 4: 'hash', 5: 'zset-v2', 6: 'module-pre-release',
  7: 'module-value', 9: 'hash-zipmap', 10: 'list-ziplist', 11: 'set-intset', 12: 'zset-ziplist',
  13: 'hash-ziplist', 14: 'quicklist', 15: 'stream', 16: 'hash-listpack', 17: 'zset-listpack',
  18: 'quicklist-v2', 19: 'stream-v2', 20: 'set-listpack', 21: 'stream-v3',
  22: 'hash-hashtable-md-pre-release', 23: 'hash-listpack-md-pre-release', 24: 'hash-hashtable-md',
  25: 'hash-listpack-md',
};

export const RDB_OPCODE_SLOT_INFO = 244;
export const RDB_OPCODE_FUNCTION2 = 245;
export const RDB_OPCODE_FUNCTION_PRE_GA = 246;
export const RDB_OPCODE_MODULE_AUX = 247;
export const RDB_OPCODE_IDLE = 248;
export const RDB_OPCODE_FREQ = 249;
export const RDB_OPCODE_AUX = 250;
export const RDB_OPCODE_RESIZEDB = 251;
export const RDB_OPCODE_EXPIRETIME_MS = 252;
export const RDB_OPCODE_EXPIRETIME = 253;
export const RDB_OPCODE_SELECTDB = 254;
export const RDB_OPCODE_EOF = 255;

export const RDB_ENC_INT8 = 0;
export const RDB_ENC_INT16 = 1;
export const RDB_ENC_INT32 = 2;
export const RDB_ENC_LZF = 3;
