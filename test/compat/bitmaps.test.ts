import { describe, expect, test } from 'vitest';
import { pairSuite } from './harness.js';
import { EventRecorder } from '../helpers/keyspace-events.js';
import { rng } from '../helpers/rng.js';

/**
 * SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO against Redis 7.0, one
 * command per line, every comparison exact. A seeded random walk at the end compares
 * hundreds of range and field operations on random strings.
 */

const p = pairSuite({ redis: ['--notify-keyspace-events', 'E$g'] });

/** A key holding a hash on both servers: the wrong type for bitmaps. */
async function makeHash(key: string): Promise<void> {
  await p.exact('HSET', key, 'f', 'v');                              // exact
}

describe('SETBIT and GETBIT', () => {
  test('bits, growth, replies of the old bit', async () => {
    await p.exact('SETBIT', 'k', '7', '1');                          // exact: new key, old bit 0
    await p.exact('GET', 'k');                                       // exact: "\x01"
    await p.exact('SETBIT', 'k', '7', '1');                          // exact: unchanged, old bit 1
    await p.exact('SETBIT', 'k', '0', '1');                          // exact
    await p.exact('GET', 'k');                                       // exact: "\x81"
    await p.exact('SETBIT', 'k', '100', '1');                        // exact: grows with zeros
    await p.exact('STRLEN', 'k');                                    // exact: 13
    await p.exact('GET', 'k');                                       // exact
    await p.exact('SETBIT', 'k', '100', '0');                        // exact: cleared
    await p.exact('GET', 'k');                                       // exact: length kept
    await p.exact('SETBIT', 'k', '200', '0');                        // exact: a 0 past the end grows too
    await p.exact('STRLEN', 'k');                                    // exact
    await p.exact('GETBIT', 'k', '0');                               // exact
    await p.exact('GETBIT', 'k', '1');                               // exact
    await p.exact('GETBIT', 'k', '7');                               // exact
    await p.exact('GETBIT', 'k', '100000');                          // exact: past the end reads 0
    await p.exact('GETBIT', 'missing', '3');                         // exact: 0
    await p.exact('SET', 'n', '12');                                 // exact: "1" = 0x31, "2" = 0x32
    await p.exact('GETBIT', 'n', '2');                               // exact: bits of the text
    await p.exact('GETBIT', 'n', '15');                              // exact
    await p.exact('SETBIT', 'n', '15', '1');                         // exact
    await p.exact('GET', 'n');                                       // exact: "13"
    await p.exact('SET', 'b', '\xff\x00\x80');                       // exact: binary
    await p.exact('SETBIT', 'b', '8', '1');                          // exact
    await p.exact('GET', 'b');                                       // exact
  });

  test('TTL kept, errors', async () => {
    await p.exact('SET', 'k', 'a', 'EX', '1000');                    // exact
    await p.exact('SETBIT', 'k', '3', '1');                          // exact
    await p.exact('TTL', 'k');                                       // exact: kept
    await p.exact('SETBIT', 'k', '-1', '1');                         // exact: bit offset error
    await p.exact('SETBIT', 'k', 'x', '1');                          // exact
    await p.exact('SETBIT', 'k', '1.5', '1');                        // exact
    await p.exact('SETBIT', 'k', '4294967296', '1');                 // exact: beyond 512 MB
    await p.exact('SETBIT', 'k', '99999999999999999999', '1');       // exact: not an int64
    await p.exact('SETBIT', 'k', '1', '2');                          // exact: bit error
    await p.exact('SETBIT', 'k', '1', '-1');                         // exact
    await p.exact('SETBIT', 'k', '1', 'on');                         // exact
    await p.exact('SETBIT', 'k', '1', '');                           // exact
    await p.exact('GETBIT', 'k', '-1');                              // exact
    await p.exact('GETBIT', 'k', '4294967296');                      // exact
    await p.exact('GETBIT', 'k', '4294967295');                      // exact: the last bit allowed, past the end
    await makeHash('h');
    await p.exact('SETBIT', 'h', '1', '1');                          // exact: WRONGTYPE
    await p.exact('GETBIT', 'h', '1');                               // exact: WRONGTYPE
    await p.exact('SETBIT', 'h', 'x', '1');                          // exact: offset checked first
    await p.exact('GETBIT', 'h', 'x');                               // exact: offset checked first
    await p.exact('SETBIT', 'k', '1');                               // exact: arity
    await p.exact('GETBIT', 'k');                                    // exact: arity
    await p.exact('CONFIG', 'SET', 'proto-max-bulk-len', '1048576'); // exact: the limit follows the config
    await p.exact('SETBIT', 'k', '8388608', '1');                    // exact: byte 1 MB: refused
    await p.exact('SETBIT', 'k', '8388607', '1');                    // exact: last bit allowed
    await p.exact('STRLEN', 'k');                                    // exact
    await p.exact('CONFIG', 'SET', 'proto-max-bulk-len', '536870912'); // exact
  });
});

describe('BITCOUNT', () => {
  test('whole string, byte and bit ranges', async () => {
    await p.exact('BITCOUNT', 'missing');                            // exact: 0
    await p.exact('BITCOUNT', 'missing', '0', 'x');                  // exact: 0, arguments unread
    await p.exact('SET', 'k', 'foobar');                             // exact
    await p.exact('BITCOUNT', 'k');                                  // exact: 26
    for (const [s, e] of [['0', '0'], ['1', '1'], ['0', '-1'], ['-2', '-1'], ['-1', '-2'], ['2', '1'], ['-100', '100'], ['100', '200'], ['5', '5'], ['-7', '-6']]) {
      await p.exact('BITCOUNT', 'k', s!, e!);                        // exact: byte range
      await p.exact('BITCOUNT', 'k', s!, e!, 'BYTE');                // exact
      await p.exact('BITCOUNT', 'k', s!, e!, 'BIT');                 // exact: bit range
    }
    await p.exact('BITCOUNT', 'k', '5', '30', 'bit');                // exact: lowercase
    await p.exact('BITCOUNT', 'k', '1', '9', 'BiT');                 // exact
    await p.exact('BITCOUNT', 'k', '9223372036854775807', '-9223372036854775808', 'BIT'); // exact: extremes
    await p.exact('BITCOUNT', 'k', '-9223372036854775808', '9223372036854775807', 'BIT'); // exact
    await p.exact('SET', 'e', '');                                   // exact
    await p.exact('BITCOUNT', 'e');                                  // exact: empty string
    await p.exact('BITCOUNT', 'e', '0', '-1');                       // exact
  });

  test('errors', async () => {
    await p.exact('SET', 'k', 'foobar');                             // exact
    await p.exact('BITCOUNT', 'k', '0');                             // exact: syntax error
    await p.exact('BITCOUNT', 'k', '0', '1', 'BIT', 'x');            // exact: syntax error
    await p.exact('BITCOUNT', 'k', '0', '1', 'BITS');                // exact: syntax error
    await p.exact('BITCOUNT', 'k', 'a', '1');                        // exact: not an integer
    await p.exact('BITCOUNT', 'k', '0', '1.0');                      // exact
    await p.exact('BITCOUNT', 'k', '-1', '-2', 'x');                 // exact: Redis answers 0 before reading the unit
    await makeHash('h');
    await p.exact('BITCOUNT', 'h');                                  // exact: WRONGTYPE
    await p.exact('BITCOUNT', 'h', 'a', 'b');                        // exact: WRONGTYPE first
    await p.exact('BITCOUNT');                                       // exact: arity
  });
});

describe('BITPOS', () => {
  test('ones and zeros, ranges, the zero-padding rule', async () => {
    await p.exact('BITPOS', 'missing', '1');                         // exact: -1
    await p.exact('BITPOS', 'missing', '0');                         // exact: 0
    await p.exact('SET', 'k', '\xff\xf0\x00');                       // exact
    await p.exact('BITPOS', 'k', '0');                               // exact: 12
    await p.exact('BITPOS', 'k', '1');                               // exact: 0
    await p.exact('BITPOS', 'k', '1', '2');                          // exact: -1
    await p.exact('BITPOS', 'k', '0', '0');                          // exact
    await p.exact('BITPOS', 'k', '1', '1', '-1');                    // exact
    await p.exact('SET', 'ones', '\xff\xff\xff');                    // exact
    await p.exact('BITPOS', 'ones', '0');                            // exact: 24, past the end
    await p.exact('BITPOS', 'ones', '0', '1');                       // exact: 24
    await p.exact('BITPOS', 'ones', '0', '1', '-1');                 // exact: end given: -1
    await p.exact('BITPOS', 'ones', '0', '0', '0');                  // exact: -1
    await p.exact('BITPOS', 'ones', '0', '3', 'BIT');                // exact
    await p.exact('BITPOS', 'ones', '0', '3', '20', 'BIT');          // exact: -1
    await p.exact('BITPOS', 'ones', '0', '5', '-1', 'BIT');          // exact
    await p.exact('SET', 'zeros', '\x00\x00');                       // exact
    await p.exact('BITPOS', 'zeros', '1');                           // exact: -1
    await p.exact('BITPOS', 'zeros', '0', '1');                      // exact: 8
    await p.exact('SET', 'e', '');                                   // exact
    await p.exact('BITPOS', 'e', '0');                               // exact: empty string: -1
    await p.exact('BITPOS', 'e', '1');                               // exact
    await p.exact('SET', 's', 'foobar');                             // exact
    for (const [b, s, e, u] of [['1', '7', '15', 'BIT'], ['0', '7', '15', 'BIT'], ['1', '2', '-1', 'BYTE'], ['0', '-3', '-1', 'BYTE'], ['1', '100', '200', 'BIT'], ['0', '-100', '100', 'BIT'], ['1', '9', '9', 'BIT'], ['0', '9', '9', 'BIT'], ['1', '3', '1', 'BYTE']]) {
      await p.exact('BITPOS', 's', b!, s!, e!, u!);                  // exact
    }
  });

  test('errors', async () => {
    await p.exact('SET', 'k', 'foobar');                             // exact
    await p.exact('BITPOS', 'k', '2');                               // exact: bit must be 1 or 0
    await p.exact('BITPOS', 'k', '-1');                              // exact
    await p.exact('BITPOS', 'k', 'x');                               // exact: not an integer
    await p.exact('BITPOS', 'missing', '2');                         // exact: bit checked before the key
    await p.exact('BITPOS', 'missing', '1', 'x');                    // exact: -1, range unread
    await p.exact('BITPOS', 'k', '1', 'x');                          // exact: not an integer
    await p.exact('BITPOS', 'k', '1', '0', 'x');                     // exact
    await p.exact('BITPOS', 'k', '1', '0', '1', 'BITS');             // exact: syntax error
    await p.exact('BITPOS', 'k', '1', '0', '1', 'BIT', 'x');         // exact: syntax error
    await makeHash('h');
    await p.exact('BITPOS', 'h', '1');                               // exact: WRONGTYPE
    await p.exact('BITPOS', 'k');                                    // exact: arity
  });
});

describe('BITOP', () => {
  test('AND OR XOR NOT, lengths, missing keys', async () => {
    await p.run([['SET', 'a', 'foobar'], ['SET', 'b', 'abcdef'], ['SET', 'c', '\xff'], ['SET', 'd', 'x', 'EX', '100']]);
    for (const op of ['AND', 'OR', 'XOR', 'and', 'Or']) {
      await p.exact('BITOP', op, 'd', 'a', 'b', 'c', 'missing');     // exact: length of the longest
      await p.exact('GET', 'd');                                     // exact
    }
    await p.exact('TTL', 'd');                                       // exact: -1, TTL dropped
    await p.exact('BITOP', 'NOT', 'd', 'a');                         // exact
    await p.exact('GET', 'd');                                       // exact
    await p.exact('BITOP', 'NOT', 'd', 'missing');                   // exact: 0, d deleted
    await p.exact('EXISTS', 'd');                                    // exact: 0
    await p.exact('BITOP', 'AND', 'd', 'missing', 'missing2');       // exact: 0
    await p.exact('BITOP', 'OR', 'a', 'a', 'a');                     // exact: dest among sources
    await p.exact('GET', 'a');                                       // exact
    await p.exact('SET', 'long', 'x'.repeat(100));                   // exact
    await p.exact('BITOP', 'XOR', 'd', 'long', 'b');                 // exact
    await p.exact('GET', 'd');                                       // exact
    await p.exact('SET', 'e', '');                                   // exact
    await p.exact('BITOP', 'OR', 'd', 'e');                          // exact: an empty source: 0, deleted
    await p.exact('EXISTS', 'd');                                    // exact
  });

  test('errors', async () => {
    await p.exact('SET', 'a', 'x');                                  // exact
    await makeHash('h');
    await p.exact('BITOP', 'NAND', 'd', 'a');                        // exact: syntax error
    await p.exact('BITOP', 'NOT', 'd', 'a', 'a');                    // exact: NOT takes one key
    await p.exact('BITOP', 'AND', 'd', 'a', 'h');                    // exact: WRONGTYPE
    await p.exact('EXISTS', 'd');                                    // exact: nothing stored
    await p.exact('BITOP', 'AND', 'h', 'a');                         // exact: a hash destination is replaced
    await p.exact('TYPE', 'h');                                      // exact: string
    await p.exact('BITOP', 'AND', 'd');                              // exact: arity
  });
});

describe('BITFIELD and BITFIELD_RO', () => {
  test('GET SET INCRBY, signed and unsigned, #offsets', async () => {
    await p.exact('BITFIELD', 'k', 'SET', 'i8', '0', '100');         // exact: old 0
    await p.exact('BITFIELD', 'k', 'GET', 'i8', '0', 'GET', 'u4', '0', 'GET', 'i4', '4'); // exact
    await p.exact('BITFIELD', 'k', 'INCRBY', 'i8', '0', '27');       // exact: 127
    await p.exact('BITFIELD', 'k', 'INCRBY', 'i8', '0', '1');        // exact: wraps to -128
    await p.exact('BITFIELD', 'k', 'SET', 'u16', '#1', '65535', 'GET', 'u16', '#1'); // exact: #1 = bit 16
    await p.exact('GET', 'k');                                       // exact
    await p.exact('BITFIELD', 'k', 'SET', 'i64', '0', '-9223372036854775808', 'GET', 'i64', '0'); // exact
    await p.exact('BITFIELD', 'k', 'INCRBY', 'i64', '0', '-1');      // exact: wraps to max
    await p.exact('BITFIELD', 'k', 'SET', 'u63', '1', '9223372036854775807', 'GET', 'u63', '1'); // exact
    await p.exact('BITFIELD', 'k', 'GET', 'u1', '1000', 'GET', 'i64', '500'); // exact: past the end: 0
    await p.exact('BITFIELD', 'k', 'SET', 'u8', '5', '-1');          // exact: wraps into u8
    await p.exact('BITFIELD', 'k', 'GET', 'u8', '5');                // exact
    await p.exact('BITFIELD', 'k');                                  // exact: no operation: empty array
    await p.exact('BITFIELD', 'missing');                            // exact
    await p.exact('BITFIELD', 'k', 'set', 'u2', '100', '3', 'get', 'u2', '100', 'incrby', 'u2', '100', '1'); // exact: lowercase
    await p.exact('GET', 'k');                                       // exact
  });

  test('OVERFLOW WRAP SAT FAIL', async () => {
    for (const mode of ['WRAP', 'SAT', 'FAIL']) {
      await p.exact('DEL', 'k');                                     // exact
      await p.exact('BITFIELD', 'k', 'OVERFLOW', mode, 'INCRBY', 'u2', '0', '5', 'INCRBY', 'i3', '2', '-10', 'INCRBY', 'i3', '2', '10'); // exact
      await p.exact('BITFIELD', 'k', 'OVERFLOW', mode, 'SET', 'i4', '0', '100', 'SET', 'u4', '4', '-3', 'SET', 'i4', '8', '-9'); // exact
      await p.exact('BITFIELD', 'k', 'OVERFLOW', mode, 'INCRBY', 'i64', '16', '9223372036854775807', 'INCRBY', 'i64', '16', '1'); // exact
      await p.exact('BITFIELD', 'k', 'OVERFLOW', mode, 'INCRBY', 'u63', '80', '-1', 'INCRBY', 'u63', '80', '9223372036854775807', 'INCRBY', 'u63', '80', '1'); // exact
      await p.exact('GET', 'k');                                     // exact
    }
    await p.exact('BITFIELD', 'k', 'INCRBY', 'u8', '0', '300', 'OVERFLOW', 'SAT', 'INCRBY', 'u8', '0', '300', 'OVERFLOW', 'fail', 'INCRBY', 'u8', '0', '1'); // exact: OVERFLOW applies to what follows
    await p.exact('DEL', 'f');                                       // exact
    await p.exact('BITFIELD', 'f', 'OVERFLOW', 'FAIL', 'SET', 'u8', '16', '256'); // exact: failed, key created anyway
    await p.exact('GET', 'f');                                       // exact: three zero bytes
  });

  test('BITFIELD_RO and errors', async () => {
    await p.exact('SET', 'k', 'foobar');                             // exact
    await p.exact('BITFIELD_RO', 'k', 'GET', 'u8', '0', 'GET', 'i16', '#2'); // exact
    await p.exact('BITFIELD_RO', 'k');                               // exact: empty array
    await p.exact('BITFIELD_RO', 'k', 'SET', 'u8', '0', '1');        // exact: GET only
    await p.exact('BITFIELD_RO', 'k', 'INCRBY', 'u8', '0', '1');     // exact
    await p.exact('BITFIELD_RO', 'k', 'OVERFLOW', 'SAT');            // exact: empty array
    await p.exact('BITFIELD', 'k', 'GET', 'u64', '0');               // exact: type error
    await p.exact('BITFIELD', 'k', 'GET', 'i65', '0');               // exact
    await p.exact('BITFIELD', 'k', 'GET', 'i0', '0');                // exact
    await p.exact('BITFIELD', 'k', 'GET', 'x8', '0');                // exact
    await p.exact('BITFIELD', 'k', 'GET', 'I8', '0');                // exact: type is case-sensitive
    await p.exact('BITFIELD', 'k', 'GET', 'u8', '-1');               // exact: bit offset error
    await p.exact('BITFIELD', 'k', 'GET', 'u8', '#-1');              // exact
    await p.exact('BITFIELD', 'k', 'GET', 'u8', '#x');               // exact
    await p.exact('BITFIELD', 'k', 'GET', 'u8', '4294967296');       // exact: beyond 512 MB
    await p.exact('BITFIELD', 'k', 'GET', 'u8', '#536870912');       // exact: #n * 8 beyond 512 MB
    await p.exact('BITFIELD', 'k', 'GET', 'u8', '#2305843009213693953'); // exact: #n * 8 wraps in int64, as in C
    await p.exact('BITFIELD', 'k', 'SET', 'u8', '0', 'x');           // exact: not an integer
    await p.exact('BITFIELD', 'k', 'INCRBY', 'u8', '0', '1.5');      // exact
    await p.exact('BITFIELD', 'k', 'OVERFLOW', 'NONE');              // exact: invalid overflow
    await p.exact('BITFIELD', 'k', 'OVERFLOW');                      // exact: syntax error
    await p.exact('BITFIELD', 'k', 'GET', 'u8');                     // exact: syntax error
    await p.exact('BITFIELD', 'k', 'SET', 'u8', '0');                // exact: syntax error
    await p.exact('BITFIELD', 'k', 'FOO', 'u8', '0');                // exact
    await p.exact('BITFIELD', 'k', 'GET', 'u8', '0', 'SET', 'u8', '0', '65', 'GET', 'u8', 'x'); // exact: nothing runs on an error
    await p.exact('GET', 'k');                                       // exact: unchanged
    await makeHash('h');
    await p.exact('BITFIELD', 'h', 'GET', 'u8', '0');                // exact: WRONGTYPE
    await p.exact('BITFIELD', 'h', 'SET', 'u8', '0', '1');           // exact
    await p.exact('BITFIELD_RO', 'h', 'GET', 'u8', '0');             // exact
    await p.exact('BITFIELD_RO', 'h', 'SET', 'u8', '0', '1');        // exact: the GET-only error first
  });
});

test('keyspace events: setbit, set, del', async () => {
  const rec = await EventRecorder.attach(p, '$g');
  try {
    await p.exact('SETBIT', 'k', '3', '1');                          // exact: setbit
    await p.exact('SETBIT', 'k', '3', '1');                          // exact: no change, no event
    await p.exact('SETBIT', 'k', '30', '0');                         // exact: grew: setbit
    await p.exact('BITFIELD', 'k', 'SET', 'u8', '0', '16');          // exact: unchanged: no event
    await p.exact('BITFIELD', 'k', 'INCRBY', 'u8', '0', '1', 'GET', 'u8', '8'); // exact: setbit once
    await p.exact('BITFIELD', 'k', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', '0', '1000'); // exact: failed: none
    await p.exact('BITOP', 'NOT', 'd', 'k');                         // exact: set
    await p.exact('BITOP', 'AND', 'd', 'nothing');                   // exact: del
    await p.exact('BITOP', 'AND', 'd', 'nothing');                   // exact: nothing to delete: none
    const [r, l] = await rec.take();
    expect(l, 'events').toEqual(r);
    expect(r.length).toBe(5);
  } finally {
    rec.detach();
  }
});

test('a seeded random walk over ranges and fields matches Redis', async () => {
  const rand = rng(13);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  for (let round = 0; round < 12; round++) {
    let value = '';
    const length = int(0, 40);
    for (let i = 0; i < length; i++) value += String.fromCharCode([0, 0xff, int(0, 255)][int(0, 2)]!);
    await p.exact('SET', 's', value);                                // exact
    for (let i = 0; i < 20; i++) {
      const s = String(int(-340, 340));
      const e = String(int(-340, 340));
      const unit = ['BIT', 'BYTE'][int(0, 1)]!;
      await p.exact('BITCOUNT', 's', s, e, unit);                    // exact
      await p.exact('BITPOS', 's', String(int(0, 1)), s, e, unit);   // exact
      await p.exact('BITPOS', 's', String(int(0, 1)), s);            // exact
      const type = `${['i', 'u'][int(0, 1)]}${int(1, 63)}`;
      const offset = String(int(0, 340));
      await p.exact('BITFIELD', 's', 'OVERFLOW', ['WRAP', 'SAT', 'FAIL'][int(0, 2)]!, ['INCRBY', 'SET'][int(0, 1)]!, type, offset, String(int(-100000, 100000)), 'GET', type, offset); // exact
    }
    await p.exact('GET', 's');                                       // exact: same bytes after the writes
  }
});
