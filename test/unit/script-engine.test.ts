import { describe, expect, test } from 'vitest';
import { ScriptEngine, type ScriptEnvironment } from '../../src/scripting/script-engine.js';
import { ScriptRun } from '../../src/scripting/script-run.js';
import { OK_HOST } from '../helpers/script-host.js';
import { COMPAT_FLAGS } from '../../src/scripting/script-flags.js';
import { ReplyWriter } from '../../src/protocol/writer.js';
import type { LuaLibrary } from '../../src/scripting/library-bridge.js';
import { LuaOpaque, LuaRaisedError, LuaTable, type LuaValue } from '../../src/scripting/lib/lua-value.js';

/**
 * The engine alone (no server): the bridge that registers libraries written in
 * TypeScript (tables both ways, errors, identity, depth), the stops that keep a script
 * from freezing or filling the server, and engines sharing nothing. The host answers
 * every redis.call with +OK, as a stand-in for the dispatcher (the server's own path is
 * proven in test/compat/scripting.test.ts).
 */

/** What the test library saw last, for assertions on the TypeScript side. */
interface Seen {
  args: LuaValue[];
}

function testLibrary(seen: Seen): LuaLibrary {
  return {
    name: 'tlib',
    functions: {
      echo: (args) => {
        seen.args = args;
        return args;
      },
      count: (args) => [args.length],
      raise: (args) => {
        throw new LuaRaisedError(`raised ${String(args[0])}`);
      },
      raiseBare: () => {
        throw new LuaRaisedError('bare', false);
      },
      boom: () => {
        throw new Error('a bug');
      },
      build: () => {
        const shared = new LuaTable();
        shared.set('k', 'v');
        const t = new LuaTable();
        t.set(1, shared);
        t.set(2, shared);
        t.set('self', t);
        const meta = new LuaTable();
        meta.set('__index', shared);
        const withMeta = new LuaTable();
        withMeta.metatable = meta;
        t.set('m', withMeta);
        return [t, 'two', null, 3.5];
      },
    },
    fields: { VERSION: 'tlib 1' },
  };
}

const STRING_EXTRA: LuaLibrary = { name: 'string', functions: { twice: (args) => [String(args[0]) + String(args[0])] } };

async function engine(env: Partial<ScriptEnvironment> = {}, seen: Seen = { args: [] }): Promise<ScriptEngine> {
  const e = new ScriptEngine({
    log: () => {},
    busyReplyThresholdMs: () => 5000,
    libraries: [testLibrary(seen), STRING_EXTRA],
    version: '7.0.15',
    ...env,
  });
  await e.start();
  return e;
}


/** Runs body and returns the reply as text. */
function run(e: ScriptEngine, body: string, args: string[] = []): string {
  const script = e.load(body);
  if ('error' in script) return `-${script.error}`;
  const w = new ReplyWriter();
  // A run past busy-reply-threshold is suspended: resumed here at once, slice after slice.
  if (!e.run(script, [], args, new ScriptRun(script.sha, COMPAT_FLAGS, false, OK_HOST, w))) while (!e.resume());
  return (w.take() ?? Buffer.alloc(0)).toString('latin1');
}

/** Runs body with KEYS and ARGV and returns the reply as text. */
function runWith(e: ScriptEngine, body: string, keys: string[], args: string[]): string {
  const script = e.load(body);
  if ('error' in script) return `-${script.error}`;
  const w = new ReplyWriter();
  if (!e.run(script, keys, args, new ScriptRun(script.sha, COMPAT_FLAGS, false, OK_HOST, w))) while (!e.resume());
  return (w.take() ?? Buffer.alloc(0)).toString('latin1');
}

/** Starts body; the run, and whether it ended within its first slice. */
function start(e: ScriptEngine, body: string): { run: ScriptRun; done: boolean; writer: ReplyWriter } {
  const script = e.load(body);
  if ('error' in script) throw new Error(script.error);
  const writer = new ReplyWriter();
  const r = new ScriptRun(script.sha, COMPAT_FLAGS, false, OK_HOST, writer);
  return { run: r, done: e.run(script, [], [], r), writer };
}

describe('the library bridge', () => {
  test('arguments arrive as LuaValues, tables in next order, and go back as they were', async () => {
    const seen: Seen = { args: [] };
    const e = await engine({}, seen);
    expect(run(e, "return tlib.count(1, nil, 'x', nil)")).toBe(':4\r\n');
    run(e, "local t = {10, 20, 30} tlib.echo(t, true, 1.5, 'b\\0y', print)".replace('print', 'tlib.echo'));
    const [t, b, n, s, f] = seen.args;
    expect(t).toBeInstanceOf(LuaTable);
    expect((t as LuaTable).entries).toEqual([[1, 10], [2, 20], [3, 30]]);
    expect([b, n, s]).toEqual([true, 1.5, 'b\x00y']);
    expect(f).toEqual(new LuaOpaque('function'));
    // A table met twice is one LuaTable; a cycle is kept as one.
    run(e, 'local s = {} local t = {a = s, b = s} t.me = t tlib.echo(t)');
    const cyc = seen.args[0] as LuaTable;
    expect(cyc.get('a')).toBe(cyc.get('b'));
    expect(cyc.get('me')).toBe(cyc);
    // Metatables come along.
    run(e, "tlib.echo(setmetatable({}, {__index = {x = 1}}))");
    expect((seen.args[0] as LuaTable).metatable?.get('__index')).toBeInstanceOf(LuaTable);
    // Round trip: the same values come back to Lua.
    expect(run(e, "local a, b, c = tlib.echo({1, {2, 'x'}}, 'y', 7) return {a[1], a[2][1], a[2][2], b, c}")).toBe(
      '*5\r\n:1\r\n:2\r\n$1\r\nx\r\n$1\r\ny\r\n:7\r\n',
    );
    e.close();
  });

  test('tables built in TypeScript: order, shared tables, cycles, metatables', async () => {
    const e = await engine();
    expect(run(e, "local t, two, none, f = tlib.build() return {t[1] == t[2], t.self == t, t[1].k, two, none == nil, f, t.m.k}")).toBe(
      '*7\r\n:1\r\n:1\r\n$1\r\nv\r\n$3\r\ntwo\r\n:1\r\n:3\r\n$1\r\nv\r\n',
    );
    expect(run(e, 'return tlib.VERSION')).toBe('$6\r\ntlib 1\r\n');
    expect(run(e, "return string.twice('ab') .. ('cd'):twice()")).toBe('$8\r\nababcdcd\r\n');
    e.close();
  });

  test('errors: with the caller position, without it, and a bug in TypeScript', async () => {
    const e = await engine();
    const sha = (body: string) => ScriptEngine.sha1(body);
    let body = "\ntlib.raise('x')";
    expect(run(e, body)).toBe(`-ERR user_script:2: raised x script: ${sha(body)}, on @user_script:2.\r\n`);
    body = 'tlib.raiseBare()';
    expect(run(e, body)).toBe(`-ERR bare script: ${sha(body)}, on @user_script:1.\r\n`);
    body = 'tlib.boom()';
    expect(run(e, body)).toBe(`-ERR user_script:1: internal error in tlib.boom: a bug script: ${sha(body)}, on @user_script:1.\r\n`);
    expect(run(e, "return {pcall(tlib.raise, 'y')}")).toBe('*2\r\n$-1\r\n$8\r\nraised y\r\n');
    body = 'tlib.echo = nil';
    expect(run(e, body)).toBe(`-ERR user_script:1: Attempt to modify a readonly table script: ${sha(body)}, on @user_script:1.\r\n`);
    e.close();
  });

  test('a table nested past the depth limit is refused, and the engine goes on', async () => {
    const e = await engine();
    const reply = run(e, 'local t = {} local c = t for i = 1, 2100 do c[1] = {} c = c[1] end return tlib.count(t)');
    expect(reply).toContain('table nested too deeply');
    expect(run(e, 'local t = {} local c = t for i = 1, 100 do c[1] = {} c = c[1] end return tlib.count(t)')).toBe(':1\r\n');
    e.close();
  });
});

describe('stops', () => {
  test('past busy-reply-threshold a run is suspended in slices, also inside (nested) pcall, and ends normally', async () => {
    const logs: string[] = [];
    const e = await engine({ busyReplyThresholdMs: () => 20, log: (_l, m) => logs.push(m) });
    for (const body of [
      'local t = redis.call("time") local n = 0 while n < 3e7 do n = n + 1 end return n',
      'local ok, n = pcall(function() local n = 0 while n < 3e7 do n = n + 1 end return n end) return n',
      'local ok, n = pcall(pcall, function() return 1 end) return {pcall(function() return select(2, pcall(function() local n = 0 while n < 3e7 do n = n + 1 end return n end)) end)}',
    ]) {
      const t0 = performance.now();
      const s = start(e, body);
      expect(s.done, body).toBe(false);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(19);
      expect(e.busy).toBe(s.run);
      let turns = 0;
      while (!e.resume()) turns++;
      expect(turns, body).toBeGreaterThan(0);
      expect(e.busy).toBe(null);
      const reply = s.writer.take()!.toString('latin1');
      expect(reply, body).toMatch(/^(:30000000\r\n|\*2\r\n:1\r\n:30000000\r\n)$/);
    }
    expect(logs[0]).toMatch(/^Slow script detected: still in execution after \d+ milliseconds\. You can try killing the script using the SCRIPT KILL command\. Script name is: [0-9a-f]{40}\.$/);
    e.close();
  });

  test('a killed run stops with Redis\'s error at its next slice, and pcall cannot swallow it', async () => {
    const logs: string[] = [];
    const e = await engine({ busyReplyThresholdMs: () => 10, log: (_l, m) => logs.push(m) });
    for (const body of ['while true do end', 'while true do pcall(function() while true do end end) end',
      'local function f() return pcall(function() while true do end end) end while true do pcall(f) end']) {
      const s = start(e, body);
      expect(s.done).toBe(false);
      e.resume();
      s.run.kill();
      expect(e.resume(), body).toBe(true);
      expect(s.writer.take()!.toString('latin1'), body).toMatch(
        new RegExp(`^-ERR Script killed by user with SCRIPT KILL\\.\\.\\. script: ${ScriptEngine.sha1(body)}, on @user_script:1\\.\r\n$`));
      expect(e.running).toBe(null);
    }
    // Logged once per killed run, however often the stop is raised again.
    expect(logs.filter((l) => l === 'Lua script killed by user with SCRIPT KILL.')).toHaveLength(3);
    expect(run(e, 'return 1')).toBe(':1\r\n');
    e.close();
  });

  test('where Lua cannot yield (a sort comparator, a metamethod, a coroutine of the script, xpcall) the run is stopped after another threshold', async () => {
    const e = await engine({ busyReplyThresholdMs: () => 30 });
    for (const body of ['local t = {3, 2, 1} table.sort(t, function(a, b) while true do end end)',
      'local t = setmetatable({}, {__index = function() while true do end end}) return t.x',
      'while true do pcall(function() local t = {3, 2, 1} table.sort(t, function(a, b) while true do end end) end) end',
      'coroutine.wrap(function() while true do end end)()',
      'coroutine.wrap(function() pcall(function() while true do end end) end)()',
      'while true do xpcall(function() while true do end end, function(e) return e end) end']) {
      const t0 = performance.now();
      const s = start(e, body);
      let done = s.done;
      while (!done) done = e.resume();
      const took = performance.now() - t0;
      expect(s.writer.take()!.toString('latin1'), body).toContain('could not be suspended');
      expect(took).toBeGreaterThanOrEqual(59);
      expect(took).toBeLessThan(5000);
    }
    expect(run(e, 'return 1')).toBe(':1\r\n');
    e.close();
  });

  test('busy-reply-threshold 0: a run is never timed out', async () => {
    const e = await engine({ busyReplyThresholdMs: () => 0 });
    expect(start(e, 'local n = 0 while n < 2e7 do n = n + 1 end return n').done).toBe(true);
    e.close();
  });

  test('pcall on a coroutine answers as Redis\'s pcall', async () => {
    const e = await engine();
    expect(run(e, "return {pcall(function(a, b) return a + b, 'x' end, 1, 2)}")).toBe('*3\r\n$-1\r\n:3\r\n$1\r\nx\r\n'.replace('$-1\r\n', ':1\r\n'));
    expect(run(e, "return {pcall(function() error({err = 'E1 x'}) end)}")).toBe('*2\r\n$-1\r\n$4\r\nE1 x\r\n');
    expect(run(e, "return {pcall(function() error('boom') end)}")).toBe('*2\r\n$-1\r\n$19\r\nuser_script:1: boom\r\n');
    expect(run(e, "return {pcall(function() coroutine.yield(1) end)}")).toBe('*2\r\n$-1\r\n$50\r\nattempt to yield across metamethod/C-call boundary\r\n');
    expect(run(e, "local co = coroutine.create(function() local ok, v = pcall(function() return 5 end) coroutine.yield(v) return 6 end) " +
      "local _, a = coroutine.resume(co) local _, b = coroutine.resume(co) return {a, b}")).toBe('*2\r\n:5\r\n:6\r\n');
    e.close();
  });

  test('unbounded recursion and allocation end with an error', async () => {
    const e = await engine({ luaMemoryLimit: 32 << 20 });
    expect(run(e, 'local function f() return f() + 1 end return f()')).toContain('stack overflow');
    expect(run(e, "local t = {} while true do t[#t + 1] = string.rep('x', 1e5) .. #t end")).toContain('not enough memory');
    expect(run(e, "return redis.call('ping')")).toBe('+OK\r\n');
    e.close();
  });
});

describe('engines', () => {
  test('KEYS and ARGV are as new in every run, whatever the run before did to them', async () => {
    const e = await engine();
    const show = `local n = 0 for _ in pairs(KEYS) do n = n + 1 end
      local m = 0 for _ in pairs(ARGV) do m = m + 1 end
      return {#KEYS, n, #ARGV, m, tostring(getmetatable(KEYS)), tostring(rawget(KEYS, 'foo')), KEYS[1] or 'nil', KEYS[2] or 'nil', KEYS[3] or 'nil', ARGV[1] or 'nil', ARGV[2] or 'nil'}`;
    const expected = (keys: string[], args: string[]): string => {
      const items = [`:${keys.length}`, `:${keys.length}`, `:${args.length}`, `:${args.length}`, '$3\r\nnil', '$3\r\nnil'];
      for (let i = 0; i < 3; i++) items.push(keys[i] === undefined ? '$3\r\nnil' : `$${keys[i]!.length}\r\n${keys[i]}`);
      for (let i = 0; i < 2; i++) items.push(args[i] === undefined ? '$3\r\nnil' : `$${args[i]!.length}\r\n${args[i]}`);
      return `*${items.length}\r\n${items.join('\r\n')}\r\n`;
    };
    expect(runWith(e, show, ['a', 'b', 'c'], ['x', 'y'])).toBe(expected(['a', 'b', 'c'], ['x', 'y']));
    // Fewer keys than the run before: the slots past them are empty again.
    expect(runWith(e, show, ['k'], [])).toBe(expected(['k'], []));
    // Changes a script may make: each is gone in the next run.
    const changes = [
      "KEYS.foo = 'bar' ARGV[9] = 1 return 1",
      "setmetatable(KEYS, {__index = function() return 'meta' end}) return 1",
      "KEYS[2] = 'late' table.insert(ARGV, 'more') return 1",
      "KEYS[1] = nil ARGV[1] = {} return 1",
      "for i = 1, 100 do KEYS[i] = i end return 1",
      "table.remove(KEYS) KEYS.foo = 1 KEYS.foo = nil return 1",
    ];
    for (const change of changes) {
      expect(runWith(e, change, ['p', 'q', 'r'], ['s', 't'])).toBe(':1\r\n');
      expect(runWith(e, show, ['one', 'two'], ['three'])).toBe(expected(['one', 'two'], ['three']));
      expect(runWith(e, show, [], [])).toBe(expected([], []));
    }
    e.close();
  });

  test('the runtime grows the WebAssembly memory when Lua needs more, and strings cross whole after it', async () => {
    const e = await engine({ luaMemoryLimit: 256 << 20 });
    const before = e.wasmMemory();
    expect(run(e, "local s = string.rep('ab', 10 * 1024 * 1024) return {#s, s:sub(-3), s:byte(1)}")).toBe('*3\r\n:20971520\r\n$3\r\nbab\r\n:97\r\n');
    expect(e.wasmMemory()).toBeGreaterThan(before + (20 << 20));
    const big = 'x'.repeat(1 << 20) + 'y';
    expect(run(e, 'return #ARGV[1] .. ARGV[1]:sub(-2)', [big])).toBe('$9\r\n1048577xy\r\n');
    e.close();
  });

  test('two engines share nothing; SCRIPT FLUSH gives a fresh state', async () => {
    const a = await engine();
    const b = await engine();
    run(a, 'math.randomseed(5)');
    expect(run(b, 'return math.random(1000)')).toBe(':397\r\n'); // b's sequence untouched by a's seed
    expect(a.cachedScripts).toBe(1);
    expect(b.cachedScripts).toBe(1);
    a.flush();
    expect(a.cachedScripts).toBe(0);
    expect(run(a, 'return redis.REDIS_VERSION_NUM')).toBe(`:${0x07000f}\r\n`);
    // A new state per flush, the same C functions: a flush costs the state, not new registrations.
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) a.flush();
    expect(run(a, "return redis.call('ping')")).toBe('+OK\r\n');
    expect(performance.now() - t0).toBeLessThan(2000);
    a.close();
    b.close();
  });

  test('a script cannot leave anything behind in the globals', async () => {
    const e = await engine();
    expect(run(e, 'return rawset(_G, "leak", 1)')).toContain('Attempt to modify a readonly table');
    expect(run(e, 'return type(leak)')).toContain("nonexistent global variable 'leak'");
    e.close();
  });
});
