import { describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { encodeCommand } from '../helpers/resp.js';

/**
 * CLIENT REPLY ON|OFF|SKIP against redis-server 7.0: the same pipelined sequences on a
 * fresh connection to each, then a PING to end them; everything received is compared
 * byte for byte (which replies were dropped, which came).
 */
const p = pairSuite();

async function sequence(commands: string[][]): Promise<void> {
  const [r, l] = await p.connect();
  const bytes = Buffer.concat([...commands, ['PING', 'end']].map((argv) => encodeCommand(argv)));
  for (const c of [r, l]) c.write(bytes);
  const read = async (c: typeof r) => {
    for (let i = 0; i < 100 && !c.pending().toString('latin1').endsWith('$3\r\nend\r\n'); i++) await new Promise((res) => setTimeout(res, 10));
    return c.pending();
  };
  expect(show(await read(l)), commands.map((a) => a.join(' ')).join('; ')).toBe(show(await read(r)));
}

describe('CLIENT REPLY', () => {
  test('OFF drops every reply until ON, which answers', async () => {
    await sequence([['CLIENT', 'REPLY', 'OFF'], ['SET', 'a', '1'], ['GET', 'a'], ['NOSUCH'], ['CLIENT', 'REPLY', 'ON'], ['GET', 'a']]);
  });

  test('SKIP drops its own reply and the next command\'s only', async () => {
    await sequence([['CLIENT', 'REPLY', 'SKIP'], ['SET', 'b', '2'], ['GET', 'b'], ['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'SKIP'], ['GET', 'b']]);
  });

  test('SKIP while OFF does nothing; ON clears a pending SKIP; errors and arity', async () => {
    await sequence([['CLIENT', 'REPLY', 'OFF'], ['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'ON'], ['GET', 'b']]);
    await sequence([['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'ON'], ['GET', 'b']]);
    await sequence([['CLIENT', 'REPLY', 'MAYBE'], ['CLIENT', 'REPLY'], ['client', 'reply', 'on']]);
    // RESET ends OFF (its own reply comes); a SKIP before it still drops RESET's reply.
    await sequence([['CLIENT', 'REPLY', 'OFF'], ['GET', 'b'], ['RESET'], ['GET', 'b']]);
    await sequence([['CLIENT', 'REPLY', 'SKIP'], ['RESET'], ['GET', 'b']]);
  });

  test('COMMAND INFO and DOCS of CLIENT REPLY', async () => {
    await p.exact('COMMAND', 'INFO', 'CLIENT|REPLY');                            // exact
    await p.exact('COMMAND', 'DOCS', 'CLIENT|REPLY');                            // exact
  });
});
