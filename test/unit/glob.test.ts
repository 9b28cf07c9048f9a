import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { globMatch, literalPrefix } from '../../src/util/glob.js';

/**
 * globMatch against cases whose answers were taken from Redis 7.0 (KEYS with the
 * subject as the only key; test/compat/keys.test.ts runs the same corpus differentially)
 * and, for the nocase variant that KEYS does not use, from stringmatchlen's code.
 */
const CASES: [pattern: string, subject: string, match: boolean][] = [
  // literals, empty strings
  ['', '', true],
  ['', 'a', false],
  ['a', '', false],
  ['abc', 'abc', true],
  ['abc', 'abd', false],
  ['abc', 'ab', false],
  ['ab', 'abc', false],
  ['A', 'a', false],
  // stars
  ['*', 'anything', true],
  ['*', '', false], // the loop never starts on an empty subject; KEYS special-cases "*"
  ['**', '', false],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['a*', 'ba', false],
  ['*c', 'abc', true],
  ['*c', 'abd', false],
  ['a*c', 'ac', true],
  ['a*c', 'abbbc', true],
  ['a*c', 'abbbd', false],
  ['a**c', 'abc', true],
  ['*a*', 'bab', true],
  ['*a*', 'bbb', false],
  ['*a*a*a*b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac', false],
  ['*a*a*a*b', 'xaxaxaxb', true],
  // question marks
  ['?', 'a', true],
  ['?', '', false],
  ['?', 'ab', false],
  ['??', 'ab', true],
  ['a?c', 'abc', true],
  ['a?c', 'ac', false],
  ['?*', 'a', true],
  ['*?', 'ab', true],
  ['h?llo', 'h\0llo', true],
  // escapes
  ['\\*', '*', true],
  ['\\*', 'a', false],
  ['\\?', '?', true],
  ['\\?', 'a', false],
  ['\\[', '[', true],
  ['\\\\', '\\', true],
  ['a\\c', 'ac', true], // an escaped ordinary byte is that byte
  ['a\\\\c', 'a\\c', true],
  ['\\', '\\', true], // a trailing backslash is itself
  ['a\\', 'a\\', true],
  ['a\\', 'a', false],
  ['*\\', 'ab\\', true],
  ['a\\**', 'a*bc', true],
  ['a\\**', 'abc', false],
  // classes
  ['[abc]', 'b', true],
  ['[abc]', 'd', false],
  ['[abc]', '', false],
  ['[abc]', 'ab', false],
  ['[^abc]', 'd', true],
  ['[^abc]', 'a', false],
  ['[a-c]', 'b', true],
  ['[a-c]', 'd', false],
  ['[c-a]', 'b', true], // reversed ranges are swapped
  ['[c-a]', 'd', false],
  ['[a-a]', 'a', true],
  ['[A-z]', '_', true],
  ['[a-z]', 'A', false], // KEYS is case-sensitive
  ['[-a]', '-', true],
  ['[a-]', 'a', true], // "a-]" is the range ']'..'a', and the class runs to the end
  ['[a-]', ']', true],
  ['[a-]', '-', false],
  ['[a-c-e]', 'd', false],
  ['[a-c-e]', '-', true],
  ['[\\]]', ']', true],
  ['[\\-]', '-', true],
  ['[a\\-c]', 'b', false],
  ['[a\\-c]', '-', true],
  ['[\\a-c]', 'b', false],
  ['[\\a-c]', '-', true],
  ['[*]', '*', true],
  ['[?]', 'a', false],
  ['[[]', '[', true],
  ['[!a]', '!', true], // '!' is not a negation
  ['[]', 'a', false], // ']' right after '[' closes an empty class, which matches nothing
  ['[]a]', 'a', false],
  ['[]a]', ']', false],
  ['h[]llo', 'hllo', false],
  ['[^]', 'a', true],
  ['[^]]', ']', false],
  ['[^]]', 'a', false],
  // unterminated classes end at the end of the pattern
  ['[abc', 'a', true],
  ['[abc', 'd', false],
  ['a[abc', 'ac', true],
  ['[', 'a', false],
  ['[', '[', false],
  ['[^', 'x', true],
  ['a[^', 'ab', true],
  ['[\\', '\\', true],
  ['[a\\', 'a', true],
  // bytes >= 0x80: range bounds compare as signed char
  ['[\x80-\xff]', '\x80', true],
  ['[\x80-\xff]', '\xc0', true],
  ['[\x80-\xff]', 'a', false],
  ['[\x00-\x7f]', '\x80', false],
  ['[\x7f-\x80]', 'a', true], // -128..127: every byte
  ['[\x7f-\x80]', '\xff', true],
  ['[a-\xff]', '\0', true], // -1..97
  ['[a-\xff]', '\xff', true],
  ['[a-\xff]', 'b', false],
  ['[a-\xff]', '\xfe', false],
  ['[\xe9]', '\xe9', true],
  // NUL and line breaks are ordinary bytes
  ['a\0*', 'a\0b', true],
  ['a*', 'a\0b', true],
  ['[\0]', '\0', true],
  ['\r\n', '\r\n', true],
  ['?\n', '\r\n', true],
];

describe('globMatch: Redis stringmatchlen semantics', () => {
  test.each(CASES)('%j against %j', (pattern, subject, match) => {
    expect(globMatch(pattern, subject)).toBe(match);
  });

  test('nocase folds ASCII letters only, in literals, classes and ranges', () => {
    expect(globMatch('HELLO', 'hello', true)).toBe(true);
    expect(globMatch('h*O', 'HellO', true)).toBe(true);
    expect(globMatch('[A-C]', 'b', true)).toBe(true);
    expect(globMatch('[a-c]', 'B', true)).toBe(true);
    expect(globMatch('[ABC]', 'b', true)).toBe(true);
    expect(globMatch('[^ABC]', 'b', true)).toBe(false);
    expect(globMatch('\xc9', '\xe9', true)).toBe(false); // tolower() in the C locale
    expect(globMatch('[\\A]', 'a', true)).toBe(false); // an escape inside a class compares exactly
    expect(globMatch('\\A', 'a', true)).toBe(true); // an escaped literal folds
    expect(globMatch('[Z-a]', '_', true)).toBe(false); // folded after ordering: 'z'..'a' is empty
    expect(globMatch('[Z-a]', '_', false)).toBe(true);
  });

  test('nesting deeper than 1000 stars answers no match', () => {
    const subject = 'a'.repeat(1200) + 'b';
    expect(globMatch('a*'.repeat(1000) + 'b', subject)).toBe(true);
    expect(globMatch('a*'.repeat(1001) + 'b', subject)).toBe(false);
  });

  test('pathological patterns finish quickly', () => {
    const start = performance.now();
    expect(globMatch('*a'.repeat(50) + '*b', 'a'.repeat(5000))).toBe(false);
    expect(globMatch('?*'.repeat(500) + 'c', 'ab'.repeat(2000))).toBe(false);
    expect(performance.now() - start).toBeLessThan(500);
  });

  test('without classes, the same answers as a regular expression (non-empty subjects)', () => {
    // '\\x' is a literal x; a trailing '\\' is itself. An empty subject matches only the
    // empty pattern: Redis never enters its loop then.
    const toRegExp = (pattern: string): RegExp => {
      let re = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i]!;
        if (c === '*') re += '[\\s\\S]*';
        else if (c === '?') re += '[\\s\\S]';
        else if (c === '\\' && i + 1 < pattern.length) re += escape(pattern[++i]!);
        else re += escape(c);
      }
      return new RegExp(`^${re}$`);
    };
    const escape = (c: string) => c.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', '*', '?', '\\'), maxLength: 12 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '*', '?', '\\'), maxLength: 12 }),
        (pattern, subject) => {
          const expected = subject === '' ? pattern === '' : toRegExp(pattern).test(subject);
          expect(globMatch(pattern, subject)).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('literalPrefix (KEYS and SCAN skip keys on their bytes with it)', () => {
  test('the literal run before the first *, ? or [, escapes resolved', () => {
    expect(literalPrefix('sess:*')).toBe('sess:');
    expect(literalPrefix('*')).toBe('');
    expect(literalPrefix('a?b')).toBe('a');
    expect(literalPrefix('ab[cd]')).toBe('ab');
    expect(literalPrefix('a\\*b*')).toBe('a*b');
    expect(literalPrefix('exact')).toBe('exact');
    expect(literalPrefix('x\\')).toBe('x\\');
  });

  test('every subject a pattern matches starts with its literal prefix', () => {
    const chars = fc.constantFrom('a', 'b', '*', '?', '[', ']', '\\', '^', '-', 'c');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 8 }).map((a) => a.join('')), fc.array(fc.constantFrom('a', 'b', 'c', '*', '\\', ']'), { maxLength: 8 }).map((a) => a.join('')), (pattern, subject) => {
        if (globMatch(pattern, subject)) expect(subject.startsWith(literalPrefix(pattern))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});
