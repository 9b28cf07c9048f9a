import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createServer } from '../../src/index.js';
import { mergeSelectorArguments } from '../../src/acl/acl.js';
import { KEY_ACCESS, KEY_UPDATE } from '../../src/acl/key-specs.js';
import { globMatch } from '../../src/util/glob.js';

/**
 * ACL pieces that the differential tests reach only through replies: the key matcher's
 * fast path for prefix patterns, password checks, the merging of selector arguments,
 * and the flag that lets an unrestricted user skip the check.
 */

const server = createServer({ port: 0 });
const acl = server.acl;

function userWith(...rules: string[]) {
  const staged = acl.stageUser('t', ['reset', ...rules]);
  if (typeof staged === 'string') throw new Error(staged);
  return staged;
}

describe('key patterns', () => {
  test('a prefix pattern matches exactly as the glob does', () => {
    const chars = fc.constantFrom('a', 'b', ':', '*', '?', '[', ']', '\\', '^', '-', '\0', '\xff');
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 6 }), fc.string({ unit: chars, maxLength: 8 }), (body, key) => {
        for (const pattern of [body, `${body}*`]) {
          // %RW~ rather than ~, for which "*" means every key (allkeys), empty keys included.
          const u = acl.stageUser('t', [`%RW~${pattern}`]);
          // A pattern with a NUL is refused; the others must agree with the glob.
          if (typeof u === 'string') continue;
          expect(u.root.keyAllowed(key, KEY_ACCESS), `${JSON.stringify(pattern)} ~ ${JSON.stringify(key)}`).toBe(globMatch(pattern, key));
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('read and write permissions', () => {
    const u = userWith('%R~r*', '%W~w*', '~rw*');
    expect(u.root.keyAllowed('r1', KEY_ACCESS)).toBe(true);
    expect(u.root.keyAllowed('r1', KEY_UPDATE)).toBe(false);
    expect(u.root.keyAllowed('w1', KEY_UPDATE)).toBe(true);
    expect(u.root.keyAllowed('w1', KEY_ACCESS | KEY_UPDATE)).toBe(false);
    expect(u.root.keyAllowed('rw1', KEY_ACCESS | KEY_UPDATE)).toBe(true);
    // A key no spec says anything about (EXISTS: RO only) needs no particular permission.
    expect(u.root.keyAllowed('w1', 0)).toBe(true);
  });
});

describe('passwords', () => {
  test('any of the user passwords, bytes compared exactly', () => {
    const u = userWith('on', '>one', '>\0\xff', '>');
    expect(u.passwordMatches('one')).toBe(true);
    expect(u.passwordMatches('\0\xff')).toBe(true);
    expect(u.passwordMatches('')).toBe(true);
    expect(u.passwordMatches('One')).toBe(false);
    expect(u.passwordMatches('one\0')).toBe(false);
    expect(userWith('on', 'nopass').passwordMatches('anything')).toBe(true);
    expect(userWith('on').passwordMatches('')).toBe(false);
  });
});

describe('selector arguments', () => {
  test('merged as Redis merges them', () => {
    expect(mergeSelectorArguments(['on', '(~a', '+get)', '>p'])).toEqual(['on', '(~a +get)', '>p']);
    expect(mergeSelectorArguments(['(~a', 'x', 'y)'])).toEqual(['(~a x y)']);
    expect(mergeSelectorArguments(['(~a)'])).toEqual(['(~a)']);
    expect(mergeSelectorArguments(['(~a', '(~b', '+get)'])).toEqual(['(~b +get)']);
    expect(mergeSelectorArguments(['on', '(~a', ''])).toBe(1);
    expect(mergeSelectorArguments(['(~a', 'b\0c', 'd)'])).toEqual(['(~a b d)']);
  });
});

describe('the unrestricted flag', () => {
  test('set exactly when the root selector allows every command, key and channel', () => {
    expect(acl.defaultUser.unrestricted).toBe(true);
    expect(userWith('+@all', '~*', '&*').unrestricted).toBe(true);
    expect(userWith('+@all', '~*').unrestricted).toBe(false);
    expect(userWith('+@all', '&*', '~a*').unrestricted).toBe(false);
    expect(userWith('+@all', '~*', '&*', '-get').unrestricted).toBe(false);
    expect(userWith('+@all', '~*', '&*', '-get', '+get').unrestricted).toBe(false);
    expect(userWith('+@all', '~*', '&*', '(~x)').unrestricted).toBe(true);
  });
});
