import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { createServer, type LapseServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { startRedis, type ReferenceRedis } from '../helpers/redis-server.js';
import { decodeReply } from '../helpers/resp.js';

/**
 * FUNCTION and FCALL against Redis 7.0.15: every subcommand and its errors (compared byte
 * for byte: they name libraries, functions and lines), the library-loading environment
 * (register_function's forms and errors, what a library's code may touch while it loads),
 * FCALL/FCALL_RO with their flags, FUNCTION DUMP's payload (the same bytes as Redis's),
 * RESTORE of each other's payloads, and the libraries in RDB files both ways.
 * Every comparison is exact unless its line says otherwise.
 */
const p = pairSuite();
// FLUSHALL (the pair's reset) keeps functions, as in Redis: each test starts without any.
beforeEach(async () => {
  await p.run([['FUNCTION', 'FLUSH']]);
});

/** A library with one function returning `body`'s value. */
function lib(name: string, fn: string, body: string): string {
  return `#!lua name=${name}\nredis.register_function('${fn}', function(keys, args)\n ${body} \nend)`;
}

describe('FUNCTION LOAD', () => {
  test('loads, names the library, refuses a second load, REPLACE replaces', async () => {
    await p.exact('FUNCTION', 'LOAD', lib('mylib', 'hello', "return 'hello'"));  // exact: the name
    await p.exact('FCALL', 'hello', '0');                                        // exact
    await p.exact('FCALL', 'HELLO', '0');                                        // exact: function names without case
    await p.exact('FUNCTION', 'LOAD', lib('mylib', 'hello', "return 'again'"));  // exact: already exists
    await p.exact('FUNCTION', 'LOAD', 'REPLACE', lib('mylib', 'hello', "return 'again'")); // exact
    await p.exact('FUNCTION', 'LOAD', 'replace', lib('mylib', 'hello', 'bad script'));   // exact: compile error
    await p.exact('FCALL', 'hello', '0');                                        // exact: the old one stays
    await p.exact('FUNCTION', 'LOAD', lib('MYLIB', 'other', "return 1"));        // exact: library names keep case
    await p.exact('FUNCTION', 'LOAD', lib('third', 'Hello', "return 1"));        // exact: function exists (any case)
    await p.exact('FUNCTION', 'LOAD', 'foo', 'bar', lib('x', 'y', 'return 1'));  // exact: unknown option
    await p.exact('FUNCTION', 'LOAD', 'REPLACE');                                // exact: REPLACE taken as the code
  });
  test('metadata errors', async () => {
    for (const code of [
      'return 1', '#!lua name=x', '#!lua\nreturn 1', '#!lua name=a name=b\nreturn 1', '#!lua foo=bar\nreturn 1',
      '#!lua name=bad-name\nreturn 1', '#!lua name=\nreturn 1', '#!lua name="a b\nreturn 1', '#!LUA name=up\nredis.register_function("up", function() return 1 end)',
      '#!bad_engine name=x\nreturn 1', '#! name=x\nreturn 1', '#!lua NAME=upper\nredis.register_function("upper2", function() return 2 end)',
      '#!lua name=nofn\nlocal a = 1', '#!lua name=zero\n', '#!lua name=x\nreturn 1 +',
    ]) {
      await p.exact('FUNCTION', 'LOAD', code);                                  // exact, each
    }
  });
  test('register_function: positional and named forms, flags, description, and their errors', async () => {
    const bodies = [
      "redis.register_function('f1', function() return 1 end)",
      "redis.register_function{function_name='f2', callback=function() return 2 end}",
      "redis.register_function{function_name='f3', callback=function() return 3 end, flags={'no-writes', 'allow-oom'}, description='three'}",
      "redis.register_function{FUNCTION_NAME='f4', CALLBACK=function() return 4 end, FLAGS={'NO-WRITES', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}",
      "redis.register_function()",
      "redis.register_function('a', function() end, 3)",
      "redis.register_function('only')",
      "redis.register_function(1, function() return 'one' end)",
      "redis.register_function({}, function() end)",
      "redis.register_function('x', 'notfn')",
      "redis.register_function('bad name', function() end)",
      "redis.register_function('', function() end)",
      "redis.register_function('d', function() end) redis.register_function('d', function() end)",
      "redis.register_function('notable')",
      "redis.register_function{function_name='n'}",
      "redis.register_function{callback=function() end}",
      "redis.register_function{function_name=5, callback=function() return 5 end}",
      "redis.register_function{function_name={}, callback=function() end}",
      "redis.register_function{function_name='n', callback=function() end, description={}}",
      "redis.register_function{function_name='n', callback='x'}",
      "redis.register_function{function_name='n', callback=function() end, flags='no-writes'}",
      "redis.register_function{function_name='n', callback=function() end, flags={'bad-flag'}}",
      "redis.register_function{function_name='n', callback=function() end, flags={{}}}",
      "redis.register_function{function_name='n', callback=function() end, other=1}",
      "redis.register_function{[1]='x'}",
      "redis.register_function(nil)",
    ];
    let i = 0;
    for (const body of bodies) {
      await p.exact('FUNCTION', 'LOAD', `#!lua name=l${i++}\n${body}`);          // exact, each
    }
    await p.sorted('FUNCTION', 'LIST');                                          // sorted: library order is Redis's dict's
    for (const f of ['f1', 'f2', 'f3', 'f4', '1', '5']) await p.exact('FCALL', f, '0'); // exact
  });
  test('what a library sees while it loads', async () => {
    const bodies = [
      "redis.call('ping')",
      "return redis.pcall('ping')",
      "local x = string.len('a')",
      "local x = math.random()",
      "x = 1",
      "redis.x = 1",
      "redis.log(redis.LOG_NOTICE, 'loading') redis.register_function('logged', function() return redis.REDIS_VERSION_NUM end)",
      "local v = redis.REDIS_VERSION redis.register_function('ver', function() return v end)",
      "error('boom')",
      "error({err='MY custom'})",
      "error({})",
      "redis.setresp(3)",
      "local t = KEYS",
      "local t = _G",
      "local t = redis.sha1hex",
      "local t = cjson",
    ];
    let i = 0;
    for (const body of bodies) {
      await p.exact('FUNCTION', 'LOAD', `#!lua name=e${i++}\n${body}`);          // exact, each
    }
    await p.exact('FCALL', 'logged', '0');                                       // exact
    await p.exact('FCALL', 'ver', '0');                                          // exact
  });
  test('a library that loops is stopped after 500 ms', async () => {
    await p.exact('FUNCTION', 'LOAD', '#!lua name=loop\nlocal a = 0 while true do a = a + 1 end'); // exact: FUNCTION LOAD timeout
    await p.exact('FUNCTION', 'LOAD', "#!lua name=loop2\nredis.register_function('ok', function() return 1 end) while true do end"); // exact
    await p.exact('FUNCTION', 'LIST');                                           // exact: nothing loaded
  });
});

describe('FCALL and FCALL_RO', () => {
  beforeEach(async () => {
    await p.run([
      ['FUNCTION', 'LOAD', [
        '#!lua name=calls',
        "redis.register_function('kv', function(keys, args) return {keys, args, #keys, #args} end)",
        "redis.register_function('set', function(keys, args) return redis.call('set', keys[1], args[1]) end)",
        "redis.register_function{function_name='get', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}",
        "redis.register_function{function_name='sneaky', callback=function(keys) return redis.call('set', keys[1], 'x') end, flags={'no-writes'}}",
        "redis.register_function('fails', function() return redis.call('lpush', 'str', 'x') end)",
        "redis.register_function('raises', function() local t = nil return t.x end)",
        "redis.register_function('globals', function() return KEYS end)",
        "redis.register_function('err', function() error('plain') end)",
        "redis.register_function('errt', function() return redis.error_reply('MINE oops') end)",
        "redis.register_function('status', function() return redis.status_reply('FINE') end)",
        "redis.register_function('resp3', function() redis.setresp(3) return redis.call('hgetall', 'h') end)",
        "redis.register_function('env', function() return {type(string.len), type(cjson), type(redis.call), type(redis.register_function), type(redis.breakpoint), type(redis.replicate_commands)} end)",
        "redis.register_function('late', function() redis.register_function('x', function() end) end)",
        "redis.register_function('setg', function() y = 1 end)",
      ].join('\n')],
      ['SET', 'str', 'v'],
      ['HSET', 'h', 'f', 'v'],
    ]);
  });
  test('keys and arguments, replies and errors', async () => {
    await p.exact('FCALL', 'kv', '2', 'a', 'b', 'c', 'd');                      // exact
    await p.exact('FCALL', 'kv', '0');                                           // exact
    await p.exact('FCALL', 'set', '1', 'k', 'v1');                               // exact
    await p.exact('GET', 'k');                                                   // exact
    await p.exact('FCALL', 'get', '1', 'k');                                     // exact
    for (const name of ['fails', 'raises', 'globals', 'err', 'errt', 'status', 'resp3', 'env', 'late', 'setg', 'sneaky']) {
      await p.exact('FCALL', name, '1', 'k');                                    // exact, each: errors name the function and line
    }
    await p.exact('FCALL', 'missing', '0');                                      // exact: Function not found
    await p.exact('FCALL', 'kv', 'x');                                           // exact: Bad number of keys
    await p.exact('FCALL', 'kv', '3', 'a');                                      // exact
    await p.exact('FCALL', 'kv', '-1', 'a');                                     // exact
    await p.exact('FCALL', 'missing', 'x');                                      // exact: the function is looked up first
    await p.exact('FCALL');                                                      // exact: arity
  });
  test('FCALL_RO refuses a function without no-writes, and writes from one with it', async () => {
    await p.exact('FCALL_RO', 'get', '1', 'k');                                  // exact
    await p.exact('FCALL_RO', 'set', '1', 'k', 'v');                             // exact: write flag with *_ro
    await p.exact('FCALL_RO', 'kv', '0');                                        // exact
    await p.exact('FCALL_RO', 'sneaky', '1', 'k');                               // exact: write from a read-only script
    await p.exact('FCALL', 'sneaky', '1', 'k');                                  // exact
  });
  test('COMMAND GETKEYS, and FCALL inside MULTI', async () => {
    await p.exact('COMMAND', 'GETKEYS', 'FCALL', 'kv', '2', 'a', 'b', 'c');      // exact
    await p.exact('COMMAND', 'GETKEYS', 'FCALL_RO', 'kv', '1', 'a', 'b');        // exact
    await p.run([['MULTI'], ['FCALL', 'set', '1', 'm', '1'], ['FCALL', 'get', '1', 'm'], ['EXEC']]);
  });
  test('a RESP3 caller', async () => {
    const on = await p.connect();
    await p.both(['HELLO', '3'], on);
    await p.exactOn(on, 'FCALL', 'resp3', '0');                                  // exact
    await p.exactOn(on, 'FCALL', 'kv', '1', 'a', 'b');                           // exact
  });
});

describe('what a function can reach', () => {
  test("the loading API is not the run-time API, and neither can be changed (Redis's malicious access test)", async () => {
    await p.exact('FUNCTION', 'LOAD', [
      '#!lua name=lib1',
      'local lib = redis',
      "lib.register_function('f1', function() lib.redis = redis lib.math = math return {ok='OK'} end)",
      "lib.register_function('f2', function() lib.register_function('f1', function() return 1 end) end)",
      "lib.register_function('f3', function() return {type(lib.log), lib.LOG_WARNING} end)",
      "lib.register_function('f4', function() lib.log(lib.LOG_NOTICE, 'from a function') return 'logged' end)",
    ].join('\n'));                                                              // exact
    for (const f of ['f1', 'f2', 'f3', 'f4']) await p.exact('FCALL', f, '0');    // exact, each
    await p.exact('FUNCTION', 'LOAD', '#!lua name=lib2\nredis.math.random()');  // exact
    await p.exact('FUNCTION', 'LOAD', "#!lua name=lib2\nredis.redis.call('ping')"); // exact
    await p.exact('FUNCTION', 'LOAD', "#!lua name=lib2\nredis.set_repl(redis.REPL_ALL)"); // exact
  });
  test("Redis's tricks: the globals' metatable, getmetatable while loading, the version through bit", async () => {
    await p.exact('FUNCTION', 'LOAD', [
      '#!lua name=tricks',
      "redis.register_function('f1', function() local mt = getmetatable(_G) local g = mt.__index g['redis'] = function() return 1 end end)",
      "redis.register_function('f2', function() mt = getmetatable(_G) end)",
      'local version = redis.REDIS_VERSION_NUM',
      "redis.register_function('v1', function() return string.format('%s.%s.%s', bit.band(bit.rshift(version, 16), 0xff), bit.band(bit.rshift(version, 8), 0xff), bit.band(version, 0xff)) end)",
      "redis.register_function('v2', function() return redis.REDIS_VERSION end)",
    ].join('\n'));                                                              // exact
    for (const f of ['f1', 'f2', 'v1', 'v2']) await p.exact('FCALL', f, '0');    // exact, each
    await p.exact('FUNCTION', 'LOAD', '#!lua name=t2\nmt = getmetatable(_G)');   // exact
    // EVAL's state shows the same metatable.
    await p.exact('EVAL', "local mt = getmetatable(_G) return {type(mt), type(mt.__index), pcall(mt.__index, _G, 'nope')}", '0'); // exact
    await p.exact('FUNCTION', 'LOAD', '#!lua name="quoted"\nredis.register_function(\'q\', function() return 1 end)'); // exact
  });
  test('functions share the library\'s locals, and see the default globals', async () => {
    await p.exact('FUNCTION', 'LOAD', [
      '#!lua name=shared',
      'local function add1(a) return a + 1 end',
      'local count = 0',
      "redis.register_function('f1', function() count = count + 1 return add1(count) end)",
      "redis.register_function('f2', function() return string.format('%d-%s', add1(1), type(cjson.encode)) end)",
    ].join('\n'));                                                              // exact
    for (const f of ['f1', 'f1', 'f2']) await p.exact('FCALL', f, '0');         // exact: the upvalue persists across calls
  });
  test('OOM: FUNCTION LOAD and RESTORE are denied, allow-oom and no-writes functions run', async () => {
    await p.run([['FUNCTION', 'LOAD', [
      '#!lua name=oom',
      "redis.register_function('w', function(keys) return redis.call('set', keys[1], '1') end)",
      "redis.register_function{function_name='ao', callback=function(keys) return redis.call('set', keys[1], '1') end, flags={'allow-oom'}}",
      "redis.register_function{function_name='ro', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}",
    ].join('\n')]]);
    const [dump] = await p.both(['FUNCTION', 'DUMP']);
    const payload = (decodeReply(dump)!.reply as { value: Buffer }).value;
    try {
      await p.run([['CONFIG', 'SET', 'maxmemory', '1']]);
      await p.exact('FUNCTION', 'LOAD', lib('more', 'm', 'return 1'));           // exact: OOM
      await p.exact('FUNCTION', 'RESTORE', payload, 'REPLACE');                  // exact: OOM
      await p.exact('FCALL', 'w', '1', 'x');                                     // exact: OOM allow-oom flag is not set
      await p.exact('FCALL', 'ao', '1', 'x');                                    // exact
      await p.exact('FCALL', 'ro', '1', 'x');                                    // exact
      await p.exact('FUNCTION', 'DELETE', 'oom');                                // exact: not denyoom
    } finally {
      await p.run([['CONFIG', 'SET', 'maxmemory', '0']]);
    }
  });
});

describe('FUNCTION LIST, DELETE, FLUSH, STATS, KILL, HELP', () => {
  test('LIST with LIBRARYNAME and WITHCODE, and its errors', async () => {
    await p.run([
      ['FUNCTION', 'LOAD', "#!lua name=alpha\nredis.register_function{function_name='a1', callback=function() return 1 end, description='first', flags={'allow-stale', 'no-writes'}}"],
    ]);
    await p.exact('FUNCTION', 'LIST');                                           // exact: one library
    await p.exact('FUNCTION', 'LIST', 'WITHCODE');                               // exact
    await p.exact('FUNCTION', 'LIST', 'LIBRARYNAME', 'AL*', 'withcode');         // exact: pattern without case
    await p.exact('FUNCTION', 'LIST', 'LIBRARYNAME', 'beta');                    // exact: none
    await p.exact('FUNCTION', 'LIST', 'LIBRARYNAME');                            // exact: name missing
    await p.exact('FUNCTION', 'LIST', 'WITHCODE', 'WITHCODE');                   // exact: unknown argument
    await p.exact('FUNCTION', 'LIST', 'foo');                                    // exact
    const on = await p.connect();
    await p.both(['HELLO', '3'], on);
    await p.exactOn(on, 'FUNCTION', 'LIST', 'WITHCODE');                         // exact: maps, a set of flags, null description
  });
  test('DELETE, FLUSH and their errors; FLUSHALL keeps functions', async () => {
    await p.run([['FUNCTION', 'LOAD', lib('one', 'f1', 'return 1')], ['FUNCTION', 'LOAD', lib('two', 'f2', 'return 2')]]);
    await p.exact('FUNCTION', 'DELETE', 'one');                                  // exact
    await p.exact('FUNCTION', 'DELETE', 'one');                                  // exact: Library not found
    await p.exact('FCALL', 'f1', '0');                                           // exact
    await p.exact('FLUSHALL');                                                   // exact
    await p.exact('FCALL', 'f2', '0');                                           // exact: still there
    await p.exact('FUNCTION', 'FLUSH', 'bad');                                   // exact
    await p.exact('FUNCTION', 'FLUSH', 'sync', 'extra');                         // exact
    await p.exact('FUNCTION', 'FLUSH', 'ASYNC');                                 // exact
    await p.exact('FUNCTION', 'LIST');                                           // exact
    await p.exact('FUNCTION', 'DELETE');                                         // exact: arity
  });
  test('STATS, KILL with nothing running, HELP, an unknown subcommand', async () => {
    await p.run([['FUNCTION', 'LOAD', lib('one', 'f1', 'return 1')], ['FUNCTION', 'LOAD', "#!lua name=two\nredis.register_function('a', function() end) redis.register_function('b', function() end)"]]);
    await p.exact('FUNCTION', 'STATS');                                          // exact
    await p.exact('FUNCTION', 'KILL');                                           // exact: NOTBUSY
    await p.exact('FUNCTION', 'HELP');                                           // exact
    await p.exact('FUNCTION', 'bad_subcommand');                                 // exact
    await p.exact('FUNCTION');                                                   // exact
  });
  test('INFO memory counts functions and libraries', async () => {
    await p.run([['FUNCTION', 'LOAD', lib('one', 'f1', 'return 1')], ['FUNCTION', 'LOAD', "#!lua name=two\nredis.register_function('a', function() end) redis.register_function('b', function() end)"]]);
    const [r, l] = await p.both(['INFO', 'memory']); // compared by field below (memory sizes differ)
    for (const field of ['number_of_functions', 'number_of_libraries']) {
      const pick = (b: Buffer): string => new RegExp(`^${field}:(.*)\\r$`, 'm').exec(b.toString('latin1'))?.[1] ?? 'absent';
      expect(pick(l), field).toBe(pick(r));
      expect(pick(r), field).not.toBe('absent');
    }
    const vm = /^used_memory_vm_functions:(\d+)\r$/m.exec(l.toString('latin1'));
    expect(Number(vm?.[1])).toBeGreaterThan(0);
  });
});

describe('FUNCTION DUMP and RESTORE', () => {
  test("DUMP's payload is Redis's, byte for byte, for one library (short, and long enough to compress)", async () => {
    await p.run([['FUNCTION', 'LOAD', lib('short', 's', 'return 1')]]);
    await p.exact('FUNCTION', 'DUMP');                                           // exact: payload bytes
    await p.run([['FUNCTION', 'FLUSH'], ['FUNCTION', 'LOAD', lib('long', 'l', `return '${'abc'.repeat(200)}'`)]]);
    await p.exact('FUNCTION', 'DUMP');                                           // exact: LZF-compressed code
    await p.run([['CONFIG', 'SET', 'rdbcompression', 'no']]);
    await p.exact('FUNCTION', 'DUMP');                                           // exact: uncompressed
    await p.run([['CONFIG', 'SET', 'rdbcompression', 'yes'], ['FUNCTION', 'FLUSH']]);
    await p.exact('FUNCTION', 'DUMP');                                           // exact: no library
  });
  test("each RESTOREs the other's payload, with every policy", async () => {
    await p.run([['FUNCTION', 'LOAD', lib('one', 'f1', 'return 1')], ['FUNCTION', 'LOAD', lib('two', 'f2', `return '${'x'.repeat(100)}'`)]]);
    const [fromRedis, fromLapse] = await p.both(['FUNCTION', 'DUMP']); // the two libraries may come in another order
    const payload = (b: Buffer): Buffer => {
      const d = decodeReply(b)!.reply;
      if (d.type !== 'bulk') throw new Error(show(b));
      return d.value;
    };
    const redisPayload = payload(fromRedis);
    const lapsePayload = payload(fromLapse);
    await p.run([['FUNCTION', 'FLUSH']]);
    // Crossed: Redis restores lapse's payload, lapse restores Redis's.
    const cross = async (...rest: string[]): Promise<void> => {
      const r = await p.r.call('FUNCTION', 'RESTORE', lapsePayload, ...rest);
      const l = await p.l.call('FUNCTION', 'RESTORE', redisPayload, ...rest);
      expect(show(l), `RESTORE ${rest.join(' ')}`).toBe(show(r));
    };
    await cross();                                                               // exact
    await p.sorted('FUNCTION', 'LIST');                                          // sorted: dict order
    await cross();                                                               // exact: Library already exists
    await cross('APPEND');                                                       // exact
    await cross('REPLACE');                                                      // exact
    await p.exact('FCALL', 'f2', '0');                                           // exact
    await p.run([['FUNCTION', 'FLUSH'], ['FUNCTION', 'LOAD', lib('other', 'f1', 'return 9')]]);
    await cross('REPLACE');                                                      // exact: Function f1 already exists
    await p.exact('FCALL', 'f1', '0');                                           // exact: nothing changed
    await cross('FLUSH');                                                        // exact
    await p.exact('FCALL', 'f1', '0');                                           // exact
    await p.exact('FUNCTION', 'LIST', 'LIBRARYNAME', 'other');                   // exact: flushed
    await cross('bad');                                                          // exact: restore policy
    await cross('FLUSH', 'extra');                                               // exact: syntax
    await p.exact('FUNCTION', 'RESTORE', 'bad_payload');                         // exact
    const corrupt = Buffer.from(redisPayload);
    corrupt[3] = corrupt[3]! ^ 0xff;
    await p.exact('FUNCTION', 'RESTORE', corrupt);                               // exact: checksum
  });
  test('RESTORE of a key DUMP payload (not a function), and of a payload whose library fails', async () => {
    await p.run([['SET', 'k', 'v']]);
    const [r] = await p.both(['DUMP', 'k']);
    const keyPayload = (decodeReply(r)!.reply as { value: Buffer }).value;
    await p.exact('FUNCTION', 'RESTORE', keyPayload);                            // exact: given type is not a function
    await p.run([['FUNCTION', 'LOAD', lib('dup', 'f', 'return 1')]]);
    const [d] = await p.both(['FUNCTION', 'DUMP']);
    const dump = (decodeReply(d)!.reply as { value: Buffer }).value;
    await p.exact('FUNCTION', 'RESTORE', dump);                                  // exact: Library dup already exists
  });
});

describe('DEBUG RELOAD with functions', () => {
  test('reload keeps them; NOFLUSH fails on the libraries already there and keeps the keys; MERGE replaces', async () => {
    await p.run([['SET', 'x', '1'], ['FUNCTION', 'LOAD', lib('test', 'test', "return 'hello'")]]);
    await p.exact('DEBUG', 'RELOAD');                                            // exact
    await p.exact('FCALL', 'test', '0');                                         // exact
    await p.exact('DEBUG', 'RELOAD', 'NOFLUSH');                                 // exact: Error trying to load the RDB dump
    await p.exact('GET', 'x');                                                   // exact: the keys stay
    await p.exact('DEBUG', 'RELOAD', 'NOFLUSH', 'MERGE');                        // exact
    await p.exact('FUNCTION', 'LIST');                                           // exact
    await p.run([['FUNCTION', 'LOAD', lib('test2', 'test2', "return 'two'")]]);
    // Both servers share one dir: with NOSAVE each loads the file the last save left (lapse's).
    await p.exact('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE');              // exact
    await p.exact('FCALL', 'test2', '0');                                        // exact
  });
});

describe('function libraries in RDB files', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const tempDir = (): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-functions-rdb-'));
    dirs.push(d);
    return d;
  };
  const libs = [
    lib('plain', 'hello', "return 'hello'"),
    `#!lua name=flagged\nredis.register_function{function_name='ro', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}\n-- ${'padding '.repeat(20)}`,
  ];

  test('lapse writes (SAVE and BGSAVE), redis-check-rdb accepts, Redis 7.0 loads; a lapse restart keeps them', async () => {
    for (const mode of ['SAVE', 'BGSAVE']) {
      const dir = tempDir();
      let lapse: LapseServer | undefined = createServer({ port: 0, bind: '127.0.0.1', dir, save: '3600 1' });
      let redis: ReferenceRedis | undefined;
      try {
        const l = await RawClient.connect((await lapse.listen()).port);
        for (const code of libs) await l.call('FUNCTION', 'LOAD', code);
        await l.call('SET', 'k', 'v');
        expect((await l.call(mode)).toString('latin1')).toMatch(/^\+(OK|Background saving started)\r\n$/);
        if (mode === 'BGSAVE') {
          for (let i = 0; i < 200 && !(await l.call('INFO', 'persistence')).toString('latin1').includes('rdb_bgsave_in_progress:0'); i++) {
            await new Promise((resolve) => setTimeout(resolve, 25));
          }
        }
        const list = await l.call('FUNCTION', 'LIST', 'WITHCODE');
        l.close();
        await lapse.close();
        lapse = undefined;
        const file = path.join(dir, 'dump.rdb');
        expect(execFileSync('redis-check-rdb', [file], { encoding: 'latin1' })).toContain('RDB looks OK');
        redis = await startRedis(['--dir', dir, '--dbfilename', 'dump.rdb']);
        const r = await RawClient.connect(redis.port);
        expect(show(await r.call('FCALL', 'hello', '0'))).toBe(show(Buffer.from('$5\r\nhello\r\n')));
        expect(show(await r.call('FCALL_RO', 'ro', '1', 'k'))).toBe(show(Buffer.from('$1\r\nv\r\n')));
        r.close();
        // A lapse restart on the same file.
        lapse = createServer({ port: 0, bind: '127.0.0.1', dir, save: '3600 1' });
        const l2 = await RawClient.connect((await lapse.listen()).port);
        expect(show(await l2.call('FUNCTION', 'LIST', 'WITHCODE'))).toBe(show(list));
        expect(show(await l2.call('FCALL', 'hello', '0'))).toBe(show(Buffer.from('$5\r\nhello\r\n')));
        l2.close();
      } finally {
        await lapse?.close();
        await redis?.stop();
      }
    }
  });

  test('Redis 7.0 writes, lapse loads', async () => {
    const dir = tempDir();
    const redis = await startRedis(['--dir', dir, '--rdbcompression', 'yes']);
    let lapse: LapseServer | undefined;
    try {
      const r = await RawClient.connect(redis.port);
      for (const code of libs) await r.call('FUNCTION', 'LOAD', code);
      await r.call('SET', 'k', 'v');
      expect((await r.call('SAVE')).toString('latin1')).toBe('+OK\r\n');
      lapse = createServer({ port: 0, bind: '127.0.0.1', dir, save: '3600 1' });
      const l = await RawClient.connect((await lapse.listen()).port);
      const rl = decodeReply(await r.call('FUNCTION', 'LIST', 'WITHCODE'))!.reply;
      const ll = decodeReply(await l.call('FUNCTION', 'LIST', 'WITHCODE'))!.reply;
      expect(ll.type).toBe('array');
      const libsOf = (x: typeof rl): string[] => (x.type === 'array' ? x.value.map((v) => JSON.stringify(v)).sort() : []);
      expect(libsOf(ll)).toEqual(libsOf(rl)); // sorted: dict order
      expect(show(await l.call('FCALL_RO', 'ro', '1', 'k'))).toBe(show(await r.call('FCALL_RO', 'ro', '1', 'k')));
      r.close();
      l.close();
    } finally {
      await lapse?.close();
      await redis.stop();
    }
  });
});
