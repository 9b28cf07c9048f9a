import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { Pair, show } from './harness.js';
import { decodeReply } from '../helpers/resp.js';
import { mapParts, parts, text, texts } from '../helpers/reply-parts.js';
import { REDIS_DOCS } from '../../src/commands/redis-docs.js';
import type { CommandDefinition } from '../../src/commands/declare.js';
import { CommandTable, type CommandSpec } from '../../src/commands/table.js';
import { replyCommandDocs, replyCommandInfo } from '../../src/commands/command-docs.js';
import { ReplyWriter } from '../../src/protocol/writer.js';
import { RawClient } from '../helpers/raw-client.js';
import { declarationOf, docsByName, list } from '../../scripts/command-meta.js';

/**
 * COMMAND and its subcommands. COMMAND INFO and COMMAND DOCS are encoded by lapse from
 * its command table (the group files' declarations, with what Redis derives from them
 * derived, and Redis 7.0's docs); they are compared byte for byte with Redis 7.0 for
 * every command lapse implements, in RESP2 and RESP3: a wrong arity, flag, category, key
 * spec or tip in a declaration fails here. Redis lists a container's subcommands in hash
 * order and has subcommands lapse does not implement, so for a container the parts are
 * compared one by one (each subcommand lapse has against Redis's own entry for it).
 * COMMAND, COUNT and LIST describe lapse's table, so they are checked against the table.
 */

const p = new Pair();
beforeAll(() => p.start());
afterAll(() => p.stop());
beforeEach(() => p.reset());

/** Commands and subcommands Redis 7.0 does not have (described by hand, newer): checked on lapse alone. */
function isExtra(cmd: CommandSpec): boolean {
  return !Object.hasOwn(REDIS_DOCS, cmd.fullName);
}

function commands(): readonly CommandSpec[] {
  return p.lapse.commands.commands();
}

/** COMMAND INFO of a container: every part exact, subcommands matched by name. */
async function compareContainerInfo(cmd: CommandSpec): Promise<void> {
  const [r, l] = await p.both(['COMMAND', 'INFO', cmd.name]);
  const [redisEntry] = parts(r);
  const [lapseEntry] = parts(l);
  const rp = parts(redisEntry!);
  const lp = parts(lapseEntry!);
  expect(lp.length).toBe(10);
  for (let i = 0; i < 9; i++) expect(show(lp[i]!), `COMMAND INFO ${cmd.name} part ${i}`).toBe(show(rp[i]!));
  const redisSubs = new Map(parts(rp[9]!).map((b) => [text(decodeReply(parts(b)[0]!)!.reply), b]));
  const lapseSubs = parts(lp[9]!);
  expect(lapseSubs.length).toBe(cmd.subcommands!.size);
  for (const sub of lapseSubs) {
    const name = text(decodeReply(parts(sub)[0]!)!.reply);
    const spec = p.lapse.commands.lookupFullName(name)!;
    if (isExtra(spec)) continue;
    expect(show(sub), `COMMAND INFO ${cmd.name}: ${name}`).toBe(show(redisSubs.get(name)!));
  }
}

/** COMMAND DOCS of a container: every field exact, subcommand docs matched by name. */
async function compareContainerDocs(cmd: CommandSpec): Promise<void> {
  const [r, l] = await p.both(['COMMAND', 'DOCS', cmd.name]);
  const [[rName, rDoc]] = mapParts(r) as [[string, Buffer]];
  const [[lName, lDoc]] = mapParts(l) as [[string, Buffer]];
  expect(lName).toBe(rName);
  const rFields = mapParts(rDoc);
  const lFields = mapParts(lDoc);
  expect(lFields.map(([k]) => k)).toEqual(rFields.map(([k]) => k));
  for (let i = 0; i < rFields.length; i++) {
    const [key, rValue] = rFields[i]!;
    const lValue = lFields[i]![1];
    if (key !== 'subcommands') {
      expect(show(lValue), `COMMAND DOCS ${cmd.name}: ${key}`).toBe(show(rValue));
      continue;
    }
    const redisSubs = new Map(mapParts(rValue));
    const lapseSubs = mapParts(lValue);
    expect(lapseSubs.length).toBe(cmd.subcommands!.size);
    for (const [name, doc] of lapseSubs) {
      if (isExtra(p.lapse.commands.lookupFullName(name)!)) continue;
      expect(show(doc), `COMMAND DOCS ${cmd.name}: ${name}`).toBe(show(redisSubs.get(name)!));
    }
  }
}

for (const protocol of ['2', '3']) {
  describe(`RESP${protocol}`, () => {
    beforeEach(async () => {
      if (protocol === '3') {
        const [r, l] = await p.both(['HELLO', '3']);
        expect(r[0]).toBe(0x25);
        expect(l[0]).toBe(0x25);
      }
    });

    test('COMMAND INFO and COMMAND DOCS of every command lapse implements', async () => {
      for (const cmd of commands()) {
        if (isExtra(cmd)) continue;
        if (cmd.subcommands === undefined) {
          await p.exact('COMMAND', 'INFO', cmd.name);               // exact
          await p.exact('COMMAND', 'DOCS', cmd.name);               // exact
          continue;
        }
        await compareContainerInfo(cmd);                             // exact, part by part
        await compareContainerDocs(cmd);                             // exact, part by part
        for (const sub of cmd.subcommands.values()) {
          if (isExtra(sub)) continue;
          await p.exact('COMMAND', 'INFO', sub.fullName);           // exact
          await p.exact('COMMAND', 'DOCS', sub.fullName);           // exact
          await p.exact('COMMAND', 'INFO', sub.fullName.toUpperCase()); // exact: case-insensitive
        }
      }
    });

    test('COMMAND INFO and DOCS with several, unknown and odd names', async () => {
      await p.exact('COMMAND', 'INFO', 'get', 'nosuch', 'SET');     // exact: null for unknown
      await p.exact('COMMAND', 'INFO', 'GeT', 'config|GET', 'CONFIG|nosuch', 'get|x'); // exact
      await p.exact('COMMAND', 'INFO', 'get|', '|get', 'a|b|c', 'config|', '');        // exact: all null
      await p.exact('COMMAND', 'INFO', 'config|get|x', 'ping', 'ping');                // exact
      // (No NUL in names: Redis's dict compares names as C strings after hashing the whole
      // sds, so "get\0" is found or not depending on its hash seed.)
      await p.exact('COMMAND', 'INFO', 'get\r\n', 'get\xff');        // exact: binary names
      await p.exact('COMMAND', 'DOCS', 'get', 'nosuch', 'SET');     // exact: unknown left out
      await p.exact('COMMAND', 'DOCS', 'nosuch');                   // exact: empty map
      await p.exact('COMMAND', 'DOCS', 'get', 'get');               // exact: repeated
      await p.exact('COMMAND', 'DOCS', 'config|get', 'Config|Set', 'config|get|x'); // exact
      await p.exact('COMMAND', 'DOCS', 'get|x', 'client|id');       // exact
    });
  });
}

describe('COMMAND on lapse: the table', () => {
  test('COMMAND COUNT, COMMAND, COMMAND INFO and COMMAND DOCS with no names', async () => {
    const l = p.l;
    expect(show(await l.call('COMMAND', 'COUNT'))).toBe(show(Buffer.from(`:${commands().length}\r\n`)));
    const all = parts(await l.call('COMMAND'));
    const infoAll = parts(await l.call('COMMAND', 'INFO'));
    const docsAll = mapParts(await l.call('COMMAND', 'DOCS'));
    expect(all.length).toBe(commands().length);
    expect(infoAll.length).toBe(commands().length);
    expect(docsAll.length).toBe(commands().length);
    for (let i = 0; i < commands().length; i++) {
      const name = commands()[i]!.name;
      const [one] = parts(await l.call('COMMAND', 'INFO', name));
      expect(show(all[i]!)).toBe(show(one!));
      expect(show(infoAll[i]!)).toBe(show(one!));
      const [[docName, doc]] = mapParts(await l.call('COMMAND', 'DOCS', name)) as [[string, Buffer]];
      expect(docsAll[i]![0]).toBe(docName);
      expect(show(docsAll[i]![1])).toBe(show(doc));
    }
  });

  test('COMMAND LIST is every command and subcommand of the table', async () => {
    const expected: string[] = [];
    for (const cmd of commands()) {
      expected.push(cmd.fullName);
      for (const sub of cmd.subcommands?.values() ?? []) expected.push(sub.fullName);
    }
    expect(texts(await p.l.call('COMMAND', 'LIST'))).toEqual(expected);
    expect(texts(await p.l.call('command', 'list', 'FILTERBY', 'module', 'anything'))).toEqual([]);
  });

  test('hash field expiration (Redis 7.4) is described as Redis 7.4 documents it', async () => {
    // https://redis.io/docs/latest/commands/hexpire/ and src/commands/hexpire.json of Redis 7.4.
    const [entry] = parts(await p.l.call('COMMAND', 'INFO', 'hexpire'));
    const info = decodeReply(entry!)!.reply;
    const simple = (vs: string[]) => ({ type: 'array', value: vs.map((v) => ({ type: 'simple', value: v })) });
    expect(info.type === 'array' && info.value.slice(0, 7)).toEqual([
      { type: 'bulk', value: Buffer.from('hexpire') },
      { type: 'integer', value: -6n },
      simple(['write', 'denyoom', 'fast']),
      { type: 'integer', value: 1n },
      { type: 'integer', value: 1n },
      { type: 'integer', value: 1n },
      simple(['@write', '@hash', '@fast']),
    ]);
    const [httl] = parts(await p.l.call('COMMAND', 'INFO', 'httl'));
    const httlInfo = decodeReply(httl!)!.reply;
    expect(httlInfo.type === 'array' && httlInfo.value.slice(1, 3)).toEqual([{ type: 'integer', value: -5n }, simple(['readonly', 'fast'])]);
    const docs = (await p.l.call('COMMAND', 'DOCS', 'hpersist')).toString('latin1');
    expect(docs).toContain('$7\r\nsummary\r\n$52\r\nRemoves the expiration time for each specified field\r\n');
    expect(docs).toContain('$5\r\nsince\r\n$5\r\n7.4.0\r\n$5\r\ngroup\r\n$4\r\nhash\r\n');
    expect(docs).toContain('$4\r\nname\r\n$6\r\nfields\r\n$4\r\ntype\r\n$5\r\nblock\r\n$5\r\ntoken\r\n$6\r\nFIELDS\r\n');
    expect(texts(await p.l.call('COMMAND', 'GETKEYS', 'HEXPIRE', 'k', '10', 'FIELDS', '1', 'f'))).toEqual(['k']);
  });

  test('CLIENT SETINFO (Redis 7.2) is described as Redis 7.2 documents it', async () => {
    const [entry] = parts(await p.l.call('COMMAND', 'INFO', 'client|setinfo'));
    const info = decodeReply(entry!)!.reply;
    expect(info).toEqual({
      type: 'array',
      value: [
        { type: 'bulk', value: Buffer.from('client|setinfo') },
        { type: 'integer', value: 4n },
        { type: 'array', value: ['noscript', 'loading', 'stale'].map((v) => ({ type: 'simple', value: v })) },
        { type: 'integer', value: 0n },
        { type: 'integer', value: 0n },
        { type: 'integer', value: 0n },
        { type: 'array', value: ['@slow', '@connection'].map((v) => ({ type: 'simple', value: v })) },
        { type: 'array', value: [] },
        { type: 'array', value: [] },
        { type: 'array', value: [] },
      ],
    });
    const docs = (await p.l.call('COMMAND', 'DOCS', 'client|setinfo')).toString('latin1');
    expect(docs).toBe(
      '*2\r\n$14\r\nclient|setinfo\r\n*10\r\n' +
        '$7\r\nsummary\r\n$54\r\nSets information specific to the client or connection.\r\n' +
        '$5\r\nsince\r\n$5\r\n7.2.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n' +
        '$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n' +
        '*6\r\n$4\r\nname\r\n$4\r\nattr\r\n$4\r\ntype\r\n$5\r\noneof\r\n$9\r\narguments\r\n*2\r\n' +
        '*6\r\n$4\r\nname\r\n$7\r\nlibname\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$8\r\nlib-name\r\n' +
        '*6\r\n$4\r\nname\r\n$6\r\nlibver\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$7\r\nlib-ver\r\n',
    );
  });
});

/** Redis 7.4's hash field expiration commands, which Redis 7.0 lacks. */
const HASH_FIELD_TTL_COMMANDS = ['hexpire', 'hexpireat', 'hexpiretime', 'hpersist', 'hpexpire', 'hpexpireat', 'hpexpiretime', 'hpttl', 'httl'];

describe('COMMAND LIST FILTERBY, against Redis restricted to what lapse has', () => {
  /**
   * Redis's list cut down to lapse's commands; the same names in any order. Commands
   * newer than Redis 7.0 are left out of the comparison, and returned for checks.
   */
  async function compareFiltered(...filter: string[]): Promise<string[]> {
    const [r, l] = await p.both(['COMMAND', 'LIST', ...filter]);
    const extra = (name: string) => isExtra(p.lapse.commands.lookupFullName(name)!);
    const lapseNames = new Set(texts(await p.l.call('COMMAND', 'LIST')));
    const redisNames = texts(r).filter((n) => lapseNames.has(n)).sort();
    expect(texts(l).filter((n) => !extra(n)).sort(), `COMMAND LIST ${filter.join(' ')}`).toEqual(redisNames);
    return texts(l).filter(extra);
  }

  test('PATTERN and ACLCAT select the same commands as in Redis', async () => {
    expect(await compareFiltered('FILTERBY', 'PATTERN', 'c*')).toEqual(['client|setinfo']); // sorted, restricted
    await compareFiltered('filterby', 'pattern', 'CONFIG|*');        // sorted: nocase glob
    await compareFiltered('FILTERBY', 'PATTERN', '*|*');             // sorted
    await compareFiltered('FILTERBY', 'PATTERN', '[a-g]??');         // sorted
    await compareFiltered('FILTERBY', 'PATTERN', 'nosuch*');         // sorted: empty
    expect(await compareFiltered('FILTERBY', 'ACLCAT', 'connection')).toEqual(['client|setinfo']); // sorted
    await compareFiltered('FILTERBY', 'aclcat', 'CONNECTION');       // sorted: case-insensitive
    await compareFiltered('FILTERBY', 'ACLCAT', 'admin');            // sorted
    expect((await compareFiltered('FILTERBY', 'ACLCAT', 'fast')).sort()).toEqual(HASH_FIELD_TTL_COMMANDS); // sorted
    expect((await compareFiltered('FILTERBY', 'ACLCAT', 'hash')).sort()).toEqual(HASH_FIELD_TTL_COMMANDS); // sorted
    await compareFiltered('FILTERBY', 'ACLCAT', 'slow');             // sorted
    await compareFiltered('FILTERBY', 'ACLCAT', 'string');           // sorted
    await compareFiltered('FILTERBY', 'ACLCAT', 'dangerous');        // sorted
  });

  test('filters that select nothing and syntax errors', async () => {
    await p.exact('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', '@connection'); // exact: no such category
    await p.exact('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'nosuch');  // exact
    await p.exact('COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x');       // exact: no modules
    await p.exact('COMMAND', 'LIST', 'FILTERBY');                       // exact: syntax error
    await p.exact('COMMAND', 'LIST', 'foo');                            // exact
    await p.exact('COMMAND', 'LIST', 'FILTERBY', 'foo', 'x');           // exact
    await p.exact('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'c*', 'x'); // exact
    await p.exact('COMMAND', 'LIST', 'a', 'b', 'c');                    // exact
  });
});

describe('COMMAND GETKEYS, COUNT, HELP and errors', () => {
  test('GETKEYS finds keys with the key specs', async () => {
    await p.exact('COMMAND', 'GETKEYS', 'get', 'a');                 // exact
    await p.exact('COMMAND', 'GETKEYS', 'GET', 'a\0b');               // exact
    await p.exact('COMMAND', 'GETKEYS', 'set', 'k', 'v');             // exact
    await p.exact('COMMAND', 'GETKEYS', 'set', 'k', 'v', 'EX', '1', 'GET'); // exact
    await p.exact('COMMAND', 'GETKEYS', 'get', 'a', 'b');             // exact: arity of get
    await p.exact('COMMAND', 'GETKEYS', 'set', 'k');                  // exact
    await p.exact('COMMAND', 'GETKEYS', 'nosuch', 'a');               // exact
    await p.exact('COMMAND', 'GETKEYS', 'ping', 'a');                 // exact: no key arguments
    await p.exact('COMMAND', 'GETKEYS', 'config', 'get', 'a');        // exact
    await p.exact('COMMAND', 'GETKEYS', 'config|get', 'a');           // exact: not a command
    await p.exact('COMMAND', 'GETKEYS', 'config', 'nosuch');          // exact
    await p.exact('COMMAND', 'GETKEYS', 'get');                       // exact: arity of getkeys
    await p.exact('COMMAND', 'GETKEYS');                              // exact
  });

  test('arity and unknown subcommands', async () => {
    await p.exact('COMMAND', 'COUNT', 'x');                           // exact
    await p.exact('COMMAND', 'HELP', 'x');                            // exact
    await p.exact('COMMAND', 'nosuch');                               // exact
    await p.exact('command', 'NOSUCH', 'x');                          // exact
    await p.exact('COMMAND', 'INFOx');                               // exact: no such subcommand
  });

  test('COMMAND HELP is Redis text for the subcommands lapse implements', async () => {
    const [r, l] = await p.both(['COMMAND', 'HELP']);
    const implemented = p.lapse.commands.lookup('command')!.subcommands!;
    const redisLines = texts(r);
    // Redis's entries are a line at column 0 and its indented lines.
    const kept: string[] = [redisLines[0]!];
    let keep = false;
    for (const line of redisLines.slice(1)) {
      if (!line.startsWith(' ')) {
        const word = line.split(' ')[0]!.toLowerCase();
        keep = word === '(no' || word === 'help' || implemented.has(word);
      }
      if (keep) kept.push(line);
    }
    expect(texts(l)).toEqual(kept);
    expect(l[0]).toBe(0x2a);
    expect(l.toString('latin1').split('\r\n').filter((s) => s.startsWith('+')).length).toBe(kept.length);
  });
});

describe('the encoder on every command Redis 7.0 has', () => {
  /**
   * Redis's own metadata for all its commands, turned into declarations as a group file
   * would write them (flags without movablekeys, only the categories the flags do not
   * imply) and Redis's docs as scripts/gen-command-meta.ts stores them, built into a table
   * and encoded by lapse's encoder, then compared with Redis's replies: this covers the
   * derivations (implied categories, first/last/step, movablekeys) and every kind of key
   * spec, flag, history and argument, including commands other groups will add.
   * Subcommands are kept in the order Redis lists them.
   */
  test('COMMAND INFO and COMMAND DOCS of every command, RESP2 and RESP3', async () => {
    const c = await RawClient.connect(p.redis.port);
    try {
      await c.call('HELLO', '3');
      const names = texts(await c.call('COMMAND', 'LIST')).filter((n) => !n.includes('|'));
      expect(names.length).toBeGreaterThan(200);
      const definitions: CommandDefinition[] = [];
      const noop = () => {};
      for (const name of names) {
        c.send('COMMAND', 'INFO', name);
        definitions.push(declarationOf(list(await c.readReply())[0]!, noop));
      }
      c.send('COMMAND', 'DOCS');
      const docs = Object.fromEntries(docsByName(await c.readReply()));
      const table = new CommandTable(definitions, docs);
      for (const protocol of [2, 3] as const) {
        c.send('HELLO', String(protocol));
        await c.readReply();
        const w = new ReplyWriter();
        w.protocol = protocol;
        for (const name of names) {
          const cmd = table.lookup(name)!;
          w.arrayHeader(1);
          replyCommandInfo(w, cmd);
          expect(show(w.take()!), `RESP${protocol} COMMAND INFO ${name}`).toBe(show(await c.call('COMMAND', 'INFO', name))); // exact
          w.mapHeader(1);
          w.bulk(name);
          replyCommandDocs(w, cmd);
          expect(show(w.take()!), `RESP${protocol} COMMAND DOCS ${name}`).toBe(show(await c.call('COMMAND', 'DOCS', name))); // exact
        }
      }
    } finally {
      c.close();
    }
  });
});
