import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { pairSuite } from './harness.js';
import { RawClient } from '../helpers/raw-client.js';
import type { ValueObject } from '../../src/keyspace/values.js';

/**
 * Every string command against Redis 7.0, one command per line (their RESP3 replies are
 * compared in resp3.test.ts).
 */

const p = pairSuite();

/** A key holding a list on both servers (lapse has no list commands: set in-process). */
async function makeList(key: string): Promise<void> {
  await p.r.call('RPUSH', key, 'x');
  const list: ValueObject = { type: 'list', estimatedBytes: 64, encoding: () => 'quicklist', copy: () => list };
  p.lapse.keyspace.dbs[0]!.set(key, list);
}

const SEC = Math.floor(Date.now() / 1000);
const MS = Date.now();

describe('GET and SET', () => {
  test('plain values, binary and empty', async () => {
    await p.exact('GET', 'k');                                          // exact: missing
    await p.exact('SET', 'k', 'v');                                     // exact
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SET', 'k', '');                                      // exact: empty value
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SET', '', 'empty key');                              // exact: empty key
    await p.exact('GET', '');                                           // exact
    await p.exact('SET', 'bin\0\r\n\xff', 'a\0b\r\nc\xff\xfe');         // exact: binary key and value
    await p.exact('GET', 'bin\0\r\n\xff');                              // exact
    await p.exact('GET', 'bin\0\r\n');                                  // exact: a prefix is another key
    await p.exact('SET', 'big', 'x'.repeat(100_000));                   // exact
    await p.exact('GET', 'big');                                        // exact
    const longKey = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 13 + 5) & 0xff));
    await p.exact('SET', longKey, 'short');                             // exact: a key of 300 binary bytes
    await p.exact('SET', longKey, 'a longer value than before');        // exact: rewritten with its key
    await p.exact('SET', longKey, '');                                  // exact: and shorter
    await p.exact('GET', longKey);                                      // exact
    await p.exact('SET', longKey, 'again');                             // exact
    await p.exact('GET', longKey);                                      // exact
    await p.exact('DEL', longKey);                                      // exact: 1
    await p.exact('SET', 'n', '12345');                                 // exact: an integer-looking value
    await p.exact('GET', 'n');                                          // exact
    await p.exact('SET', 'n', '-0');                                    // exact
    await p.exact('GET', 'n');                                          // exact
    await p.exact('set', 'lower', 'v');                                 // exact: command name case
    await p.exact('GET', 'lower');                                      // exact
    await p.exact('SET', 'k');                                          // exact: arity
    await p.exact('GET');                                               // exact: arity
    await p.exact('GET', 'a', 'b');                                     // exact: arity
  });

  test('NX and XX', async () => {
    await p.exact('SET', 'k', 'v', 'XX');                               // exact: missing, XX -> null
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SET', 'k', 'v', 'NX');                               // exact: created
    await p.exact('SET', 'k', 'w', 'NX');                               // exact: exists -> null
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SET', 'k', 'w', 'XX');                               // exact
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SET', 'k', 'v', 'nx');                               // exact: lowercase
    await p.exact('SET', 'k', 'v', 'xX');                               // exact: mixed case
    await p.exact('SET', 'k', 'v', 'NX', 'NX');                         // exact: repeated
    await p.exact('SET', 'k', 'v', 'XX', 'XX');                         // exact: repeated
    await p.exact('SET', 'k', 'v', 'NX', 'XX');                         // exact: conflict
    await p.exact('SET', 'k', 'v', 'XX', 'NX');                         // exact: conflict
    await p.exact('SET', 'k', 'v', 'NXX');                              // exact: not an option
    await p.exact('SET', 'k', 'v', 'N');                                // exact
    await p.exact('SET', 'k', 'v', '');                                 // exact: empty option
    await p.exact('SET', 'k', 'v', 'xx\0junk');                         // exact: C string stops at NUL
    await p.exact('SET', 'k', 'v', 'nx\0');                             // exact
    await p.exact('SET', 'k', 'v', 'foo');                              // exact
  });

  test('GET option', async () => {
    await p.exact('SET', 'k', 'v1', 'GET');                             // exact: missing -> null
    await p.exact('SET', 'k', 'v2', 'GET');                             // exact: old value
    await p.exact('SET', 'k', 'v3', 'get', 'GET');                      // exact: repeated
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SET', 'k', 'v4', 'NX', 'GET');                       // exact: NX GET, exists: old value, not set
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SET', 'new', 'v', 'NX', 'GET');                      // exact: NX GET, missing: null, set
    await p.exact('GET', 'new');                                        // exact
    await p.exact('SET', 'none', 'v', 'XX', 'GET');                     // exact: XX GET, missing: null, not set
    await p.exact('GET', 'none');                                       // exact
    await p.exact('SET', 'k', 'v5', 'GET', 'XX');                       // exact
    await p.exact('SET', 'k', 'v6', 'GET', 'EX', '100');                // exact
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SET', 'k', 'v7', 'GET', 'EX', '0');                  // exact: expire error before GET
    await p.exact('SET', 'k', 'v7', 'GET', 'EX');                       // exact: syntax
    await p.exact('SET', 'k', 'v\0', 'GET');                            // exact
    await p.exact('SET', 'k', 'x', 'GET');                              // exact: binary old value
  });

  test('EX PX EXAT PXAT and their TTLs', async () => {
    await p.exact('SET', 'ex', 'v', 'EX', '100');                       // exact
    await p.ttl(200, 'PTTL', 'ex');                                     // ttl: within 200 ms
    await p.exact('SET', 'px', 'v', 'PX', '100000');                    // exact
    await p.ttl(200, 'PTTL', 'px');                                     // ttl: within 200 ms
    await p.exact('SET', 'exat', 'v', 'EXAT', String(SEC + 1000));      // exact
    await p.ttl(200, 'PTTL', 'exat');                                   // ttl: within 200 ms
    await p.exact('SET', 'pxat', 'v', 'PXAT', String(MS + 500_000));    // exact
    await p.ttl(200, 'PTTL', 'pxat');                                   // ttl: within 200 ms
    await p.exact('SET', 'ex', 'v2');                                   // exact: plain SET clears the TTL
    await p.ttl(0, 'PTTL', 'ex');                                       // ttl: exact, -1 on both
    await p.exact('SET', 'k', 'v', 'ex', '10');                         // exact: lowercase
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('SET', 'k', 'v', 'Px', '20000');                      // exact
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('SET', 'k', 'v', 'eXaT', String(SEC + 50));           // exact
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('SET', 'k', 'v', 'pXAt', String(MS + 60_000));        // exact
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('SET', 'k', 'v', 'EX', '10', 'EX', '20');             // exact: repeated, last wins
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('SET', 'k', 'v', 'PX', '10', 'PX', '30000');          // exact
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('SET', 'k', 'v', 'EX', '100', 'NX');                  // exact: NX after expire: not set
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms, unchanged
    await p.exact('SET', 'k', 'v', 'XX', 'EX', '200');                  // exact
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('SET', 'nx', 'v', 'NX', 'PX', '5000');                // exact
    await p.ttl(200, 'PTTL', 'nx');                                     // ttl: within 200 ms
    await p.exact('SET', 'k', 'v', 'EX', String(Math.floor(9223372036854775807 / 1000 / 4)));  // exact: large TTL
    await p.exact('SET', 'k', 'v', 'PXAT', '9223372036854775807');      // exact: largest time
    await p.exact('SET', 'k', 'v', 'EXAT', '9223372036854775');         // exact: largest seconds
    await p.exact('GET', 'k');                                          // exact
  });

  test('expire already in the past', async () => {
    await p.exact('SET', 'k', 'v', 'EXAT', '1');                        // exact
    await p.exact('GET', 'k');                                          // exact: gone
    await p.exact('SET', 'k', 'v', 'PXAT', '1');                        // exact
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SET', 'k', 'v', 'PXAT', String(MS - 1000));          // exact
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SET', 'k', 'v', 'PXAT', String(MS - 1000), 'GET');   // exact: null
  });

  test('invalid expire values', async () => {
    await p.exact('SET', 'k', 'v', 'EX', '0');                          // exact
    await p.exact('SET', 'k', 'v', 'PX', '0');                          // exact
    await p.exact('SET', 'k', 'v', 'EXAT', '0');                        // exact
    await p.exact('SET', 'k', 'v', 'PXAT', '0');                        // exact
    await p.exact('SET', 'k', 'v', 'EX', '-1');                         // exact
    await p.exact('SET', 'k', 'v', 'PX', '-100');                       // exact
    await p.exact('SET', 'k', 'v', 'EXAT', '-1');                       // exact
    await p.exact('SET', 'k', 'v', 'PXAT', '-9223372036854775808');     // exact
    await p.exact('SET', 'k', 'v', 'EX', 'x');                          // exact: not an integer
    await p.exact('SET', 'k', 'v', 'EX', '1.5');                        // exact
    await p.exact('SET', 'k', 'v', 'EX', ' 1');                         // exact
    await p.exact('SET', 'k', 'v', 'EX', '+1');                         // exact
    await p.exact('SET', 'k', 'v', 'EX', '01');                         // exact
    await p.exact('SET', 'k', 'v', 'EX', '');                           // exact
    await p.exact('SET', 'k', 'v', 'PX', '9223372036854775808');        // exact: beyond int64
    await p.exact('SET', 'k', 'v', 'EX', '9223372036854776');           // exact: seconds * 1000 overflows
    await p.exact('SET', 'k', 'v', 'EX', '9223372036854775');           // exact: + now overflows
    await p.exact('SET', 'k', 'v', 'PX', '9223372036854775807');        // exact: + now overflows
    await p.exact('SET', 'k', 'v', 'PX', '9223372036854775000');        // exact
    await p.exact('SET', 'k', 'v', 'EXAT', '9223372036854776');         // exact: * 1000 overflows
    await p.exact('GET', 'k');                                          // exact: nothing was set
    await p.exact('SET', 'k', 'v', 'EX');                               // exact: missing argument
    await p.exact('SET', 'k', 'v', 'PX');                               // exact
    await p.exact('SET', 'k', 'v', 'EXAT');                             // exact
    await p.exact('SET', 'k', 'v', 'PXAT');                             // exact
    await p.exact('SET', 'k', 'v', 'NX', 'EX');                         // exact
    await p.exact('SET', 'k', 'v', 'EX', 'NX');                         // exact: NX is the argument: not an integer
  });

  test('conflicting expire options', async () => {
    await p.exact('SET', 'k', 'v', 'EX', '10', 'PX', '100');            // exact
    await p.exact('SET', 'k', 'v', 'PX', '100', 'EX', '10');            // exact
    await p.exact('SET', 'k', 'v', 'EX', '10', 'EXAT', '100');          // exact
    await p.exact('SET', 'k', 'v', 'EXAT', '100', 'PXAT', '100');       // exact
    await p.exact('SET', 'k', 'v', 'PXAT', '100', 'PX', '100');         // exact
    await p.exact('SET', 'k', 'v', 'KEEPTTL', 'EX', '10');              // exact
    await p.exact('SET', 'k', 'v', 'EX', '10', 'KEEPTTL');              // exact
    await p.exact('SET', 'k', 'v', 'PXAT', '10', 'KEEPTTL');            // exact
    await p.exact('SET', 'k', 'v', 'KEEPTTL', 'PXAT', '10');            // exact
    await p.exact('SET', 'k', 'v', 'PERSIST');                          // exact: GETEX's option
    await p.exact('SET', 'k', 'v', 'EX', '0', 'PX', '1');               // exact: syntax before value
    await p.exact('GET', 'k');                                          // exact
  });

  test('KEEPTTL', async () => {
    await p.exact('SET', 'k', 'v', 'EX', '100');                        // exact
    await p.exact('SET', 'k', 'v2', 'KEEPTTL');                         // exact
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms, kept
    await p.exact('SET', 'k', 'v3', 'keepttl', 'KEEPTTL');              // exact: repeated
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('SET', 'k', 'v4', 'KEEPTTL', 'XX', 'GET');            // exact
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SET', 'fresh', 'v', 'KEEPTTL');                      // exact: missing key
    await p.ttl(0, 'PTTL', 'fresh');                                    // ttl: exact, -1
    await p.exact('SET', 'k', 'v5');                                    // exact
    await p.ttl(0, 'PTTL', 'k');                                        // ttl: exact, -1
    await p.exact('SET', 'k', 'v', 'KEEPTTLX');                         // exact
  });

  test('GET option on a wrong type', async () => {
    await makeList('list');
    await p.exact('GET', 'list');                                       // exact: WRONGTYPE
    await p.exact('SET', 'list', 'v', 'GET');                           // exact: WRONGTYPE, not set
    await p.exact('SET', 'list', 'v', 'GET', 'EX', '0');                // exact: expire error first
    await p.exact('SET', 'list', 'v', 'NX');                            // exact: null
    await p.exact('SET', 'list', 'v', 'XX', 'GET');                     // exact: WRONGTYPE
    await p.exact('SET', 'list', 'v');                                  // exact: SET replaces any type
    await p.exact('GET', 'list');                                       // exact
  });
});

describe('SETNX SETEX PSETEX GETSET', () => {
  test('SETNX', async () => {
    await p.exact('SETNX', 'k', 'v');                                   // exact: 1
    await p.exact('SETNX', 'k', 'w');                                   // exact: 0
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SETNX', 'k');                                        // exact: arity
    await p.exact('SETNX', 'k', 'v', 'x');                              // exact: arity
    await p.exact('SETNX', 'e', '');                                    // exact
    await p.exact('GET', 'e');                                          // exact
    await makeList('list');
    await p.exact('SETNX', 'list', 'v');                                // exact: exists (any type): 0
  });

  test('SETEX and PSETEX', async () => {
    await p.exact('SETEX', 'k', '100', 'v');                            // exact
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('GET', 'k');                                          // exact
    await p.exact('PSETEX', 'p', '100000', 'v');                        // exact
    await p.ttl(200, 'PTTL', 'p');                                      // ttl: within 200 ms
    await p.exact('SETEX', 'k', '0', 'v');                              // exact: 'setex' in the error
    await p.exact('SETEX', 'k', '-5', 'v');                             // exact
    await p.exact('PSETEX', 'k', '0', 'v');                             // exact: 'psetex'
    await p.exact('PSETEX', 'k', '-1', 'v');                            // exact
    await p.exact('SETEX', 'k', 'abc', 'v');                            // exact: not an integer
    await p.exact('PSETEX', 'k', '1.5', 'v');                           // exact
    await p.exact('SETEX', 'k', '9223372036854776', 'v');               // exact: overflow
    await p.exact('SETEX', 'k', '9223372036854775', 'v');               // exact: overflow with now
    await p.exact('PSETEX', 'k', '9223372036854775807', 'v');           // exact
    await p.exact('SETEX', 'k', '10');                                  // exact: arity
    await p.exact('PSETEX', 'k', '10', 'v', 'x');                       // exact: arity
    await p.exact('SETEX', 'k', '100', 'v2');                           // exact: overwrites
    await p.exact('GET', 'k');                                          // exact
    await makeList('list');
    await p.exact('SETEX', 'list', '100', 'v');                         // exact: replaces any type
    await p.exact('GET', 'list');                                       // exact
  });

  test('GETSET', async () => {
    await p.exact('GETSET', 'k', 'v1');                                 // exact: null
    await p.exact('GETSET', 'k', 'v2');                                 // exact: v1
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SET', 't', 'v', 'EX', '100');                        // exact
    await p.exact('GETSET', 't', 'w');                                  // exact
    await p.ttl(0, 'PTTL', 't');                                        // ttl: exact, cleared, -1
    await p.exact('GETSET', 'k', '');                                   // exact
    await p.exact('GETSET', 'k', '\0\xff');                             // exact
    await p.exact('GETSET', 'k');                                       // exact: arity
    await makeList('list');
    await p.exact('GETSET', 'list', 'v');                               // exact: WRONGTYPE, not set
    await p.exact('GET', 'list');                                       // exact: still a list
  });
});

describe('GETDEL and GETEX', () => {
  test('GETDEL', async () => {
    await p.exact('GETDEL', 'k');                                       // exact: null
    await p.exact('SET', 'k', 'v');                                     // exact
    await p.exact('GETDEL', 'k');                                       // exact
    await p.exact('GETDEL', 'k');                                       // exact: gone
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SET', 'k', 'v', 'EX', '100');                        // exact
    await p.exact('GETDEL', 'k');                                       // exact
    await p.exact('GETDEL');                                            // exact: arity
    await p.exact('GETDEL', 'a', 'b');                                  // exact: arity
    await makeList('list');
    await p.exact('GETDEL', 'list');                                    // exact: WRONGTYPE, kept
    await p.exact('GET', 'list');                                       // exact
  });

  test('GETEX without options and with PERSIST', async () => {
    await p.exact('GETEX', 'k');                                        // exact: null
    await p.exact('SET', 'k', 'v');                                     // exact
    await p.exact('GETEX', 'k');                                        // exact
    await p.ttl(0, 'PTTL', 'k');                                        // ttl: exact, -1
    await p.exact('SET', 'k', 'v', 'EX', '100');                        // exact
    await p.exact('GETEX', 'k');                                        // exact: TTL unchanged
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('GETEX', 'k', 'PERSIST');                             // exact
    await p.ttl(0, 'PTTL', 'k');                                        // ttl: exact, -1
    await p.exact('GETEX', 'k', 'persist');                             // exact: no TTL to remove
    await p.exact('GETEX', 'k', 'PERSIST', 'PERSIST');                  // exact: repeated
    await p.exact('GETEX', 'missing', 'PERSIST');                       // exact: null
  });

  test('GETEX with an expire', async () => {
    await p.exact('SET', 'k', 'v');                                     // exact
    await p.exact('GETEX', 'k', 'EX', '100');                           // exact
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('GETEX', 'k', 'PX', '50000');                         // exact
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('GETEX', 'k', 'EXAT', String(SEC + 2000));            // exact
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('GETEX', 'k', 'PXAT', String(MS + 300_000));          // exact
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('GETEX', 'k', 'ex', '10', 'EX', '70');                // exact: repeated
    await p.ttl(200, 'PTTL', 'k');                                      // ttl: within 200 ms
    await p.exact('GETEX', 'k', 'EXAT', '1');                           // exact: past: value, then deleted
    await p.exact('GET', 'k');                                          // exact: gone
    await p.exact('SET', 'k', 'v');                                     // exact
    await p.exact('GETEX', 'k', 'PXAT', String(MS - 10));               // exact: past
    await p.exact('GETEX', 'k');                                        // exact: gone
    await p.exact('GETEX', 'missing', 'EX', '100');                     // exact: null
  });

  test('GETEX errors', async () => {
    await p.exact('SET', 'k', 'v');                                     // exact
    await p.exact('GETEX', 'k', 'EX', '0');                             // exact: 'getex' in the error
    await p.exact('GETEX', 'k', 'PX', '-1');                            // exact
    await p.exact('GETEX', 'k', 'EXAT', '0');                           // exact
    await p.exact('GETEX', 'k', 'PXAT', '-1');                          // exact
    await p.exact('GETEX', 'k', 'EX', 'x');                             // exact: not an integer
    await p.exact('GETEX', 'k', 'EX', '9223372036854776');              // exact: overflow
    await p.exact('GETEX', 'k', 'PX', '9223372036854775807');           // exact
    await p.exact('GETEX', 'missing', 'EX', '0');                       // exact: key checked first: null
    await p.exact('GETEX', 'missing', 'EX', 'x');                       // exact: null
    await p.exact('GETEX', 'k', 'EX');                                  // exact: syntax
    await p.exact('GETEX', 'missing', 'EX');                            // exact: syntax even when missing
    await p.exact('GETEX', 'k', 'PERSIST', 'EX', '10');                 // exact: conflict
    await p.exact('GETEX', 'k', 'EX', '10', 'PERSIST');                 // exact
    await p.exact('GETEX', 'k', 'EX', '10', 'PX', '10');                // exact
    await p.exact('GETEX', 'k', 'EXAT', '10', 'PXAT', '10');            // exact
    await p.exact('GETEX', 'k', 'KEEPTTL');                             // exact: SET's options
    await p.exact('GETEX', 'k', 'NX');                                  // exact
    await p.exact('GETEX', 'k', 'XX');                                  // exact
    await p.exact('GETEX', 'k', 'GET');                                 // exact
    await p.exact('GETEX', 'k', 'foo');                                 // exact
    await p.exact('GETEX', 'k', 'persist\0x');                          // exact: C string
    await p.exact('GETEX');                                             // exact: arity
    await p.ttl(0, 'PTTL', 'k');                                        // ttl: exact, no change: -1
    await makeList('list');
    await p.exact('GETEX', 'list');                                     // exact: WRONGTYPE
    await p.exact('GETEX', 'list', 'EX', '0');                          // exact: WRONGTYPE before the expire
    await p.exact('GETEX', 'list', 'EX');                               // exact: syntax first
  });
});

describe('MGET MSET MSETNX', () => {
  test('MGET', async () => {
    await p.exact('MGET', 'a');                                         // exact
    await p.exact('MSET', 'a', '1', 'b', '2');                          // exact
    await p.exact('MGET', 'a', 'b', 'c');                               // exact
    await p.exact('MGET', 'a', 'a', 'a');                               // exact: repeated keys
    await p.exact('MGET', '');                                          // exact
    await p.exact('MGET');                                              // exact: arity
    await makeList('list');
    await p.exact('MGET', 'a', 'list', 'b');                            // exact: wrong type reads as null
  });

  test('MSET', async () => {
    await p.exact('MSET', 'a', '1');                                    // exact
    await p.exact('MSET', 'a', '1', 'b');                               // exact: odd: wrong number of arguments
    await p.exact('MSET', 'a');                                         // exact: arity
    await p.exact('MSET');                                              // exact: arity
    await p.exact('MSET', 'a', '1', 'b', '2', 'c');                     // exact
    await p.exact('MSET', 'a', 'x', 'a', 'y');                          // exact: last wins
    await p.exact('GET', 'a');                                          // exact
    await p.exact('SET', 't', 'v', 'EX', '100');                        // exact
    await p.exact('MSET', 't', 'w', 'u', '\0\r\n');                     // exact
    await p.ttl(0, 'PTTL', 't');                                        // ttl: exact, cleared
    await p.exact('MGET', 't', 'u');                                    // exact
    await makeList('list');
    await p.exact('MSET', 'list', 'v');                                 // exact: replaces any type
    await p.exact('GET', 'list');                                       // exact
  });

  test('MSETNX', async () => {
    await p.exact('MSETNX', 'a', '1', 'b', '2');                        // exact: 1
    await p.exact('MSETNX', 'b', '3', 'c', '4');                        // exact: 0, all or nothing
    await p.exact('MGET', 'a', 'b', 'c');                               // exact
    await p.exact('MSETNX', 'c', '4', 'c', '5');                        // exact: 1, last wins
    await p.exact('GET', 'c');                                          // exact
    await p.exact('MSETNX', 'd', '1', 'e');                             // exact: odd
    await p.exact('MSETNX', 'd');                                       // exact: arity
    await p.exact('MGET', 'd', 'e');                                    // exact
    await makeList('list');
    await p.exact('MSETNX', 'x', '1', 'list', '2');                     // exact: 0
    await p.exact('GET', 'x');                                          // exact
  });
});

describe('APPEND and STRLEN', () => {
  test('APPEND', async () => {
    await p.exact('APPEND', 'k', 'hello');                              // exact: creates
    await p.exact('APPEND', 'k', ' world');                             // exact
    await p.exact('GET', 'k');                                          // exact
    await p.exact('APPEND', 'k', '');                                   // exact
    await p.exact('APPEND', 'e', '');                                   // exact: creates an empty string
    await p.exact('GET', 'e');                                          // exact
    await p.exact('APPEND', 'b', '\0\r\n');                             // exact: binary
    await p.exact('APPEND', 'b', '\xff\xfe\0');                         // exact
    await p.exact('GET', 'b');                                          // exact
    await p.exact('SET', 'n', '10');                                    // exact
    await p.exact('APPEND', 'n', '5');                                  // exact: on an integer
    await p.exact('INCR', 'n');                                         // exact
    await p.exact('SET', 't', 'v', 'EX', '100');                        // exact
    await p.exact('APPEND', 't', 'w');                                  // exact
    await p.ttl(200, 'PTTL', 't');                                      // ttl: within 200 ms, kept
    await p.exact('APPEND', 'k');                                       // exact: arity
    await makeList('list');
    await p.exact('APPEND', 'list', 'x');                               // exact: WRONGTYPE
  });

  test('STRLEN', async () => {
    await p.exact('STRLEN', 'missing');                                 // exact: 0
    await p.exact('SET', 'k', 'hello');                                 // exact
    await p.exact('STRLEN', 'k');                                       // exact
    await p.exact('SET', 'k', '');                                      // exact
    await p.exact('STRLEN', 'k');                                       // exact
    await p.exact('SET', 'k', '\0\xff\r\n');                            // exact
    await p.exact('STRLEN', 'k');                                       // exact: bytes, not chars
    await p.exact('SET', 'k', '-123');                                  // exact
    await p.exact('STRLEN', 'k');                                       // exact
    await p.exact('STRLEN');                                            // exact: arity
    await makeList('list');
    await p.exact('STRLEN', 'list');                                    // exact: WRONGTYPE
  });
});

describe('INCR DECR INCRBY DECRBY', () => {
  test('basics', async () => {
    await p.exact('INCR', 'k');                                         // exact: from 0
    await p.exact('INCR', 'k');                                         // exact
    await p.exact('DECR', 'k');                                         // exact
    await p.exact('DECR', 'k');                                         // exact
    await p.exact('DECR', 'k');                                         // exact: negative
    await p.exact('GET', 'k');                                          // exact
    await p.exact('INCRBY', 'k', '100');                                // exact
    await p.exact('INCRBY', 'k', '-1000');                              // exact
    await p.exact('DECRBY', 'k', '-5');                                 // exact
    await p.exact('DECRBY', 'k', '0');                                  // exact
    await p.exact('INCRBY', 'k', '0');                                  // exact
    await p.exact('DECRBY', 'd', '7');                                  // exact: from 0
    await p.exact('INCRBY', 'i', '-7');                                 // exact
    await p.exact('MGET', 'k', 'd', 'i');                               // exact
    await p.exact('SET', 't', '5', 'EX', '100');                        // exact
    await p.exact('INCR', 't');                                         // exact
    await p.ttl(200, 'PTTL', 't');                                      // ttl: within 200 ms, kept
    await p.exact('INCR');                                              // exact: arity
    await p.exact('INCRBY', 'k');                                       // exact: arity
    await p.exact('DECRBY', 'k', '1', '2');                             // exact: arity
  });

  test('values that are not integers', async () => {
    for (const v of ['', 'abc', '1.0', ' 1', '1 ', '+1', '01', '-0', '0x10', '1e3', '\0', '1\0',
      '9223372036854775808', '-9223372036854775809', '99999999999999999999', '12345678901234567890123']) {
      await p.exact('SET', 'k', v);                                     // exact
      await p.exact('INCR', 'k');                                       // exact: not an integer
      await p.exact('DECRBY', 'k', '1');                                // exact
    }
    await p.exact('SET', 'k', '5');                                     // exact
    for (const v of ['', 'abc', '1.5', ' 1', '+1', '01', '-0', '9223372036854775808', '-9223372036854775809', '1\0']) {
      await p.exact('INCRBY', 'k', v);                                  // exact: bad increment
      await p.exact('DECRBY', 'k', v);                                  // exact
    }
    await p.exact('SET', 'k', 'abc');                                   // exact
    await p.exact('INCRBY', 'k', 'x');                                  // exact: increment checked first
    await makeList('list');
    await p.exact('INCR', 'list');                                      // exact: WRONGTYPE
    await p.exact('DECRBY', 'list', 'x');                               // exact: increment checked first
    await p.exact('INCRBY', 'list', '1');                               // exact: WRONGTYPE
  });

  test('counters at the 15/16-digit edge (read from the stored bytes up to 15), under a long key', async () => {
    const long = 'k'.repeat(300); // a two-byte key length in the stored record
    for (const v of ['999999999999999', '-999999999999999', '999999999999998', '-1000000000000000', '9999999999999999', '-9999999999999999', '0', '-1', '7']) {
      for (const k of ['c', long]) {
        await p.exact('SET', k, v);                                   // exact
        await p.exact('INCR', k);                                     // exact: one more digit, or one fewer
        await p.exact('DECRBY', k, '2');                              // exact
        await p.exact('GET', k);                                      // exact
      }
    }
  });

  test('a counter rewritten over its stored bytes: every reader sees the new value, with Redis\'s encoding', async () => {
    // lapse writes the result's digits in place when the length stays, else a new record.
    for (const [start, by] of [['41', '1'], ['99', '1'], ['-10', '1'], ['100', '-1'], ['7', '0'], ['123456789012345', '-5']] as const) {
      await p.exact('SET', 'c', start);                                 // exact
      await p.exact('APPEND', 'c', '0');                                // exact: raw form, one digit more
      await p.exact('INCRBY', 'c', by);                                 // exact
      await p.exact('OBJECT', 'ENCODING', 'c');                         // exact: int again
      await p.exact('STRLEN', 'c');                                     // exact
      await p.exact('GETRANGE', 'c', '0', '1');                         // exact
      await p.exact('GET', 'c');                                        // exact
      await p.exact('APPEND', 'c', 'x');                                // exact: no longer a number
      await p.exact('INCR', 'c');                                       // exact: not an integer
      await p.exact('GET', 'c');                                        // exact: unchanged
    }
    await p.exact('SET', 'e', '5', 'EX', '100');                        // exact
    await p.exact('DECR', 'e');                                         // exact: in place
    await p.exact('TTL', 'e');                                          // exact: the TTL kept
  });

  test('int64 limits', async () => {
    await p.exact('SET', 'k', '9223372036854775806');                   // exact
    await p.exact('INCR', 'k');                                         // exact: max
    await p.exact('INCR', 'k');                                         // exact: overflow
    await p.exact('INCRBY', 'k', '0');                                  // exact
    await p.exact('DECRBY', 'k', '-1');                                 // exact: overflow
    await p.exact('GET', 'k');                                          // exact: unchanged
    await p.exact('INCRBY', 'k', '-9223372036854775808');               // exact: -1
    await p.exact('SET', 'k', '-9223372036854775807');                  // exact
    await p.exact('DECR', 'k');                                         // exact: min
    await p.exact('DECR', 'k');                                         // exact: overflow
    await p.exact('INCRBY', 'k', '-1');                                 // exact: overflow
    await p.exact('INCRBY', 'k', '9223372036854775807');                // exact: -1
    await p.exact('DECRBY', 'k', '-9223372036854775808');               // exact: decrement would overflow
    await p.exact('DECRBY', 'missing', '-9223372036854775808');         // exact
    await p.exact('DECRBY', 'k', '-9223372036854775807');               // exact
    await p.exact('DECRBY', 'k', '9223372036854775807');                // exact
    await p.exact('INCRBY', 'z', '9223372036854775807');                // exact
    await p.exact('INCRBY', 'z', '1');                                  // exact: overflow
    await p.exact('INCRBY', 'y', '-9223372036854775808');               // exact
    await p.exact('DECR', 'y');                                         // exact: overflow
    await p.exact('INCRBY', 'y', '9223372036854775807');                // exact
    await p.exact('SET', 'k', '9007199254740991');                      // exact: 2^53 - 1
    await p.exact('INCR', 'k');                                         // exact: 2^53
    await p.exact('INCR', 'k');                                         // exact: 2^53 + 1
    await p.exact('INCRBY', 'k', '9007199254740993');                   // exact
    await p.exact('DECRBY', 'k', '18014398509481985');                  // exact
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SET', 'k', '-9007199254740991');                     // exact
    await p.exact('DECR', 'k');                                         // exact
    await p.exact('INCRBY', 'k', '-4611686018427387904');               // exact
    await p.exact('INCRBY', 'k', '-4611686018427387904');               // exact
    await p.exact('INCRBY', 'k', '-4611686018427387904');               // exact: overflow
    await p.exact('GET', 'k');                                          // exact
  });
});

/** INCRBYFLOAT cases: [stored value or null for a missing key, increment]. */
const FLOAT_CASES: [string | null, string][] = [
  [null, '0.1'], ['0.1', '0.2'], ['10.5', '0.1'], ['0.3', '-0.1'], ['10', '1'], ['10', '0'],
  ['3.0e3', '0'], ['5.0e3', '1'], ['1', '3.0e3'], [null, '5.0e3'], ['0x10', '1'], ['1', '0x10'],
  ['1', '0X1P4'], ['1', '0x.8'], ['1', '0x1.8p1'], ['1', '0xAbC.dEfp-3'], ['.5', '.5'], ['5.', '1'], ['+1', '1'],
  ['1', '+1.5'], ['-1', '-1.5'], ['1', '-1'], ['-0', '0'], ['0', '-0'], [null, '-0'], ['-0', '-0'],
  [null, '1e20'], [null, '1e21'], [null, '-1e20'], [null, '123456789012345678901234567890'],
  [null, '1e308'], ['1e308', '1e308'], [null, '1.7976931348623157e308'], ['1.7976931348623157e308', '1e308'],
  [null, '1e4000'], [null, '-1e4931'], [null, '1.18973149535723176502e4932'],
  ['1.18973149535723176502e4932', '1e4932'], [null, '1.2e4932'], [null, '1e4933'], [null, '1e5000'],
  [null, '1e-20'], [null, '-1e-20'], [null, '5e-18'], [null, '5e-17'], [null, '1.5e-17'], [null, '2.5e-17'],
  [null, '0.000003814697265625'], [null, '0.000011444091796875'], [null, '1e-300'], [null, '1e-4940'],
  [null, '1e-4951'], [null, '4e-4951'], [null, '1e-5000'], ['1', '1e-5000'], [null, '0e-99999'], [null, '0e99999'],
  [null, '0x1p-16445'], [null, '0x1p-16446'], [null, '0x1.8p-16446'], [null, '0x1.0000000000000001p-16446'],
  [null, '0x1.00000000000000008p-16446'], [null, '0x1p16383'], [null, '0x1p16384'], [null, '0x1.fffffffffffffffep16383'],
  [null, '0x1.ffffffffffffffffp16383'], [null, '0x1p99999999999999999999'], [null, '1e99999999999999999999'],
  [null, '1e-99999999999999999999'], [null, '0.1e1'], [null, '00001.5'], [null, '1.000000000000000000000000001'],
  [null, '9223372036854775807'], ['9223372036854775807', '1'], [null, '18446744073709551615'],
  [null, '18446744073709551617'], ['18446744073709551616', '1'], [null, '1.1'], ['1.1', '2.2'], ['0.7', '0.1'],
  [null, '3.14159265358979323846264338327950288'], ['100', '-100'], ['100', '-99.99'], ['1e17', '0.1'],
  ['1e16', '0.5'], ['12345678901234567', '0.5'],
  // Infinity and NaN.
  [null, 'inf'], [null, '-inf'], [null, 'INF'], [null, 'Infinity'], [null, '-infinity'], [null, 'nan'],
  [null, 'NaN'], [null, '-nan'], [null, 'nan(123)'], ['inf', '1'], ['inf', '-inf'], ['1', 'inf'], ['nan', '1'],
  ['inf', 'x'],
  // Not numbers to strtold, or not wholly.
  [null, ''], [null, ' 1'], [null, '\t1'], [null, '\n1'], [null, '1 '], [null, '1x'], [null, 'x'], [null, '.'],
  [null, '+'], [null, '-'], [null, 'e5'], [null, '1e'], [null, '1e+'], [null, '1e-'], [null, '1.2.3'],
  [null, '0x'], [null, '0xg'], [null, '0x1p'], [null, '0x.p1'], [null, 'infin'], [null, 'infinityy'],
  [null, '1,5'], [null, '--1'], [null, '+-1'], [null, '1_000'], [null, '\xff'],
  ['abc', '1'], ['', '1'], [' 1', '1'], ['1 ', '1'], ['1e', '1'],
  // strtold stops at a NUL, and Redis wants the whole string read.
  [null, '1\0x'], [null, '\0'], [null, '\0\0'], [null, '2.5\0\0'], ['7\0junk', '1'], ['\0', '1'],
  // Redis's buffer is 5120 bytes: longer strings are refused.
  [null, '1' + '0'.repeat(5118)], [null, '1' + '0'.repeat(5119)], [null, '0.' + '0'.repeat(5117) + '1'],
  [null, '0.' + '0'.repeat(5000) + '1e5000'], [null, '1' + '0'.repeat(4931) + '.5'], [null, '1' + '0'.repeat(4932)],
];

describe('INCRBYFLOAT', () => {
  test('table of cases, with the stored value', async () => {
    for (const [stored, incr] of FLOAT_CASES) {
      if (stored === null) await p.exact('GETDEL', 'f');               // exact: a missing key
      else await p.exact('SET', 'f', stored);                           // exact
      await p.exact('INCRBYFLOAT', 'f', incr);                          // exact
      await p.exact('GET', 'f');                                        // exact: the stored value
    }
  });

  test('repeated increments accumulate as Redis does', async () => {
    for (let i = 0; i < 30; i++) await p.exact('INCRBYFLOAT', 'acc', '0.1');          // exact
    for (let i = 0; i < 20; i++) await p.exact('INCRBYFLOAT', 'acc', '-0.35');        // exact
    for (let i = 0; i < 20; i++) await p.exact('INCRBYFLOAT', 'mul', '1.0000001e15'); // exact
    await p.exact('GET', 'acc');                                        // exact
    await p.exact('INCRBY', 'acc', '1');                                // exact: a float is no integer
    await p.exact('SET', 'i', '10');                                    // exact
    await p.exact('INCRBYFLOAT', 'i', '5');                             // exact: integer result
    await p.exact('INCR', 'i');                                         // exact: still an integer string
    await p.exact('INCRBYFLOAT', 'i', '1.5');                           // exact
    await p.exact('INCR', 'i');                                         // exact: not any more
  });

  test('TTL kept, arity, wrong type', async () => {
    await p.exact('SET', 't', '1', 'EX', '100');                        // exact
    await p.exact('INCRBYFLOAT', 't', '1.5');                           // exact
    await p.ttl(200, 'PTTL', 't');                                      // ttl: within 200 ms, kept
    await p.exact('INCRBYFLOAT', 't');                                  // exact: arity
    await p.exact('INCRBYFLOAT', 't', '1', '2');                        // exact: arity
    await makeList('list');
    await p.exact('INCRBYFLOAT', 'list', '1');                          // exact: WRONGTYPE
    await p.exact('INCRBYFLOAT', 'list', 'x');                          // exact: WRONGTYPE before parsing
  });

  test('seeded random operands', async () => {
    let seed = 20240611;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const digits = (n: number): string => {
      let s = '';
      for (let i = 0; i < n; i++) s += String(rand(10));
      return s;
    };
    const operand = (): string => {
      const sign = ['', '-', '+', ''][rand(4)]!;
      switch (rand(6)) {
        case 0: return sign + digits(1 + rand(19));
        case 1: return sign + digits(rand(6)) + '.' + digits(1 + rand(22));
        case 2: return sign + digits(1 + rand(4)) + 'e' + ['', '-', '+'][rand(3)] + String(rand(60));
        case 3: return sign + '0x' + rand(0xffffff).toString(16) + '.' + rand(0xfff).toString(16) + 'p' + String(rand(80) - 40);
        case 4: return sign + '0.' + '0'.repeat(rand(20)) + digits(1 + rand(20));
        default: return sign + digits(1 + rand(3)) + 'e' + String(4900 + rand(40));
      }
    };
    for (let i = 0; i < 300; i++) {
      await p.exact('SET', 'r', operand());                             // exact
      await p.exact('INCRBYFLOAT', 'r', operand());                     // exact
      await p.exact('GET', 'r');                                        // exact
    }
  });
});

describe('GETRANGE', () => {
  test('indexes', async () => {
    await p.exact('SET', 'k', 'Hello, World');                          // exact
    const ranges: [string, string][] = [
      ['0', '4'], ['0', '0'], ['0', '-1'], ['-1', '-1'], ['-5', '-1'], ['-1', '-5'], ['-100', '-1'],
      ['-100', '-99'], ['-100', '100'], ['5', '3'], ['0', '100'], ['11', '11'], ['12', '12'], ['12', '-1'],
      ['100', '200'], ['-3', '100'], ['3', '-3'], ['-12', '-12'], ['-13', '-12'], ['0', '-13'], ['0', '-12'],
      ['9223372036854775807', '9223372036854775807'], ['-9223372036854775808', '9223372036854775807'],
      ['-9223372036854775808', '-9223372036854775808'], ['-9223372036854775807', '-9223372036854775808'],
      ['-9223372036854775808', '-9223372036854775807'], ['9007199254740993', '9007199254740992'],
      ['-9007199254740993', '-9007199254740992'], ['-9007199254740992', '-9007199254740993'],
      ['1', '9223372036854775807'], ['-9223372036854775808', '0'],
    ];
    for (const [start, end] of ranges) {
      await p.exact('GETRANGE', 'k', start, end);                       // exact
    }
  });

  test('empty and missing strings, errors', async () => {
    await p.exact('GETRANGE', 'missing', '0', '-1');                    // exact: empty bulk
    await p.exact('GETRANGE', 'missing', '5', '1');                     // exact
    await p.exact('SET', 'e', '');                                      // exact
    await p.exact('GETRANGE', 'e', '0', '-1');                          // exact
    await p.exact('GETRANGE', 'e', '0', '0');                           // exact
    await p.exact('GETRANGE', 'e', '-1', '0');                          // exact
    await p.exact('SET', 'b', '\0\r\n\xff');                            // exact
    await p.exact('GETRANGE', 'b', '1', '2');                           // exact: binary
    await p.exact('SET', 'n', '12345');                                 // exact
    await p.exact('GETRANGE', 'n', '1', '-2');                          // exact: integer value
    const long = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff));
    await p.exact('SET', 'long', long);                                 // exact
    await p.exact('GETRANGE', 'long', '17', '-40');                     // exact: a long binary range
    await p.exact('GETRANGE', 'long', '-3', '-1');                      // exact: a short one at the end
    await p.exact('GETBIT', 'long', '2399');                            // exact: the last bit
    await p.exact('STRLEN', 'long');                                    // exact
    await p.exact('GETDEL', 'long');                                    // exact: the whole value
    await p.exact('GETRANGE', 'k', 'x', '1');                           // exact: not an integer
    await p.exact('GETRANGE', 'k', '0', '1.5');                         // exact
    await p.exact('GETRANGE', 'k', '9223372036854775808', '1');         // exact
    await p.exact('GETRANGE', 'missing', 'x', '1');                     // exact: checked before the key
    await p.exact('GETRANGE', 'k', '0');                                // exact: arity
    await makeList('list');
    await p.exact('GETRANGE', 'list', '0', '-1');                       // exact: WRONGTYPE
    await p.exact('GETRANGE', 'list', 'x', '-1');                       // exact: integers first
  });
});

describe('SETRANGE', () => {
  test('overwrite, extend, pad', async () => {
    await p.exact('SET', 'k', 'Hello World');                           // exact
    await p.exact('SETRANGE', 'k', '6', 'Redis');                       // exact
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SETRANGE', 'k', '0', 'J');                           // exact
    await p.exact('SETRANGE', 'k', '11', '!');                          // exact: at the end
    await p.exact('SETRANGE', 'k', '15', '?');                          // exact: zero padding
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SETRANGE', 'k', '2', 'a longer value than the rest'); // exact: extends
    await p.exact('GET', 'k');                                          // exact
    await p.exact('SETRANGE', 'k', '3', '');                            // exact: empty: length
    await p.exact('SETRANGE', 'k', '99999999999', '');                  // exact: empty: no limit check
    await p.exact('SETRANGE', 'new', '5', 'x');                         // exact: creates, padded
    await p.exact('GET', 'new');                                        // exact
    await p.exact('SETRANGE', 'new2', '0', '\0\xff');                   // exact
    await p.exact('GET', 'new2');                                       // exact
    await p.exact('SETRANGE', 'none', '0', '');                         // exact: 0, no key
    await p.exact('SETRANGE', 'none', '10', '');                        // exact
    await p.exact('GET', 'none');                                       // exact: still missing
    await p.exact('SET', 'n', '12345');                                 // exact
    await p.exact('SETRANGE', 'n', '1', 'x');                           // exact: on an integer
    await p.exact('GET', 'n');                                          // exact
    await p.exact('SET', 't', 'v', 'EX', '100');                        // exact
    await p.exact('SETRANGE', 't', '1', 'w');                           // exact
    await p.ttl(200, 'PTTL', 't');                                      // ttl: within 200 ms, kept
  });

  test('errors and limits', async () => {
    await p.exact('SET', 'k', 'v');                                     // exact
    await p.exact('SETRANGE', 'k', '-1', 'x');                          // exact: offset is out of range
    await p.exact('SETRANGE', 'k', '-1', '');                           // exact
    await p.exact('SETRANGE', 'none', '-1', '');                        // exact
    await p.exact('SETRANGE', 'k', '-9223372036854775808', 'x');        // exact
    await p.exact('SETRANGE', 'k', 'x', 'x');                           // exact: not an integer
    await p.exact('SETRANGE', 'k', '1.5', 'x');                         // exact
    await p.exact('SETRANGE', 'k', '9223372036854775808', 'x');         // exact
    await p.exact('SETRANGE', 'k', '536870912', 'x');                   // exact: beyond 512mb
    await p.exact('SETRANGE', 'k', '536870911', 'xy');                  // exact
    await p.exact('SETRANGE', 'none', '536870912', 'x');                // exact
    await p.exact('SETRANGE', 'k', '9223372036854775807', 'x');         // exact: offset + length overflows
    await p.exact('SETRANGE', 'none', '9223372036854775807', 'x');      // exact
    await p.exact('GET', 'none');                                       // exact
    await p.exact('SETRANGE', 'k', '1');                                // exact: arity
    await makeList('list');
    await p.exact('SETRANGE', 'list', '0', 'x');                        // exact: WRONGTYPE
    await p.exact('SETRANGE', 'list', '0', '');                         // exact: WRONGTYPE before empty check
    await p.exact('SETRANGE', 'list', '-1', 'x');                       // exact: offset checked first
  });
});

describe('keys past their deadline count as absent', () => {
  test('every command', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'];
    for (const k of keys) await p.exact('SET', k, '5', 'PX', '1');     // exact
    await new Promise((resolve) => setTimeout(resolve, 20));            // both deadlines pass
    await p.exact('GET', 'a');                                          // exact: null
    await p.exact('SET', 'b', 'v', 'XX');                               // exact: null
    await p.exact('SET', 'c', 'v', 'NX', 'GET');                        // exact: null, set
    await p.exact('GET', 'c');                                          // exact
    await p.exact('SETNX', 'd', 'v');                                   // exact: 1
    await p.exact('INCR', 'e');                                         // exact: 1, not 6
    await p.exact('APPEND', 'f', 'x');                                  // exact: 1
    await p.exact('SETRANGE', 'g', '1', 'x');                           // exact: 2
    await p.exact('GETRANGE', 'g', '0', '-1');                          // exact
    await p.exact('MGET', 'h', 'i');                                    // exact: nulls
    await p.exact('MSETNX', 'h', '1', 'i', '2');                        // exact: 1
    await p.exact('GETEX', 'j', 'PERSIST');                             // exact: null
    await p.exact('INCRBYFLOAT', 'k', '0.5');                           // exact: 0.5
    await p.exact('STRLEN', 'a');                                       // exact: 0
    await p.exact('GETDEL', 'a');                                       // exact: null
  });
});

describe('numbered databases', () => {
  test('string commands act on the selected database', async () => {
    await p.exact('SET', 'k', 'zero');                                  // exact
    await p.exact('SELECT', '1');                                       // exact
    await p.exact('GET', 'k');                                          // exact: null
    await p.exact('SET', 'k', 'one');                                   // exact
    await p.exact('INCRBY', 'n', '10');                                 // exact
    await p.exact('MSETNX', 'k', 'x', 'm', 'y');                        // exact: 0
    await p.exact('MGET', 'k', 'n', 'm');                               // exact
    await p.exact('SELECT', '0');                                       // exact
    await p.exact('MGET', 'k', 'n', 'm');                               // exact
    await p.exact('APPEND', 'k', '!');                                  // exact
    await p.exact('SELECT', '1');                                       // exact
    await p.exact('GET', 'k');                                          // exact
  });
});

describe('command names and options in any case', () => {
  test('mixed case', async () => {
    await p.exact('sEt', 'k', '1', 'eX', '100', 'gEt');                 // exact
    await p.exact('InCrBy', 'k', '2');                                  // exact
    await p.exact('incrbyFLOAT', 'k', '0.5');                           // exact
    await p.exact('GetEx', 'k', 'pErSiSt');                             // exact
    await p.exact('mGeT', 'k');                                         // exact
    await p.exact('SETrange', 'k', '0', 'x');                           // exact
    await p.exact('getRANGE', 'k', '0', '-1');                          // exact
    await p.exact('sTrLeN', 'k');                                       // exact
    await p.exact('gEtDeL', 'k');                                       // exact
  });
});

describe('keyspace events', () => {
  /** A subscriber on each server to every keyevent channel and to 'sync'. */
  let sub: [RawClient, RawClient];

  beforeEach(async () => {
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', 'AEn');  // exact
    sub = await p.connect();
    for (const c of sub) {
      await c.call('PSUBSCRIBE', '__keyevent@*__:*');
      await c.call('SUBSCRIBE', 'sync');
    }
  });

  afterEach(async () => {
    await p.exact('CONFIG', 'SET', 'notify-keyspace-events', '');     // exact
  });

  /** The events c received since the last 'sync' message, as [db, event, key]. */
  async function eventsOn(c: RawClient): Promise<[number, string, string][]> {
    const events: [number, string, string][] = [];
    for (;;) {
      const r = await c.readReply();
      if (r.type !== 'array') throw new Error('unexpected reply');
      const parts = r.value.map((x) => (x.type === 'bulk' ? x.value.toString('latin1') : ''));
      if (parts[0] === 'message' && parts[1] === 'sync') return events;
      const m = /^__keyevent@(\d+)__:(.*)$/.exec(parts[2]!)!;
      events.push([Number(m[1]), m[2]!, parts[3]!]);
    }
  }

  /** Both servers published the same events, in the same order (ended by a 'sync' message). */
  async function sameEvents(): Promise<void> {
    await p.exact('PUBLISH', 'sync', 'x');                            // exact: 1 receiver
    const expected = await eventsOn(sub[0]);
    expect(await eventsOn(sub[1]), 'keyspace events').toEqual(expected);
  }

  test('each command fires the events Redis fires', async () => {
    await p.exact('SET', 'k', 'v');                                     // exact
    await p.exact('SET', 'k', 'v', 'EX', '100');                        // exact
    await p.exact('SET', 'k', 'v', 'NX');                               // exact: nothing
    await p.exact('SET', 'k', 'v', 'XX', 'KEEPTTL', 'GET');             // exact
    await p.exact('SET', 'k', 'v', 'EX', '0');                          // exact: error: nothing
    await sameEvents();                                                 // events: set, expire, new
    await p.exact('SETNX', 'k', 'v');                                   // exact
    await p.exact('SETNX', 'n', 'v');                                   // exact
    await p.exact('SETEX', 'n', '100', 'v');                            // exact
    await p.exact('PSETEX', 'n2', '100000', 'v');                       // exact
    await p.exact('GETSET', 'n', 'w');                                  // exact
    await sameEvents();                                                 // events
    await p.exact('GETEX', 'n', 'EX', '100');                           // exact: expire
    await p.exact('GETEX', 'n', 'PERSIST');                             // exact: persist
    await p.exact('GETEX', 'n', 'PERSIST');                             // exact: no TTL: nothing
    await p.exact('GETEX', 'n');                                        // exact: nothing
    await p.exact('GETEX', 'n', 'EXAT', '1');                           // exact: del
    await p.exact('GETEX', 'missing', 'EX', '10');                      // exact: nothing
    await p.exact('GETDEL', 'n2');                                      // exact: del
    await p.exact('GETDEL', 'n2');                                      // exact: nothing
    await sameEvents();                                                 // events
    await p.exact('MSET', 'a', '1', 'b', '2', 'a', '3');                // exact
    await p.exact('MSETNX', 'a', '1', 'c', '2');                        // exact: nothing
    await p.exact('MSETNX', 'c', '1', 'd', '2');                        // exact
    await p.exact('APPEND', 'a', 'x');                                  // exact
    await p.exact('APPEND', 'e', 'x');                                  // exact: new, append
    await p.exact('APPEND', 'e', '');                                   // exact: still an event
    await sameEvents();                                                 // events
    await p.exact('INCR', 'i');                                         // exact: new, incrby
    await p.exact('DECR', 'i');                                         // exact: incrby
    await p.exact('INCRBY', 'i', '5');                                  // exact
    await p.exact('DECRBY', 'i', '5');                                  // exact
    await p.exact('INCRBY', 'a', '1');                                  // exact: error: nothing
    await p.exact('INCRBYFLOAT', 'f', '1.5');                           // exact: new, incrbyfloat
    await p.exact('INCRBYFLOAT', 'f', 'inf');                           // exact: error: nothing
    await sameEvents();                                                 // events
    await p.exact('SETRANGE', 's', '2', 'x');                           // exact: new, setrange
    await p.exact('SETRANGE', 's', '0', '');                            // exact: nothing
    await p.exact('SETRANGE', 'none', '0', '');                         // exact: nothing
    await p.exact('SETRANGE', 's', '0', 'y');                           // exact
    await p.exact('GET', 's');                                          // exact: nothing
    await p.exact('MGET', 's', 'a');                                    // exact: nothing
    await p.exact('STRLEN', 's');                                       // exact: nothing
    await p.exact('GETRANGE', 's', '0', '1');                           // exact: nothing
    await sameEvents();                                                 // events
    await p.exact('SELECT', '9');                                       // exact
    await p.exact('SET', 'k9', 'v', 'PX', '100000');                    // exact
    await p.exact('INCR', 'c9');                                        // exact
    await sameEvents();                                                 // events: in db 9
  });
});

describe('proto-max-bulk-len', () => {
  const small = pairSuite({ lapse: { 'proto-max-bulk-len': '1mb' }, redis: ['--proto-max-bulk-len', '1mb'], reset: false });

  test('APPEND and SETRANGE stop at the limit', async () => {
    const mb = 1024 * 1024;
    await small.exact('SET', 'k', 'x'.repeat(mb - 10));                 // exact
    await small.exact('APPEND', 'k', 'y'.repeat(10));                   // exact: exactly the limit
    await small.exact('APPEND', 'k', 'z');                              // exact: one byte over
    await small.exact('STRLEN', 'k');                                   // exact
    await small.exact('SETRANGE', 'k', String(mb - 1), 'a');            // exact: within
    await small.exact('SETRANGE', 'k', String(mb - 1), 'ab');           // exact: over
    await small.exact('SETRANGE', 'new', String(mb), 'a');              // exact: over, missing key
    await small.exact('SETRANGE', 'new', String(mb - 1), 'a');          // exact: within
    await small.exact('STRLEN', 'new');                                 // exact
    await small.exact('GETRANGE', 'new', '-3', '-1');                   // exact: padding and the byte
    await small.exact('SETRANGE', 'k', String(10 * mb), '');            // exact: empty: no check
    await small.exact('APPEND', 'fresh', '');                           // exact
  });
});

describe('expire times beyond 2^53 ms', () => {
  test('SET and GETEX keep them exactly, KEEPTTL too', async () => {
    await p.exact('SET', 'far', 'v', 'PXAT', '9223372036854775807');                 // exact
    await p.exact('PEXPIRETIME', 'far');                                                // exact
    await p.exact('SET', 'far', 'w', 'KEEPTTL');                                        // exact
    await p.exact('PEXPIRETIME', 'far');                                                // exact
    await p.exact('SET', 'far2', 'v', 'EXAT', '9223372036854775');                      // exact
    await p.exact('EXPIRETIME', 'far2');                                                // exact
    await p.exact('PEXPIRETIME', 'far2');                                               // exact
    await p.exact('GETEX', 'far2', 'PXAT', '9007199254740993');                         // exact
    await p.exact('PEXPIRETIME', 'far2');                                               // exact
  });
});
