import { describe, expect, test } from 'vitest';
import { pairSuite } from './harness.js';
import { EventRecorder } from '../helpers/keyspace-events.js';
import type { RawClient } from '../helpers/raw-client.js';
import { decodeReply } from '../helpers/resp.js';

const TTL_S = 1; // tolerance for TTL after a relative EXPIRE: 1 s

// Redis publishes keyevent notifications for generic (g), expired (x) and new-key (n)
// events, so the event test below can compare them with lapse's.
const p = pairSuite({ redis: ['--notify-keyspace-events', 'Egxn'] });

/** Sends the same commands to both servers, comparing each reply exactly. */
async function setup(...commands: (string | Buffer)[][]): Promise<void> {
  await p.run(commands);
}

/**
 * Runs a SCAN iteration to its end on one server and returns the keys, sorted. On lapse
 * (`strict`) a key returned twice fails the test: lapse promises no duplicates.
 */
async function fullScan(client: RawClient, options: string[], strict: boolean): Promise<string[]> {
  const seen = new Set<string>();
  let cursor = '0';
  for (let calls = 0; ; calls++) {
    expect(calls, 'SCAN iteration does not end').toBeLessThan(100_000);
    const reply = decodeReply(await client.call('SCAN', cursor, ...options))!.reply;
    if (reply.type !== 'array') throw new Error(`SCAN replied ${JSON.stringify(reply)}`);
    const [next, batch] = reply.value;
    if (next!.type !== 'bulk' || batch!.type !== 'array') throw new Error('bad SCAN reply shape');
    for (const k of batch.value) {
      if (k.type !== 'bulk') throw new Error('SCAN key is not a bulk string');
      const key = k.value.toString('latin1');
      if (strict) expect(seen.has(key), `lapse returned ${JSON.stringify(key)} twice`).toBe(false);
      seen.add(key);
    }
    cursor = next.value.toString('latin1');
    if (cursor === '0') break;
  }
  return [...seen].sort();
}

/** A whole SCAN iteration on both servers returns the same set of keys. */
async function scanSet(...options: string[]): Promise<string[]> {
  const a = await fullScan(p.r, options, false);
  const b = await fullScan(p.l, options, true);
  expect(b, `scan set: SCAN ${options.join(' ')}`).toEqual(a);
  return a;
}

describe('DEL UNLINK EXISTS TOUCH TYPE', () => {
  test('DEL and UNLINK', async () => {
    await setup(['SET', 'a', '1'], ['SET', 'b', '2'], ['SET', 'c', '3']);
    await p.exact('DEL', 'missing');                                // exact: 0
    await p.exact('DEL', 'a');                                      // exact: 1
    await p.exact('DEL', 'a');                                      // exact: already gone
    await p.exact('DEL', 'b', 'c', 'x', 'b');                       // exact: duplicates counted once
    await p.exact('GET', 'b');                                      // exact
    await setup(['SET', 'a', '1'], ['SET', 'b', '2']);
    await p.exact('UNLINK', 'a', 'b', 'z');                         // exact: 2
    await p.exact('UNLINK', 'a');                                   // exact: 0
    await p.exact('DEL');                                           // exact: arity
    await p.exact('UNLINK');                                        // exact: arity
    await setup(['SET', 'bin\0\r\n\xff', 'v'], ['SET', '', 'empty']);
    await p.exact('DEL', 'bin\0\r\n');                              // exact: a prefix is another key
    await p.exact('DEL', 'bin\0\r\n\xff', '');                      // exact: binary and empty keys
    await p.exact('DBSIZE');                                        // exact
  });

  test('EXISTS and TOUCH count keys, duplicates included', async () => {
    await setup(['SET', 'k', 'v'], ['SET', 'k2', 'v']);
    await p.exact('EXISTS', 'k');                                   // exact: 1
    await p.exact('EXISTS', 'nope');                                // exact: 0
    await p.exact('EXISTS', 'k', 'k');                              // exact: 2
    await p.exact('EXISTS', 'k', 'k2', 'nope', 'k', 'K');           // exact: 3, case-sensitive keys
    await p.exact('EXISTS');                                        // exact: arity
    await p.exact('TOUCH', 'k');                                    // exact: 1
    await p.exact('TOUCH', 'k', 'k', 'nope');                       // exact: 2
    await p.exact('TOUCH', 'nope');                                 // exact: 0
    await p.exact('TOUCH');                                         // exact: arity
    await p.exact('EXISTS', '');                                    // exact: the empty key
    await setup(['SET', '', 'x']);
    await p.exact('EXISTS', '', '');                                // exact
  });

  test('TYPE', async () => {
    await setup(['SET', 'k', 'v']);
    await p.exact('TYPE', 'k');                                     // exact: +string
    await p.exact('TYPE', 'missing');                               // exact: +none
    await p.exact('TYPE');                                          // exact: arity
    await p.exact('TYPE', 'k', 'extra');                            // exact: arity
    await p.exact('type', '\0');                                    // exact
  });
});

describe('RENAME RENAMENX', () => {
  test('missing source, same key, overwrite', async () => {
    await p.exact('RENAME', 'a', 'b');                              // exact: no such key
    await p.exact('RENAMENX', 'a', 'b');                            // exact: no such key
    await p.exact('RENAME', 'a', 'a');                              // exact: no such key even if same
    await p.exact('RENAMENX', 'a', 'a');                            // exact: no such key
    await setup(['SET', 'a', '1']);
    await p.exact('RENAME', 'a', 'a');                              // exact: OK
    await p.exact('RENAMENX', 'a', 'a');                            // exact: 0
    await p.exact('GET', 'a');                                      // exact: untouched
    await p.exact('RENAME', 'a', 'b');                              // exact: OK
    await p.exact('GET', 'a');                                      // exact: nil
    await p.exact('GET', 'b');                                      // exact: 1
    await setup(['SET', 'c', '3']);
    await p.exact('RENAMENX', 'b', 'c');                            // exact: 0, c exists
    await p.exact('GET', 'b');                                      // exact: still there
    await p.exact('RENAMENX', 'b', 'd');                            // exact: 1
    await p.exact('RENAME', 'd', 'c');                              // exact: overwrites
    await p.exact('GET', 'c');                                      // exact: 1
    await p.exact('EXISTS', 'b', 'd');                              // exact: 0
    await p.exact('RENAME', 'c');                                   // exact: arity
    await p.exact('RENAMENX', 'c', 'd', 'e');                       // exact: arity
    await setup(['SET', 'x\0y', 'bin']);
    await p.exact('RENAME', 'x\0y', 'x\0z');                        // exact: binary names
    await p.exact('GET', 'x\0z');                                   // exact
    await p.exact('RENAME', 'x\0z', '');                            // exact: to the empty key
    await p.exact('GET', '');                                       // exact
    await p.exact('DBSIZE');                                        // exact
  });

  test('the TTL moves with the value', async () => {
    await setup(['SET', 'a', '1'], ['PEXPIREAT', 'a', '4102444800123']);
    await p.exact('RENAME', 'a', 'b');                              // exact
    await p.exact('PEXPIRETIME', 'b');                              // exact: same absolute time
    await setup(['SET', 'c', 'persistent']);
    await p.exact('RENAME', 'b', 'c');                              // exact: replaces c
    await p.exact('PEXPIRETIME', 'c');                              // exact: c takes b's TTL
    await setup(['SET', 'd', 'v'], ['EXPIRE', 'c', '100']);
    await p.exact('RENAME', 'd', 'c');                              // exact: persistent over volatile
    await p.exact('TTL', 'c');                                      // exact: -1
    await setup(['EXPIRE', 'c', '100']);
    await p.exact('RENAMENX', 'c', 'e');                            // exact: 1
    await p.ttl(1, 'TTL', 'e');                                     // ttl: within 1 s
    await p.exact('TTL', 'c');                                      // exact: -2
  });

  test('an expired destination counts as absent', async () => {
    await setup(['SET', 'a', '1'], ['SET', 'b', '2'], ['PEXPIRE', 'b', '20']);
    await sleep(60);
    await p.exact('RENAMENX', 'a', 'b');                            // exact: 1
    await p.exact('GET', 'b');                                      // exact: 1
    await setup(['SET', 'c', '3'], ['PEXPIRE', 'c', '20']);
    await sleep(60);
    await p.exact('RENAME', 'c', 'd');                              // exact: expired source
  });
});

describe('numbered databases', () => {
  test('every key command works on the selected database only', async () => {
    await setup(['SET', 'k', 'db0'], ['SELECT', '9'], ['SET', 'k', 'db9'], ['SET', 'j', 'db9']);
    await p.exact('EXISTS', 'k', 'j');                              // exact: 2
    await p.sorted('KEYS', '*');                                    // sorted
    await p.sorted('SCAN', '0');                                    // sorted
    await p.exact('RENAME', 'j', 'k');                              // exact
    await p.exact('GET', 'k');                                      // exact: db9
    await p.exact('EXPIRE', 'k', '100');                            // exact
    await p.exact('DBSIZE');                                        // exact: 1
    await p.exact('RANDOMKEY');                                     // exact: k
    await setup(['SELECT', '0']);
    await p.exact('GET', 'k');                                      // exact: db0
    await p.exact('TTL', 'k');                                      // exact: -1
    await p.exact('TYPE', 'j');                                     // exact: none
    await p.exact('DEL', 'k');                                      // exact: 1
    await p.exact('RANDOMKEY');                                     // exact: nil
    await setup(['SELECT', '9']);
    await p.ttl(TTL_S, 'TTL', 'k');                                 // ttl: within 1 s
    await p.exact('FLUSHDB');                                       // exact
    await p.exact('DBSIZE');                                        // exact: 0
  });

  test('expired keys count as absent for EXISTS, TOUCH, TYPE, DEL', async () => {
    await setup(['SET', 'a', '1'], ['SET', 'b', '2'], ['PEXPIRE', 'a', '20']);
    await sleep(60);
    await p.exact('EXISTS', 'a', 'b', 'a');                         // exact: 1
    await setup(['SET', 'c', '3'], ['PEXPIRE', 'c', '20']);
    await sleep(60);
    await p.exact('TOUCH', 'c', 'b');                               // exact: 1
    await setup(['SET', 'd', '4'], ['PEXPIRE', 'd', '20']);
    await sleep(60);
    await p.exact('DEL', 'd', 'b');                                 // exact: 1
    await p.exact('UNLINK', 'd');                                   // exact: 0
    await p.exact('DBSIZE');                                        // exact: 0 (all touched)
  });

  test('DEL with many keys', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `many:${i}`);
    for (const k of keys.slice(0, 200)) await p.exact('SET', k, 'v'); // exact
    await p.exact('EXISTS', ...keys);                               // exact: 200
    await p.exact('DEL', ...keys, ...keys);                         // exact: 200
    await p.exact('DBSIZE');                                        // exact: 0
  });
});

describe('RANDOMKEY DBSIZE FLUSHDB FLUSHALL', () => {
  test('RANDOMKEY', async () => {
    await p.exact('RANDOMKEY');                                     // exact: nil on empty
    await setup(['SET', 'only\r\n', 'v']);
    await p.exact('RANDOMKEY');                                     // exact: the only key
    await p.exact('RANDOMKEY', 'x');                                // exact: arity
    await setup(['SET', 'a', '1'], ['SET', 'b', '2'], ['SET', 'c', '3']);
    const keys = new Set(['only\r\n', 'a', 'b', 'c']);
    for (let i = 0; i < 20; i++) {
      const [, l] = await p.both(['RANDOMKEY']);
      const r = decodeReply(l)!.reply;
      expect(r.type === 'bulk' && keys.has(r.value.toString('latin1'))).toBe(true);
    }
    await setup(['DEL', 'a', 'b', 'c', 'only\r\n']);
    await p.exact('RANDOMKEY');                                     // exact: nil again
  });

  test('DBSIZE per database', async () => {
    await p.exact('DBSIZE');                                        // exact: 0
    await setup(['SET', 'a', '1'], ['SET', 'b', '2']);
    await p.exact('DBSIZE');                                        // exact: 2
    await setup(['SELECT', '3'], ['SET', 'a', '1']);
    await p.exact('DBSIZE');                                        // exact: 1
    await setup(['SELECT', '0']);
    await p.exact('DBSIZE', 'x');                                   // exact: arity
  });

  test('FLUSHDB and FLUSHALL arguments and scope', async () => {
    await setup(['SET', 'a', '1'], ['SELECT', '1'], ['SET', 'b', '2'], ['SET', 'c', '3']);
    await p.exact('FLUSHDB', 'foo');                                // exact: syntax error
    await p.exact('FLUSHDB', 'sync', 'async');                      // exact: syntax error
    await p.exact('FLUSHDB', 'ASYNC', 'ASYNC');                     // exact: syntax error
    await p.exact('FLUSHDB', '');                                   // exact: syntax error
    await p.exact('DBSIZE');                                        // exact: nothing flushed
    await p.exact('FLUSHDB');                                       // exact: OK
    await p.exact('DBSIZE');                                        // exact: 0
    await setup(['SELECT', '0']);
    await p.exact('DBSIZE');                                        // exact: db 0 untouched
    await p.exact('FLUSHDB', 'SyNc');                               // exact: case-insensitive
    await setup(['SET', 'a', '1'], ['SELECT', '2'], ['SET', 'b', '2']);
    await p.exact('FLUSHALL', 'foo');                               // exact: syntax error
    await p.exact('FLUSHALL', 'sync', 'x');                         // exact: syntax error
    await p.exact('FLUSHALL', 'syncx');                             // exact: syntax error
    await p.exact('FLUSHALL', 'async\0x');                          // exact: C compares up to NUL
    await p.exact('DBSIZE');                                        // exact: 0
    await setup(['SELECT', '0']);
    await p.exact('DBSIZE');                                        // exact: 0 everywhere
    await setup(['SET', 'a', '1'], ['EXPIRE', 'a', '100']);
    await p.exact('FLUSHALL', 'ASYNC');                             // exact
    await p.exact('TTL', 'a');                                      // exact: -2
    await p.exact('FLUSHALL', 'sync');                              // exact: on an empty server
    await p.exact('FLUSHDB', 'async');                              // exact
  });
});

// Keys chosen to exercise every corner of stringmatchlen: metacharacters as literals,
// bytes >= 0x80 (signed char in ranges), NUL, CR/LF, the empty key, case.
const GLOB_KEYS = [
  'a', 'b', 'c', 'A', 'B', 'ab', 'abc', 'abd', 'aXc', 'ac', 'ABC', 'aaa', 'aaaaaaaaab',
  'a*c', 'a?c', 'a\\c', 'a[c', 'a]c', 'a-c', 'a^c', 'a!c',
  '[', ']', '*', '?', '\\', '-', '^', '[]', '[abc]',
  'hello', 'hallo', 'hxllo', 'heeeello', 'hllo', 'h]llo', 'h-llo', 'h\\llo',
  'foo:bar', 'foo:baz:1', 'foo:', 'user:1000', 'user:2', 'user:',
  '', '\0', 'a\0b', '\x7f', '\x80', '\xff', '\xfe', 'x\x80y', 'x\xc0y', 'x\xffy', 'x\x7fy', 'x\0y',
  '\xe9t\xe9', '\r\n', ' ', 'a b',
];

const GLOB_PATTERNS = [
  // stars and question marks
  '*', '', '?', '??', '???', 'a*', '*c', 'a*c', '*a*', '**', '***', 'a**c', '*?', '?*', '*?*',
  'a?c', 'h?llo', 'h*llo', 'h**llo', '*llo', '?ello', 'a*b', '*a*a*a*b', 'a*a*a*a*a*a*a*b',
  'a*a', '*b', 'user:*', 'user:?', 'user:????', 'foo:*', 'foo:*:?', '*:*', '*:', ':*',
  // escapes
  '\\*', '\\?', '\\[', '\\]', '\\\\', 'a\\*c', 'a\\?c', 'a\\[c', 'a\\\\c', 'a\\c', '\\a\\b\\c',
  'h\\ello', '\\', 'a\\', '*\\', '?\\', '\\*\\*', 'a\\**', '*\\*',
  // classes
  'h[ae]llo', 'h[^e]llo', 'h[a-b]llo', 'h[b-a]llo', 'h[a-a]llo', 'h[]llo', 'h[]]llo', 'h[]e]llo',
  '[abc]', '[^abc]', '[^a]', '[a-c]', '[c-a]', '[A-Z]', '[a-z]', '[A-z]', '[z-A]',
  '[]', '[]]', '[]a]', '[^]', '[^]]', '[!a]', '[[]', '[*]', '[?]', '[-]', '[a-]', '[-a]', '[a-c-e]',
  '[\\]]', '[\\-]', '[a\\-c]', '[\\^]', '[\\\\]', '[\\a-c]', 'a[*?]c', 'a[\\]]c', 'a[]-]c',
  '[abc', 'a[abc', 'h[ae', '[', 'a[', '[^', 'a[^', '[a-', '[a-c', '[\\', '[a\\', '\\[abc]', 'h[e-',
  // bytes >= 0x80: range bounds compare as signed char
  '[\x80-\xff]', '[\xff-\x80]', 'x[\x80-\xff]y', 'x[\x00-\x7f]y', 'x[\x7f-\x80]y', 'x[\x80-\x7f]y',
  '[a-\xff]', '[\xff-a]', '[\x00-\xff]', '[\xff-\x00]', '?[\xc0]?', 'x[^\x80]y', '*\x80*', '*\xff',
  '\xe9*', '*\xe9', '[\xe9]t[\xe9]', '[\xe0-\xef]t?',
  // NUL, CR, LF, space
  '?\0?', 'a\0*', '\0', '[\0]', '*\0*', 'x[\0-a]y', '\r\n', '?\n', '* *', '[ ]', 'a?b',
];

describe('KEYS: glob matching as Redis stringmatchlen', () => {
  test('every pattern over a fixed key set', async () => {
    for (const key of GLOB_KEYS) await p.exact('SET', key, 'v');    // exact
    for (const pattern of GLOB_PATTERNS) await p.sorted('KEYS', pattern); // sorted: KEYS order is unspecified
  });

  test('case matters, * matches the empty key, ** does not', async () => {
    await setup(['SET', 'Key', '1'], ['SET', 'key', '2'], ['SET', '', 'empty']);
    await p.sorted('KEYS', '*');                                    // sorted: includes ''
    await p.sorted('KEYS', '**');                                   // sorted: '' not matched
    await p.sorted('KEYS', '');                                     // sorted: only ''
    await p.sorted('KEYS', 'k*');                                   // sorted: not Key
    await p.sorted('KEYS', 'K*');                                   // sorted
    await p.sorted('KEYS', '[k]ey');                                // sorted
    await p.exact('KEYS');                                          // exact: arity
    await p.exact('KEYS', '*', 'x');                                // exact: arity
  });

  test('abusive patterns stay fast and agree', async () => {
    await setup(['SET', 'a'.repeat(300), 'v'], ['SET', 'a'.repeat(60) + 'b', 'v']);
    await p.sorted('KEYS', '*a'.repeat(40) + '*b');                 // sorted
    await p.sorted('KEYS', 'a*'.repeat(40) + 'c');                  // sorted
    await p.sorted('KEYS', '*'.repeat(2000) + 'b');                 // sorted: star runs collapse
    await p.sorted('KEYS', '?*'.repeat(1100) + 'b');                // sorted: longer than any key
    await setup(['SET', 'a'.repeat(1200) + 'b', 'v']);
    await p.sorted('KEYS', 'a*'.repeat(1000) + 'b');                // sorted: 1000 nested stars match
    await p.sorted('KEYS', 'a*'.repeat(1001) + 'b');                // sorted: 1001 exceed Redis's limit
  });

  test('expired keys are not listed', async () => {
    await setup(['SET', 'live', '1'], ['SET', 'gone', '2'], ['PEXPIRE', 'gone', '20']);
    await sleep(60);
    await p.sorted('KEYS', '*');                                    // sorted
    await p.sorted('KEYS', 'g*');                                   // sorted
  });
});

describe('SCAN', () => {
  test('cursor and option errors', async () => {
    await p.exact('SCAN', 'abc');                                   // exact: invalid cursor
    await p.exact('SCAN', '1.5');                                   // exact
    await p.exact('SCAN', '0x10');                                  // exact
    await p.exact('SCAN', ' 1');                                    // exact: leading space
    await p.exact('SCAN', '1 ');                                    // exact: trailing space
    await p.exact('SCAN', '\t1');                                   // exact
    await p.exact('SCAN', '-');                                     // exact
    await p.exact('SCAN', '+');                                     // exact
    await p.exact('SCAN', '18446744073709551616');                  // exact: overflow
    await p.exact('SCAN', '-18446744073709551616');                 // exact: overflow
    await p.exact('SCAN', '99999999999999999999999');               // exact
    await p.exact('SCAN', 'abc', 'COUNT', '0');                     // exact: the cursor first
    await p.exact('SCAN', '0', 'COUNT', '0');                       // exact: syntax error
    await p.exact('SCAN', '0', 'COUNT', '-1');                      // exact: syntax error
    await p.exact('SCAN', '0', 'COUNT', 'abc');                     // exact: not an integer
    await p.exact('SCAN', '0', 'COUNT', '1.0');                     // exact
    await p.exact('SCAN', '0', 'COUNT', '9223372036854775808');     // exact: beyond long
    await p.exact('SCAN', '0', 'COUNT', '');                        // exact
    await p.exact('SCAN', '0', 'COUNT');                            // exact: syntax error
    await p.exact('SCAN', '0', 'MATCH');                            // exact
    await p.exact('SCAN', '0', 'TYPE');                             // exact
    await p.exact('SCAN', '0', 'foo');                              // exact
    await p.exact('SCAN', '0', 'foo', 'bar');                       // exact
    await p.exact('SCAN', '0', 'COUNT', 'abc', 'foo');              // exact: COUNT error first
    await p.exact('SCAN', '0', 'foo', 'COUNT', 'abc');              // exact: syntax error first
    await p.exact('SCAN', '0', 'COUNT', '0', 'COUNT', '5');         // exact
    await p.exact('SCAN', '0', 'MATCH', '*', 'COUNT', '-5');        // exact
    await p.exact('SCAN', '0', 'COUNT', '5', 'MATCH');              // exact
    await p.exact('SCAN');                                          // exact: arity
  });

  test('accepted cursors (empty database: every cursor ends at once)', async () => {
    await p.exact('SCAN', '0');                                     // exact
    await p.exact('SCAN', '00');                                    // exact
    await p.exact('SCAN', '+0');                                    // exact
    await p.exact('SCAN', '-0');                                    // exact
    await p.exact('SCAN', '-1');                                    // exact: strtoul wraps
    await p.exact('SCAN', '123');                                   // exact
    await p.exact('SCAN', '18446744073709551615');                  // exact: 2^64-1
    await p.exact('SCAN', '-18446744073709551615');                 // exact
    await p.exact('SCAN', '');                                      // exact: strtoul("") is 0
    await p.exact('SCAN', '0\0junk');                               // exact: C stops at NUL
    await p.exact('SCAN', '\0');                                    // exact
    await p.exact('SCAN', '0', 'COUNT', '9223372036854775807');     // exact
    await p.exact('SCAN', '0', 'count', '1', 'match', 'x', 'type', 'string'); // exact: lowercase
    await p.exact('SCAN', '0', 'COUNT\0x', '1');                    // exact: option up to NUL
  });

  test('one call over a small database', async () => {
    await setup(['SET', 'a', '1'], ['SET', 'b', '2'], ['SET', 'c:1', '3'], ['SET', '', '4']);
    await p.sorted('SCAN', '0');                                    // sorted: cursor 0 and all keys
    await p.sorted('SCAN', '0', 'MATCH', 'c:*');                    // sorted
    await p.sorted('SCAN', '0', 'MATCH', '*');                      // sorted: same as no MATCH
    await p.sorted('SCAN', '0', 'MATCH', '');                       // sorted: only ''
    await p.sorted('SCAN', '0', 'MATCH', 'x', 'MATCH', '?');        // sorted: last MATCH wins
    await p.sorted('SCAN', '0', 'MATCH', '?', 'MATCH', '*');        // sorted
    await p.sorted('SCAN', '0', 'TYPE', 'string');                  // sorted
    await p.sorted('SCAN', '0', 'TYPE', 'STRING');                  // sorted: case-insensitive
    await p.sorted('SCAN', '0', 'TYPE', 'String\0junk');            // sorted: up to NUL
    await p.sorted('SCAN', '0', 'TYPE', 'hash');                    // sorted: none
    await p.sorted('SCAN', '0', 'TYPE', 'none');                    // sorted: none
    await p.sorted('SCAN', '0', 'TYPE', 'foo');                     // sorted: unknown type, no error
    await p.sorted('SCAN', '0', 'TYPE', '');                        // sorted
    await p.sorted('SCAN', '0', 'TYPE', 'hash', 'TYPE', 'string');  // sorted: last TYPE wins
    await p.sorted('SCAN', '0', 'MATCH', '[ab]', 'TYPE', 'string', 'COUNT', '100'); // sorted
  });

  test('whole iterations return the same key set', async () => {
    for (let i = 0; i < 150; i++) await p.exact('SET', `key:${i}`, 'v'); // exact
    for (let i = 0; i < 40; i++) await p.exact('SET', `other:${i}\xff`, 'v'); // exact
    await setup(['SET', 'bin\0\r\n', 'v'], ['SET', '', 'v']);
    await scanSet();
    await scanSet('COUNT', '1');
    await scanSet('COUNT', '3');
    await scanSet('COUNT', '1000');
    await scanSet('MATCH', 'key:1*');
    await scanSet('MATCH', '*9', 'COUNT', '2');
    await scanSet('MATCH', 'other:*\xff');
    await scanSet('MATCH', '*[\x80-\xff]');
    await scanSet('MATCH', 'bin\0*');
    await scanSet('MATCH', 'nothing*');
    await scanSet('TYPE', 'string');
    await scanSet('TYPE', 'string', 'COUNT', '7', 'MATCH', 'key:?');
    await scanSet('TYPE', 'list');
    await scanSet('TYPE', 'zset', 'MATCH', '*');
    await scanSet('TYPE', 'unknowntype');
  });

  test('expired keys are not returned', async () => {
    for (let i = 0; i < 30; i++) await p.exact('SET', `k${i}`, 'v');   // exact
    for (let i = 0; i < 30; i += 3) await p.exact('PEXPIRE', `k${i}`, '20'); // exact
    await sleep(70);
    await scanSet();
    await scanSet('COUNT', '2');
    await p.exact('DBSIZE');                                        // exact: SCAN reclaimed them on both
  });
});

describe('SCAN guarantees (lapse alone: its cursors are its own)', () => {
  /** One SCAN call on lapse: next cursor and keys. */
  async function scanOnce(cursor: string, ...options: string[]): Promise<{ next: string; keys: string[] }> {
    const reply = decodeReply(await p.l.call('SCAN', cursor, ...options))!.reply;
    if (reply.type !== 'array') throw new Error(`SCAN replied ${JSON.stringify(reply)}`);
    const [next, batch] = reply.value as unknown as [{ value: Buffer }, { value: { value: Buffer }[] }];
    return { next: next.value.toString('latin1'), keys: batch.value.map((k) => k.value.toString('latin1')) };
  }

  test('churn during an iteration: no duplicate, every untouched key returned', async () => {
    for (let i = 0; i < 300; i++) await p.l.call('SET', `k${i}`, 'v');
    const seen: string[] = [];
    const touched = new Set<string>();
    let cursor = '0';
    let round = 0;
    do {
      const step = await scanOnce(cursor, 'COUNT', '4');
      seen.push(...step.keys);
      cursor = step.next;
      const gone = `k${(round * 11) % 300}`;
      const back = `k${(round * 17 + 3) % 300}`;
      touched.add(gone).add(back);
      await p.l.call('DEL', gone);
      await p.l.call('DEL', back);
      await p.l.call('SET', back, 'again');
      await p.l.call('SET', `new${round}`, 'v');
      round++;
    } while (cursor !== '0');
    expect(new Set(seen).size).toBe(seen.length);
    for (let i = 0; i < 300; i++) if (!touched.has(`k${i}`)) expect(seen).toContain(`k${i}`);
    // Keys created during the iteration may be returned or not (Redis's guarantee; until
    // issue 17 lapse scanned in insertion order and never returned them), but only once.
    const created = seen.filter((k) => k.startsWith('new'));
    expect(new Set(created).size).toBe(created.length);
  });

  test('COUNT 1 ends while new keys keep arriving', async () => {
    for (let i = 0; i < 50; i++) await p.l.call('SET', `k${i}`, 'v');
    let cursor = '0';
    let calls = 0;
    do {
      cursor = (await scanOnce(cursor, 'COUNT', '1')).next;
      await p.l.call('SET', `more${calls}a`, 'v');
      await p.l.call('SET', `more${calls}b`, 'v');
      calls++;
    } while (cursor !== '0' && calls < 1000);
    expect(cursor).toBe('0');
    // The cursor moves through the table's positions, which new keys do not move back:
    // the iteration ends although keys arrive twice as fast as COUNT 1 visits them (in
    // insertion order, before issue 17, it took exactly 50 calls; in scan order new keys
    // ahead of the cursor are visited too).
    expect(calls).toBeLessThanOrEqual(300);
  });

  test('keys that expire during an iteration are not returned after their deadline', async () => {
    for (let i = 0; i < 40; i++) await p.l.call('SET', `k${i}`, 'v');
    for (let i = 0; i < 40; i += 2) await p.l.call('PEXPIRE', `k${i}`, '40');
    const first = await scanOnce('0', 'COUNT', '5');
    await sleep(80);
    const rest: string[] = [];
    let cursor = first.next;
    while (cursor !== '0') {
      const step = await scanOnce(cursor, 'COUNT', '5');
      rest.push(...step.keys);
      cursor = step.next;
    }
    expect(rest.every((k) => Number(k.slice(1)) % 2 === 1)).toBe(true);
    expect(new Set([...first.keys, ...rest]).size).toBe(first.keys.length + rest.length);
    const odd = Array.from({ length: 20 }, (_, i) => `k${2 * i + 1}`);
    for (const k of odd) expect([...first.keys, ...rest]).toContain(k);
  });
});

describe('keyspace events', () => {
  test('DEL, RENAME, EXPIRE, PERSIST, expiry fire the events Redis fires', async () => {
    const rec = await EventRecorder.attach(p, 'gxn');
    try {
      await setup(
        ['SET', 'a', '1'], ['SET', 'b', '2'], ['DEL', 'a', 'b', 'zz'], ['UNLINK', 'a'],
        ['SET', 'c', '3'], ['RENAME', 'c', 'd'], ['SET', 'e', '4'], ['RENAME', 'd', 'e'],
        ['RENAMENX', 'e', 'e'], ['RENAME', 'e', 'e'], ['SET', 'f', '5'], ['RENAMENX', 'e', 'f'],
        ['RENAMENX', 'e', 'g'], ['RENAME', 'nokey', 'x'],
        ['EXPIRE', 'g', '100'], ['EXPIRE', 'g', '50', 'NX'], ['PEXPIRE', 'g', '200000', 'GT'],
        ['PERSIST', 'g'], ['PERSIST', 'g'], ['EXPIREAT', 'g', '1'], ['EXPIRE', 'nokey', '10'],
        ['SET', 'h', '6'], ['PEXPIRE', 'h', '-5'], ['SET', 'i', '7'], ['EXPIRE', 'i', '0'],
        ['SELECT', '5'], ['SET', 'j', '8'], ['DEL', 'j'], ['SELECT', '0'],
        ['TOUCH', 'f'], ['EXISTS', 'f'], ['TYPE', 'f'], ['FLUSHDB'],
      );
      let [redis, lapse] = await rec.take();
      expect(lapse).toEqual(redis);
      expect(redis.length).toBeGreaterThan(20);
      await setup(['SET', 'k', 'v'], ['PEXPIRE', 'k', '20']);
      await sleep(80);
      await p.exact('GET', 'k');                                    // exact: nil (expired event by now)
      [redis, lapse] = await rec.take();
      expect(lapse).toEqual(redis);
      expect(redis).toContain('0 expired k');
    } finally {
      rec.detach();
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
