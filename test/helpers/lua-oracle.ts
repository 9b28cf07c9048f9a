import { LuaOpaque, LuaRaisedError, LuaTable, type LuaValue } from '../../src/scripting/lib/lua-value.js';
import { formatG } from '../../src/scripting/lib/c-format.js';
import { RawClient } from './raw-client.js';
import { startRedis, type ReferenceRedis } from './redis-server.js';
import { decodeReply } from './resp.js';

/**
 * Runs Lua library calls on a real redis-server 7.0.15 through EVAL and the same calls on
 * our TypeScript libraries, in a form both sides print alike, for the differential tests
 * of the libraries without lapse's EVAL.
 *
 * A script is a one-line prelude (a serializer) and, on line 2, `local ok, res =
 * pcall(function() return pack(CALL) end)`: the call's results (all of them, nils too)
 * or its error message, with luaL_error's position "user_script:2: " as Redis's Lua
 * reports it. Values are serialized as:
 *   nil | true | false | n<%.17g> | s<len>:<bytes> | t<count>{k=v,...} | null (lightuserdata) | <type>
 * Table pairs are sorted (the order of a Lua table's hash part is Redis's, not ours) unless
 * the serialization is "ordered", which keeps Lua's `next` order: that is how a test learns
 * the order Redis's `next` visits a table in, to build the same LuaTable for our side (the
 * bridge hands our libraries tables in `next` order).
 */

const PRELUDE =
  "local function ser(v, ordered) local t = type(v) if t == 'nil' then return 'nil' elseif t == 'boolean' then return tostring(v) " +
  "elseif t == 'number' then return 'n' .. string.format('%.17g', v) elseif t == 'string' then return 's' .. #v .. ':' .. v " +
  "elseif t == 'table' then local parts = {} for k, x in pairs(v) do parts[#parts + 1] = ser(k, ordered) .. '=' .. ser(x, ordered) end " +
  "if not ordered then table.sort(parts) end return 't' .. #parts .. '{' .. table.concat(parts, ',') .. '}' " +
  "elseif t == 'userdata' then return 'null' else return t end end " +
  "local function pack(...) return {n = select('#', ...), ...} end " +
  "local function results(ok, res, ordered) if not ok then return {'E', res} end local out = {'R'} for i = 1, res.n do out[i + 1] = ser(res[i], ordered) end return out end";

/** The position luaL_error adds for a call on the script's line 2. */
export const WHERE = 'user_script:2: ';

export interface Outcome {
  ok: boolean;
  /** Serialized results, or the error message. */
  values: string[];
}

const view = new DataView(new ArrayBuffer(8));

/** %.17g as Redis prints it, from our formatter (exact; NaN's sign bit kept). */
function num17(n: number): string {
  return formatG(n, 17, false, false);
}

/** Serializes a value as the prelude's ser() does. */
export function ser(v: LuaValue, ordered = false): string {
  if (v === null) return 'nil';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return 'n' + num17(v);
  if (typeof v === 'string') return `s${v.length}:${v}`;
  if (v instanceof LuaTable) {
    const parts = v.entries.map(([k, x]) => `${ser(k, ordered)}=${ser(x, ordered)}`);
    if (!ordered) parts.sort();
    return `t${parts.length}{${parts.join(',')}}`;
  }
  return v.type === 'lightuserdata' || v.type === 'userdata' ? 'null' : v.type;
}

/** Parses ser()'s output back into a value (tables in the serialized order). */
export function deser(s: string, nullValue: LuaOpaque = new LuaOpaque('lightuserdata')): LuaValue {
  let p = 0;
  const value = (): LuaValue => {
    if (s.startsWith('nil', p)) return (p += 3), null;
    if (s.startsWith('true', p)) return (p += 4), true;
    if (s.startsWith('false', p)) return (p += 5), false;
    if (s.startsWith('null', p)) return (p += 4), nullValue;
    if (s.startsWith('function', p)) return (p += 8), new LuaOpaque('function');
    if (s.startsWith('thread', p)) return (p += 6), new LuaOpaque('thread');
    const c = s[p++];
    if (c === 'n') {
      const m = /^[-+0-9.eEinfa]+/.exec(s.slice(p))![0];
      p += m.length;
      if (m === 'nan' || m === '-nan') {
        view.setUint32(0, m === 'nan' ? 0x7ff80000 : 0xfff80000);
        view.setUint32(4, 0);
        return view.getFloat64(0);
      }
      return m === 'inf' ? Infinity : m === '-inf' ? -Infinity : Number(m);
    }
    if (c === 's') {
      const colon = s.indexOf(':', p);
      const len = Number(s.slice(p, colon));
      const out = s.slice(colon + 1, colon + 1 + len);
      p = colon + 1 + len;
      return out;
    }
    if (c === 't') {
      const brace = s.indexOf('{', p);
      const count = Number(s.slice(p, brace));
      p = brace + 1;
      const t = new LuaTable();
      for (let i = 0; i < count; i++) {
        if (i > 0) p++; // ','
        const k = value();
        p++; // '='
        const x = value();
        t.set(k as Exclude<LuaValue, null>, x as Exclude<LuaValue, null>);
      }
      p++; // '}'
      return t;
    }
    throw new Error(`cannot parse ${JSON.stringify(s.slice(p - 1, p + 20))}`);
  };
  const v = value();
  if (p !== s.length) throw new Error(`trailing text in ${JSON.stringify(s)}`);
  return v;
}

/** Runs a library function of ours as the script's line 2 would, in the same printed form. */
export function ours(fn: () => LuaValue[], ordered = false): Outcome {
  try {
    return { ok: true, values: fn().map((v) => ser(v, ordered)) };
  } catch (e) {
    if (!(e instanceof LuaRaisedError)) throw e;
    return { ok: false, values: [(e.where ? WHERE : '') + e.message] };
  }
}

export class LuaOracle {
  private constructor(
    private readonly redis: ReferenceRedis,
    private readonly client: RawClient,
  ) {}

  static async start(): Promise<LuaOracle> {
    const redis = await startRedis();
    return new LuaOracle(redis, await RawClient.connect(redis.port));
  }

  /** SCRIPT FLUSH: a new Lua state (cjson's settings back to their defaults). */
  async flush(): Promise<void> {
    await this.client.call('SCRIPT', 'FLUSH');
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.redis.stop();
  }

  /**
   * Runs `setup` (Lua statements, may be empty) then CALL on line 2, with ARGV, on Redis.
   * With `ordered`, tables print in Redis's `next` order.
   */
  async run(call: string, argv: string[] = [], setup = '', ordered = false): Promise<Outcome> {
    return (await this.runMany([{ script: LuaOracle.scriptFor(call, setup, ordered), argv }]))[0]!;
  }

  /** Many scripts, pipelined. Each is a whole script built with `scriptFor`. */
  async runMany(items: { script: string; argv?: string[] }[]): Promise<Outcome[]> {
    for (const { script, argv } of items) {
      this.client.send('EVAL', script, '0', ...(argv ?? []).map((a) => Buffer.from(a, 'latin1')));
    }
    // Every reply is read before any is judged, so a failure leaves the connection in step.
    const replies = [];
    for (let i = 0; i < items.length; i++) replies.push(decodeReply(await this.client.readReplyBytes(20_000))!.reply);
    return replies.map((reply, i) => {
      if (reply.type !== 'array') throw new Error(`script failed: ${JSON.stringify(reply)} for ${items[i]!.script.slice(PRELUDE.length, PRELUDE.length + 300)}`);
      const vals = reply.value.map((r) => (r.type === 'bulk' ? r.value.toString('latin1') : JSON.stringify(r)));
      return { ok: vals[0] === 'R', values: vals.slice(1) };
    });
  }

  /** A whole script for runMany: the prelude, `setup`, and CALL on line 2. */
  static scriptFor(call: string, setup = '', ordered = false, teardown = ''): string {
    return `${PRELUDE}\n${setup} local ok, res = pcall(function() return pack(${call}) end) ${teardown} return results(ok, res, ${ordered})`;
  }
}

/** A Lua expression that builds a value (tables by assignments in entry order). */
export function luaLiteral(v: LuaValue): string {
  if (v === null) return 'nil';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (Number.isNaN(v)) {
      view.setFloat64(0, v);
      // On x86-64, 0/0 is the NaN with the sign bit set.
      return view.getUint8(0) & 0x80 ? '(0/0)' : '(-(0/0))';
    }
    if (v === Infinity) return '(1/0)';
    if (v === -Infinity) return '(-1/0)';
    if (Object.is(v, -0)) return '(-0)';
    return `(${String(v)})`;
  }
  if (typeof v === 'string') {
    let out = '"';
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      out += c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? v[i] : '\\' + String(c).padStart(3, '0');
    }
    return out + '"';
  }
  if (v instanceof LuaTable) {
    return `(function() local t = {} ${v.entries.map(([k, x]) => `t[${luaLiteral(k)}] = ${luaLiteral(x)}`).join(' ')} return t end)()`;
  }
  if (v.type === 'lightuserdata') return 'cjson.null';
  return v.type === 'function' ? 'string.len' : v.type === 'thread' ? 'coroutine.create(function() end)' : 'nil';
}
