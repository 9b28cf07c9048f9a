import { createHash } from 'node:crypto';
import { formatDouble17g } from '../protocol/writer.js';
import { registerLibrary, type LuaLibrary } from './library-bridge.js';
import { redisLibraries } from './lib/redis-libraries.js';
import { errorTableText, extractErrorInfo, pushErrorTable, pushReply, writeError, writeReply } from './lua-reply.js';
import {
  LuaWasm,
  loadLuaModule,
  type LuaModule,
  LUA_GLOBALSINDEX,
  LUA_MULTRET,
  LUA_OK,
  LUA_REGISTRYINDEX,
  LUA_YIELD,
  MASK_COUNT,
  MASK_LINE,
  T_NUMBER,
  T_STRING,
  T_TABLE,
  T_FUNCTION,
  T_NIL,
  T_NONE,
} from './lua-wasm.js';
import { Lrand48, LRAND48_MAX } from './lrand48.js';
import { SANDBOX_LUA } from './sandbox.js';
import { argErrorText, insertWrongArgs, nilOrTableExpected, protectedMetatable, typeErrorExtra, valueExpected } from './lib/lib-errors.js';
import {
  errEngineStart,
  ERR_SCRIPT_KILLED,
  ERR_SCRIPT_UNINTERRUPTIBLE,
  LUA_ACL_CHECK_UNKNOWN,
  LUA_CALL_BAD_ARG,
  LUA_CALL_NO_ARGS,
  LUA_INTERVAL_EMPTY,
  LUA_LOG_ARGS,
  LUA_LOG_LEVEL,
  LUA_LOG_LEVEL_TYPE,
  LUA_MISSING_GLOBAL_KEY,
  LUA_READONLY_TABLE,
  LUA_SET_REPL_ARGS,
  LUA_SET_REPL_FLAGS,
  LUA_SETRESP_ARGS,
  LUA_SETRESP_VERSION,
  LUA_WRONG_ARGS,
  LUA_WRONG_ARGS_OR_TYPE,
  errCompile,
  errRunning,
  luaMissingGlobal,
  luaOutsideRun,
} from './script-errors.js';
import { parseShebang, type ScriptFlags } from './script-flags.js';
import { REPL_ALL, REPL_AOF, REPL_NONE, REPL_REPLICA, type ScriptRun } from './script-run.js';

/** Redis's log levels (LL_DEBUG .. LL_WARNING), as redis.LOG_* numbers them. */
const LOG_LEVELS = ['debug', 'verbose', 'notice', 'warning'] as const;
export type ScriptLogLevel = (typeof LOG_LEVELS)[number];

/** What the engine needs from its server, besides what each run brings. */
export interface ScriptEnvironment {
  /** redis.log: a line in the server's log (the logger filters by loglevel, as Redis's serverLogRaw). */
  log(level: ScriptLogLevel, message: string): void;
  /** busy-reply-threshold (lua-time-limit) in ms: a run past it is timed out (see ScriptEngine); 0: never. */
  busyReplyThresholdMs(): number;
  /** Libraries written in TypeScript to register besides Redis's own (lib/redis-libraries.ts): tests add their own. */
  readonly libraries: readonly LuaLibrary[];
  /** The version redis.REDIS_VERSION and REDIS_VERSION_NUM report. */
  readonly version: string;
  /** The Lua heap a script may grow to; default LUA_MEMORY_LIMIT (tests set less). */
  readonly luaMemoryLimit?: number;
}

/** A script in the cache (Redis's luaScript): its body, flags and compiled function. */
export interface CachedScript {
  readonly sha: string;
  readonly body: string;
  readonly flags: ScriptFlags;
  /** The compiled function's reference in the state's registry. */
  readonly ref: number;
  /**
   * FCALL's calling convention (function-engine.ts): KEYS and ARGV are passed as the
   * function's two arguments instead of being set as globals (luaCallFunction without
   * SCRIPT_EVAL_MODE).
   */
  readonly keysAsArguments?: boolean;
}

/**
 * VM instructions between two calls of the count hook. Redis's is 100,000; here a
 * redis.call costs more than in Redis (tens of microseconds with its bridge crossings),
 * so a loop of calls would pass busy-reply-threshold by hundreds of ms unnoticed: a hook
 * 10 times as often, which costs a JavaScript call per 10,000 instructions (under 1 %).
 */
const HOOK_EVERY = 10_000;
/**
 * How long a timed-out run runs before it yields to the event loop again, ms. Redis
 * serves events at every hook call once timed out (every 100,000 instructions, well under
 * a millisecond); a turn of Node's loop costs more than that, so slices are longer.
 */
export const SLICE_MS = 2;
/**
 * The Lua heap a script may grow to (lua-wasm.ts's allocator refuses past it). Redis sets
 * none; lapse has one because WebAssembly memory never shrinks: a runaway script would
 * keep the process large until restart. 1 GiB leaves scripts every size Redis users run.
 */
const LUA_MEMORY_LIMIT = 1 << 30;
/** Bytes the cache costs per script besides its body (sha sds, dict entry; evalScriptsMemory). */
const SCRIPT_OVERHEAD = 80;

/** Refs into one Lua state's registry, set up by setupState(). */
interface StateRefs {
  globals: number;
  protectedSet: number;
  shown: number;
  errinfo: number;
  /** The sandbox's pcall owners table (see walkOwners). */
  owners: number;
  /** The table behind each proxy (weak keys), Lua's own next, and the engine's (see next()). */
  behind: number;
  next: number;
  throughNext: number;
  /** Lua's table.insert (tableInsert calls it for tables that are not read-only). */
  tableInsert: number;
  thread: number;
  threadRef: number;
  /** The tables KEYS and ARGV hold (see setGlobalArray). */
  keys: ArrayTable;
  argv: ArrayTable;
}

/** A table kept from one run to the next: its registry reference and address (0: none yet). */
interface ArrayTable {
  ref: number;
  address: number;
}

/**
 * The EVAL engine of one server (Redis's lctx): one Lua 5.1 state with Redis 7.0's
 * environment, the script cache, and the run of a script.
 *
 * Life: the engine is made with the server; its WebAssembly instance and Lua state are
 * made, synchronously, the first time a script needs them (started()), so a server that
 * runs no script never has them. SCRIPT FLUSH closes the state and opens a new one in the
 * same instance (synchronous).
 *
 * A run: the script's compiled function runs on a coroutine of the state (resumed, not
 * called), with a count hook on it (every HOOK_EVERY instructions).
 * - Until busy-reply-threshold has passed the hook does nothing: run() returns with the
 *   script done and its reply written, and nothing else ran meanwhile (atomic, as in Redis).
 * - Past it the run is timed out (Redis's SCRIPT_TIMEDOUT, logged as Redis logs it): the
 *   hook yields the coroutine, so run() returns false with the run suspended, and again
 *   after every SLICE_MS of each later slice. The caller holds its client, lets the event
 *   loop turn (other clients get BUSY from the dispatcher meanwhile) and calls resume()
 *   until it returns true, the reply written.
 * - SCRIPT KILL sets run.stopError (run.kill()); the hook raises it at its next call and from then on
 *   on every line, on every coroutine of the run, so pcall cannot catch it and go on.
 * - Lua 5.1 cannot yield across a C boundary. pcall is therefore a coroutine of its own
 *   (sandbox.ts) whose suspension is passed outwards; the hook yields only where every
 *   thread up to the run's own can yield (sandbox's owners table links them). Elsewhere
 *   (a table.sort comparator, a gsub callback, a metamethod, xpcall, a pcall of a C
 *   function, a coroutine the script created) it cannot: a run stuck there for another
 *   busy-reply-threshold is stopped with ERR_SCRIPT_UNINTERRUPTIBLE.
 */
export class ScriptEngine {
  private lua: LuaWasm | null = null;
  private refs: StateRefs | null = null;
  private closed = false;
  private readonly scripts = new Map<string, CachedScript>();
  private scriptBytes = 0;
  /** The run in progress (between run()'s start and end), null otherwise. */
  private current: ScriptRun | null = null;
  private readonly random = new Lrand48();
  /** The script lookup() found last (see there). */
  private lastFound: CachedScript | undefined = undefined;
  private hookFn = 0;
  /** Whether the current run is suspended (run() or resume() returned false). */
  private suspended = false;
  /** How many values on the coroutine the first resume of the current run passes to its function (FCALL: keys and arguments). */
  private firstResumeArgs = 0;
  /** The thread the hook yielded, then each thread that passes that yield outwards (sandbox's pcall). */
  private yieldedThread = 0;
  /**
   * Redis's pre_command_oom_state: whether the command that started the script (EVAL, or
   * EXEC around it) found memory over maxmemory; set by the dispatcher.
   */
  preCommandOom = false;

  constructor(private readonly env: ScriptEnvironment) {}

  /**
   * The Lua state, created with its WebAssembly instance the first time a script needs it
   * (SCRIPT LOAD, EVAL, a function library): a server that never runs a script never pays
   * for one (about 10 ms and 3.5 MiB each, and listen() waits for neither). Synchronous,
   * so the command that needs it is served in the same turn. Throws if the engine is
   * closed, or if this build of Lua is not the one the engine reads (checkLayout).
   */
  private started(): { lua: LuaWasm; refs: StateRefs } {
    if (this.lua === null || this.refs === null) {
      if (this.closed) throw new Error('the scripting engine is closed');
      this.init(loadLuaModule());
    }
    return { lua: this.lua!, refs: this.refs! };
  }

  /** Starts the engine now (tests that measure it, or want it warm). */
  start(): void {
    this.started();
  }


  /**
   * The Lua state, for the functions engine (function-engine.ts), which owns a second
   * ScriptEngine as Redis keeps a second Lua state for functions: it compiles libraries
   * in this state and adds its library-loading environment. Created on first use.
   */
  get state(): LuaWasm {
    return this.started().lua;
  }

  /** The Lua state if it was created, else null (nothing in it to release). */
  get stateIfStarted(): LuaWasm | null {
    return this.lua;
  }

  private init(m: LuaModule): void {
    const lua = new LuaWasm(m);
    lua.limit = this.env.luaMemoryLimit ?? LUA_MEMORY_LIMIT;
    this.hookFn = lua.hook((L) => this.hook(L));
    lua.checkLayout(lua.L, this.hookFn);
    lua.checkTableLayout(lua.L);
    this.lua = lua;
    this.refs = this.setupState(lua);
    this.checkYieldTest(lua);
  }

  /**
   * canYield() read where Lua 5.1 keeps it: true in a C function called from Lua code on
   * a resumed thread, false in one called under table.sort. Throws if this build of Lua
   * says otherwise (scripts would then be suspended where Lua cannot resume them).
   */
  private checkYieldTest(lua: LuaWasm): void {
    const m = lua.m;
    const seen: boolean[] = [];
    const probe = m.addFunction((Lc: number) => {
      seen.push(lua.canYield(Lc));
      return 0;
    }, 'ii');
    const co = m._lua_newthread(lua.L);
    const ok = lua.load(co, 'local probe = ... probe() table.sort({1, 2}, function() probe() return false end)', '=probe') === LUA_OK;
    if (ok) {
      m._lua_pushcclosure(co, probe, 0);
      m._lua_resume(co, 1);
    }
    m._lua_settop(lua.L, 0);
    if (seen.join() !== 'true,false') throw new Error('the Lua build does not report C boundaries as Lua 5.1.5 does: scripts cannot run in slices');
  }

  /** Releases the Lua state (the instance goes with the engine); a suspended run is dropped. */
  close(): void {
    this.closed = true;
    this.current = null;
    this.suspended = false;
    if (this.lua !== null) {
      this.lua.m._lua_close(this.lua.L);
      this.lua = null;
      this.refs = null;
    }
    this.scripts.clear();
    this.lastFound = undefined;
  }

  // --- the script cache -----------------------------------------------------------

  /** The cached script of a sha (any letter case, as Redis's case-insensitive dict). */
  lookup(sha: string): CachedScript | undefined {
    // The last script found, compared as text: no hashing of the sha for the script a
    // client sends again and again (a lock release); as the cache, emptied by SCRIPT FLUSH.
    const last = this.lastFound;
    if (last !== undefined && sha === last.sha) return last;
    const found = this.scripts.get(sha) ?? (sha.length === 40 ? this.scripts.get(sha.toLowerCase()) : undefined);
    if (found !== undefined) this.lastFound = found;
    return found;
  }

  /** The sha1 of a body, in lowercase hex. */
  static sha1(body: string): string {
    return createHash('sha1').update(body, 'latin1').digest('hex');
  }

  /**
   * Compiles and caches a body (luaCreateFunction): the cached script, or the error reply
   * (a bad shebang, a compile error) with nothing cached.
   */
  load(body: string, sha = ScriptEngine.sha1(body)): CachedScript | { error: string } {
    const known = this.scripts.get(sha);
    if (known !== undefined) return known;
    let lua: LuaWasm;
    try {
      lua = this.started().lua;
    } catch (e) {
      return { error: errEngineStart(e instanceof Error ? e.message : String(e)) };
    }
    const shebang = parseShebang(body);
    if ('error' in shebang) return shebang;
    const L = lua.L;
    // The shebang line is skipped, its line feed kept, so line numbers stay the user's.
    if (lua.load(L, shebang.shebangLength === 0 ? body : body.slice(shebang.shebangLength), '@user_script') !== LUA_OK) {
      const message = lua.toString(L, -1) ?? '';
      lua.m._lua_settop(L, -2);
      return { error: errCompile(message) };
    }
    const script: CachedScript = { sha, body, flags: shebang.flags, ref: lua.m._luaL_ref(L, LUA_REGISTRYINDEX) };
    this.scripts.set(sha, script);
    this.scriptBytes += body.length + SCRIPT_OVERHEAD;
    return script;
  }

  /** SCRIPT FLUSH: the cache emptied and a fresh Lua state (Redis's scriptingReset). */
  flush(): void {
    this.scripts.clear();
    this.lastFound = undefined;
    this.scriptBytes = 0;
    const lua = this.lua;
    if (lua === null) return;
    lua.reset();
    this.refs = this.setupState(lua);
  }

  get cachedScripts(): number {
    return this.scripts.size;
  }

  /** INFO used_memory_lua / used_memory_vm_eval: the Lua state's memory. */
  vmMemory(): number {
    return this.lua === null ? 0 : this.lua.memoryBytes();
  }

  /** The engine's WebAssembly memory (which never shrinks), left out of used_memory as Redis leaves Lua's out. */
  wasmMemory(): number {
    return this.lua === null ? 0 : this.lua.m.HEAPU8.buffer.byteLength;
  }

  /** INFO used_memory_scripts_eval: the cached bodies and their entries. */
  scriptsMemory(): number {
    return this.scriptBytes;
  }

  // --- running a script -----------------------------------------------------------------

  /** The run in progress: a command called from it is inside it, or it is suspended. */
  get running(): ScriptRun | null {
    return this.current;
  }

  /**
   * The run that passed busy-reply-threshold and has not ended (Redis's
   * scriptIsTimedout): other clients get BUSY while it is there.
   */
  get busy(): ScriptRun | null {
    const run = this.current;
    return run !== null && run.timedOut ? run : null;
  }

  /**
   * Runs a cached script with KEYS and ARGV (luaCallFunction) and writes its reply (or
   * its error, worded as Redis: "ERR user_script:1: ... script: <sha>, on
   * @user_script:1.") to run.reply, in the writer's protocol (the caller's).
   */
  run(script: CachedScript, keys: readonly string[], args: readonly string[], run: ScriptRun): boolean {
    // A script exists only once the state does (load()).
    const { lua, refs } = this.started();
    if (this.current !== null) throw new Error('a script run while another is in progress');
    const m = lua.m;
    const L = lua.L;
    const nargs = script.keysAsArguments === true ? 2 : 0;
    if (nargs === 0) {
      this.setGlobalArray(lua, refs, refs.keys, 'KEYS', keys);
      this.setGlobalArray(lua, refs, refs.argv, 'ARGV', args);
    }
    const co = refs.thread;
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, script.ref);
    if (nargs === 2) {
      pushArray(lua, L, keys);
      pushArray(lua, L, args);
    }
    m._lua_xmove(L, co, 1 + nargs);
    m._lua_sethook(co, this.hookFn, MASK_COUNT, HOOK_EVERY);
    this.current = run;
    this.firstResumeArgs = nargs;
    run.sliceStart = run.startedAt;
    return this.slice(lua, refs, run);
  }

  /**
   * Runs the next slice of the suspended run: true once it ended, its reply written to
   * run.reply (in the writer's protocol: the caller sets its client's), false if it was
   * suspended again. Throws if no run is suspended.
   */
  resume(): boolean {
    const lua = this.lua;
    const refs = this.refs;
    const run = this.current;
    if (lua === null || refs === null || run === null || !this.suspended) throw new Error('no suspended script to resume');
    this.suspended = false;
    run.slices++;
    run.sliceStart = performance.now();
    return this.slice(lua, refs, run);
  }

  /** Resumes the run's coroutine until it ends (true: reply written) or the hook suspends it (false). */
  private slice(lua: LuaWasm, refs: StateRefs, run: ScriptRun): boolean {
    const m = lua.m;
    const co = refs.thread;
    // The memory limit holds while the script runs (lua-wasm.ts: Lua raises "not enough memory").
    lua.limited = true;
    this.yieldedThread = 0;
    let status: number;
    try {
      // The function's arguments go with the first resume only (FCALL's keys and arguments).
      const nargs = this.firstResumeArgs;
      this.firstResumeArgs = 0;
      status = m._lua_resume(co, nargs);
    } catch (e) {
      this.endRun(lua, refs);
      throw e;
    } finally {
      lua.limited = false;
    }
    if (status === LUA_YIELD && this.yieldedThread === co) {
      this.suspended = true;
      return false;
    }
    this.endRun(lua, refs);
    if (status === LUA_OK) {
      // EVAL takes one result (lua_pcall(lua, 0, 1, ...)): the first, or nil.
      if (m._lua_gettop(co) === 0) m._lua_pushnil(co);
      else m._lua_settop(co, 1);
      const mark = run.reply.mark();
      try {
        writeReply(lua, co, run.reply, run.resp, 0, run);
      } catch (e) {
        // A bug in the conversion: this script's reply is lost, the next script's coroutine is clean.
        run.reply.rollback(mark);
        m._lua_settop(co, 0);
        this.newThread(lua, refs);
        throw e;
      }
      m._lua_settop(co, 0);
    } else {
      // A yield that no hook asked for: Lua 5.1 refuses it where Redis runs the script
      // (under lua_pcall), with this error.
      if (status === LUA_YIELD) {
        m._lua_settop(co, 0);
        lua.pushString(co, 'attempt to yield across metamethod/C-call boundary');
      }
      this.writeRunError(lua, refs, co, run.sha, run);
      // A coroutine that died (or is suspended) cannot run the next script: a new one.
      this.newThread(lua, refs);
    }
    // Redis also runs a GC step of 50 KiB of work every 50 scripts (LUA_GC_CYCLE_PERIOD);
    // lapse leaves collection to Lua's own incremental collector, which is paced by what
    // the scripts allocate. The explicit step was 10% of a lock-release EVALSHA here (it
    // traverses the whole state about every 40 scripts), and the state's memory stays
    // within Lua's usual bound (twice what is live, by its 200% pause).
    return true;
  }

  /** The run is over (ended, failed or dropped): no current run, no hook. */
  private endRun(lua: LuaWasm, refs: StateRefs): void {
    this.current = null;
    this.suspended = false;
    lua.m._lua_sethook(refs.thread, 0, 0, 0);
  }

  /** The error reply of a failed run, from the error value on top of co (luaCallFunction). */
  private writeRunError(lua: LuaWasm, refs: StateRefs, co: number, sha: string, run: ScriptRun): void {
    const m = lua.m;
    const L = lua.L;
    // errinfo(co, err) builds Redis's error table with the failing line, on the main state.
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, refs.errinfo);
    m._lua_pushvalue(L, LUA_REGISTRYINDEX);
    m._lua_rawgeti(L, -1, refs.threadRef);
    m._lua_remove(L, -2);
    m._lua_xmove(co, L, 1);
    if (m._lua_pcall(L, 2, 1, 0) !== LUA_OK || m._lua_type(L, -1) !== T_TABLE) {
      const message = m._lua_type(L, -1) === T_STRING ? lua.toString(L, -1)! : 'execution failure';
      run.reply.error(errRunning(sha, message));
      m._lua_settop(L, 0);
      return;
    }
    const info = extractErrorInfo(lua, L, -1);
    m._lua_settop(L, 0);
    let text = info.msg ?? '';
    if (info.line !== null && info.source !== null) text += ` script: ${sha}, on ${info.source}:${info.line}.`;
    writeError(run.reply, text, info.ignoreStats, run);
  }

  /**
   * Sets the global KEYS or ARGV to the run's strings. Redis makes two new tables per run.
   * A script cannot keep either past its run (the globals and every table reachable from
   * them are read-only, and scripts get no `debug`), so lapse refills the previous run's
   * table when it is still what lua_createtable made: no metatable, no hash part, enough
   * array slots (what a script may have done to it shows in its Table, isPlainArray).
   * Each run is then spared two tables to allocate and collect: about a fifth of a
   * lock-release EVALSHA in Lua's time. FCALL passes its arrays as arguments, which a
   * library can keep in an upvalue: those are new tables every call, as in Redis.
   */
  private setGlobalArray(lua: LuaWasm, refs: StateRefs, table: ArrayTable, name: string, items: readonly string[]): void {
    const m = lua.m;
    const L = lua.L;
    const n = items.length;
    if (table.address !== 0 && lua.isPlainArray(table.address, n)) {
      m._lua_rawgeti(L, LUA_REGISTRYINDEX, table.ref);
      for (let i = 0; i < n; i++) {
        lua.pushString(L, items[i]!);
        m._lua_rawseti(L, -2, i + 1);
      }
      const size = lua.arraySize(table.address);
      for (let i = n + 1; i <= size; i++) {
        if (lua.arraySlotIsNil(table.address, i)) continue;
        m._lua_pushnil(L);
        m._lua_rawseti(L, -2, i);
      }
      m._lua_settop(L, -2);
      return;
    }
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, refs.globals);
    lua.pushName(L, name);
    pushArray(lua, L, items);
    m._lua_pushvalue(L, -1);
    if (table.ref === 0) table.ref = m._luaL_ref(L, LUA_REGISTRYINDEX);
    else m._lua_rawseti(L, LUA_REGISTRYINDEX, table.ref);
    table.address = m._lua_topointer(L, -1);
    m._lua_rawset(L, -3);
    m._lua_settop(L, -2);
  }


  /** The coroutine scripts run on, kept from the GC by a registry reference. */
  private newThread(lua: LuaWasm, refs: StateRefs): void {
    const m = lua.m;
    if (refs.threadRef !== 0) m._luaL_unref(lua.L, LUA_REGISTRYINDEX, refs.threadRef);
    refs.thread = m._lua_newthread(lua.L);
    refs.threadRef = m._luaL_ref(lua.L, LUA_REGISTRYINDEX);
  }

  /**
   * The count hook, on the script's coroutine and those it creates (they inherit it):
   * Redis's luaMaskCountHook and scriptInterrupt, with suspension in place of
   * processEventsWhileBlocked (see the class comment).
   */
  private hook(L: number): void {
    const run = this.current;
    const lua = this.lua;
    const refs = this.refs;
    if (run === null || lua === null || refs === null) return;
    const m = lua.m;
    if (run.stopError !== null) {
      if (!run.stopRaised && run.stopError === ERR_SCRIPT_KILLED) this.env.log('warning', 'Lua script killed by user with SCRIPT KILL.');
      run.stopRaised = true;
      this.stopRun(lua, refs, L, run.stopError);
      return;
    }
    const now = performance.now();
    const limit = this.env.busyReplyThresholdMs();
    if (!run.timedOut) {
      if (limit <= 0 || now - run.startedAt < limit) return;
      run.timedOut = true;
      this.env.log(
        'warning',
        `Slow script detected: still in execution after ${Math.trunc(now - run.startedAt)} milliseconds. ` +
          `You can try killing the script using the ${run.mode === 'eval' ? 'SCRIPT KILL' : 'FUNCTION KILL'} command. Script name is: ${run.sha}.`,
      );
    } else if (now - run.sliceStart < SLICE_MS) {
      return;
    }
    if (this.canSuspend(lua, refs, L)) {
      run.stuckSince = 0;
      this.yieldedThread = L;
      m._lua_yield(L, 0);
      return;
    }
    // Inside a C boundary: nobody can be answered until the script leaves it.
    if (run.stuckSince === 0) run.stuckSince = now;
    else if (now - run.stuckSince >= Math.max(limit, SLICE_MS)) {
      run.stopError = ERR_SCRIPT_UNINTERRUPTIBLE;
      run.stopRaised = true;
      this.env.log('warning', `Lua script stopped: ${ERR_SCRIPT_UNINTERRUPTIBLE.slice(4)}. Script name is: ${run.sha}.`);
      this.stopRun(lua, refs, L, run.stopError);
    }
  }

  /**
   * Raises the run's stop error on L. First the hook is set to fire on every line of L,
   * of the threads that resume it (up to the run's) and of the run's, as Redis's does once
   * a script is killed, so a pcall in a loop cannot catch the error and go on. Never returns.
   */
  private stopRun(lua: LuaWasm, refs: StateRefs, L: number, error: string): void {
    const m = lua.m;
    m._lua_sethook(L, this.hookFn, MASK_LINE, 0);
    m._lua_sethook(refs.thread, this.hookFn, MASK_LINE, 0);
    this.walkOwners(lua, refs, L, (p) => {
      m._lua_sethook(p, this.hookFn, MASK_LINE, 0);
      return true;
    });
    pushErrorTable(lua, L, error, false);
    lua.raise(L);
  }

  /**
   * Whether the hook may yield L: L can yield, and so can each thread that resumed it
   * through the sandbox's pcall, up to the run's own thread (Lua 5.1 would otherwise
   * refuse the yield that passes the suspension outwards).
   */
  private canSuspend(lua: LuaWasm, refs: StateRefs, L: number): boolean {
    if (!lua.canYield(L)) return false;
    if (L === refs.thread) return true;
    return this.walkOwners(lua, refs, L, (p) => lua.canYield(p)) === refs.thread;
  }

  /**
   * Visits the threads that resume L through the sandbox's pcall (owners[L], then its
   * owner, ...), while visit returns true; returns the last thread reached (the run's own
   * thread when the chain is whole), 0 if a thread has no owner. Uses L's stack (a hook
   * has LUA_MINSTACK free slots) and leaves it as it was.
   */
  private walkOwners(lua: LuaWasm, refs: StateRefs, L: number, visit: (p: number) => boolean): number {
    const m = lua.m;
    const top = m._lua_gettop(L);
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, refs.owners);
    m._lua_pushthread(L);
    let reached = 0;
    // Bounded: pcalls nest at most ~200 deep (Lua's C-stack limit).
    for (let depth = 0; depth < 1000; depth++) {
      m._lua_rawget(L, top + 1);
      const p = m._lua_tothread(L, -1);
      reached = p;
      if (p === 0 || !visit(p) || p === refs.thread) break;
    }
    m._lua_settop(L, top);
    return reached;
  }

  /**
   * coroutine.running: nil where Redis runs the script on its main thread (the run's own
   * coroutine here, and the coroutines of the sandbox's pcall under it), else the
   * script's coroutine that runs now (the one a pcall's coroutine belongs to).
   */
  private coroutineRunning(lua: LuaWasm, L: number): number {
    const m = lua.m;
    const refs = this.refs!;
    const top = m._lua_gettop(L);
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, refs.owners);
    m._lua_pushthread(L);
    // Up the owners (pcall's coroutine -> the thread that resumed it) to a thread that has
    // none. Bounded: pcalls nest at most ~200 deep (Lua's C-stack limit).
    for (let depth = 0; depth < 1000; depth++) {
      m._lua_pushvalue(L, -1);
      m._lua_rawget(L, top + 1);
      if (m._lua_tothread(L, -1) === 0) {
        m._lua_settop(L, -2);
        break;
      }
      m._lua_remove(L, -2);
    }
    if (m._lua_tothread(L, -1) === refs.thread) {
      m._lua_settop(L, top);
      m._lua_pushnil(L);
      return 1;
    }
    m._lua_replace(L, top + 1);
    m._lua_settop(L, top + 1);
    return 1;
  }

  /** iscfunction(f): lua_iscfunction, for the sandbox's pcall. */
  private isCFunction(lua: LuaWasm, L: number): number {
    lua.m._lua_pushboolean(L, lua.m._lua_iscfunction(L, 1));
    return 1;
  }

  /** passing(co): whether the hook's suspension reached co; if so it now passes through L. */
  private passing(lua: LuaWasm, L: number): number {
    const co = lua.m._lua_tothread(L, 1);
    const yes = co !== 0 && co === this.yieldedThread;
    if (yes) this.yieldedThread = L;
    lua.m._lua_pushboolean(L, yes ? 1 : 0);
    return 1;
  }

  // --- the state: Redis 7.0's environment ---------------------------------------------

  private setupState(lua: LuaWasm): StateRefs {
    const m = lua.m;
    const L = lua.L;
    m._luaL_openlibs(L);
    const reg = (key: string, fn: (Lc: number) => number): number => lua.cfunction(key, fn);
    const setFn = (name: string, fn: (Lc: number) => number): void => {
      m._lua_pushcclosure(L, reg(`redis.${name}`, fn), 0);
      lua.setField(L, -2, name);
    };
    const setNum = (name: string, v: number): void => {
      m._lua_pushnumber(L, v);
      lua.setField(L, -2, name);
    };

    // pcall as Redis's luaRedisPcall: an error table's `err` becomes the error value.
    m._lua_pushcclosure(L, reg('pcall', (Lc) => this.pcall(lua, Lc)), 0);
    lua.setField(L, LUA_GLOBALSINDEX, 'pcall');

    // The redis table (luaRegisterRedisAPI, scriptingInit).
    m._lua_createtable(L, 0, 32);
    setFn('call', (Lc) => this.redisCall(lua, Lc, true));
    setFn('pcall', (Lc) => this.redisCall(lua, Lc, false));
    setFn('log', (Lc) => this.redisLog(lua, Lc));
    LOG_LEVELS.forEach((level, i) => setNum(`LOG_${level.toUpperCase()}`, i));
    setNum('REDIS_VERSION_NUM', versionNumber(this.env.version));
    lua.pushString(L, this.env.version);
    lua.setField(L, -2, 'REDIS_VERSION');
    setFn('setresp', (Lc) => this.setResp(lua, Lc));
    setFn('sha1hex', (Lc) => this.sha1hex(lua, Lc));
    setFn('error_reply', (Lc) => this.errorReply(lua, Lc));
    setFn('status_reply', (Lc) => this.statusReply(lua, Lc));
    setFn('set_repl', (Lc) => this.setRepl(lua, Lc));
    setNum('REPL_NONE', REPL_NONE);
    setNum('REPL_AOF', REPL_AOF);
    setNum('REPL_SLAVE', REPL_REPLICA);
    setNum('REPL_REPLICA', REPL_REPLICA);
    setNum('REPL_ALL', REPL_ALL);
    setFn('acl_check_cmd', (Lc) => this.aclCheckCmd(lua, Lc));
    setFn('replicate_commands', (Lc) => {
      m._lua_pushboolean(Lc, 1);
      return 1;
    });
    // redis.breakpoint and redis.debug answer as outside a debugging session (ldb is not supported).
    setFn('breakpoint', (Lc) => {
      m._lua_pushboolean(Lc, 0);
      return 1;
    });
    setFn('debug', () => 0);
    lua.setField(L, LUA_GLOBALSINDEX, 'redis');

    // math.random and math.randomseed on Redis's lrand48.
    lua.getField(L, LUA_GLOBALSINDEX, 'math');
    m._lua_pushcclosure(L, reg('math.random', (Lc) => this.mathRandom(lua, Lc)), 0);
    lua.setField(L, -2, 'random');
    m._lua_pushcclosure(L, reg('math.randomseed', (Lc) => this.mathRandomseed(lua, Lc)), 0);
    lua.setField(L, -2, 'randomseed');
    m._lua_settop(L, -2);

    // cjson, cmsgpack, struct, bit and string.format (lib/), new for each state; then any
    // the server adds.
    for (const lib of redisLibraries(lua.lightNull)) registerLibrary(lua, L, lib);
    for (const lib of this.env.libraries) registerLibrary(lua, L, lib);

    // The sandbox (sandbox.ts): protection, removals, the error helpers.
    if (lua.load(L, SANDBOX_LUA, '=sandbox') !== LUA_OK) throw new Error(`scripting sandbox: ${lua.toString(L, -1)}`);
    m._lua_pushcclosure(L, reg('readonly_error', (Lc) => this.readonlyError(lua, Lc)), 0);
    m._lua_pushcclosure(L, reg('missing_global', (Lc) => this.missingGlobal(lua, Lc)), 0);
    m._lua_pushcclosure(L, reg('iscfunction', (Lc) => this.isCFunction(lua, Lc)), 0);
    m._lua_pushcclosure(L, reg('passing', (Lc) => this.passing(lua, Lc)), 0);
    if (m._lua_pcall(L, 4, 6, 0) !== LUA_OK) throw new Error(`scripting sandbox: ${lua.toString(L, -1)}`);
    const behind = m._luaL_ref(L, LUA_REGISTRYINDEX);
    lua.proxyTargets = behind;
    const owners = m._luaL_ref(L, LUA_REGISTRYINDEX);
    const errinfo = m._luaL_ref(L, LUA_REGISTRYINDEX);
    const shown = m._luaL_ref(L, LUA_REGISTRYINDEX);
    const protectedSet = m._luaL_ref(L, LUA_REGISTRYINDEX);
    const globals = m._luaL_ref(L, LUA_REGISTRYINDEX);
    const refs: StateRefs = {
      globals, protectedSet, shown, errinfo, owners, behind, next: 0, throughNext: 0, tableInsert: 0, thread: 0, threadRef: 0,
      keys: { ref: 0, address: 0 }, argv: { ref: 0, address: 0 },
    };

    // setmetatable, rawset and getmetatable, guarded: a protected table cannot be changed
    // through them, and shows what Redis shows.
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, globals);
    for (const name of ['setmetatable', 'rawset', 'getmetatable'] as const) {
      lua.pushString(L, name);
      m._lua_pushcclosure(L, reg(`guarded.${name}`, (Lc) => this.guarded(lua, Lc, name)), 0);
      m._lua_rawset(L, -3);
    }
    // next, pairs and rawget, seeing through the proxies (sandbox.ts).
    lua.getField(L, -1, 'next');
    refs.next = m._luaL_ref(L, LUA_REGISTRYINDEX);
    const seeThrough = { next: (Lc: number) => this.next(lua, Lc), pairs: (Lc: number) => this.pairs(lua, Lc), rawget: (Lc: number) => this.rawget(lua, Lc) };
    for (const name of ['next', 'pairs', 'rawget'] as const) {
      lua.pushString(L, name);
      m._lua_pushcclosure(L, reg(`through.${name}`, seeThrough[name]), 0);
      if (name === 'next') {
        m._lua_pushvalue(L, -1);
        refs.throughNext = m._luaL_ref(L, LUA_REGISTRYINDEX);
      }
      m._lua_rawset(L, -3);
    }
    // coroutine.running as a script sees it in Redis (see coroutineRunning), in the real
    // coroutine table behind the proxy (the sandbox's pcall keeps the original).
    // So is table.foreach (Lua 5.0's, still in 5.1), seeing through a proxy as next does.
    const replace = (library: string, name: string, fn: (Lc: number) => number): void => {
      lua.getField(L, -1, library);
      m._lua_rawgeti(L, LUA_REGISTRYINDEX, behind);
      m._lua_pushvalue(L, -2);
      m._lua_rawget(L, -2);
      lua.pushString(L, name);
      m._lua_pushcclosure(L, reg(`${library}.${name}`, fn), 0);
      m._lua_rawset(L, -3);
      m._lua_settop(L, -4);
    };
    replace('coroutine', 'running', (Lc) => this.coroutineRunning(lua, Lc));
    replace('table', 'foreach', (Lc) => this.tableForeach(lua, Lc));
    // table.insert, refusing the read-only tables (the original kept for the others).
    lua.getField(L, -1, 'table');
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, behind);
    m._lua_pushvalue(L, -2);
    m._lua_rawget(L, -2);
    lua.getField(L, -1, 'insert');
    refs.tableInsert = m._luaL_ref(L, LUA_REGISTRYINDEX);
    m._lua_settop(L, -4);
    replace('table', 'insert', (Lc) => this.tableInsert(lua, Lc));
    m._lua_settop(L, 0);
    this.newThread(lua, refs);
    return refs;
  }

  // --- C functions of the environment ----------------------------------------------------
  // Each follows lua-wasm.ts's contract: no JavaScript exception escapes; Lua errors are
  // raised last, outside any try.

  /** __newindex of the protected tables. */
  private readonlyError(lua: LuaWasm, L: number): number {
    return lua.raiseWhere(L, LUA_READONLY_TABLE);
  }

  /** __index behind the globals: luaProtectedTableError. */
  private missingGlobal(lua: LuaWasm, L: number): number {
    if (lua.m._lua_isstring(L, 2) === 0) return lua.raiseWhere(L, LUA_MISSING_GLOBAL_KEY);
    return lua.raiseWhere(L, luaMissingGlobal(lua.toString(L, 2)!));
  }

  /** Whether the value at idx is one of the sandbox's read-only tables. */
  private isProtected(lua: LuaWasm, L: number, idx: number): boolean {
    const m = lua.m;
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, this.refs!.protectedSet);
    m._lua_pushvalue(L, idx);
    m._lua_rawget(L, -2);
    const yes = m._lua_toboolean(L, -1) !== 0;
    m._lua_settop(L, -3);
    return yes;
  }

  /**
   * setmetatable, rawset and getmetatable (lbaselib.c's, written here whole so that their
   * argument errors name the function and the script's line as Lua's do): a read-only
   * table cannot be changed through them ("Attempt to modify a readonly table", raised
   * where Redis's patched lua_setmetatable/lua_rawset raise it: after the argument checks,
   * without a position), and getmetatable shows for one what Redis shows.
   */
  private guarded(lua: LuaWasm, L: number, name: 'setmetatable' | 'rawset' | 'getmetatable'): number {
    const m = lua.m;
    if (name === 'getmetatable') {
      if (m._lua_type(L, 1) === T_NONE) return lua.argError(L, 1, valueExpected);
      m._lua_settop(L, 1);
      if (this.isProtected(lua, L, 1)) {
        m._lua_rawgeti(L, LUA_REGISTRYINDEX, this.refs!.shown);
        m._lua_pushvalue(L, 1);
        m._lua_rawget(L, -2);
        return 1;
      }
      if (m._lua_getmetatable(L, 1) === 0) {
        m._lua_pushnil(L);
        return 1;
      }
      lua.pushName(L, '__metatable');
      m._lua_rawget(L, -2);
      if (m._lua_type(L, -1) === T_NIL) m._lua_settop(L, -2);
      return 1;
    }
    if (m._lua_type(L, 1) !== T_TABLE) return this.tableExpected(lua, L, 1);
    if (name === 'rawset') {
      if (m._lua_type(L, 2) === T_NONE) return lua.argError(L, 2, valueExpected);
      if (m._lua_type(L, 3) === T_NONE) return lua.argError(L, 3, valueExpected);
      if (this.isProtected(lua, L, 1)) return this.readonlyRaise(lua, L);
      m._lua_settop(L, 3);
      m._lua_rawset(L, 1);
      return 1;
    }
    const t2 = m._lua_type(L, 2);
    if (t2 !== T_NIL && t2 !== T_TABLE) return lua.argError(L, 2, nilOrTableExpected);
    if (this.isProtected(lua, L, 1)) return this.readonlyRaise(lua, L);
    if (m._lua_getmetatable(L, 1) !== 0) {
      lua.pushName(L, '__metatable');
      m._lua_rawget(L, -2);
      if (m._lua_type(L, -1) !== T_NIL) return lua.raiseWhere(L, protectedMetatable);
      m._lua_settop(L, -3);
    }
    m._lua_settop(L, 2);
    m._lua_setmetatable(L, 1);
    return 1;
  }

  /** Redis's error for a write to a read-only table, raised from the C function itself (no position). */
  private readonlyRaise(lua: LuaWasm, L: number): number {
    lua.pushString(L, LUA_READONLY_TABLE);
    return lua.raise(L);
  }

  /**
   * table.insert: ltablib.c's argument checks, then Redis's error for a read-only table
   * (lua_rawseti writes past __newindex), else Lua's own insert.
   */
  private tableInsert(lua: LuaWasm, L: number): number {
    const m = lua.m;
    if (m._lua_type(L, 1) !== T_TABLE) return this.tableExpected(lua, L, 1);
    const n = m._lua_gettop(L);
    if (n !== 2 && n !== 3) return lua.raiseWhere(L, insertWrongArgs);
    if (n === 3 && m._lua_isnumber(L, 2) === 0) return lua.argError(L, 2, typeErrorExtra('number', lua.typeNameAt(L, 2)));
    if (this.isProtected(lua, L, 1)) return this.readonlyRaise(lua, L);
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, this.refs!.tableInsert);
    m._lua_insert(L, 1);
    m._lua_call(L, n, 0);
    return 0;
  }

  /**
   * Checks that argument 1 is a table (luaL_checktype's error otherwise, naming the
   * function as the script called it) and puts the table behind it there if it is a proxy.
   */
  private throughProxy(lua: LuaWasm, L: number): number {
    if (lua.m._lua_type(L, 1) !== T_TABLE) return this.tableExpected(lua, L, 1);
    if (this.pushBehind(lua, L, 1)) lua.m._lua_replace(L, 1);
    return 0;
  }

  /** luaL_checktype's error for argument i, which is not a table. Never returns. */
  private tableExpected(lua: LuaWasm, L: number, i: number): number {
    return lua.argError(L, i, typeErrorExtra('table', lua.typeNameAt(L, i)));
  }

  /** Pushes the table behind the proxy at idx and returns true; returns false, pushing nothing, if it is no proxy. */
  private pushBehind(lua: LuaWasm, L: number, idx: number): boolean {
    const m = lua.m;
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, this.refs!.behind);
    m._lua_pushvalue(L, idx);
    m._lua_rawget(L, -2);
    m._lua_remove(L, -2);
    if (m._lua_type(L, -1) === T_TABLE) return true;
    m._lua_settop(L, -2);
    return false;
  }

  /** next (luaB_next), over the table behind a proxy. */
  private next(lua: LuaWasm, L: number): number {
    const m = lua.m;
    this.throughProxy(lua, L);
    m._lua_settop(L, 2);
    if (m._lua_next(L, 1) !== 0) return 2;
    m._lua_pushnil(L);
    return 1;
  }

  /** pairs (luaB_pairs): Lua's next for a table, this engine's for a proxy (the proxy stays the state). */
  private pairs(lua: LuaWasm, L: number): number {
    const m = lua.m;
    if (m._lua_type(L, 1) !== T_TABLE) return this.tableExpected(lua, L, 1);
    const proxy = this.pushBehind(lua, L, 1);
    m._lua_settop(L, 1);
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, proxy ? this.refs!.throughNext : this.refs!.next);
    m._lua_pushvalue(L, 1);
    m._lua_pushnil(L);
    return 3;
  }

  /** table.foreach (ltablib.c's foreach), over the table behind a proxy. */
  private tableForeach(lua: LuaWasm, L: number): number {
    const m = lua.m;
    this.throughProxy(lua, L);
    const t = m._lua_type(L, 2);
    if (t !== T_FUNCTION) return lua.argError(L, 2, typeErrorExtra('function', lua.typeNameAt(L, 2)));
    m._lua_pushnil(L);
    while (m._lua_next(L, 1) !== 0) {
      m._lua_pushvalue(L, 2);
      m._lua_pushvalue(L, -3);
      m._lua_pushvalue(L, -3);
      m._lua_call(L, 2, 1);
      if (m._lua_type(L, -1) !== T_NIL) return 1;
      m._lua_settop(L, -3);
    }
    return 0;
  }

  /** rawget (luaB_rawget), reading the table behind a proxy. */
  private rawget(lua: LuaWasm, L: number): number {
    const m = lua.m;
    this.throughProxy(lua, L);
    if (m._lua_type(L, 2) === T_NONE) return lua.argError(L, 2, valueExpected);
    m._lua_settop(L, 2);
    m._lua_rawget(L, 1);
    return 1;
  }

  /** pcall: luaRedisPcall. */
  private pcall(lua: LuaWasm, L: number): number {
    const m = lua.m;
    const argc = m._lua_gettop(L);
    m._lua_pushboolean(L, 1);
    m._lua_insert(L, 1);
    if (m._lua_pcall(L, argc - 1, LUA_MULTRET, 0) !== LUA_OK) {
      m._lua_remove(L, 1);
      if (m._lua_type(L, -1) === T_TABLE) {
        lua.getField(L, -1, 'err');
        if (m._lua_isstring(L, -1) !== 0) m._lua_replace(L, -2);
        else m._lua_settop(L, -2);
      }
      m._lua_pushboolean(L, 0);
      m._lua_insert(L, 1);
    }
    return m._lua_gettop(L);
  }

  /** Raises {err = 'ERR <message>'} (luaPushError + luaError). */
  private raiseErrorTable(lua: LuaWasm, L: number, message: string): number {
    pushErrorTable(lua, L, errorTableText(message), false);
    return lua.raise(L);
  }

  /** The arguments of redis.call/pcall/acl_check_cmd as strings (luaArgsToRedisArgv), or the error. */
  private commandArgs(lua: LuaWasm, L: number): string[] | string {
    const m = lua.m;
    const argc = m._lua_gettop(L);
    if (argc === 0) return LUA_CALL_NO_ARGS;
    const argv: string[] = new Array(argc);
    for (let i = 1; i <= argc; i++) {
      const t = m._lua_type(L, i);
      // Numbers as %.17g, not Lua's %.14g, so no precision is lost.
      if (t === T_NUMBER) argv[i - 1] = formatDouble17g(m._lua_tonumber(L, i));
      else if (t === T_STRING) argv[i - 1] = lua.toString(L, i)!;
      else {
        m._lua_settop(L, 0);
        return LUA_CALL_BAD_ARG;
      }
    }
    m._lua_settop(L, 0);
    return argv;
  }

  /** redis.call (raise) and redis.pcall: luaRedisGenericCommand. */
  private redisCall(lua: LuaWasm, L: number, raise: boolean): number {
    const run = this.current;
    if (run === null) return this.raiseErrorTable(lua, L, luaOutsideRun('redis.call/pcall'));
    const argv = this.commandArgs(lua, L);
    if (typeof argv === 'string') {
      pushErrorTable(lua, L, errorTableText(argv), false);
      return raise ? lua.raise(L) : 1;
    }
    const reply = run.reply;
    const mark = reply.mark();
    const protocol = reply.protocol;
    let refusal: string | null;
    let failure: string | null = null;
    try {
      reply.protocol = run.resp;
      refusal = run.host.call(argv, run);
    } catch (e) {
      reply.rollback(mark);
      refusal = `internal error running a command from the script: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      reply.protocol = protocol;
    }
    if (refusal !== null) {
      pushErrorTable(lua, L, errorTableText(refusal), true);
      return raise ? lua.raise(L) : 1;
    }
    // The reply is read where it was encoded, then dropped from the writer.
    const bytes = reply.encoded;
    const at = reply.offsetOf(mark);
    try {
      if (at >= reply.encodedEnd) throw new Error('the command wrote no reply');
      pushReply(lua, L, bytes, at);
    } catch (e) {
      lua.m._lua_settop(L, 0);
      failure = e instanceof Error ? e.message : String(e);
    }
    reply.rollback(mark);
    if (failure !== null) return this.raiseErrorTable(lua, L, failure);
    return raise && bytes[at] === 0x2d ? lua.raise(L) : 1;
  }

  private sha1hex(lua: LuaWasm, L: number): number {
    if (lua.m._lua_gettop(L) !== 1) return this.raiseErrorTable(lua, L, LUA_WRONG_ARGS);
    const s = lua.toString(L, 1) ?? '';
    lua.pushString(L, ScriptEngine.sha1(s));
    return 1;
  }

  /** redis.error_reply: {err = 'CODE msg'} ('-' optional). */
  private errorReply(lua: LuaWasm, L: number): number {
    const m = lua.m;
    if (m._lua_gettop(L) !== 1 || m._lua_type(L, -1) !== T_STRING) {
      pushErrorTable(lua, L, errorTableText(LUA_WRONG_ARGS_OR_TYPE), false);
      return 1;
    }
    const text = lua.toString(L, -1)!;
    pushErrorTable(lua, L, errorTableText(text.startsWith('-') ? text : `-${text}`), false);
    return 1;
  }

  /** redis.status_reply: {ok = text}. */
  private statusReply(lua: LuaWasm, L: number): number {
    const m = lua.m;
    if (m._lua_gettop(L) !== 1 || m._lua_type(L, -1) !== T_STRING) {
      pushErrorTable(lua, L, errorTableText(LUA_WRONG_ARGS_OR_TYPE), false);
      return 1;
    }
    m._lua_createtable(L, 0, 1);
    m._lua_pushvalue(L, -2);
    lua.setField(L, -2, 'ok');
    return 1;
  }

  private setRepl(lua: LuaWasm, L: number): number {
    const run = this.current;
    if (run === null) return this.raiseErrorTable(lua, L, luaOutsideRun('redis.set_repl'));
    if (lua.m._lua_gettop(L) !== 1) return this.raiseErrorTable(lua, L, LUA_SET_REPL_ARGS);
    const flags = Math.trunc(lua.m._lua_tonumber(L, -1)) | 0;
    if ((flags & ~REPL_ALL) !== 0) return this.raiseErrorTable(lua, L, LUA_SET_REPL_FLAGS);
    run.replFlags = flags;
    return 0;
  }

  private setResp(lua: LuaWasm, L: number): number {
    const run = this.current;
    if (run === null) return this.raiseErrorTable(lua, L, luaOutsideRun('redis.setresp'));
    if (lua.m._lua_gettop(L) !== 1) return this.raiseErrorTable(lua, L, LUA_SETRESP_ARGS);
    const resp = Math.trunc(lua.m._lua_tonumber(L, -1));
    if (resp !== 2 && resp !== 3) return this.raiseErrorTable(lua, L, LUA_SETRESP_VERSION);
    run.resp = resp;
    return 0;
  }

  private aclCheckCmd(lua: LuaWasm, L: number): number {
    const run = this.current;
    if (run === null) return this.raiseErrorTable(lua, L, luaOutsideRun('redis.acl_check_cmd'));
    const argv = this.commandArgs(lua, L);
    if (typeof argv === 'string') return this.raiseErrorTable(lua, L, argv);
    let allowed: boolean | null = null;
    let failure: string | null = null;
    try {
      allowed = run.host.aclCheck(argv);
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
    }
    if (failure !== null) return this.raiseErrorTable(lua, L, failure);
    if (allowed === null) return this.raiseErrorTable(lua, L, LUA_ACL_CHECK_UNKNOWN);
    lua.m._lua_pushboolean(L, allowed ? 1 : 0);
    return 1;
  }

  /** redis.log(level, ...): the arguments that are strings or numbers, joined by spaces. */
  private redisLog(lua: LuaWasm, L: number): number {
    const m = lua.m;
    const argc = m._lua_gettop(L);
    if (argc < 2) return this.raiseErrorTable(lua, L, LUA_LOG_ARGS);
    if (m._lua_isnumber(L, 1) === 0) return this.raiseErrorTable(lua, L, LUA_LOG_LEVEL_TYPE);
    const level = Math.trunc(m._lua_tonumber(L, 1));
    if (level < 0 || level > 3) return this.raiseErrorTable(lua, L, LUA_LOG_LEVEL);
    const parts: string[] = [];
    for (let i = 2; i <= argc; i++) {
      const s = lua.toString(L, i);
      if (s !== null) parts.push(s);
    }
    try {
      this.env.log(LOG_LEVELS[level]!, parts.join(' '));
    } catch {
      // A failing log sink does not fail the script (Redis's serverLogRaw cannot fail it either).
    }
    return 0;
  }

  /** math.random as Redis's redis_math_random: Lua 5.1's, on redisLrand48. */
  private mathRandom(lua: LuaWasm, L: number): number {
    const m = lua.m;
    if (this.current === null) return lua.raiseWhere(L, luaOutsideRun('math.random'));
    // Drawn first, as Redis does: a call that then fails on its arguments still advances the sequence.
    const r = (this.random.next() % LRAND48_MAX) / LRAND48_MAX;
    const argc = m._lua_gettop(L);
    if (argc > 2) return lua.raiseWhere(L, LUA_WRONG_ARGS);
    const checkInt = (i: number): number | null => (m._lua_isnumber(L, i) === 0 ? null : Math.trunc(m._lua_tonumber(L, i)) | 0);
    let lower = 1;
    let upper = 0;
    if (argc >= 1) {
      const a = checkInt(1);
      if (a === null) return lua.raiseWhere(L, badNumberArgument(lua, L, 1, 'random'));
      if (argc === 1) upper = a;
      else {
        const b = checkInt(2);
        if (b === null) return lua.raiseWhere(L, badNumberArgument(lua, L, 2, 'random'));
        lower = a;
        upper = b;
      }
      if (lower > upper) return lua.raiseWhere(L, `bad argument #${argc} to 'random' (${LUA_INTERVAL_EMPTY})`);
    }
    if (argc === 0) m._lua_pushnumber(L, r);
    else m._lua_pushnumber(L, Math.floor(r * (upper - lower + 1)) + lower);
    return 1;
  }

  private mathRandomseed(lua: LuaWasm, L: number): number {
    const m = lua.m;
    if (this.current === null) return lua.raiseWhere(L, luaOutsideRun('math.randomseed'));
    if (m._lua_isnumber(L, 1) === 0) return lua.raiseWhere(L, badNumberArgument(lua, L, 1, 'randomseed'));
    this.random.seed(Math.trunc(m._lua_tonumber(L, 1)) | 0);
    return 0;
  }
}

/** Pushes a Lua array of the strings (luaCreateArray). */
function pushArray(lua: LuaWasm, L: number, items: readonly string[]): void {
  const m = lua.m;
  m._lua_createtable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    lua.pushString(L, items[i]!);
    m._lua_rawseti(L, -2, i + 1);
  }
}

/** luaL_checkint's error: "bad argument #1 to 'random' (number expected, got string)". */
function badNumberArgument(lua: LuaWasm, L: number, arg: number, fname: string): string {
  return argErrorText(arg, fname, typeErrorExtra('number', lua.typeNameAt(L, arg)));
}


/** REDIS_VERSION_NUM: 0x00MMmmpp. */
function versionNumber(version: string): number {
  const [major, minor, patch] = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  return ((major ?? 0) << 16) | ((minor ?? 0) << 8) | (patch ?? 0);
}
