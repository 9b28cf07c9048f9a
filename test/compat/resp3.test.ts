import { beforeEach, describe, expect, test } from 'vitest';
import { pairSuite } from './harness.js';
import { decodeReply } from '../helpers/resp.js';

/**
 * RESP3 after HELLO 3: a representative set of replies compared byte for byte with
 * Redis 7.0: nulls (_), maps (HELLO, CONFIG GET, COMMAND DOCS), sets (COMMAND INFO),
 * verbatim strings (INFO, CLIENT INFO/LIST), and replies RESP3 leaves as in RESP2.
 */

const p = pairSuite();
beforeEach(async () => {
  const [r, l] = await p.both(['HELLO', '3']);
  const mask = (x: Buffer) => JSON.stringify(x.toString('latin1').replace(/(\$2\r\nid\r\n:)\d+\r\n/, '$1<id>\r\n'));
  expect(mask(l)).toBe(mask(r));                                    // exact but id: the RESP3 map
});

describe('RESP3 replies', () => {
  test('nulls, strings, integers and errors', async () => {
    await p.exact('GET', 'missing');                                // exact: _
    await p.exact('SET', 'k', 'v');                                 // exact: +OK
    await p.exact('GET', 'k');                                      // exact: bulk
    await p.exact('SET', 'k', 'v2', 'GET');                         // exact: bulk
    await p.exact('SET', 'n', 'v', 'XX');                           // exact: _
    await p.exact('SET', 'n', 'v', 'XX', 'GET');                    // exact: _
    await p.exact('CLIENT', 'GETNAME');                             // exact: _
    await p.exact('CLIENT', 'SETNAME', 'r3');                       // exact
    await p.exact('CLIENT', 'GETNAME');                             // exact: bulk
    await p.exact('PING');                                          // exact: +PONG
    await p.exact('PING', 'hi');                                    // exact: bulk
    await p.exact('ECHO', 'a\r\nb');                                // exact
    await p.exact('SELECT', '1');                                   // exact
    await p.exact('SELECT', '99');                                  // exact: error
    await p.exact('NOSUCH', 'x');                                   // exact: error
    await p.exact('GET');                                           // exact: arity error
    await p.exact('COMMAND', 'GETKEYS', 'get', 'k');                // exact: array
    const [r, l] = await p.both(['CLIENT', 'ID']);
    expect([r[0], l[0]]).toEqual([0x3a, 0x3a]);                     // integer
  });

  test('maps: CONFIG GET, COMMAND DOCS, HELLO', async () => {
    await p.exact('CONFIG', 'GET', 'maxclients');                   // exact: %1
    // Several parameters come back in Redis's hash order: compared as maps.
    await p.sorted('CONFIG', 'GET', 'maxclients', 'timeout');       // sorted: map in any order
    await p.sorted('CONFIG', 'GET', 'MAXCLIENTS', 'timeout', 'maxclients'); // sorted: as typed, once
    await p.exact('CONFIG', 'GET', 'nosuch');                       // exact: %0
    await p.exact('COMMAND', 'DOCS', 'get');                        // exact: nested maps
    await p.exact('COMMAND', 'DOCS', 'set');                        // exact: history set, args array
    await p.exact('COMMAND', 'DOCS', 'nosuch');                     // exact: %0
  });

  test('sets: COMMAND INFO', async () => {
    await p.exact('COMMAND', 'INFO', 'get', 'set', 'nosuch');       // exact: ~ for flags, specs; _ for unknown
    await p.exact('COMMAND', 'INFO', 'config|get');                 // exact
    await p.exact('COMMAND', 'INFO', 'ping');                       // exact: tips
  });

  test('verbatim strings: INFO, CLIENT INFO, CLIENT LIST', async () => {
    await p.exact('INFO', 'keyspace');                              // exact: =
    await p.exact('SET', 'a', '1');                                 // exact
    await p.exact('INFO', 'keyspace');                              // exact
    await p.exact('INFO', 'cluster', 'modules');                    // exact
    await p.exact('INFO', 'nosuch');                                // exact: empty verbatim
    for (const args of [['CLIENT', 'INFO'], ['CLIENT', 'LIST'], ['INFO'], ['INFO', 'everything']]) {
      const [r, l] = await p.both(args);
      const rr = decodeReply(r)!.reply;
      const lr = decodeReply(l)!.reply;
      expect([rr.type, lr.type], args.join(' ')).toEqual(['verbatim', 'verbatim']);
      expect(lr.type === 'verbatim' && lr.format).toBe('txt');
    }
  });

  test('TIME and help replies are arrays as in RESP2', async () => {
    const [r, l] = await p.both(['TIME']);
    expect(l.toString('latin1')).toMatch(/^\*2\r\n\$\d+\r\n\d+\r\n\$\d+\r\n\d+\r\n$/);
    expect(r.toString('latin1')).toMatch(/^\*2\r\n\$\d+\r\n\d+\r\n\$\d+\r\n\d+\r\n$/);
    const [rh, lh] = await p.both(['CONFIG', 'HELP']);
    expect(lh.toString('latin1')).toMatch(/^\*\d+\r\n\+CONFIG <subcommand>/);
    expect(rh.toString('latin1')).toMatch(/^\*\d+\r\n\+CONFIG <subcommand>/);
  });

  test('back to RESP2', async () => {
    const [r, l] = await p.both(['HELLO', '2']);
    expect([r[0], l[0]]).toEqual([0x2a, 0x2a]);
    await p.exact('GET', 'missing');                                // exact: $-1
    await p.exact('CONFIG', 'GET', 'maxclients');                   // exact: flat array
    await p.exact('COMMAND', 'INFO', 'get');                        // exact: arrays
  });
});
