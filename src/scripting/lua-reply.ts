import type { Protocol, ReplyWriter } from '../protocol/writer.js';
import { LUA_STACK_LIMIT } from './script-errors.js';
import { type LuaWasm, T_BOOLEAN, T_NIL, T_NUMBER, T_STRING, T_TABLE } from './lua-wasm.js';

/**
 * The conversions between command replies and Lua values, as Redis 7.0's script_lua.c
 * does them:
 * - pushReply: the reply a command run by redis.call wrote (RESP2, or RESP3 after
 *   redis.setresp(3)) to a Lua value (redisProtocolToLuaType). Like Redis, it reads the
 *   encoded reply, so every command's reply converts the same way whatever wrote it.
 * - writeReply: the value a script returned to the reply sent to its caller, in the
 *   caller's protocol (luaReplyToRedisReply).
 * Tables are made empty (createtable(L, 0, 0)) and filled in Redis's order, as its
 * lua_newtable does: a table's layout, so the order `next` and pairs() visit its keys in,
 * follows from its sizes and insertion order (a map reply's keys 0, 1, 2 come out 1, 2, 0,
 * as in Redis). Arrays alone are preallocated: keys 1..n are in the array part either way.
 */

/** How deep a returned table may nest before "reached lua stack limit" (see writeReply). */
export const MAX_REPLY_DEPTH = 1000;

/** Redis's luaPushErrorBuff: `-CODE msg` or `msg` (code ERR) to the table {err = 'CODE msg'}. */
export function errorTableText(text: string): string {
  let code = 'ERR';
  let msg = text;
  if (text.startsWith('-')) {
    const space = text.indexOf(' ');
    if (space < 0) msg = text.slice(1);
    else {
      code = text.slice(1, space);
      msg = text.slice(space + 1);
    }
  }
  // sdstrim(msg, "\r\n"): from both ends.
  msg = msg.replace(/^[\r\n]+|[\r\n]+$/g, '');
  return `${code} ${msg}`;
}

/** Pushes {err = text} (text already in 'CODE msg' form), with Redis's ignore_error_stats_update when asked. */
export function pushErrorTable(lua: LuaWasm, L: number, text: string, ignoreStats: boolean): void {
  const m = lua.m;
  m._lua_createtable(L, 0, 0);
  lua.pushString(L, text);
  lua.setField(L, -2, 'err');
  if (ignoreStats) {
    m._lua_pushboolean(L, 1);
    lua.setField(L, -2, 'ignore_error_stats_update');
  }
}

function lineEnd(buf: Buffer, pos: number): number {
  let i = pos;
  while (i < buf.length && buf[i] !== 13) i++;
  return i;
}

/** The integer written in buf from start to end (a reply's length or integer), read without making a string of it. */
function lineInteger(buf: Buffer, start: number, end: number): number {
  // Up to 15 digits the sum is exact; longer ones are read as Number() reads them (rounded once).
  if (end - start > 15) return Number(buf.toString('latin1', start, end));
  let i = start;
  const negative = buf[i] === 0x2d;
  if (negative) i++;
  let n = 0;
  for (; i < end; i++) n = n * 10 + (buf[i]! - 0x30);
  return negative ? -n : n;
}

/**
 * Pushes the Lua value of the reply encoded in buf at pos; returns the position after it.
 * `push` false parses without pushing (an attribute's contents, which Redis drops).
 */
export function pushReply(lua: LuaWasm, L: number, buf: Buffer, pos: number, push = true): number {
  const m = lua.m;
  const type = buf[pos]!;
  const end = lineEnd(buf, pos + 1);
  let next = end + 2;
  if (push && m._lua_checkstack(L, 5) === 0) throw new Error('lua stack limit reached when converting a redis.call reply');
  switch (type) {
    case 0x2b: // + status: {ok = text}
      if (push) {
        m._lua_createtable(L, 0, 0);
        lua.pushBytes(L, buf, pos + 1, end);
        lua.setField(L, -2, 'ok');
      }
      return next;
    case 0x3a: // : integer
      if (push) m._lua_pushnumber(L, lineInteger(buf, pos + 1, end));
      return next;
    case 0x24: { // $ bulk, $-1 false
      const len = lineInteger(buf, pos + 1, end);
      if (len < 0) {
        if (push) m._lua_pushboolean(L, 0);
        return next;
      }
      if (push) lua.pushBytes(L, buf, next, next + len);
      return next + len + 2;
    }
  }
  const line = buf.toString('latin1', pos + 1, end);
  switch (type) {
    case 0x2d: // - error: {err = 'CODE msg', ignore_error_stats_update = true}
      if (push) pushErrorTable(lua, L, errorTableText('-' + line), true);
      return next;
    case 0x3d: { // = verbatim: {verbatim_string = {string = ..., format = ...}}
      const len = Number(line);
      if (push) {
        m._lua_createtable(L, 0, 0);
        m._lua_createtable(L, 0, 0);
        lua.pushString(L, buf.toString('latin1', next + 4, next + len));
        lua.setField(L, -2, 'string');
        lua.pushString(L, buf.toString('latin1', next, next + 3));
        lua.setField(L, -2, 'format');
        lua.setField(L, -2, 'verbatim_string');
      }
      return next + len + 2;
    }
    case 0x2a: // * array (false when null)
    case 0x3e: { // > push (read as an array)
      const n = Number(line);
      if (n < 0) {
        if (push) m._lua_pushboolean(L, 0);
        return next;
      }
      if (push) m._lua_createtable(L, n, 0);
      for (let i = 1; i <= n; i++) {
        next = pushReply(lua, L, buf, next, push);
        if (push) m._lua_rawseti(L, -2, i);
      }
      return next;
    }
    case 0x25: { // % map: {map = {k = v}}
      const n = Number(line);
      if (push) {
        m._lua_createtable(L, 0, 0);
        lua.pushString(L, 'map');
        m._lua_createtable(L, 0, 0);
      }
      for (let i = 0; i < n; i++) {
        next = pushReply(lua, L, buf, next, push);
        next = pushReply(lua, L, buf, next, push);
        if (push) m._lua_rawset(L, -3);
      }
      if (push) m._lua_rawset(L, -3);
      return next;
    }
    case 0x7e: { // ~ set: {set = {member = true}}
      const n = Number(line);
      if (push) {
        m._lua_createtable(L, 0, 0);
        lua.pushString(L, 'set');
        m._lua_createtable(L, 0, 0);
      }
      for (let i = 0; i < n; i++) {
        next = pushReply(lua, L, buf, next, push);
        if (push) {
          m._lua_pushboolean(L, 1);
          m._lua_rawset(L, -3);
        }
      }
      if (push) m._lua_rawset(L, -3);
      return next;
    }
    case 0x7c: { // | attribute: dropped, then the reply it annotates
      const n = Number(line);
      for (let i = 0; i < 2 * n; i++) next = pushReply(lua, L, buf, next, false);
      return pushReply(lua, L, buf, next, push);
    }
    case 0x5f: // _ null: nil
      if (push) m._lua_pushnil(L);
      return next;
    case 0x23: // # boolean
      if (push) m._lua_pushboolean(L, line === 't' ? 1 : 0);
      return next;
    case 0x2c: // , double: {double = d}
      if (push) {
        m._lua_createtable(L, 0, 0);
        m._lua_pushnumber(L, parseRespDouble(line));
        lua.setField(L, -2, 'double');
      }
      return next;
    case 0x28: // ( big number: {big_number = text}
      if (push) {
        m._lua_createtable(L, 0, 0);
        lua.pushString(L, line);
        lua.setField(L, -2, 'big_number');
      }
      return next;
    default:
      throw new Error(`unexpected reply type byte ${type} in a redis.call reply`);
  }
}

function parseRespDouble(s: string): number {
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

/** A Lua number as C's (long long) cast gives it on x86-64: truncated; NaN and out of range give LLONG_MIN. */
export function luaNumberToInteger(v: number): number | bigint {
  if (Number.isNaN(v) || v >= 9223372036854775807 || v < -9223372036854775808) return -9223372036854775808n;
  const t = Math.trunc(v);
  return Number.isSafeInteger(t) ? t : BigInt(t);
}

/** The parts of Redis's error table a reply is built from (luaExtractErrorInformation). */
export interface ErrorInfo {
  msg: string | null;
  source: string | null;
  line: string | null;
  ignoreStats: boolean;
}

/** Reads the error value at idx (a string or an error table), as luaExtractErrorInformation. */
export function extractErrorInfo(lua: LuaWasm, L: number, idx: number): ErrorInfo {
  const m = lua.m;
  const abs = idx < 0 ? m._lua_gettop(L) + idx + 1 : idx;
  const info: ErrorInfo = { msg: null, source: null, line: null, ignoreStats: false };
  if (m._lua_type(L, abs) === T_STRING || m._lua_type(L, abs) === T_NUMBER) {
    info.msg = `ERR ${lua.toString(L, abs)}`;
    return info;
  }
  if (m._lua_type(L, abs) !== T_TABLE) return info;
  const field = (name: string): string | null => {
    lua.getField(L, abs, name);
    const v = m._lua_isstring(L, -1) ? lua.toString(L, -1) : null;
    m._lua_settop(L, -2);
    return v;
  };
  info.msg = field('err');
  info.source = field('source');
  info.line = field('line');
  lua.getField(L, abs, 'ignore_error_stats_update');
  if (m._lua_type(L, -1) === T_BOOLEAN) info.ignoreStats = m._lua_toboolean(L, -1) !== 0;
  m._lua_settop(L, -2);
  return info;
}

/** An error reply that Redis sends without counting it again in errorstats (ERR_REPLY_FLAG_NO_STATS_UPDATE). */
export function writeError(reply: ReplyWriter, text: string, ignoreStats: boolean, run?: { uncountedErrors: number }): void {
  if (!ignoreStats) {
    reply.error(text);
    return;
  }
  if (run !== undefined) run.uncountedErrors++;
  const onError = reply.onError;
  reply.onError = null;
  reply.error(text);
  reply.onError = onError;
}

/**
 * Writes the reply for the Lua value on top of L's stack and pops it (luaReplyToRedisReply):
 * strings bulk; numbers truncated to integers; true 1 and false nil while the script speaks
 * RESP2 (`scriptResp`), RESP3 booleans after redis.setresp(3); tables: {err=}, {ok=},
 * {double=}, {big_number=}, {verbatim_string=}, {map=}, {set=}, else an array up to the
 * first nil; anything else nil. Written in the caller's protocol (the writer's).
 */
export function writeReply(
  lua: LuaWasm,
  L: number,
  reply: ReplyWriter,
  scriptResp: Protocol,
  depth = 0,
  run?: { uncountedErrors: number },
): void {
  const m = lua.m;
  // Redis stops a table nested in itself when lua_checkstack fails (about 8,000 levels);
  // the same error comes here at MAX_REPLY_DEPTH, within what the JavaScript stack holds.
  if (depth >= MAX_REPLY_DEPTH || m._lua_checkstack(L, 4) === 0) {
    reply.error(`ERR ${LUA_STACK_LIMIT}`);
    m._lua_settop(L, -2);
    return;
  }
  switch (m._lua_type(L, -1)) {
    case T_STRING:
      reply.bulk(lua.toString(L, -1)!);
      break;
    case T_BOOLEAN: {
      const v = m._lua_toboolean(L, -1) !== 0;
      if (scriptResp === 2) {
        if (v) reply.integer(1);
        else reply.nullBulk();
      } else reply.boolean(v);
      break;
    }
    case T_NUMBER:
      reply.integer(luaNumberToInteger(m._lua_tonumber(L, -1)));
      break;
    case T_TABLE:
      writeTableReply(lua, L, reply, scriptResp, depth, run);
      break;
    default:
      reply.nullBulk();
  }
  m._lua_settop(L, -2);
}

/** rawget(t, name) for t on top: pushes the value, returns its type. */
function rawField(lua: LuaWasm, L: number, name: string): number {
  lua.pushString(L, name);
  lua.m._lua_rawget(L, -2);
  return lua.m._lua_type(L, -1);
}

function writeTableReply(
  lua: LuaWasm,
  L: number,
  reply: ReplyWriter,
  scriptResp: Protocol,
  depth: number,
  run: { uncountedErrors: number } | undefined,
): void {
  const m = lua.m;
  if (rawField(lua, L, 'err') === T_STRING) {
    m._lua_settop(L, -2);
    const info = extractErrorInfo(lua, L, -1);
    writeError(reply, info.msg ?? '', info.ignoreStats, run);
    return;
  }
  m._lua_settop(L, -2);
  if (rawField(lua, L, 'ok') === T_STRING) {
    reply.simple(lua.toString(L, -1)!.replace(/[\r\n]/g, ' '));
    m._lua_settop(L, -2);
    return;
  }
  m._lua_settop(L, -2);
  if (rawField(lua, L, 'double') === T_NUMBER) {
    reply.double(m._lua_tonumber(L, -1));
    m._lua_settop(L, -2);
    return;
  }
  m._lua_settop(L, -2);
  if (rawField(lua, L, 'big_number') === T_STRING) {
    const text = lua.toString(L, -1)!.replace(/[\r\n]/g, ' ');
    reply.bigNumber(text);
    m._lua_settop(L, -2);
    return;
  }
  m._lua_settop(L, -2);
  if (rawField(lua, L, 'verbatim_string') === T_TABLE) {
    if (rawField(lua, L, 'format') === T_STRING) {
      const format = lua.toString(L, -1)!;
      lua.pushString(L, 'string');
      m._lua_rawget(L, -3);
      if (m._lua_type(L, -1) === T_STRING) {
        // addReplyVerbatim takes the format's first three bytes.
        reply.verbatim(lua.toString(L, -1)!, format.slice(0, 3));
        m._lua_settop(L, -4);
        return;
      }
      m._lua_settop(L, -2);
    }
    m._lua_settop(L, -2);
  }
  m._lua_settop(L, -2);
  if (rawField(lua, L, 'map') === T_TABLE) {
    reply.mapHeader(countPairs(lua, L));
    m._lua_pushnil(L);
    while (m._lua_next(L, -2) !== 0) {
      m._lua_pushvalue(L, -2);
      writeReply(lua, L, reply, scriptResp, depth + 1, run); // the key
      writeReply(lua, L, reply, scriptResp, depth + 1, run); // the value
    }
    m._lua_settop(L, -2);
    return;
  }
  m._lua_settop(L, -2);
  if (rawField(lua, L, 'set') === T_TABLE) {
    reply.setHeader(countPairs(lua, L));
    m._lua_pushnil(L);
    while (m._lua_next(L, -2) !== 0) {
      m._lua_settop(L, -2);
      m._lua_pushvalue(L, -1);
      writeReply(lua, L, reply, scriptResp, depth + 1, run);
    }
    m._lua_settop(L, -2);
    return;
  }
  m._lua_settop(L, -2);
  // An array: the items 1, 2, ... up to the first nil.
  let n = 0;
  for (;;) {
    m._lua_rawgeti(L, -1, n + 1);
    const t = m._lua_type(L, -1);
    m._lua_settop(L, -2);
    if (t === T_NIL) break;
    n++;
  }
  reply.arrayHeader(n);
  for (let i = 1; i <= n; i++) {
    m._lua_rawgeti(L, -1, i);
    writeReply(lua, L, reply, scriptResp, depth + 1, run);
  }
}

/** The number of pairs `next` visits in the table on top (the reply's length comes first in RESP). */
function countPairs(lua: LuaWasm, L: number): number {
  const m = lua.m;
  let n = 0;
  m._lua_pushnil(L);
  while (m._lua_next(L, -2) !== 0) {
    m._lua_settop(L, -2);
    n++;
  }
  return n;
}
