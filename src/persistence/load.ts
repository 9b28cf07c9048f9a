import fs from 'node:fs';
import { HashValue } from '../keyspace/hash.js';
import { ZSetValue } from '../keyspace/zset.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { NO_DEADLINE } from '../keyspace/database.js';
import { RdbError, readRdbFile, type LoadedZset } from './rdb-reader.js';
import type { ZSetEncoding } from '../keyspace/zset.js';

/**
 * A loaded sorted set in the form Redis's rdbLoadObject leaves it: a listpack or
 * ziplist stays compact unless it holds more than zset-max-listpack-entries members
 * (member lengths are not checked); a skiplist becomes compact if it fits both limits.
 */
export function loadedZset(value: LoadedZset, encoding: Readonly<ZSetEncoding>): ZSetValue {
  const { members, scores } = value;
  const n = members.length;
  let longest = 0;
  for (const m of members) if (m.length > longest) longest = m.length;
  const compact = value.compact ? n <= encoding.maxCompactEntries : n <= encoding.maxCompactEntries && longest <= encoding.maxCompactValue;
  const limits = compact ? { maxCompactEntries: Infinity, maxCompactValue: Infinity } : { maxCompactEntries: 0, maxCompactValue: 0 };
  const zset = new ZSetValue(compact ? 0 : 1, 0, limits);
  for (let i = 0; i < n; i++) zset.insert(members[i]!, scores[i]!, limits);
  return zset;
}

export interface LoadResult {
  loaded: number;
  expired: number;
  seconds: number;
}

/** Loading reports progress every this many keys. */
const PROGRESS_EVERY = 1_000_000;

/**
 * Loads the RDB file at path into an empty keyspace, as Redis does at start-up: keys
 * (and hash fields) whose expire time has passed are dropped and counted as expired.
 * Returns null if there is no file. On any error the keyspace is emptied again and the
 * RdbError (which names the offset) is thrown: a server never starts on half a dataset.
 */
export function loadSnapshot(
  keyspace: Keyspace,
  path: string,
  log: (level: 'notice' | 'warning', message: string) => void,
  options: { checksum: boolean },
): LoadResult | null {
  if (!fs.existsSync(path)) return null;
  const started = performance.now();
  // The server's clock (a ManualClock in tests) decides what has expired.
  const now = keyspace.clock.now();
  let loaded = 0;
  let expired = 0;
  try {
    readRdbFile(
      path,
      {
        aux(name, value) {
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
        key(index, key, value, expireTime, offset) {
          const db = keyspace.dbs[index]!;
          if (expireTime !== null && expireTime < now) {
            if (db.peek(key) !== undefined) throw new RdbError(`Duplicated key '${key}' in DB ${index}`, offset);
            expired++;
            return;
          }
          // A key already there does not grow the database: the file repeats a key (the
          // keyspace is emptied on the throw, so what set() replaced does not matter).
          const sizeBefore = db.size;
          if (typeof value === 'string') {
            const entry = db.set(key, value, NO_DEADLINE);
            if (db.size === sizeBefore) throw new RdbError(`Duplicated key '${key}' in DB ${index}`, offset);
            if (expireTime !== null) db.setExpireTime(entry, expireTime);
          } else if (value.type === 'zset') {
            const entry = db.set(key, loadedZset(value, db.zsetEncoding), NO_DEADLINE);
            if (db.size === sizeBefore) throw new RdbError(`Duplicated key '${key}' in DB ${index}`, offset);
            if (expireTime !== null) db.setExpireTime(entry, expireTime);
          } else {
            const hash = new HashValue();
            const pairs = value.pairs;
            const fieldExpires = value.fieldExpires;
            for (let i = 0; i < pairs.length; i += 2) {
              const fe = fieldExpires === null ? 0 : fieldExpires[i >> 1]!;
              if (fe !== 0 && fe < now) continue;
              hash.set(pairs[i]!, pairs[i + 1]!, db.hashEncoding);
            }
            if (hash.size === 0) {
              expired++;
              return;
            }
            const entry = db.set(key, hash, NO_DEADLINE);
            if (db.size === sizeBefore) throw new RdbError(`Duplicated key '${key}' in DB ${index}`, offset);
            if (expireTime !== null) db.setExpireTime(entry, expireTime);
            if (fieldExpires !== null) {
              for (let i = 0; i < pairs.length; i += 2) {
                const fe = fieldExpires[i >> 1]!;
                if (fe !== 0 && fe >= now) db.setFieldDeadline(entry, pairs[i]!, fe + 1);
              }
            }
          }
          if (++loaded % PROGRESS_EVERY === 0) log('notice', `Loading RDB: ${loaded} keys loaded`);
        },
      },
      options,
    );
  } catch (e) {
    keyspace.flushAll();
    keyspace.changesSinceSave = 0;
    throw e;
  }
  keyspace.changesSinceSave = 0;
  const seconds = (performance.now() - started) / 1000;
  log('notice', `Done loading RDB, keys loaded: ${loaded}, keys expired: ${expired}.`);
  log('notice', `DB loaded from disk: ${seconds.toFixed(3)} seconds`);
  return { loaded, expired, seconds };
}
