/**
 * What a key holds. A string value is a latin1 JavaScript string: one char per byte, so
 * any bytes (CR, LF, NUL, invalid UTF-8) survive, and a one-byte V8 string costs its
 * length plus a 16-byte header.
 *
 * Measured before choosing (1M keys of 37 bytes with 230-byte values, each in an entry
 * object in a Map; node 20, `node --expose-gc`, after two GCs): latin1 string values
 * 405 bytes/key and 506 MB RSS; Buffer values 850 MB RSS (every Buffer is a JS object
 * plus a separate backing store). Strings are also what Map hashes cheaply as keys.
 *
 * Other types are objects with a `type` tag; the type system is open to hashes next.
 */
export interface ValueObject {
  readonly type: 'hash' | 'list' | 'set' | 'zset' | 'stream';
  /**
   * The bytes the value holds, estimated in O(1) (memory-cost.ts): maxmemory's
   * accounting reads it before and after every change the Database makes.
   */
  readonly estimatedBytes: number;
  /**
   * The encoding Redis 7.0's OBJECT ENCODING reports for the same data ("listpack",
   * "hashtable", "quicklist", "intset", "skiplist" ...).
   */
  encoding(): string;
  /**
   * A deep copy, in the same encoding (COPY; Redis's *TypeDup): changing one never
   * changes the other. TTLs the value's database keeps (hash field TTLs) are not copied.
   */
  copy(): ValueObject;
}

export type Value = string | ValueObject;

export type TypeName = 'string' | ValueObject['type'];

export function typeOf(value: Value): TypeName {
  return typeof value === 'string' ? 'string' : value.type;
}
