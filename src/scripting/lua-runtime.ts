/**
 * The runtime the package's Lua 5.1.5 WebAssembly binary (wasmoon-lua5.1's
 * dist/liblua5.1.wasm, pinned in package.json) runs on: its imports, written here, and
 * its exports, called directly.
 *
 * Why not the package's own Emscripten glue: it is an assertion build, and every export
 * it hands out is a wrapper that builds an error message, looks the export up by name
 * and spreads its arguments on every call. A lock-release EVALSHA makes about 60 calls
 * into Lua; the wrappers were 12% of the server's time under redis-benchmark -P 16
 * (perf, 2026-12-06). Called directly, an export costs one JS-to-wasm transition.
 *
 * What the binary imports and what lapse gives it:
 * - setjmp/longjmp (Lua's error handling): `invoke_vii` runs the protected call through
 *   the function table and turns the thrown longjmp back into a return, as Emscripten's
 *   own runtime does (`_emscripten_throw_longjmp` throws a number; anything else that is
 *   thrown is not a longjmp and goes on up);
 * - memory growth (`emscripten_resize_heap`), memcpy, the clock;
 * - the C library's file, process and time calls. The sandbox never gives a script
 *   `io`, `os`, `print`, `loadfile` or `dofile` (sandbox.ts), so these are reached only
 *   by the state's own start-up and a Lua panic: files and commands answer "not
 *   supported" (the package's glue ran `system()` through child_process), stdout and
 *   stderr go to the process's stderr, times are UTC.
 *
 * Each runtime is its own instance (memory, function table): servers in one process
 * share nothing.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const WASM_PAGE = 65536;
/** wasm32's addressable limit, as Emscripten's own runtime caps growth. */
const MAX_HEAP = 2 * 1024 * 1024 * 1024;
const ENOSYS = 52;
const EBADF = 8;
const ESPIPE = 70;

/* eslint-disable @typescript-eslint/naming-convention */
type Fn0 = (L: number) => number;

/** The parts of the WebAssembly JS API used here (Node's types in this TypeScript setup do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmTable {
  grow(n: number): number;
  get(index: number): unknown;
  set(index: number, value: unknown): void;
}
type WasmModule = object;
type Imports = Record<string, Record<string, unknown>>;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Imports) => { exports: Record<string, unknown> };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Lua 5.1.5's C API (lua.h, lauxlib.h) and the heap, as the binary exports them. */
export class LuaRuntime {
  HEAPU8!: Uint8Array;
  HEAP32!: Int32Array;
  HEAPU32!: Uint32Array;
  HEAPF64!: Float64Array;
  /** The heap as a Buffer (latin1 reads and writes); replaced with the other views when memory grows. */
  heap!: Buffer;
  /** The most bytes the memory may grow to now (Infinity: up to wasm32's 2 GiB); malloc fails past it. */
  heapLimit = Infinity;

  readonly _malloc: (n: number) => number;
  readonly _free: (p: number) => void;
  readonly _realloc: (p: number, n: number) => number;
  readonly _luaL_newstate: () => number;
  readonly _lua_newstate: (alloc: number, ud: number) => number;
  readonly _lua_atpanic: (L: number, fn: number) => number;
  readonly _luaL_openlibs: (L: number) => void;
  readonly _luaL_loadbuffer: (L: number, buf: number, len: number, name: number) => number;
  readonly _luaL_ref: (L: number, t: number) => number;
  readonly _luaL_unref: (L: number, t: number, ref: number) => void;
  readonly _luaL_where: (L: number, level: number) => void;
  readonly _luaL_argerror: (L: number, narg: number, extramsg: number) => number;
  readonly _lua_touserdata: (L: number, idx: number) => number;
  readonly _lua_pushlightuserdata: (L: number, p: number) => void;
  readonly _lua_close: (L: number) => void;
  readonly _lua_checkstack: (L: number, n: number) => number;
  readonly _lua_gettop: Fn0;
  readonly _lua_settop: (L: number, idx: number) => void;
  readonly _lua_pushvalue: (L: number, idx: number) => void;
  readonly _lua_insert: (L: number, idx: number) => void;
  readonly _lua_remove: (L: number, idx: number) => void;
  readonly _lua_replace: (L: number, idx: number) => void;
  readonly _lua_concat: (L: number, n: number) => void;
  readonly _lua_type: (L: number, idx: number) => number;
  readonly _lua_isnumber: (L: number, idx: number) => number;
  readonly _lua_isstring: (L: number, idx: number) => number;
  readonly _lua_tolstring: (L: number, idx: number, lenPtr: number) => number;
  readonly _lua_tonumber: (L: number, idx: number) => number;
  readonly _lua_toboolean: (L: number, idx: number) => number;
  readonly _lua_topointer: (L: number, idx: number) => number;
  readonly _lua_pushnil: (L: number) => void;
  readonly _lua_pushnumber: (L: number, n: number) => void;
  readonly _lua_pushboolean: (L: number, b: number) => void;
  readonly _lua_pushlstring: (L: number, p: number, len: number) => void;
  readonly _lua_pushcclosure: (L: number, fn: number, n: number) => void;
  readonly _lua_createtable: (L: number, narr: number, nrec: number) => void;
  readonly _lua_getfield: (L: number, idx: number, k: number) => void;
  readonly _lua_setfield: (L: number, idx: number, k: number) => void;
  readonly _lua_rawgeti: (L: number, idx: number, n: number) => void;
  readonly _lua_rawseti: (L: number, idx: number, n: number) => void;
  readonly _lua_rawget: (L: number, idx: number) => void;
  readonly _lua_rawset: (L: number, idx: number) => void;
  readonly _lua_next: (L: number, idx: number) => number;
  readonly _lua_getmetatable: (L: number, idx: number) => number;
  readonly _lua_setmetatable: (L: number, idx: number) => number;
  readonly _lua_newthread: Fn0;
  readonly _lua_resume: (L: number, nargs: number) => number;
  readonly _lua_yield: (L: number, nresults: number) => number;
  readonly _lua_tothread: (L: number, idx: number) => number;
  readonly _lua_pushthread: Fn0;
  readonly _lua_iscfunction: (L: number, idx: number) => number;
  readonly _lua_xmove: (from: number, to: number, n: number) => void;
  readonly _lua_sethook: (L: number, fn: number, mask: number, count: number) => void;
  readonly _lua_error: Fn0;
  readonly _lua_pcall: (L: number, nargs: number, nres: number, errfunc: number) => number;
  readonly _lua_call: (L: number, nargs: number, nres: number) => void;
  readonly _lua_gc: (L: number, what: number, data: number) => number;

  private readonly memory: WasmMemory;
  private readonly table: WasmTable;
  /** Functions of the table by index, fetched once (invoke_vii calls through it on every protected call). */
  private readonly tableMirror: (((a: number, b: number) => void) | undefined)[] = [];
  private readonly stackSave: () => number;
  private readonly stackRestore: (sp: number) => void;
  private readonly setThrew: (threw: number, value: number) => void;

  /**
   * Compiles and instantiates the binary, synchronously; the C runtime is initialised and
   * ready for lua_newstate. Synchronous compilation is lazy in V8 (each function is
   * compiled when first called): about 1 ms here, where an eager WebAssembly.compile took 10.
   */
  static create(): LuaRuntime {
    const file = createRequire(import.meta.url).resolve('wasmoon-lua5.1/dist/liblua5.1.wasm');
    return new LuaRuntime(new Wasm.Module(readFileSync(file)));
  }

  private constructor(module: WasmModule) {
    // The instance's imports call back into this object, which exists before them.
    const instance = new Wasm.Instance(module, this.imports());
    const e = instance.exports;
    const fn = <T>(name: string): T => {
      const f = e[name];
      if (typeof f !== 'function') throw new Error(`the Lua binary has no export ${name}`);
      return f as T;
    };
    this.memory = e.memory as WasmMemory;
    this.table = e.__indirect_function_table as WasmTable;
    this.refreshViews();
    this.stackSave = fn('stackSave');
    this.stackRestore = fn('stackRestore');
    this.setThrew = fn('setThrew');
    this._malloc = fn('malloc');
    this._free = fn('free');
    this._realloc = fn('realloc');
    this._luaL_newstate = fn('luaL_newstate');
    this._lua_newstate = fn('lua_newstate');
    this._lua_atpanic = fn('lua_atpanic');
    this._luaL_openlibs = fn('luaL_openlibs');
    this._luaL_loadbuffer = fn('luaL_loadbuffer');
    this._luaL_ref = fn('luaL_ref');
    this._luaL_unref = fn('luaL_unref');
    this._luaL_where = fn('luaL_where');
    this._luaL_argerror = fn('luaL_argerror');
    this._lua_touserdata = fn('lua_touserdata');
    this._lua_pushlightuserdata = fn('lua_pushlightuserdata');
    this._lua_close = fn('lua_close');
    this._lua_checkstack = fn('lua_checkstack');
    this._lua_gettop = fn('lua_gettop');
    this._lua_settop = fn('lua_settop');
    this._lua_pushvalue = fn('lua_pushvalue');
    this._lua_insert = fn('lua_insert');
    this._lua_remove = fn('lua_remove');
    this._lua_replace = fn('lua_replace');
    this._lua_concat = fn('lua_concat');
    this._lua_type = fn('lua_type');
    this._lua_isnumber = fn('lua_isnumber');
    this._lua_isstring = fn('lua_isstring');
    this._lua_tolstring = fn('lua_tolstring');
    this._lua_tonumber = fn('lua_tonumber');
    this._lua_toboolean = fn('lua_toboolean');
    this._lua_topointer = fn('lua_topointer');
    this._lua_pushnil = fn('lua_pushnil');
    this._lua_pushnumber = fn('lua_pushnumber');
    this._lua_pushboolean = fn('lua_pushboolean');
    this._lua_pushlstring = fn('lua_pushlstring');
    this._lua_pushcclosure = fn('lua_pushcclosure');
    this._lua_createtable = fn('lua_createtable');
    this._lua_getfield = fn('lua_getfield');
    this._lua_setfield = fn('lua_setfield');
    this._lua_rawgeti = fn('lua_rawgeti');
    this._lua_rawseti = fn('lua_rawseti');
    this._lua_rawget = fn('lua_rawget');
    this._lua_rawset = fn('lua_rawset');
    this._lua_next = fn('lua_next');
    this._lua_getmetatable = fn('lua_getmetatable');
    this._lua_setmetatable = fn('lua_setmetatable');
    this._lua_newthread = fn('lua_newthread');
    this._lua_resume = fn('lua_resume');
    this._lua_yield = fn('lua_yield');
    this._lua_tothread = fn('lua_tothread');
    this._lua_pushthread = fn('lua_pushthread');
    this._lua_iscfunction = fn('lua_iscfunction');
    this._lua_xmove = fn('lua_xmove');
    this._lua_sethook = fn('lua_sethook');
    this._lua_error = fn('lua_error');
    this._lua_pcall = fn('lua_pcall');
    this._lua_call = fn('lua_call');
    this._lua_gc = fn('lua_gc');
    // Emscripten's start-up: the stack's bounds, then the C constructors.
    fn<() => void>('emscripten_stack_init')();
    fn<() => void>('__wasm_call_ctors')();
  }

  /**
   * A JavaScript function in the instance's function table (a C function pointer), with
   * the C signature `sig` in Emscripten's letters (first the result: v, i, j, f, d; then
   * the parameters). Each call compiles a tiny module that imports the function and
   * exports it with that signature, as Emscripten's addFunction does without
   * WebAssembly.Function; the slot is never freed.
   */
  addFunction(fn: (...args: number[]) => number | void, sig: string): number {
    const code = (c: string): number => {
      switch (c) {
        case 'i': return 0x7f;
        case 'j': return 0x7e;
        case 'f': return 0x7d;
        case 'd': return 0x7c;
        default: throw new Error(`bad signature letter ${c} in ${sig}`);
      }
    };
    const params = [...sig.slice(1)].map(code);
    const results = sig[0] === 'v' ? [] : [code(sig[0]!)];
    const type = [0x01, 0x60, params.length, ...params, results.length, ...results];
    const imports = [0x01, 0x01, 0x65, 0x01, 0x66, 0x00, 0x00]; // "e" "f", a function of type 0
    const exports = [0x01, 0x01, 0x66, 0x00, 0x00]; // "f", function 0
    const bytes = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, type.length, ...type,
      0x02, imports.length, ...imports,
      0x07, exports.length, ...exports,
    ]);
    const wrapped = new Wasm.Instance(new Wasm.Module(bytes), { e: { f: fn } }).exports.f;
    const index = this.table.grow(1);
    this.table.set(index, wrapped);
    return index;
  }

  private refreshViews(): void {
    const b = this.memory.buffer;
    this.HEAPU8 = new Uint8Array(b);
    this.HEAP32 = new Int32Array(b);
    this.HEAPU32 = new Uint32Array(b);
    this.HEAPF64 = new Float64Array(b);
    this.heap = Buffer.from(b);
  }

  /** Grows the memory to at least `requested` bytes, with Emscripten's overgrowth; 1 if it did, 0 if not (malloc then fails). */
  private resizeHeap(requested: number): number {
    requested >>>= 0;
    const old = this.memory.buffer.byteLength;
    const max = Math.min(MAX_HEAP, this.heapLimit);
    if (requested > max) return 0;
    for (let cut = 1; cut <= 4; cut *= 2) {
      let size = old * (1 + 0.2 / cut);
      size = Math.max(requested, Math.min(size, requested + 96 * 1024 * 1024));
      size = Math.min(Math.floor(max / WASM_PAGE) * WASM_PAGE, Math.ceil(size / WASM_PAGE) * WASM_PAGE);
      if (size < requested) return 0;
      try {
        this.memory.grow((size - old) / WASM_PAGE);
        this.refreshViews();
        return 1;
      } catch {
        // too large for the host now: try a smaller overgrowth
      }
    }
    return 0;
  }

  /** One protected call (luaD_rawrunprotected's setjmp): a longjmp out of it returns here, flagged with setThrew. */
  private invokeVii(index: number, a: number, b: number): void {
    const sp = this.stackSave();
    try {
      let f = this.tableMirror[index];
      if (f === undefined) {
        f = this.table.get(index) as (a: number, b: number) => void;
        this.tableMirror[index] = f;
      }
      f(a, b);
    } catch (e) {
      this.stackRestore(sp);
      // Emscripten's longjmp throws a number; anything else is not Lua's and goes on up.
      if (e !== (e as number) + 0) throw e;
      this.setThrew(1, 0);
    }
  }

  /** Bytes written to stdout or stderr (only a Lua panic writes): to the process's stderr. */
  private fdWrite(fd: number, iov: number, iovcnt: number, pnum: number): number {
    if (fd !== 1 && fd !== 2) return EBADF;
    let written = 0;
    for (let i = 0; i < iovcnt; i++) {
      const ptr = this.HEAPU32[(iov + i * 8) >> 2]!;
      const len = this.HEAPU32[(iov + i * 8 + 4) >> 2]!;
      if (len > 0) process.stderr.write(Buffer.from(this.HEAPU8.subarray(ptr, ptr + len)));
      written += len;
    }
    this.HEAPU32[pnum >> 2] = written;
    return 0;
  }

  /** struct tm (musl's layout: nine ints, then tm_gmtoff and tm_zone) for a time in seconds, in UTC. */
  private writeTm(seconds: number, tm: number): void {
    const d = new Date(seconds * 1000);
    const h = this.HEAP32;
    const i = tm >> 2;
    h[i] = d.getUTCSeconds();
    h[i + 1] = d.getUTCMinutes();
    h[i + 2] = d.getUTCHours();
    h[i + 3] = d.getUTCDate();
    h[i + 4] = d.getUTCMonth();
    h[i + 5] = d.getUTCFullYear() - 1900;
    h[i + 6] = d.getUTCDay();
    h[i + 7] = Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000);
    h[i + 8] = 0;
    h[i + 9] = 0;
  }

  private imports(): Imports {
    const notSupported = (): number => -ENOSYS;
    /** A time_t passed as two i32 halves (Emscripten's legalised i64). */
    const seconds = (lo: number, hi: number): number => hi * 4294967296 + (lo >>> 0);
    return {
      env: {
        exit: (code: number): never => {
          throw new Error(`the Lua engine called exit(${code}) (a Lua panic)`);
        },
        invoke_vii: (index: number, a: number, b: number) => this.invokeVii(index, a, b),
        _emscripten_throw_longjmp: (): never => {
          throw Infinity;
        },
        emscripten_memcpy_js: (dest: number, src: number, n: number) => this.HEAPU8.copyWithin(dest, src, src + n),
        emscripten_resize_heap: (requested: number) => this.resizeHeap(requested),
        emscripten_date_now: () => Date.now(),
        _emscripten_get_now_is_monotonic: () => 1,
        _emscripten_system: (command: number) => (command === 0 ? 0 : -1),
        strftime: () => 0,
        _tzset_js: (timezone: number, daylight: number, names: number) => {
          // UTC: no offset, no daylight saving time, and no zone names.
          this.HEAP32[timezone >> 2] = 0;
          this.HEAP32[daylight >> 2] = 0;
          this.HEAPU32[names >> 2] = 0;
          this.HEAPU32[(names + 4) >> 2] = 0;
        },
        _gmtime_js: (lo: number, hi: number, tm: number) => this.writeTm(seconds(lo, hi), tm),
        _localtime_js: (lo: number, hi: number, tm: number) => this.writeTm(seconds(lo, hi), tm),
        _mktime_js: (tm: number): number => {
          const h = this.HEAP32;
          const i = tm >> 2;
          const t = Date.UTC(h[i + 5]! + 1900, h[i + 4]!, h[i + 3]!, h[i + 2]!, h[i + 1]!, h[i]!) / 1000;
          return Number.isNaN(t) ? -1 : t | 0;
        },
        __syscall_openat: notSupported,
        __syscall_fcntl64: notSupported,
        __syscall_ioctl: notSupported,
        __syscall_dup3: notSupported,
        __syscall_unlinkat: notSupported,
        __syscall_rmdir: notSupported,
        __syscall_renameat: notSupported,
        __syscall_readlinkat: notSupported,
      },
      wasi_snapshot_preview1: {
        fd_write: (fd: number, iov: number, iovcnt: number, pnum: number) => this.fdWrite(fd, iov, iovcnt, pnum),
        fd_read: () => EBADF,
        fd_close: () => 0,
        fd_seek: () => ESPIPE,
        environ_sizes_get: (count: number, size: number) => {
          this.HEAPU32[count >> 2] = 0;
          this.HEAPU32[size >> 2] = 0;
          return 0;
        },
        environ_get: () => 0,
      },
    };
  }
}
/* eslint-enable @typescript-eslint/naming-convention */
