import { describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { EventRecorder } from '../helpers/keyspace-events.js';
import { rng } from '../helpers/rng.js';

/**
 * List commands against Redis 7.0, one command per line. A list's order is defined,
 * so every reply is compared exactly (byte for byte). Long lists and long elements are
 * used where they exercise lapse's inner nodes (packed past 128 elements or 8 KB).
 */

// Redis publishes keyevent notifications for the classes compared in the event tests.
const p = pairSuite({ redis: ['--notify-keyspace-events', 'Eglxn$'] });

async function setup(...commands: string[][]): Promise<void> {
  await p.run(commands);
}

/** RPUSH key e0 ... e(n-1) with elements of varied lengths (some over 127 bytes, a few over 8 KB). */
function rpushMany(key: string, n: number, seed = 1): string[] {
  const r = rng(seed);
  const argv = ['RPUSH', key];
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.6) argv.push(String(i % 17));
    else if (k < 0.9) argv.push(`e${i % 23}-${'x'.repeat(Math.floor(r() * 30))}`);
    else if (k < 0.995) argv.push('\0\r\n\xff'.repeat(40 + Math.floor(r() * 200)));
    else argv.push('B'.repeat(9000));
  }
  return argv;
}

describe('LPUSH RPUSH LPUSHX RPUSHX LLEN LRANGE', () => {
  test('pushes at both ends', async () => {
    await p.exact('LLEN', 'l');                                        // exact: 0 for a missing key
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact: empty
    await p.exact('LPUSH', 'l', 'a');                                  // exact: 1
    await p.exact('LPUSH', 'l', 'b', 'c');                             // exact: c b a
    await p.exact('RPUSH', 'l', 'd', 'e', 'f');                        // exact: 6
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    await p.exact('LLEN', 'l');                                        // exact
    await p.exact('lpush', 'l', '');                                   // exact: empty element
    await p.exact('RPUSH', 'l', 'bin\0\r\n\xff', '-1', '007', '9223372036854775808'); // exact
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    await p.exact('TYPE', 'l');                                        // exact: list
  });

  test('LPUSHX RPUSHX only onto an existing list', async () => {
    await p.exact('LPUSHX', 'l', 'a');                                 // exact: 0
    await p.exact('RPUSHX', 'l', 'a', 'b');                            // exact: 0
    await p.exact('EXISTS', 'l');                                      // exact: not created
    await setup(['RPUSH', 'l', 'x']);
    await p.exact('LPUSHX', 'l', 'a', 'b');                            // exact: 3
    await p.exact('RPUSHX', 'l', 'y', 'z');                            // exact: 5
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
  });

  test('LRANGE indexes', async () => {
    await setup(['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e']);
    for (const [s, e] of [['0', '0'], ['0', '-1'], ['1', '3'], ['-2', '-1'], ['-100', '100'], ['3', '1'], ['5', '10'],
      ['-1', '-2'], ['4', '4'], ['0', '9223372036854775807'], ['-9223372036854775808', '-1'], ['-9223372036854775808', '9223372036854775807'],
      ['2', '-4'], ['-6', '-5'], ['-5', '-5']]) {
      await p.exact('LRANGE', 'l', s!, e!);                            // exact
    }
    await p.exact('LRANGE', 'l', 'x', '1');                            // exact: not an integer
    await p.exact('LRANGE', 'l', '0', '1.5');                          // exact
    await p.exact('LRANGE', 'l', '0', '9223372036854775808');          // exact: out of range
    await p.exact('LRANGE', 'nokey', 'x', '1');                        // exact: parsed before the lookup
    await p.exact('LRANGE', 'l', '0');                                 // exact: arity
  });

  test('arity', async () => {
    await p.exact('LPUSH', 'l');                                       // exact
    await p.exact('RPUSH');                                            // exact
    await p.exact('LPUSHX', 'l');                                      // exact
    await p.exact('LLEN');                                             // exact
    await p.exact('LLEN', 'a', 'b');                                   // exact
    await p.exact('LPOP');                                             // exact
    await p.exact('LPOP', 'l', '1', '2');                              // exact: names lpop
    await p.exact('RPOP', 'l', '1', '2');                              // exact
    await p.exact('LINDEX', 'l');                                      // exact
    await p.exact('LSET', 'l', '0');                                   // exact
    await p.exact('LINSERT', 'l', 'before', 'x');                      // exact
    await p.exact('LREM', 'l', '0');                                   // exact
    await p.exact('LTRIM', 'l', '0');                                  // exact
    await p.exact('LPOS', 'l');                                        // exact
    await p.exact('LMOVE', 'a', 'b', 'left');                          // exact
    await p.exact('RPOPLPUSH', 'a');                                   // exact
    await p.exact('LMPOP', '1', 'a');                                  // exact
    await p.exact('EXISTS', 'l');                                      // exact: nothing created
  });

  test('WRONGTYPE from every command, and nothing changes', async () => {
    await setup(['SET', 's', 'v']);
    for (const argv of [['LPUSH', 's', 'a'], ['RPUSH', 's', 'a'], ['LPUSHX', 's', 'a'], ['RPUSHX', 's', 'a'], ['LPOP', 's'],
      ['RPOP', 's', '2'], ['LLEN', 's'], ['LRANGE', 's', '0', '-1'], ['LINDEX', 's', '0'], ['LSET', 's', '0', 'x'],
      ['LINSERT', 's', 'before', 'a', 'b'], ['LREM', 's', '0', 'a'], ['LTRIM', 's', '0', '1'], ['LPOS', 's', 'a'],
      ['LMOVE', 's', 'd', 'left', 'right'], ['RPOPLPUSH', 's', 'd'], ['LMPOP', '1', 's', 'left'], ['LMPOP', '2', 'nokey', 's', 'left'],
      ['LPOP', 's', '0'], ['LINDEX', 's', 'x'], ['LSET', 's', 'x', 'v']]) {
      await p.exact(...argv);                                          // exact: WRONGTYPE
    }
    await p.exact('GET', 's');                                         // exact: untouched
    await p.exact('EXISTS', 'd');                                      // exact: not created
  });
});

describe('LPOP RPOP', () => {
  test('one element, and the key goes with the last', async () => {
    await p.exact('LPOP', 'l');                                        // exact: null
    await p.exact('RPOP', 'l');                                        // exact: null
    await setup(['RPUSH', 'l', 'a', 'b', 'c']);
    await p.exact('LPOP', 'l');                                        // exact: a
    await p.exact('RPOP', 'l');                                        // exact: c
    await p.exact('LPOP', 'l');                                        // exact: b
    await p.exact('EXISTS', 'l');                                      // exact: 0
    await p.exact('LPOP', 'l');                                        // exact: null
  });

  test('with a count', async () => {
    await p.exact('LPOP', 'l', '1');                                   // exact: null array
    await p.exact('LPOP', 'l', '0');                                   // exact: null array (missing key first)
    await setup(['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e']);
    await p.exact('LPOP', 'l', '0');                                   // exact: empty array
    await p.exact('LPOP', 'l', '2');                                   // exact: a b
    await p.exact('RPOP', 'l', '2');                                   // exact: e d
    await p.exact('RPOP', 'l', '10');                                  // exact: c, and the key goes
    await p.exact('EXISTS', 'l');                                      // exact
    await setup(['RPUSH', 'l', 'a', 'b']);
    await p.exact('LPOP', 'l', '9223372036854775807');                 // exact: all
    await p.exact('LPOP', 'l', '-1');                                  // exact: must be positive
    await p.exact('LPOP', 'l', 'x');                                   // exact: the same error
    await p.exact('RPOP', 'l', '1.5');                                 // exact
    await p.exact('RPOP', 'l', '9223372036854775808');                 // exact
  });

  test('a long list popped from both ends', async () => {
    await setup(rpushMany('l', 1500));
    await p.exact('LPOP', 'l', '300');                                 // exact
    await p.exact('RPOP', 'l', '333');                                 // exact
    for (let i = 0; i < 20; i++) {
      await p.exact('LPOP', 'l');                                      // exact
      await p.exact('RPOP', 'l');                                      // exact
    }
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    await p.exact('LPUSH', 'l', 'h1', 'h2');                           // exact
    await p.exact('LRANGE', 'l', '0', '5');                            // exact
    await p.exact('RPOP', 'l', '10000');                               // exact: the rest, reversed
    await p.exact('EXISTS', 'l');                                      // exact
  });
});

describe('LINDEX LSET', () => {
  test('LINDEX', async () => {
    await p.exact('LINDEX', 'l', '0');                                 // exact: null
    await p.exact('LINDEX', 'l', 'x');                                 // exact: null: the key is looked up first
    await setup(['RPUSH', 'l', 'a', 'b', 'c']);
    for (const i of ['0', '1', '2', '3', '-1', '-3', '-4', '9223372036854775807', '-9223372036854775808']) {
      await p.exact('LINDEX', 'l', i);                                 // exact
    }
    await p.exact('LINDEX', 'l', 'x');                                 // exact: not an integer
    await p.exact('LINDEX', 'l', '');                                  // exact
  });

  test('LSET', async () => {
    await p.exact('LSET', 'l', '0', 'x');                              // exact: no such key
    await p.exact('LSET', 'l', 'x', 'x');                              // exact: no such key before the index
    await setup(['RPUSH', 'l', 'a', 'b', 'c']);
    await p.exact('LSET', 'l', '0', 'A');                              // exact: OK
    await p.exact('LSET', 'l', '-1', 'C');                             // exact
    await p.exact('LSET', 'l', '3', 'x');                              // exact: index out of range
    await p.exact('LSET', 'l', '-4', 'x');                             // exact
    await p.exact('LSET', 'l', 'x', 'x');                              // exact: not an integer
    await p.exact('LSET', 'l', '1', 'y'.repeat(300));                  // exact: a long element
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
  });

  test('by index through a long list', async () => {
    await setup(rpushMany('l', 2000, 2));
    for (const i of ['0', '1', '127', '128', '129', '500', '999', '1000', '1500', '1998', '1999', '2000', '-1', '-129', '-1000', '-2000', '-2001']) {
      await p.exact('LINDEX', 'l', i);                                 // exact
      await p.exact('LSET', 'l', i, `set-${i}`);                       // exact
      await p.exact('LINDEX', 'l', i);                                 // exact
    }
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    await p.exact('LRANGE', 'l', '100', '400');                        // exact
    await p.exact('LRANGE', 'l', '-300', '-250');                      // exact
  });
});

describe('LINSERT LREM LTRIM', () => {
  test('LINSERT', async () => {
    await p.exact('LINSERT', 'l', 'before', 'a', 'x');                 // exact: 0 without the key
    await p.exact('LINSERT', 'l', 'middle', 'a', 'x');                 // exact: syntax error first
    await setup(['RPUSH', 'l', 'a', 'b', 'a', 'c']);
    await p.exact('LINSERT', 'l', 'BEFORE', 'a', 'x');                 // exact: before the first a
    await p.exact('LINSERT', 'l', 'after', 'a', 'y');                  // exact
    await p.exact('LINSERT', 'l', 'After', 'c', 'z');                  // exact: at the tail
    await p.exact('LINSERT', 'l', 'before', 'nope', 'z');              // exact: -1
    await p.exact('LINSERT', 'l', 'sideways', 'a', 'z');               // exact: syntax error
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
  });

  test('LINSERT into a long list, past a node', async () => {
    await setup(rpushMany('l', 600, 3));
    for (let i = 0; i < 200; i++) {
      await p.exact('LINSERT', 'l', i % 2 ? 'before' : 'after', String(i % 17), `ins${i}`); // exact
    }
    await p.exact('LINSERT', 'l', 'after', '0', 'B'.repeat(10000));   // exact
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
  });

  test('LREM', async () => {
    await p.exact('LREM', 'l', '0', 'a');                              // exact: 0
    await p.exact('LREM', 'l', 'x', 'a');                              // exact: the count is parsed first
    await setup(['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a', 'b', 'a']);
    await p.exact('LREM', 'l', '2', 'a');                              // exact: the first two
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    await p.exact('LREM', 'l', '-1', 'a');                             // exact: the last one
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    await p.exact('LREM', 'l', '0', 'b');                              // exact: all
    await p.exact('LREM', 'l', '0', 'zz');                             // exact: 0
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    await p.exact('LREM', 'l', '-9223372036854775808', 'a');           // exact
    await p.exact('LREM', 'l', '0', 'c');                              // exact: the list empties
    await p.exact('EXISTS', 'l');                                      // exact: 0
  });

  test('LREM through a long list', async () => {
    await setup(rpushMany('l', 3000, 4));
    await p.exact('LREM', 'l', '5', '3');                              // exact
    await p.exact('LREM', 'l', '-40', '7');                            // exact
    await p.exact('LREM', 'l', '0', '11');                             // exact
    await p.exact('LREM', 'l', '0', 'B'.repeat(9000));                 // exact
    await p.exact('LLEN', 'l');                                        // exact
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    for (let i = 0; i < 17; i++) await p.exact('LREM', 'l', '0', String(i)); // exact
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    await p.exact('LINDEX', 'l', '700');                               // exact
  });

  test('LTRIM', async () => {
    await p.exact('LTRIM', 'l', '0', '1');                             // exact: OK without the key
    await p.exact('LTRIM', 'l', 'x', '1');                             // exact: the indexes are parsed first
    await setup(['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e', 'f']);
    await p.exact('LTRIM', 'l', '1', '-2');                            // exact
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    await p.exact('LTRIM', 'l', '-100', '100');                        // exact: nothing removed
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    await p.exact('LTRIM', 'l', '1', '1');                             // exact
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    await p.exact('LTRIM', 'l', '2', '1');                             // exact: empty range: the key goes
    await p.exact('EXISTS', 'l');                                      // exact
    await setup(rpushMany('l', 2500, 5));
    await p.exact('LTRIM', 'l', '130', '-260');                        // exact
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    await p.exact('LTRIM', 'l', '-1000', '-1');                        // exact
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    await p.exact('LTRIM', 'l', '5000', '6000');                       // exact: start past the end
    await p.exact('EXISTS', 'l');                                      // exact
  });
});

describe('LPOS', () => {
  test('options and errors', async () => {
    await p.exact('LPOS', 'l', 'a');                                   // exact: null
    await p.exact('LPOS', 'l', 'a', 'COUNT', '0');                     // exact: empty array
    await setup(['RPUSH', 'l', 'a', 'b', 'c', 'a', 'b', 'c', 'a', 'x']);
    for (const opts of [[], ['RANK', '1'], ['RANK', '2'], ['RANK', '3'], ['RANK', '4'], ['RANK', '-1'], ['RANK', '-3'], ['RANK', '-4'],
      ['COUNT', '0'], ['COUNT', '1'], ['COUNT', '2'], ['COUNT', '10'], ['RANK', '2', 'COUNT', '0'], ['RANK', '-1', 'COUNT', '2'],
      ['RANK', '-2', 'COUNT', '0'], ['MAXLEN', '1'], ['MAXLEN', '3'], ['MAXLEN', '4'], ['MAXLEN', '0'], ['COUNT', '0', 'MAXLEN', '4'],
      ['RANK', '-1', 'MAXLEN', '1'], ['RANK', '-1', 'MAXLEN', '2'], ['RANK', '2', 'MAXLEN', '3'], ['rank', '1', 'count', '1', 'maxlen', '100'],
      ['RANK', '9223372036854775807'], ['RANK', '-9223372036854775807'], ['COUNT', '9223372036854775807'], ['RANK', '1', 'RANK', '2']]) {
      await p.exact('LPOS', 'l', 'a', ...opts);                        // exact
    }
    await p.exact('LPOS', 'l', 'zz');                                  // exact: null
    await p.exact('LPOS', 'l', 'zz', 'COUNT', '3');                    // exact: empty array
    await p.exact('LPOS', 'l', 'x', 'RANK', '-1');                     // exact
    await p.exact('LPOS', 'l', 'a', 'RANK', '0');                      // exact: RANK can't be zero
    await p.exact('LPOS', 'l', 'a', 'RANK', 'x');                      // exact
    await p.exact('LPOS', 'l', 'a', 'COUNT', '-1');                    // exact: COUNT can't be negative
    await p.exact('LPOS', 'l', 'a', 'COUNT', 'x');                     // exact: the same text
    await p.exact('LPOS', 'l', 'a', 'MAXLEN', '-1');                   // exact
    await p.exact('LPOS', 'l', 'a', 'MAXLEN', 'x');                    // exact
    await p.exact('LPOS', 'l', 'a', 'RANK');                           // exact: syntax error
    await p.exact('LPOS', 'l', 'a', 'FOO', '1');                       // exact
    await p.exact('LPOS', 'nokey', 'a', 'RANK', '0');                  // exact: options before the key
    await p.exact('LPOS', 'l', 'a', 'COUNT', '1', 'BAR');              // exact
  });

  test('through a long list', async () => {
    await setup(rpushMany('l', 2000, 6));
    await p.exact('LPOS', 'l', '5', 'COUNT', '0');                     // exact
    await p.exact('LPOS', 'l', '5', 'RANK', '-3', 'COUNT', '20');      // exact
    await p.exact('LPOS', 'l', '9', 'RANK', '10', 'MAXLEN', '900');    // exact
    await p.exact('LPOS', 'l', 'B'.repeat(9000), 'COUNT', '0');        // exact
  });
});

describe('LMOVE RPOPLPUSH LMPOP', () => {
  test('LMOVE in every direction', async () => {
    await p.exact('LMOVE', 'src', 'dst', 'LEFT', 'RIGHT');             // exact: null without the source
    await p.exact('EXISTS', 'dst');                                    // exact
    await setup(['RPUSH', 'src', 'a', 'b', 'c', 'd'], ['RPUSH', 'dst', 'x']);
    await p.exact('LMOVE', 'src', 'dst', 'LEFT', 'RIGHT');             // exact: a
    await p.exact('LMOVE', 'src', 'dst', 'right', 'left');             // exact: d
    await p.exact('LMOVE', 'src', 'dst', 'Left', 'Left');              // exact: b
    await p.exact('LMOVE', 'src', 'dst', 'RIGHT', 'RIGHT');            // exact: c, src goes
    await p.exact('EXISTS', 'src');                                    // exact
    await p.exact('LRANGE', 'dst', '0', '-1');                         // exact
    await p.exact('LMOVE', 'dst', 'dst', 'LEFT', 'RIGHT');             // exact: rotation
    await p.exact('LRANGE', 'dst', '0', '-1');                         // exact
    await p.exact('LMOVE', 'dst', 'new', 'LEFT', 'LEFT');              // exact: creates new
    await p.exact('LRANGE', 'new', '0', '-1');                         // exact
    await p.exact('LMOVE', 'dst', 'new', 'UP', 'LEFT');                // exact: syntax error
    await p.exact('LMOVE', 'dst', 'new', 'LEFT', 'DOWN');              // exact
    await p.exact('LMOVE', 'nokey', 'new', 'UP', 'LEFT');              // exact: before the lookup
    await setup(['SET', 's', 'v'], ['RPUSH', 'one', 'only']);
    await p.exact('LMOVE', 'one', 's', 'LEFT', 'LEFT');                // exact: WRONGTYPE, nothing popped
    await p.exact('LRANGE', 'one', '0', '-1');                         // exact
    await p.exact('LMOVE', 'one', 'one', 'LEFT', 'LEFT');              // exact: a single element onto itself
    await p.exact('LRANGE', 'one', '0', '-1');                         // exact
    await p.exact('LMOVE', 'nokey', 's', 'LEFT', 'LEFT');              // exact: null, the destination is not looked at
  });

  test('RPOPLPUSH', async () => {
    await p.exact('RPOPLPUSH', 'src', 'dst');                          // exact: null
    await setup(['RPUSH', 'src', 'a', 'b', 'c']);
    await p.exact('RPOPLPUSH', 'src', 'dst');                          // exact: c
    await p.exact('RPOPLPUSH', 'src', 'src');                          // exact: b rotates
    await p.exact('LRANGE', 'src', '0', '-1');                         // exact
    await p.exact('LRANGE', 'dst', '0', '-1');                         // exact
  });

  test('LMPOP', async () => {
    await p.exact('LMPOP', '2', 'a', 'b', 'LEFT');                     // exact: null array
    await setup(['RPUSH', 'b', '1', '2', '3'], ['RPUSH', 'c', 'x']);
    await p.exact('LMPOP', '3', 'a', 'b', 'c', 'LEFT');                // exact: b, [1]
    await p.exact('LMPOP', '3', 'a', 'b', 'c', 'right', 'COUNT', '5'); // exact: b, [3 2], b goes
    await p.exact('LMPOP', '3', 'a', 'b', 'c', 'RIGHT', 'count', '1'); // exact: c
    await p.exact('EXISTS', 'b', 'c');                                 // exact
    for (const argv of [['0', 'a', 'LEFT'], ['-1', 'a', 'LEFT'], ['x', 'a', 'LEFT'], ['3', 'a', 'LEFT'], ['1', 'a', 'MIDDLE'],
      ['1', 'a', 'LEFT', 'COUNT'], ['1', 'a', 'LEFT', 'COUNT', '0'], ['1', 'a', 'LEFT', 'COUNT', '-1'], ['1', 'a', 'LEFT', 'COUNT', 'x'],
      ['1', 'a', 'LEFT', 'COUNT', '1', 'COUNT', '1'], ['1', 'a', 'LEFT', 'FOO'], ['2', 'a', 'LEFT'], ['1', 'a', 'b', 'LEFT']]) {
      await p.exact('LMPOP', ...argv);                                 // exact: errors
    }
    await setup(['RPUSH', 'l', 'a', 'b']);
    await p.exact('LMPOP', '1', 'l', 'LEFT', 'COUNT', '9223372036854775807'); // exact
    await p.exact('COMMAND', 'GETKEYS', 'LMPOP', '2', 'x', 'y', 'LEFT');    // exact
  });
});

describe('RESP3, MULTI, events', () => {
  test('RESP3 replies', async () => {
    await p.both(['HELLO', '3']);
    await p.exact('LPOP', 'l');                                        // exact: _
    await p.exact('LPOP', 'l', '2');                                   // exact: _
    await p.exact('LINDEX', 'l', '0');                                 // exact: _
    await p.exact('LPOS', 'l', 'a');                                   // exact: _
    await p.exact('LMPOP', '1', 'l', 'LEFT');                          // exact: _
    await p.exact('LMOVE', 'l', 'm', 'LEFT', 'LEFT');                  // exact: _
    await setup(['RPUSH', 'l', 'a', 'b', 'c']);
    await p.exact('LPOP', 'l', '2');                                   // exact: an array
    await p.exact('LPOS', 'l', 'zz');                                  // exact: _
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
    await p.exact('LMPOP', '1', 'l', 'LEFT');                          // exact
  });

  test('RESP3: a pop replies before its own keyspace event reaches the same connection, subscribed to it', async () => {
    // Each server's own setting, put back after (the events test below relies on Redis's).
    const [redisWas, lapseWas] = await p.both(['CONFIG', 'GET', 'notify-keyspace-events']);
    const was = (reply: Buffer) => /\r\n\$\d+\r\n([^\r]*)\r\n$/.exec(reply.toString('latin1'))![1]!;
    await p.both(['CONFIG', 'SET', 'notify-keyspace-events', 'El']);  // both: lapse's pair starts without events
    try {
      const on = await p.connect();
      await p.both(['HELLO', '3'], on);                                // both: the client ids differ
      await p.exactOn(on, 'SUBSCRIBE', '__keyevent@0__:lpop');         // exact: one push frame
      await setup(['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e', 'f', 'g', '1234567']);
      const pops = [['LPOP', 'l'], ['LPOP', 'l', '2'], ['LMPOP', '1', 'l', 'LEFT', 'COUNT', '2'], ['BLPOP', 'l', '0'], ['LMOVE', 'l', 'm', 'LEFT', 'RIGHT'], ['LPOP', 'l', '5']];
      for (const pop of pops) {
        await p.exactOn(on, ...pop);                                   // exact: the reply first
        const [r, l] = on;
        const [pushR, pushL] = [await r.readReplyBytes(), await l.readReplyBytes()];
        expect(show(pushL), `the event after ${pop.join(' ')}`).toBe(show(pushR)); // exact: then the event
      }
    } finally {
      await p.r.call('CONFIG', 'SET', 'notify-keyspace-events', was(redisWas));
      await p.l.call('CONFIG', 'SET', 'notify-keyspace-events', was(lapseWas));
    }
  });

  test('inside MULTI', async () => {
    await p.exact('MULTI');                                            // exact
    await p.exact('RPUSH', 'l', 'a', 'b', 'c');                        // exact: QUEUED
    await p.exact('LPOP', 'l');                                        // exact
    await p.exact('LMOVE', 'l', 'm', 'RIGHT', 'LEFT');                 // exact
    await p.exact('LRANGE', 'm', '0', '-1');                           // exact
    await p.exact('LPOP', 'l', 'x');                                   // exact: QUEUED, fails in EXEC
    await p.exact('EXEC');                                             // exact
  });

  test('WATCH sees a list change', async () => {
    await setup(['RPUSH', 'l', 'a', 'b']);
    const other = await p.connect();
    await p.exact('WATCH', 'l');                                       // exact
    await p.exactOn(other, 'LPOP', 'l');                               // exact
    await p.exact('MULTI');                                            // exact
    await p.exact('GET', 'x');                                         // exact
    await p.exact('EXEC');                                             // exact: null, the watched key changed
    await p.exact('WATCH', 'l');                                       // exact
    await p.exactOn(other, 'LINSERT', 'l', 'before', 'zz', 'q');       // exact: -1, no change
    await p.exact('MULTI');                                            // exact
    await p.exact('GET', 'x');                                         // exact
    await p.exact('EXEC');                                             // exact: runs
  });

  test('keyspace events', async () => {
    const rec = await EventRecorder.attach(p, 'glxn');
    try {
      await setup(
        ['LPUSH', 'l', 'a'], ['RPUSH', 'l', 'b', 'c'], ['LPUSHX', 'l', 'x'], ['RPUSHX', 'nokey', 'x'], ['LPOP', 'l'],
        ['RPOP', 'l', '1'], ['LPOP', 'l', '0'], ['LSET', 'l', '0', 'A'], ['LINSERT', 'l', 'after', 'A', 'B'],
        ['LINSERT', 'l', 'after', 'zz', 'B'], ['LREM', 'l', '0', 'zz'], ['LREM', 'l', '1', 'B'], ['LTRIM', 'l', '0', '-1'],
        ['RPUSH', 'l', 'c', 'd'], ['LMOVE', 'l', 'm', 'LEFT', 'RIGHT'], ['RPOPLPUSH', 'l', 'l'], ['LMPOP', '2', 'x', 'l', 'LEFT', 'COUNT', '9'],
        ['LMOVE', 'm', 'm', 'LEFT', 'LEFT'], ['RPOPLPUSH', 'm', 'n'], ['RPUSH', 't', '1', '2'], ['LTRIM', 't', '5', '6'],
        ['RPUSH', 'r', 'a'], ['LREM', 'r', '0', 'a'], ['RPUSH', 'q', 'a'], ['LPOP', 'q', '5'], ['LRANGE', 'n', '0', '-1'],
      );
      const [redis, lapse] = await rec.take();
      expect(lapse).toEqual(redis);
      expect(redis).toContain('0 lpush l');
      expect(redis).toContain('0 del t');
    } finally {
      rec.detach();
    }
  });

  test('a randomized session against a long list', async () => {
    const r = rng(42);
    await setup(rpushMany('l', 700, 7));
    for (let i = 0; i < 400; i++) {
      const n = Math.floor(r() * 900) - 100;
      const e = String(Math.floor(r() * 17));
      const k = r();
      if (k < 0.15) await p.exact('LPUSH', 'l', e, `p${i}`);           // exact
      else if (k < 0.3) await p.exact('RPOP', 'l', String(Math.floor(r() * 5))); // exact
      else if (k < 0.4) await p.exact('LSET', 'l', String(n), `s${i}`); // exact
      else if (k < 0.5) await p.exact('LINSERT', 'l', r() < 0.5 ? 'before' : 'after', e, `i${i}`); // exact
      else if (k < 0.6) await p.exact('LREM', 'l', String(Math.floor(r() * 5) - 2), e); // exact
      else if (k < 0.7) await p.exact('LINDEX', 'l', String(n));       // exact
      else if (k < 0.8) await p.exact('LRANGE', 'l', String(n), String(n + Math.floor(r() * 200))); // exact
      else if (k < 0.9) await p.exact('LPOS', 'l', e, 'RANK', String(r() < 0.5 ? -1 : 2), 'COUNT', '3'); // exact
      else await p.exact('RPUSH', 'l', 'x'.repeat(Math.floor(r() * 300))); // exact
    }
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact
  });
});

describe('configuration', () => {
  test('list-max-listpack-size (alias list-max-ziplist-size) and list-compress-depth', async () => {
    await p.exact('CONFIG', 'GET', 'list-max-listpack-size');          // exact: -2
    await p.exact('CONFIG', 'GET', 'list-compress-depth');             // exact: 0
    await p.exact('CONFIG', 'SET', 'list-max-listpack-size', '5');     // exact: OK
    await p.exact('CONFIG', 'GET', 'list-max-ziplist-size');           // exact: 5
    await p.exact('CONFIG', 'SET', 'list-max-ziplist-size', '-5');     // exact: OK through the alias
    await p.exact('CONFIG', 'GET', 'list-max-listpack-size');          // exact: -5
    await p.exact('CONFIG', 'SET', 'list-max-listpack-size', '-2147483649'); // exact: out of range
    await p.exact('CONFIG', 'SET', 'list-max-listpack-size', 'x');     // exact
    await p.exact('CONFIG', 'SET', 'list-compress-depth', '3');        // exact
    await p.exact('CONFIG', 'SET', 'list-compress-depth', '-1');       // exact: out of range
    await p.exact('CONFIG', 'GET', 'list-compress-depth');             // exact: 3
    await p.exact('CONFIG', 'SET', 'list-max-listpack-size', '-2');    // exact: back to the defaults
    await p.exact('CONFIG', 'SET', 'list-compress-depth', '0');        // exact
  });
});

describe('DUMP and RESTORE', () => {
  test("a list's DUMP payload is Redis's, byte for byte, under several node sizes and compression depths", async () => {
    for (const [fill, depth] of [['-2', '0'], ['5', '1'], ['-1', '2'], ['100', '0'], ['0', '3']]) {
      await p.exact('CONFIG', 'SET', 'list-max-listpack-size', fill);  // exact
      await p.exact('CONFIG', 'SET', 'list-compress-depth', depth);    // exact
      await p.exact('DEL', 'l', 'r');                                  // exact
      const argv = rpushMany('l', 1200, 8);
      for (let i = 2; i < argv.length; i += 400) await p.exact('RPUSH', 'l', ...argv.slice(i, i + 400)); // exact
      await p.exact('RPUSH', 'l', 'a'.repeat(48), 'b'.repeat(9000));  // exact
      await p.exact('DUMP', 'l');                                      // exact: the payload
      const [payload] = await p.both(['DUMP', 'l']);
      const body = payload.subarray(payload.indexOf('\r\n') + 2, payload.length - 2);
      await p.exact('RESTORE', 'r', '0', body);                        // exact: each takes the other's (the same) payload
      await p.exact('LRANGE', 'r', '0', '-1');                         // exact
    }
  });
});

describe('COPY', () => {
  test('a copy is a list of its own', async () => {
    await setup(rpushMany('l', 600, 9));
    await p.exact('COPY', 'l', 'c');                                   // exact: 1
    await p.exact('LPUSH', 'c', 'new');                                // exact
    await p.exact('LSET', 'c', '300', 'changed');                      // exact
    await p.exact('LRANGE', 'l', '0', '-1');                           // exact: unchanged
    await p.exact('LRANGE', 'c', '0', '-1');                           // exact
    await p.exact('COPY', 'l', 'c');                                   // exact: 0 without REPLACE
    await p.exact('COPY', 'l', 'c', 'REPLACE');                        // exact
    await p.exact('LRANGE', 'c', '0', '-1');                           // exact
  });
});

describe('COMMAND', () => {
  test('COMMAND INFO and DOCS of every list command', async () => {
    for (const name of ['lpush', 'rpush', 'lpushx', 'rpushx', 'lpop', 'rpop', 'llen', 'lrange', 'lindex', 'lset', 'linsert',
      'lrem', 'ltrim', 'lpos', 'lmove', 'rpoplpush', 'lmpop']) {
      await p.exact('COMMAND', 'INFO', name);                          // exact
      const [r, l] = await p.both(['COMMAND', 'DOCS', name]);
      expect(show(l), `COMMAND DOCS ${name}`).toBe(show(r));           // exact
    }
    await p.exact('COMMAND', 'GETKEYS', 'LMOVE', 'a', 'b', 'LEFT', 'RIGHT'); // exact
  });
});
