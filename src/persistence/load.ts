import fs from 'node:fs';
import type { Keyspace } from '../keyspace/keyspace.js';
import { RdbError, readRdbBuffer, readRdbFile, type RdbSummary, type RdbVisitor } from './rdb-reader.js';
import { buildValue } from './loaded-value.js';

export interface LoadResult {
  loaded: number;
  expired: number;
  seconds: number;
}

/** Loading reports progress every this many keys. */
const PROGRESS_EVERY = 1_000_000;

/** The error for a key the file holds twice. */
function duplicated(key: string, index: number, offset: number): RdbError {
  return new RdbError(`Duplicated key '${key}' in DB ${index}`, offset);
}

/** key[0, keyLength) as a latin1 string (for an error). */
function latin1(key: Uint8Array, keyLength: number): string {
  return Buffer.from(key.buffer, key.byteOffset, keyLength).toString('latin1');
}

/** An RDB file by its path, or an RDB image in memory (a replica's diskless load). */
function readRdb(source: string | Buffer, visitor: RdbVisitor, options: { checksum?: boolean }): RdbSummary {
  return typeof source === 'string' ? readRdbFile(source, visitor, options) : readRdbBuffer(source, visitor, options);
}

/**
 * Reads the RDB file at path (or the image in memory) through without loading it: RdbError (naming the offset)
 * if it is corrupt or truncated, or uses a database the server does not have.
 */
export function checkSnapshot(source: string | Buffer, databases: number, options: { checksum: boolean }): void {
  readRdb(
    source,
    {
      selectDb(index, offset) {
        if (index >= databases) throw new RdbError(`The RDB file uses database ${index}, this server has ${databases} (set 'databases' higher)`, offset);
      },
      key() {},
      library() {},
    },
    options,
  );
}

/**
 * Loads the RDB file at path into an empty keyspace, as Redis does at start-up: keys
 * (and hash fields) whose expire time has passed are dropped and counted as expired.
 * Returns null if there is no file. On any error after a key was loaded the keyspace is
 * emptied again, and the RdbError (which names the offset) is thrown: a server never
 * starts on half a dataset.
 * `merge` (DEBUG RELOAD MERGE, Redis's RDBFLAGS_ALLOW_DUP): a key already there is
 * replaced by the file's, instead of being an error.
 */
export function loadSnapshot(
  keyspace: Keyspace,
  path: string | Buffer,
  log: (level: 'verbose' | 'notice' | 'warning', message: string) => void,
  options: {
    checksum: boolean;
    merge?: boolean;
    /**
     * Creates a function library from its code (a replace of one of the same name with
     * `merge`): null, or why it failed (which fails the load, as in Redis). Without it, a
     * file holding functions is refused.
     */
    library?: (code: string, replace: boolean) => string | null;
    /**
     * A replica loading its primary's RDB: keys past their deadline are kept (the
     * primary's DELs remove them), as Redis loads on a replica.
     */
    keepExpired?: boolean;
    /** Every AUX field, as read (a replica takes repl-stream-db). */
    aux?: (name: string, value: string) => void;
  },
): LoadResult | null {
  if (typeof path === 'string' && !fs.existsSync(path)) return null;
  const started = performance.now();
  // No database holds more keys than the file has room for (a key is at least 3 bytes: a
  // type, an empty key, an empty value): RESIZEDB hints past that are the file's damage.
  const maxKeys = Math.floor((typeof path === 'string' ? fs.statSync(path).size : path.length) / 3);
  // The server's clock (a ManualClock in tests) decides what has expired.
  const now = keyspace.clock.now();
  let loaded = 0;
  let expired = 0;
  // Whether this load put a key in place: a failure before (a function library the server
  // refuses: they come first in a file) leaves the keyspace as it was, as Redis does.
  let changed = false;
  let summary: RdbSummary;
  try {
    summary = readRdb(
      path,
      {
        aux(name, value) {
          options.aux?.(name, value);
          if (name === 'redis-ver') log('notice', `Loading RDB produced by version ${value}`);
          else if (name === 'ctime') {
            const age = Math.floor(now / 1000) - Number(value);
            log('notice', `RDB age ${age < 0 ? 0 : age} seconds`);
          } else if (name === 'used-mem') {
            log('notice', `RDB memory usage when created ${(Number(value) / (1024 * 1024)).toFixed(2)} Mb`);
          }
        },
        selectDb(index, offset) {
          if (index >= keyspace.dbs.length) {
            throw new RdbError(
              `The RDB file uses database ${index}, this server has ${keyspace.dbs.length} (set 'databases' higher)`,
              offset,
            );
          }
        },
        resize(index, size) {
          // RESIZEDB: the table and rows sized once, not doubled through the load; a hint
          // larger than the file could hold (a damaged or hostile file) is cut to what it
          // could, instead of failing the load or taking gigabytes before the first key.
          if (index < keyspace.dbs.length) keyspace.dbs[index]!.reserve(Math.min(size, maxKeys));
        },
        library:
          options.library === undefined
            ? undefined
            : (code, offset) => {
                const error = options.library!(code, options.merge === true);
                if (error !== null) throw new RdbError(`Failed loading library, ${error}`, offset);
              },
        key(index, key, value, expireTime, offset) {
          const db = keyspace.dbs[index]!;
          changed = true;
          const merge = options.merge === true;
          // Skipped, as Redis skips it before adding: a key of that name in memory stays.
          if (expireTime !== null && expireTime < now && options.keepExpired !== true) {
            if (!merge && db.peek(key) !== undefined) throw duplicated(key, index, offset);
            expired++;
            return;
          }
          const built = buildValue(value, db, now);
          if (built === null) {
            expired++;
            return;
          }
          const entry = db.loadValue(key, built.value, merge);
          if (entry < 0) throw duplicated(key, index, offset);
          if (expireTime !== null) db.setExpireTime(entry, expireTime);
          if (built.fieldDeadlines !== null) for (const [field, deadline] of built.fieldDeadlines) db.setFieldDeadline(entry, field, deadline);
          if (++loaded % PROGRESS_EVERY === 0) log('notice', `Loading RDB: ${loaded} keys loaded`);
        },
        // String keys go from the file's bytes to the slab (key() for the rest, and for a
        // merge, which replaces keys by name).
        stringKey:
          options.merge === true
            ? undefined
            : (index, key, keyLength, value, valueStart, valueEnd, expireTime, offset) => {
                const db = keyspace.dbs[index]!;
                changed = true;
                if (expireTime !== null && expireTime < now && options.keepExpired !== true) {
                  if (db.hasKeyBytes(key, keyLength)) throw duplicated(latin1(key, keyLength), index, offset);
                  expired++;
                  return;
                }
                const entry = db.loadString(key, keyLength, value, valueStart, valueEnd);
                if (entry < 0) throw duplicated(latin1(key, keyLength), index, offset);
                if (expireTime !== null) db.setExpireTime(entry, expireTime);
                if (++loaded % PROGRESS_EVERY === 0) log('notice', `Loading RDB: ${loaded} keys loaded`);
              },
      },
      options,
    );
  } catch (e) {
    if (changed) {
      keyspace.flushAll();
      keyspace.changesSinceSave = 0;
    }
    throw e;
  }
  keyspace.changesSinceSave = 0;
  const seconds = (performance.now() - started) / 1000;
  log('notice', `Done loading RDB, keys loaded: ${loaded}, keys expired: ${expired}.`);
  log('notice', `DB loaded from disk: ${seconds.toFixed(3)} seconds`);
  // lapse's own line (Redis checks the CRC as it reads): where the checksum was computed.
  if (summary.checksumVerified) log('verbose', `RDB checksum verified on ${summary.checksumBy === 'worker' ? 'a worker thread' : 'the main thread'}`);
  return { loaded, expired, seconds };
}
