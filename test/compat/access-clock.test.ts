import { test } from 'vitest';
import { pairSuite } from './harness.js';
import { decodeReply } from '../helpers/resp.js';

/**
 * Which commands move a key's access clock (OBJECT IDLETIME), against Redis 7.0: EXISTS,
 * TYPE, the TTL family, SCAN's TYPE filter and OBJECT look a key up without touching it
 * (Redis's LOOKUP_NOTOUCH, db.c/expire.c/object.c), TOUCH and reads do touch it. A key
 * RESTOREd with IDLETIME 1000 has been idle 1000 s, so no test needs to wait (its idle
 * time is compared within 1 s: a second can turn between the RESTORE and the OBJECT
 * IDLETIME on either server, and the full suite once saw 1001 against Redis's 1000).
 */

const p = pairSuite();

test('EXISTS, TYPE, TTL, PTTL, EXPIRETIME, PEXPIRETIME, SCAN TYPE and OBJECT leave the access clock; TOUCH and GET move it', async () => {
  await p.exact('SET', 'src', 'value');                              // exact
  const body = decodeReply(await p.exact('DUMP', 'src'))!.reply;     // exact
  if (body.type !== 'bulk') throw new Error('DUMP did not answer a bulk string');
  await p.exact('RESTORE', 'k', '0', body.value, 'IDLETIME', '1000'); // exact
  await p.exact('EXISTS', 'k');                                      // exact: 1
  await p.exact('TYPE', 'k');                                        // exact: string
  await p.exact('TTL', 'k');                                         // exact: -1
  await p.exact('PTTL', 'k');                                        // exact: -1
  await p.exact('EXPIRETIME', 'k');                                  // exact: -1
  await p.exact('PEXPIRETIME', 'k');                                 // exact: -1
  await p.exact('SCAN', '0', 'MATCH', 'k', 'TYPE', 'string');        // exact: k, one key among two
  await p.exact('OBJECT', 'ENCODING', 'k');                          // exact: embstr
  await p.ttl(1, 'OBJECT', 'IDLETIME', 'k');                         // within 1 s (a second may turn between RESTORE and it, on either server): 1000, untouched
  await p.exact('TOUCH', 'k');                                       // exact: 1
  await p.exact('OBJECT', 'IDLETIME', 'k');                          // exact: 0
  await p.exact('RESTORE', 'k', '0', body.value, 'IDLETIME', '1000', 'REPLACE'); // exact
  await p.exact('GET', 'k');                                         // exact: value
  await p.exact('OBJECT', 'IDLETIME', 'k');                          // exact: 0
  await p.exact('RESTORE', 'v', '100000', body.value, 'IDLETIME', '1000'); // exact: with a TTL
  await p.exact('TTL', 'v');                                         // exact: 100
  await p.exact('EXISTS', 'v', 'v');                                 // exact: 2
  await p.ttl(1, 'OBJECT', 'IDLETIME', 'v');                         // within 1 s, as above: 1000, untouched
});
