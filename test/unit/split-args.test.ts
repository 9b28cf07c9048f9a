import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { splitArgs } from '../../src/util/split-args.js';

/**
 * splitArgs must accept and split exactly as Redis's sdssplitargs() (sds.c), which
 * Redis uses for inline commands and config files. Each case states the rule it
 * shows; test/compat/protocol.test.ts checks the same rules against redis-server.
 */

const CASES: [string, string[] | null, string][] = [
  ['', [], 'empty line'],
  ['   \t ', [], 'only blanks'],
  ['a b  c', ['a', 'b', 'c'], 'words'],
  ['\t a\tb\r\n', ['a', 'b'], 'tab, CR, LF separate'],
  ['\x0b\x0ca', ['a'], 'leading \\v and \\f are skipped (isspace)'],
  ['a\x0bb', ['a\x0bb'], 'but \\v does not end a token'],
  ['a\x0cb c', ['a\x0cb', 'c'], 'nor does \\f'],
  ['"a b"', ['a b'], 'double quotes'],
  ['"a" b', ['a', 'b'], 'closing quote then space'],
  ['"a"\tb', ['a', 'b'], 'closing quote then tab'],
  ['"a"\x0bb', ['a', 'b'], 'closing quote then \\v (isspace)'],
  ['"a"b', null, 'closing quote followed by a non-space'],
  ["'a'b", null, 'closing single quote followed by a non-space'],
  ['"abc', null, 'unterminated double quotes'],
  ["'abc", null, 'unterminated single quotes'],
  ['"\\x41\\x4A\\x4a\\x00\\xff"', ['AJJ\0\xff'], '\\xHH escapes, both cases'],
  ['"\\x4"', ['x4'], 'a short \\x is an escaped x'],
  ['"\\xg1"', ['xg1'], 'a non-hex \\x is an escaped x'],
  ['"\\X41"', ['X41'], 'only a lowercase x starts a hex escape'],
  ['"\\n\\r\\t\\b\\a\\z\\\\\\""', ['\n\r\t\b\x07z\\"'], 'backslash escapes'],
  ['"\\', null, 'a backslash at the end'],
  ['"a\\"', null, 'an escaped quote does not close'],
  ["'a\\'b'", ["a'b"], "single quotes understand only \\'"],
  ["'a\\nb\\x41'", ['a\\nb\\x41'], 'no other escapes in single quotes'],
  ["'a\"b'", ['a"b'], 'a double quote inside single quotes'],
  ['"a\'b"', ["a'b"], 'a single quote inside double quotes'],
  ['a"b"', ['ab'], 'quotes may start inside a word'],
  ["a'b c'", ['ab c'], 'single quotes too'],
  ['a"b c"d', null, 'but must still be closed before a space'],
  ['"" \'\'', ['', ''], 'empty quoted arguments'],
  ['""', [''], 'one empty argument'],
  ['a\0b c', ['a'], 'a NUL ends the line'],
  ['\0a', [], 'even at the start'],
  ['"a\0b"', null, 'a NUL inside quotes leaves them unterminated'],
  ['\xff\x80 \x7f', ['\xff\x80', '\x7f'], 'high bytes are ordinary'],
  ['"\xa0"\xa0', null, 'a high byte is not a space after a quote'],
  ['a\\x41', ['a\\x41'], 'no escapes outside quotes'],
  ['SET k "a b"', ['SET', 'k', 'a b'], 'a command'],
];

describe('splitArgs', () => {
  test.each(CASES)('%j -> %j (%s)', (line, expected) => {
    expect(splitArgs(line)).toEqual(expected);
  });

  test('double-quoted \\x escapes round-trip any bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 8 }), (args) => {
        const line = args.map((a) => '"' + [...a].map((c) => '\\x' + c.toString(16).padStart(2, '0')).join('') + '"').join(' ');
        expect(splitArgs(line)).toEqual(args.map((a) => Buffer.from(a).toString('latin1')));
      }),
    );
  });

  test('plain words split on runs of blanks', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9_:.\-]{1,10}$/);
    const blank = fc.stringMatching(/^[ \t]{1,3}$/);
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), blank, blank, (words, sep, lead) => {
        expect(splitArgs(lead + words.join(sep) + sep)).toEqual(words);
      }),
    );
  });
});
