import { splitArgs } from '../util/split-args.js';
import { errorTableText, extractErrorInfo, pushErrorTable } from './lua-reply.js';
import { LUA_GLOBALSINDEX, LUA_OK, LUA_REGISTRYINDEX, MASK_COUNT, MASK_LINE, T_FUNCTION, T_NIL, T_STRING, T_TABLE, type LuaWasm } from './lua-wasm.js';
import { ScriptEngine, type CachedScript, type ScriptEnvironment } from './script-engine.js';
import { COMPAT_FLAGS, FLAG_NAMES, type ScriptFlags } from './script-flags.js';
import type { ScriptRun } from './script-run.js';
import { errEngineStart } from './script-errors.js';
import {
  FN_BAD_NAME,
  FN_EXISTS_IN_LIBRARY,
  FN_INVALID_METADATA,
  FN_LOAD_TIMEOUT,
  FN_MISSING_METADATA,
  FN_NAME_TWICE,
  FN_NO_LIBRARY_NAME,
  FN_NONE_REGISTERED,
  FN_REGISTER_ARGS,
  FN_REGISTER_CALLBACK_NOT_FUNCTION,
  FN_REGISTER_DESC_NOT_STRING,
  FN_REGISTER_FIRST_NOT_STRING,
  FN_REGISTER_FLAGS_NOT_TABLE,
  FN_REGISTER_KEY_NOT_STRING,
  FN_REGISTER_NAME_NOT_STRING,
  FN_REGISTER_NO_CALLBACK,
  FN_REGISTER_NO_NAME,
  FN_REGISTER_OUTSIDE_LOAD,
  FN_REGISTER_SECOND_NOT_FUNCTION,
  FN_REGISTER_SINGLE_NOT_TABLE,
  FN_REGISTER_UNKNOWN_ARG,
  FN_REGISTER_UNKNOWN_FLAG,
  fnCompile,
  fnEngineNotFound,
  fnFunctionExists,
  fnInvalidMetadataValue,
  fnLibraryExists,
  fnLibraryExistsJoin,
  fnRegistering,
} from './function-errors.js';

/** FUNCTION LOAD stops a library's code that runs longer than this (functions.c LOAD_TIMEOUT_MS). */
export const FUNCTION_LOAD_TIMEOUT_MS = 500;
/** The one engine Redis 7.0 has, as FUNCTION LIST and STATS name it. */
export const LUA_ENGINE_NAME = 'LUA';
/** VM instructions between two calls of the load hook (function_lua.c). */
const LOAD_HOOK_EVERY = 100_000;
/**
 * Bytes counted per function and per library besides their strings, for INFO
 * used_memory_functions (Redis's functionMallocSize / libraryMallocSize: the structs, the
 * dict entries and the Lua function's context). An estimate: lapse's objects are not
 * malloc'd blocks.
 */
const FUNCTION_OVERHEAD = 96;
const LIBRARY_OVERHEAD = 64;

/** A registered function (Redis's functionInfo). */
export interface FunctionInfo {
  readonly name: string;
  readonly description: string | null;
  /** Its flags; never EVAL's compatibility mode. */
  readonly flags: ScriptFlags;
  readonly library: FunctionLibrary;
  /** What the engine runs: the callback's registry reference, called with KEYS and ARGV as arguments. */
  readonly script: CachedScript;
}

/** A library (Redis's functionLibInfo): its code as loaded (shebang included) and its functions. */
export interface FunctionLibrary {
  readonly name: string;
  readonly engine: string;
  readonly code: string;
  /** By exact name, in registration order. */
  readonly functions: Map<string, FunctionInfo>;
}

/**
 * A set of libraries and the functions they register (Redis's functionsLibCtx): the
 * server's current one, or one built apart by FUNCTION RESTORE before it is joined.
 * Library names are case-sensitive; function names are looked up without case, as
 * Redis's functions dict compares them.
 */
export class LibrarySet {
  readonly libraries = new Map<string, FunctionLibrary>();
  /** By lowercased name. */
  readonly functions = new Map<string, FunctionInfo>();
  /** Functions counted as FUNCTION STATS counts them (the libraries' sizes). */
  functionCount = 0;
  /** The bytes of names, descriptions and code, with their overheads (used_memory_functions). */
  bytes = 0;

  link(lib: FunctionLibrary): void {
    for (const fi of lib.functions.values()) {
      const key = fi.name.toLowerCase();
      if (!this.functions.has(key)) this.functions.set(key, fi);
      this.bytes += functionBytes(fi);
    }
    this.libraries.set(lib.name, lib);
    this.bytes += LIBRARY_OVERHEAD + lib.name.length + lib.code.length;
    this.functionCount += lib.functions.size;
  }

  unlink(lib: FunctionLibrary): void {
    for (const fi of lib.functions.values()) {
      const key = fi.name.toLowerCase();
      if (this.functions.get(key) === fi) this.functions.delete(key);
      this.bytes -= functionBytes(fi);
    }
    this.libraries.delete(lib.name);
    this.bytes -= LIBRARY_OVERHEAD + lib.name.length + lib.code.length;
    this.functionCount -= lib.functions.size;
  }

  lookup(name: string): FunctionInfo | undefined {
    return this.functions.get(name.toLowerCase());
  }
}

function functionBytes(fi: FunctionInfo): number {
  return FUNCTION_OVERHEAD + fi.name.length + (fi.description?.length ?? 0);
}

/** A library's first line, as functionExtractLibMetaData reads it. */
interface LibraryMetadata {
  readonly engine: string;
  readonly name: string;
  /** The code after the shebang line, its line feed kept (line numbers stay the user's). */
  readonly code: string;
}

function extractMetadata(payload: string): LibraryMetadata | { error: string } {
  if (!payload.startsWith('#!')) return { error: FN_MISSING_METADATA };
  const end = payload.indexOf('\n');
  if (end < 0) return { error: FN_INVALID_METADATA };
  const parts = splitArgs(payload.slice(0, end));
  if (parts === null || parts.length === 0) return { error: FN_INVALID_METADATA };
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== null) return { error: FN_NAME_TWICE };
      name = part.slice(5);
      continue;
    }
    return { error: fnInvalidMetadataValue(part) };
  }
  if (name === null) return { error: FN_NO_LIBRARY_NAME };
  return { engine: parts[0]!.slice(2), name, code: payload.slice(end) };
}

/** functionsVerifyName: letters, digits and '_', at least one. */
export function validName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

/** The library being loaded (Redis's loadCtx): what register_function adds to. */
interface LoadContext {
  readonly functions: Map<string, FunctionInfo>;
  readonly library: FunctionLibrary;
  readonly startedAt: number;
  readonly timeoutMs: number;
}

/** Registry references into the functions' Lua state, set up once by start(). */
interface LoadRefs {
  /** The sandbox's metatable of the globals: its __index is switched while a library loads. */
  globalsMeta: number;
  /** The globals a function sees when it runs (sandbox.ts's hidden table). */
  runGlobals: number;
  /** The globals a library's code sees while it loads: only the limited `redis` table. */
  loadGlobals: number;
}

/** FUNCTION STATS's running_script: the function running now, if any. */
export interface RunningFunction {
  readonly name: string;
  readonly argv: readonly string[];
  readonly startedAt: number;
}

/**
 * Redis 7.0's functions (functions.c, function_lua.c): the libraries, their functions,
 * and the Lua state they run in.
 *
 * The state is a second ScriptEngine (Redis keeps one Lua state for EVAL and one for
 * functions), so a function runs exactly as a script does: the same redis.* API,
 * sandbox, conversions, hook and errors; only its arguments differ (KEYS and ARGV are
 * the callback's two arguments) and its error replies name the function. On top of it,
 * this class adds function_lua.c's loading environment: while a library's code runs
 * (FUNCTION LOAD, RESTORE, an RDB file), the globals it sees are only a `redis` table with
 * register_function, log, the LOG_* levels and the version (anything else is a missing
 * global), under a 500 ms timeout; the functions it registers keep the full environment,
 * because the globals table is the same and only its __index is switched back.
 *
 * Life: made with the server; its Lua state and loading environment are made at the first
 * library (started()), synchronously. A library that fails to load leaves everything as
 * it was (its registered callbacks are released).
 */
export class FunctionEngine {
  private readonly vm: ScriptEngine;
  private refs: LoadRefs | null = null;
  private loading: LoadContext | null = null;
  private loadHookFn = 0;
  /** The server's libraries. */
  current = new LibrarySet();
  /** The function running now (set around a run). */
  running: RunningFunction | null = null;

  constructor(env: ScriptEnvironment) {
    this.vm = new ScriptEngine(env);
  }

  /** The Lua state and the loading environment, created at the first library (see ScriptEngine.started). */
  private started(): { lua: LuaWasm; refs: LoadRefs } {
    const lua = this.vm.state;
    if (this.refs === null) {
      this.loadHookFn = lua.hook((L) => this.loadHook(lua, L));
      this.refs = this.setupLoadEnvironment(lua);
    }
    return { lua, refs: this.refs };
  }

  /** Starts the engine now (tests that measure it, or want it warm). */
  start(): void {
    this.started();
  }


  close(): void {
    this.vm.close();
    this.refs = null;
    this.current = new LibrarySet();
  }

  /** INFO used_memory_vm_functions: the functions' Lua state. */
  vmMemory(): number {
    return this.vm.vmMemory();
  }

  /** The state's WebAssembly memory, left out of used_memory as the EVAL engine's is. */
  wasmMemory(): number {
    return this.vm.wasmMemory();
  }

  /** The library codes, for FUNCTION DUMP and RDB files (rdbSaveFunctions), in the set's order. */
  codes(): string[] {
    return [...this.current.libraries.values()].map((lib) => lib.code);
  }

  // --- libraries ------------------------------------------------------------------

  /**
   * Creates a library from its code (functionsCreateWithLibraryCtx) in `set` (the
   * server's by default): its name, or the error reply with `set` unchanged. `replace`:
   * a library of the same name is replaced (and kept if the new one fails).
   * `timeoutMs`: how long the code may run while it registers (0: no limit, for RDB
   * files and restores).
   */
  create(payload: string, replace: boolean, timeoutMs: number, set: LibrarySet = this.current): { name: string } | { error: string } {
    const md = extractMetadata(payload);
    if ('error' in md) return md;
    if (!validName(md.name)) return { error: `ERR ${FN_BAD_NAME}` };
    if (md.engine.toUpperCase() !== LUA_ENGINE_NAME) return { error: fnEngineNotFound(md.engine) };
    let lua: LuaWasm;
    let refs: LoadRefs;
    try {
      ({ lua, refs } = this.started());
    } catch (e) {
      return { error: errEngineStart(e instanceof Error ? e.message : String(e)) };
    }
    const old = set.libraries.get(md.name) ?? null;
    if (old !== null && !replace) return { error: fnLibraryExists(md.name) };
    if (old !== null) set.unlink(old);
    const lib: FunctionLibrary = { name: md.name, engine: LUA_ENGINE_NAME, code: payload, functions: new Map() };
    const error = this.compileAndRegister(lua, refs, lib, md.code, timeoutMs) ?? this.collision(set, lib);
    if (error !== null) {
      this.release(lib);
      if (old !== null) set.link(old);
      return { error };
    }
    set.link(lib);
    if (old !== null) this.release(old);
    return { name: md.name };
  }

  private collision(set: LibrarySet, lib: FunctionLibrary): string | null {
    if (lib.functions.size === 0) return FN_NONE_REGISTERED;
    for (const fi of lib.functions.values()) if (set.lookup(fi.name) !== undefined) return fnFunctionExists(fi.name);
    return null;
  }

  /** FUNCTION DELETE: false if there is no such library. */
  delete(name: string): boolean {
    const lib = this.current.libraries.get(name);
    if (lib === undefined) return false;
    this.current.unlink(lib);
    this.release(lib);
    return true;
  }

  /** FUNCTION FLUSH (and the flush before loading an RDB file): every library released. */
  flush(): void {
    this.releaseSet(this.current);
    this.current = new LibrarySet();
  }

  /** A new, empty set to build apart (FUNCTION RESTORE). */
  newSet(): LibrarySet {
    return new LibrarySet();
  }

  /** Releases a set that will not be used (a failed restore). */
  releaseSet(set: LibrarySet): void {
    for (const lib of set.libraries.values()) this.release(lib);
    set.libraries.clear();
    set.functions.clear();
  }

  /** FUNCTION RESTORE FLUSH: `set` becomes the server's. */
  swap(set: LibrarySet): void {
    this.releaseSet(this.current);
    this.current = set;
  }

  /**
   * FUNCTION RESTORE APPEND/REPLACE (libraryJoin): moves the libraries of `src` into the
   * server's set; a library of the same name is an error, or replaced with `replace`; a
   * function name taken by a library that stays is an error. On error the server's set
   * is as it was, and `src` is left for the caller to release.
   */
  join(src: LibrarySet, replace: boolean): string | null {
    const dst = this.current;
    const replaced: FunctionLibrary[] = [];
    let error: string | null = null;
    for (const lib of src.libraries.values()) {
      const old = dst.libraries.get(lib.name);
      if (old === undefined) continue;
      if (!replace) {
        error = fnLibraryExistsJoin(lib.name);
        break;
      }
      dst.unlink(old);
      replaced.push(old);
    }
    if (error === null) {
      for (const fi of src.functions.values()) {
        if (dst.lookup(fi.name) !== undefined) {
          error = fnFunctionExists(fi.name);
          break;
        }
      }
    }
    if (error !== null) {
      for (const old of replaced) dst.link(old);
      return error;
    }
    for (const lib of src.libraries.values()) dst.link(lib);
    src.libraries.clear();
    src.functions.clear();
    for (const old of replaced) this.release(old);
    return null;
  }

  /** The callbacks of a library that is gone, released from the Lua registry. */
  private release(lib: FunctionLibrary): void {
    const lua = this.vm.stateIfStarted;
    if (lua === null) return;
    for (const fi of lib.functions.values()) lua.m._luaL_unref(lua.L, LUA_REGISTRYINDEX, fi.script.ref);
    lib.functions.clear();
  }

  // --- running ----------------------------------------------------------------------

  /** The function FCALL names (any letter case), if any. */
  lookup(name: string): FunctionInfo | undefined {
    return this.current.lookup(name);
  }

  /**
   * Runs a function with its keys and arguments (luaEngineCall), its reply or error
   * written to run.reply; `argv` is the calling command, for FUNCTION STATS. False if the
   * run was suspended past busy-reply-threshold (see resume).
   */
  call(fi: FunctionInfo, keys: readonly string[], args: readonly string[], run: ScriptRun, argv: readonly string[]): boolean {
    this.running = { name: fi.name, argv, startedAt: run.startedAt };
    return this.ended(() => this.vm.run(fi.script, keys, args, run));
  }

  /**
   * The next slice of a function suspended past busy-reply-threshold (ScriptEngine.resume):
   * true once it ended.
   */
  resume(): boolean {
    return this.ended(() => this.vm.resume());
  }

  /** The run in progress (running, or suspended between slices), if any. */
  get run(): ScriptRun | null {
    return this.vm.running;
  }

  /** The run past busy-reply-threshold, if any. */
  get busy(): ScriptRun | null {
    return this.vm.busy;
  }

  /** Runs a slice; the running-function record (FUNCTION STATS) lasts until the run ends. */
  private ended(slice: () => boolean): boolean {
    let done = true;
    try {
      done = slice();
    } finally {
      if (done) this.running = null;
    }
    return done;
  }

  // --- the loading environment ------------------------------------------------------

  /**
   * Compiles a library's code and runs it in the loading environment (luaEngineCreate):
   * null once it ran (the functions it registered are in lib.functions), else the error.
   */
  private compileAndRegister(lua: LuaWasm, refs: LoadRefs, lib: FunctionLibrary, code: string, timeoutMs: number): string | null {
    const m = lua.m;
    const L = lua.L;
    if (lua.load(L, code, '@user_function') !== LUA_OK) {
      const message = lua.toString(L, -1) ?? '';
      m._lua_settop(L, -2);
      return fnCompile(message);
    }
    this.setGlobalsIndex(lua, refs, refs.loadGlobals);
    this.loading = { functions: lib.functions, library: lib, startedAt: performance.now(), timeoutMs };
    m._lua_sethook(L, this.loadHookFn, MASK_COUNT, LOAD_HOOK_EVERY);
    lua.limited = true;
    let status: number;
    try {
      status = m._lua_pcall(L, 0, 0, 0);
    } finally {
      lua.limited = false;
      m._lua_sethook(L, 0, 0, 0);
      this.loading = null;
      this.setGlobalsIndex(lua, refs, refs.runGlobals);
    }
    if (status === LUA_OK) return null;
    // luaExtractErrorInformation: a string error is "ERR <text>"; a table gives its err.
    const info = extractErrorInfo(lua, L, -1);
    m._lua_settop(L, -2);
    return fnRegistering(info.msg ?? '(null)');
  }

  /** Points the globals' __index at the globals table of `ref` (loading or running). */
  private setGlobalsIndex(lua: LuaWasm, refs: LoadRefs, ref: number): void {
    const m = lua.m;
    const L = lua.L;
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, refs.globalsMeta);
    lua.pushString(L, '__index');
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    m._lua_rawset(L, -3);
    m._lua_settop(L, -2);
  }

  /** luaEngineLoadHook: past the timeout, the load stops (and keeps stopping on every line). */
  private loadHook(lua: LuaWasm, L: number): void {
    const ctx = this.loading;
    if (ctx === null || ctx.timeoutMs <= 0 || performance.now() - ctx.startedAt <= ctx.timeoutMs) return;
    lua.m._lua_sethook(L, this.loadHookFn, MASK_LINE, 0);
    pushErrorTable(lua, L, errorTableText(FN_LOAD_TIMEOUT), false);
    lua.raise(L);
  }

  /**
   * Sets up function_lua.c's environment on the ScriptEngine's state. It relies on the
   * sandbox's layout (sandbox.ts): the globals table is empty, with a metatable whose
   * __index is the hidden globals table (itself with __index = missing_global) and whose
   * __newindex is readonly_error; `redis` there is a read-only proxy of the real table.
   * Redis's function state differs from EVAL's: no redis.breakpoint, redis.debug,
   * redis.replicate_commands or __redis__err__handler, so they are removed here.
   */
  private setupLoadEnvironment(lua: LuaWasm): LoadRefs {
    const m = lua.m;
    const L = lua.L;
    const rawField = (t: number, name: string): void => {
      lua.pushString(L, name);
      m._lua_rawget(L, t < 0 ? t - 1 : t);
    };
    const rawClear = (t: number, name: string): void => {
      lua.pushString(L, name);
      m._lua_pushnil(L);
      m._lua_rawset(L, t < 0 ? t - 2 : t);
    };
    m._lua_settop(L, 0);
    if (m._lua_getmetatable(L, LUA_GLOBALSINDEX) === 0) throw new Error('functions engine: the globals have no metatable');
    const meta = 1;
    rawField(meta, '__index'); // 2: the hidden globals
    const globals = 2;
    rawField(meta, '__newindex'); // 3: readonly_error
    if (m._lua_getmetatable(L, globals) === 0) throw new Error('functions engine: the hidden globals have no metatable');
    rawField(-1, '__index'); // 5: missing_global
    m._lua_remove(L, 4);
    rawField(globals, 'redis'); // 5: the redis proxy
    if (m._lua_getmetatable(L, 5) === 0) throw new Error('functions engine: redis is not a proxy');
    rawField(-1, '__index'); // 7: the real redis table
    m._lua_remove(L, 6);
    m._lua_remove(L, 5); // 5: the real redis table
    const redis = 5;
    for (const name of ['breakpoint', 'debug', 'replicate_commands']) rawClear(redis, name);
    rawClear(globals, '__redis__err__handler');
    if (lua.load(L, LOAD_ENVIRONMENT_LUA, '=functions') !== LUA_OK) throw new Error(`functions engine: ${lua.toString(L, -1)}`);
    m._lua_pushcclosure(L, lua.cfunction('function.register_function', (Lc) => this.registerFunction(lua, Lc)), 0);
    m._lua_pushvalue(L, 4); // missing_global
    m._lua_pushvalue(L, 3); // readonly_error
    m._lua_pushvalue(L, redis);
    if (m._lua_pcall(L, 4, 1, 0) !== LUA_OK) throw new Error(`functions engine: ${lua.toString(L, -1)}`);
    const loadGlobals = m._luaL_ref(L, LUA_REGISTRYINDEX);
    m._lua_pushvalue(L, globals);
    const runGlobals = m._luaL_ref(L, LUA_REGISTRYINDEX);
    m._lua_pushvalue(L, meta);
    const globalsMeta = m._luaL_ref(L, LUA_REGISTRYINDEX);
    m._lua_settop(L, 0);
    return { globalsMeta, runGlobals, loadGlobals };
  }

  // --- redis.register_function ------------------------------------------------------
  // A C function (lua-wasm.ts's contract: no JavaScript exception escapes; errors raised last).

  private raise(lua: LuaWasm, L: number, message: string): number {
    pushErrorTable(lua, L, errorTableText(message), false);
    return lua.raise(L);
  }

  /** luaRegisterFunction. */
  private registerFunction(lua: LuaWasm, L: number): number {
    const ctx = this.loading;
    if (ctx === null) return this.raise(lua, L, FN_REGISTER_OUTSIDE_LOAD);
    const m = lua.m;
    const argc = m._lua_gettop(L);
    if (argc < 1 || argc > 2) return this.raise(lua, L, FN_REGISTER_ARGS);
    const args = argc === 1 ? this.namedArgs(lua, L) : this.positionalArgs(lua, L);
    if (typeof args === 'string') return this.raise(lua, L, args);
    let error: string | null = null;
    if (!validName(args.name)) error = FN_BAD_NAME;
    else if (ctx.functions.has(args.name)) error = FN_EXISTS_IN_LIBRARY;
    if (error !== null) {
      m._luaL_unref(L, LUA_REGISTRYINDEX, args.ref);
      return this.raise(lua, L, error);
    }
    const script: CachedScript = { sha: args.name, body: '', flags: args.flags, ref: args.ref, keysAsArguments: true };
    ctx.functions.set(args.name, { name: args.name, description: args.description, flags: args.flags, library: ctx.library, script });
    return 0;
  }

  /** redis.register_function{function_name=, callback=, flags=, description=}. */
  private namedArgs(lua: LuaWasm, L: number): RegisterArgs | string {
    const m = lua.m;
    if (m._lua_type(L, 1) !== T_TABLE) return FN_REGISTER_SINGLE_NOT_TABLE;
    let name: string | null = null;
    let description: string | null = null;
    let ref = 0;
    let flags: ScriptFlags = FUNCTION_FLAGS;
    let error: string | null = null;
    m._lua_pushnil(L);
    while (m._lua_next(L, -2) !== 0) {
      if (m._lua_isstring(L, -2) === 0) {
        error = FN_REGISTER_KEY_NOT_STRING;
        break;
      }
      // A number key is read as its text (lua_tostring would convert it in place and
      // break lua_next): only its name matters here, and no number matches one.
      const key = m._lua_type(L, -2) === T_STRING ? lua.toString(L, -2)!.toLowerCase() : '';
      if (key === 'function_name') {
        if (m._lua_isstring(L, -1) === 0) {
          error = FN_REGISTER_NAME_NOT_STRING;
          break;
        }
        name = valueString(lua, L);
      } else if (key === 'description') {
        if (m._lua_isstring(L, -1) === 0) {
          error = FN_REGISTER_DESC_NOT_STRING;
          break;
        }
        description = valueString(lua, L);
      } else if (key === 'callback') {
        if (m._lua_type(L, -1) !== T_FUNCTION) {
          error = FN_REGISTER_CALLBACK_NOT_FUNCTION;
          break;
        }
        if (ref !== 0) m._luaL_unref(L, LUA_REGISTRYINDEX, ref);
        ref = m._luaL_ref(L, LUA_REGISTRYINDEX);
        continue;
      } else if (key === 'flags') {
        if (m._lua_type(L, -1) !== T_TABLE) {
          error = FN_REGISTER_FLAGS_NOT_TABLE;
          break;
        }
        const read = readFlags(lua, L);
        if (read === null) {
          error = FN_REGISTER_UNKNOWN_FLAG;
          break;
        }
        flags = read;
      } else {
        error = FN_REGISTER_UNKNOWN_ARG;
        break;
      }
      m._lua_settop(L, -2);
    }
    if (error === null && name === null) error = FN_REGISTER_NO_NAME;
    if (error === null && ref === 0) error = FN_REGISTER_NO_CALLBACK;
    if (error !== null) {
      if (ref !== 0) m._luaL_unref(L, LUA_REGISTRYINDEX, ref);
      m._lua_settop(L, 0);
      return error;
    }
    return { name: name!, description, ref, flags };
  }

  /** redis.register_function(name, callback). */
  private positionalArgs(lua: LuaWasm, L: number): RegisterArgs | string {
    const m = lua.m;
    if (m._lua_isstring(L, 1) === 0) return FN_REGISTER_FIRST_NOT_STRING;
    if (m._lua_type(L, 2) !== T_FUNCTION) return FN_REGISTER_SECOND_NOT_FUNCTION;
    const name = lua.toString(L, 1)!;
    const ref = m._luaL_ref(L, LUA_REGISTRYINDEX);
    return { name, description: null, ref, flags: FUNCTION_FLAGS };
  }
}

interface RegisterArgs {
  name: string;
  description: string | null;
  ref: number;
  flags: ScriptFlags;
}

/** A function's flags when none are given: not EVAL's compatibility mode, no flag set. */
const FUNCTION_FLAGS: ScriptFlags = { ...COMPAT_FLAGS, compat: false };

/** The string value on top of the stack (a number as its text), without converting it in place. */
function valueString(lua: LuaWasm, L: number): string {
  lua.m._lua_pushvalue(L, -1);
  const s = lua.toString(L, -1)!;
  lua.m._lua_settop(L, -2);
  return s;
}

/** luaRegisterFunctionReadFlags: the strings at 1, 2, ... of the table on top, by name (any case); null on an unknown one. */
function readFlags(lua: LuaWasm, L: number): ScriptFlags | null {
  const m = lua.m;
  const flags: { -readonly [K in keyof ScriptFlags]: ScriptFlags[K] } = { ...FUNCTION_FLAGS };
  for (let j = 1; ; j++) {
    m._lua_rawgeti(L, -1, j);
    if (m._lua_type(L, -1) === T_NIL) {
      m._lua_settop(L, -2);
      return flags;
    }
    if (m._lua_isstring(L, -1) === 0) {
      m._lua_settop(L, -2);
      return null;
    }
    const field = FLAG_NAMES.get(lua.toString(L, -1)!.toLowerCase());
    m._lua_settop(L, -2);
    if (field === undefined) return null;
    flags[field] = true;
  }
}

/**
 * function_lua.c's library-loading globals, built once on the functions' state.
 * Arguments: register_function, missing_global, readonly_error, and the real redis table
 * (for log, the LOG_* levels and the version). Returns the globals table a library's
 * code sees while it loads: `redis` alone, with those fields; any other global, or
 * redis field, is "Script attempted to access nonexistent global variable".
 */
const LOAD_ENVIRONMENT_LUA = `
local register_function, missing_global, readonly_error, redis = ...
local api = {
  register_function = register_function,
  log = redis.log,
  LOG_DEBUG = redis.LOG_DEBUG,
  LOG_VERBOSE = redis.LOG_VERBOSE,
  LOG_NOTICE = redis.LOG_NOTICE,
  LOG_WARNING = redis.LOG_WARNING,
  REDIS_VERSION = redis.REDIS_VERSION,
  REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
}
setmetatable(api, {__index = missing_global})
local lib_redis = setmetatable({}, {__index = api, __newindex = readonly_error, __metatable = false})
local globals = {redis = lib_redis}
return setmetatable(globals, {__index = missing_global, __newindex = readonly_error, __metatable = false})
`;
