import { parseI64 } from '../util/numbers.js';

/**
 * The encoding Redis 7.0 would report (OBJECT ENCODING) for a string value, and its
 * reference count (OBJECT REFCOUNT).
 *
 * Redis decides a string's encoding when the value is stored (object.c
 * tryObjectEncoding): "int" for the canonical text of a long of at most 20 bytes,
 * "embstr" for at most 44 bytes, "raw" otherwise. Values made by SET, MSET, GETSET,
 * SETNX/SETEX, APPEND on a new key, INCR/DECR, RDB loading and RESTORE follow that
 * rule, so lapse derives their encoding from the text and stores nothing.
 *
 * A few commands leave a value in a form the text does not tell, and lapse remembers
 * that beside the entry (Database.stringForm), only for values it concerns:
 *  - Raw: a value changed in place (APPEND or SETRANGE on an existing key, SETRANGE on a
 *    new one, SETBIT, BITFIELD writes, BITOP's result) is an unshared sds, "raw" even
 *    when short or numeric (db.c dbUnshareStringValue, createObject(OBJ_STRING, ...)).
 *  - Embstr: INCRBYFLOAT's result is made by createStringObject: "embstr" when at most
 *    44 bytes even when it reads as an integer ("3").
 *  - Unshared: COPY duplicates an int-encoded value (dupStringObject) into an object of
 *    its own, refcount 1, where SET of a small integer shares Redis's integer objects.
 */
export const enum StringForm {
  Raw = 1,
  Embstr = 2,
  Unshared = 3,
}

/** Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT. */
const EMBSTR_LIMIT = 44;
/** Redis's OBJ_SHARED_INTEGERS: 0..9999 are shared objects. */
const SHARED_INTEGERS = 10000;
/** Redis's OBJ_SHARED_REFCOUNT, what OBJECT REFCOUNT reports for a shared object. */
export const SHARED_REFCOUNT = 2147483647;

/** Whether Redis would store value as an integer (string2l on at most 20 bytes). */
export function isIntEncodable(value: string): boolean {
  return value.length <= 20 && parseI64(value) !== undefined;
}

/** OBJECT ENCODING of a string value in the given remembered form (undefined: none). */
export function stringEncoding(value: string, form: StringForm | undefined): 'int' | 'embstr' | 'raw' {
  if (form === StringForm.Raw) return 'raw';
  if (form === StringForm.Embstr) return value.length <= EMBSTR_LIMIT ? 'embstr' : 'raw';
  if (isIntEncodable(value)) return 'int';
  return value.length <= EMBSTR_LIMIT ? 'embstr' : 'raw';
}

/**
 * OBJECT REFCOUNT of a string value: Redis shares the objects of 0..9999 unless a
 * maxmemory LRU/LFU policy is in force (`sharing` false: each key needs its own access
 * clock); every other value has one reference. lapse decides with today's policy; Redis
 * decided when the value was stored.
 */
export function stringRefcount(value: string, form: StringForm | undefined, sharing: boolean): number {
  if (!sharing || form !== undefined || !isIntEncodable(value)) return 1;
  const n = parseI64(value)!;
  return n >= 0 && n < SHARED_INTEGERS ? SHARED_REFCOUNT : 1;
}
