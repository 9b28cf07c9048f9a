import { describe, test } from 'vitest';
import { pairSuite } from './harness.js';

const p = pairSuite();

describe('dispatcher', () => {
  test('unknown commands and arity', async () => {
    await p.exact('FOO');                                           // exact
    await p.exact('FOO', 'a', 'b c', '');                           // exact
    await p.exact('foo', 'x'.repeat(200));                          // exact: preview cut at 128
    await p.exact('GET');                                           // exact: arity
    await p.exact('get', 'a', 'b');                                 // exact: arity
    await p.exact('PiNg');                                          // exact: case-insensitive
    await p.exact('PING', 'a', 'b');                                // exact
  });
});

describe('connection', () => {
  test('PING ECHO SELECT', async () => {
    await p.exact('PING');                                          // exact
    await p.exact('PING', 'hello');                                 // exact
    await p.exact('ECHO', 'a\r\nb\0c');                             // exact: binary
    await p.exact('SELECT', '15');                                  // exact
    await p.exact('SELECT', '16');                                  // exact: out of range
    await p.exact('SELECT', '-1');                                  // exact
    await p.exact('SELECT', 'x');                                   // exact
    await p.exact('SELECT', '99999999999');                         // exact
  });
});

describe('strings', () => {
  test('SET and GET', async () => {
    await p.exact('SET', 'k', 'v');                                 // exact
    await p.exact('GET', 'k');                                      // exact
    await p.exact('GET', 'missing');                                // exact
    await p.exact('SET', 'k', 'v2', 'NX');                          // exact
    await p.exact('SET', 'k2', 'v2', 'XX');                         // exact
    await p.exact('SET', 'k', 'v3', 'XX', 'GET');                   // exact
    await p.exact('SET', 'k', 'v', 'NX', 'XX');                     // exact: syntax error
    await p.exact('SET', 'k', 'v', 'EX', '0');                      // exact: invalid expire
    await p.exact('SET', 'k', 'v', 'EX', 'x');                      // exact: not an integer
    await p.exact('SET', 'k', 'v', 'EX');                           // exact: syntax error
    await p.exact('SET', 'k', 'v', 'EX', '10', 'PX', '100');        // exact: syntax error
  });
});
