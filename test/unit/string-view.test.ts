import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/keyspace/clock.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { ReplyWriter } from '../../src/protocol/writer.js';

/**
 * A GET copies a stored value straight from the keyspace's shared arenas into the reply
 * (KeyStore.stringView, then ReplyWriter.bulkBytes with viewShared and viewBase: values
 * under WORDS_BELOW go in 32-bit words through a DataView over the whole arena). The
 * arena offset of a segment's byte 0 comes from the segment's region, not from the
 * typed arrays: with several megabytes of values, most segments lie past the arena's
 * first region, and every value must come out as it went in.
 */
describe('string values copied out of the arenas', () => {
  test('values in every segment of several arenas reply with their own bytes', () => {
    const db = new Keyspace(new ManualClock(1_700_000_000_000), 1).dbs[0]!;
    const value = (i: number): string => {
      const length = 1 + ((i * 37) % 400);
      let s = '';
      for (let j = 0; j < length; j++) s += String.fromCharCode((i * 131 + j * 7) & 255);
      return s;
    };
    // ~200 bytes a value on average: ~80 MB, more than one 64 MiB arena of 1 MiB segments.
    const n = 400_000;
    for (let i = 0; i < n; i++) db.set(`k:${i}`, value(i));
    const w = new ReplyWriter();
    w.protocol = 2;
    let checked = 0;
    for (let i = 0; i < n; i += 97) {
      const entry = db.peek(`k:${i}`)!;
      const bytes = db.stringView(entry);
      const store = db.store;
      expect(store.viewShared).not.toBeNull();
      w.bulkBytes(bytes, store.viewStart, store.viewEnd, store.viewShared, store.viewBase);
      const v = value(i);
      expect(w.take()!.toString('latin1')).toBe(`$${v.length}\r\n${v}\r\n`);
      checked++;
    }
    expect(checked).toBeGreaterThan(4000);
  });
});
