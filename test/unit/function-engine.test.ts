import { afterEach, describe, expect, test } from 'vitest';
import { FunctionEngine, type FunctionInfo } from '../../src/scripting/function-engine.js';
import { ScriptRun } from '../../src/scripting/script-run.js';
import { OK_HOST } from '../helpers/script-host.js';
import { ReplyWriter } from '../../src/protocol/writer.js';
import { readFunctionPayload, readRdbBuffer, RdbError } from '../../src/persistence/rdb-reader.js';
import { createFunctionsPayload, verifyDumpPayload } from '../../src/persistence/dump-payload.js';

/**
 * The functions engine alone (no server): what the differential tests cannot reach —
 * 7.0 release candidates' library records (Redis 7.0.15 reads them, never writes them), a
 * failed load that leaves the libraries and the Lua registry as they were, a load timeout
 * shorter than FUNCTION LOAD's, and two engines sharing nothing. The host answers every
 * redis.call with +OK (the server's path is proven in test/compat/functions.test.ts).
 */

const engines: FunctionEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.close();
});

async function engine(): Promise<FunctionEngine> {
  const e = new FunctionEngine({ log: () => {}, busyReplyThresholdMs: () => 5000, libraries: [], version: '7.0.15' });
  await e.start();
  engines.push(e);
  return e;
}


function call(e: FunctionEngine, name: string, keys: string[] = [], args: string[] = []): string {
  const fi = e.lookup(name) as FunctionInfo;
  if (fi === undefined) return '(none)';
  const w = new ReplyWriter();
  e.call(fi, keys, args, new ScriptRun(fi.name, fi.flags, false, OK_HOST, w), ['FCALL', name]);
  return (w.take() ?? Buffer.alloc(0)).toString('latin1');
}

function lib(name: string, fn: string, body: string): string {
  return `#!lua name=${name}\nredis.register_function('${fn}', function(keys, args) ${body} end)`;
}

/** An RDB length-prefixed string (short form: under 64 bytes). */
function rdbString(s: string): Buffer {
  if (s.length >= 64) throw new Error('test helper: short strings only');
  return Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);
}

describe('RDB records of libraries', () => {
  test("7.0 release candidates' record (RDB_OPCODE_FUNCTION: name, engine, description, code) becomes a library with its shebang", () => {
    const file = Buffer.concat([
      Buffer.from('REDIS0010', 'latin1'),
      Buffer.from([246]), rdbString('oldlib'), rdbString('LUA'), Buffer.from([1]), rdbString('a description'),
      rdbString("redis.register_function('old', function() return 1 end)"),
      Buffer.from([246]), rdbString('nodesc'), rdbString('LUA'), Buffer.from([0]), rdbString('return 2'),
      Buffer.from([255]), Buffer.alloc(8),
    ]);
    const codes: string[] = [];
    readRdbBuffer(file, { key: () => {}, library: (code) => codes.push(code) });
    expect(codes).toEqual([
      "#!LUA name=oldlib\nredis.register_function('old', function() return 1 end)",
      '#!LUA name=nodesc\nreturn 2',
    ]);
  });
  test('a file with libraries is refused by a reader that takes none; a truncated record names what failed', () => {
    const file = Buffer.concat([Buffer.from('REDIS0010', 'latin1'), Buffer.from([245]), rdbString('#!lua name=x\n'), Buffer.from([255]), Buffer.alloc(8)]);
    expect(() => readRdbBuffer(file, { key: () => {} })).toThrow(RdbError);
    const truncated = Buffer.concat([Buffer.from('REDIS0010', 'latin1'), Buffer.from([246]), rdbString('n'), Buffer.from([10])]);
    expect(() => readRdbBuffer(truncated, { key: () => {}, library: () => {} })).toThrow('Failed loading engine name');
  });
  test('a FUNCTION DUMP payload round-trips through readFunctionPayload, in order, long codes LZF-compressed', () => {
    const codes = [lib('a', 'fa', 'return 1'), `${lib('b', 'fb', 'return 2')} -- ${'z'.repeat(300)}`];
    for (const compression of [true, false]) {
      const payload = createFunctionsPayload(codes, compression);
      expect(verifyDumpPayload(payload)).toBe(true);
      const seen: string[] = [];
      expect(readFunctionPayload(payload, (code) => (seen.push(code), null))).toBeNull();
      expect(seen).toEqual(codes);
    }
    expect(readFunctionPayload(createFunctionsPayload(codes, true), () => 'stop')).toBe('stop');
  });
});

describe('loading', () => {
  test('a failed REPLACE keeps the old library and releases what the new code registered', async () => {
    const e = await engine();
    expect(e.create(lib('l', 'f', "return 'old'"), false, 500)).toEqual({ name: 'l' });
    // Registers g, then fails (only `redis` is a global while a library loads): g must not survive anywhere.
    const failing = "#!lua name=l\nredis.register_function('g', function() return 'g' end)\nlocal t = nil\nt.x = 1";
    expect(e.create(failing, true, 500)).toEqual({
      error: "ERR Error registering functions: ERR user_function:4: attempt to index local 't' (a nil value)",
    });
    expect(call(e, 'f')).toBe("$3\r\nold\r\n");
    expect(call(e, 'g')).toBe('(none)');
    expect(e.current.functionCount).toBe(1);
    // Their callbacks' registry references are released: luaL_ref reuses freed slots, so
    // after 200 failed loads a new function still gets a low reference.
    for (let i = 0; i < 200; i++) e.create(failing, true, 500);
    expect(e.current.libraries.size).toBe(1);
    e.create(lib('l2', 'h', 'return 1'), false, 500);
    expect(e.lookup('h')!.script.ref).toBeLessThan(e.lookup('f')!.script.ref + 10);
    // So are a deleted library's.
    e.delete('l2');
    e.create(lib('l3', 'i', 'return 1'), false, 500);
    expect(e.lookup('i')!.script.ref).toBeLessThan(e.lookup('f')!.script.ref + 10);
  });
  test('a load that runs past its timeout stops, and with timeout 0 (files, restores) it is not limited', async () => {
    const e = await engine();
    const slow = "#!lua name=slow\nlocal t = 0\nfor i = 1, 3e6 do t = t + i end\nredis.register_function('s', function() return t end)";
    expect(e.create(slow, false, 1)).toEqual({ error: 'ERR Error registering functions: ERR FUNCTION LOAD timeout' });
    expect(e.create(slow, false, 0)).toEqual({ name: 'slow' });
    expect(call(e, 's')).toBe(':4500001500000\r\n');
  });
  test('functions get KEYS and ARGV as arguments, not as globals', async () => {
    const e = await engine();
    e.create("#!lua name=k\nredis.register_function('k', function(keys, args) return {keys[1], args[1], #keys, #args} end)\nredis.register_function('g', function() return KEYS end)", false, 500);
    expect(call(e, 'k', ['key'], ['arg', 'more'])).toBe('*4\r\n$3\r\nkey\r\n$3\r\narg\r\n:1\r\n:2\r\n');
    expect(call(e, 'g', ['key'])).toContain("Script attempted to access nonexistent global variable 'KEYS'");
  });
  test('two engines share nothing', async () => {
    const a = await engine();
    const b = await engine();
    a.create(lib('same', 'f', "return 'a'"), false, 500);
    expect(b.lookup('f')).toBeUndefined();
    b.create(lib('same', 'f', "return 'b'"), false, 500);
    expect(call(a, 'f')).toBe('$1\r\na\r\n');
    expect(call(b, 'f')).toBe('$1\r\nb\r\n');
  });
});
