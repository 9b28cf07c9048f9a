/**
 * The `cjson` library Redis ships (deps/lua/src/lua_cjson.c, Lua CJSON 2.1.0 with Redis's
 * fixes): encode, decode, their settings, and cjson.null.
 *
 * Settings belong to one library instance (C keeps them in a userdata upvalue shared by
 * that instance's functions): createCjson() makes one per Lua state, and cjson.new() in
 * Lua asks the bridge for another. Defaults: sparse arrays (convert off, ratio 2, safe
 * 10), depth 1000 both ways, invalid numbers refused when encoding and accepted when
 * decoding, 14 significant digits.
 *
 * Encoding, as the C code walks a table with lua_next:
 * - a table whose keys are all positive integers is an array up to its largest key (holes
 *   print null), unless "excessively sparse" (largest key > count * ratio and > safe):
 *   then an error, or an object when convert is on; an empty table is "{}"; any other key
 *   makes an object, in `next` order, number keys printed as quoted numbers;
 * - numbers print with "%.{precision}g"; NaN/Inf are refused (or printed "nan"/"inf", or
 *   "null", per encode_invalid_numbers); strings escape '"' '\\' '/' and control bytes
 *   (\u007f too), other bytes pass through;
 * - the largest key is a C int: a key past 2^31 turns it negative (C's conversion), and
 *   the table then prints as an object.
 * Decoding reads the input as a C string (it ends at a NUL byte); \u escapes become UTF-8;
 * JSON null is cjson.null; with decode_invalid_numbers on, strtod's extras (inf, nan, hex,
 * leading '+' or zeros) are numbers. Nesting is limited by the depth setting and by Lua's
 * 8000-slot stack (an object level holds 2 slots, an array level 1).
 */
import { LuaOpaque, LuaRaisedError, LuaTable, type LuaValue } from './lua-value.js';
import { formatG } from './c-format.js';
import { LuaArgError, checkInteger, checkLString, doubleToInt32, strtod, toLString, typeError, typeName, type LuaLibFunction } from './lua-aux.js';
import {
  cjsonBadKeyType,
  cjsonCannotSerialise,
  cjsonExcessiveNesting,
  cjsonExcessivelySparse,
  cjsonExpectedOneArg,
  cjsonIntegerRange,
  cjsonInvalidOption,
  cjsonNotNanOrInf,
  cjsonParseError,
  cjsonTooDeep,
  cjsonTooManyArgs,
  cjsonTypeNotSupported,
  cjsonUtf16,
} from './lib-errors.js';

const INT_MAX = 2147483647;
const MAX_C_STACK = 8000;

/** One instance's settings (json_config_t). */
export interface CjsonConfig {
  sparseConvert: boolean;
  sparseRatio: number;
  sparseSafe: number;
  encodeMaxDepth: number;
  decodeMaxDepth: number;
  /** 0 off, 1 on, 2 "null". */
  encodeInvalidNumbers: number;
  decodeInvalidNumbers: boolean;
  encodeNumberPrecision: number;
  encodeKeepBuffer: boolean;
}

export interface CjsonInstance {
  /** encode, decode and the settings functions, by their Lua names. */
  functions: Record<string, LuaLibFunction>;
  /** cjson.null: JSON null as decode gives it. */
  null: LuaOpaque;
  /** The other fields of the module table. */
  fields: { _NAME: string; _VERSION: string };
  config: CjsonConfig;
}

/**
 * A cjson instance. `nullValue` is the lightuserdata NULL: every NULL lightuserdata is the
 * same Lua value (cjson.null of one instance equals another's), so a bridge passes its one.
 */
export function createCjson(nullValue: LuaOpaque = new LuaOpaque('lightuserdata')): CjsonInstance {
  const config: CjsonConfig = {
    sparseConvert: false,
    sparseRatio: 2,
    sparseSafe: 10,
    encodeMaxDepth: 1000,
    decodeMaxDepth: 1000,
    encodeInvalidNumbers: 0,
    decodeInvalidNumbers: true,
    encodeNumberPrecision: 14,
    encodeKeepBuffer: true,
  };
  const functions: Record<string, LuaLibFunction> = {
    encode: (args) => {
      if (args.length !== 1) throw new LuaArgError(1, cjsonExpectedOneArg, 'encode');
      return [new Encoder(config).encode(args[0]!)];
    },
    decode: (args) => {
      if (args.length !== 1) throw new LuaArgError(1, cjsonExpectedOneArg, 'decode');
      return [decode(checkLString(args, 1, 'decode'), config, nullValue)];
    },
    encode_sparse_array: (args) => {
      const a = argInit(args, 3, 'encode_sparse_array');
      const convert = enumOption(a, 1, config.sparseConvert ? 1 : 0, BOOL_OPTIONS, 1, 'encode_sparse_array');
      config.sparseConvert = convert.setting === 1;
      const ratio = integerOption(a, 2, config.sparseRatio, 0, INT_MAX, 'encode_sparse_array');
      config.sparseRatio = ratio;
      const safe = integerOption(a, 3, config.sparseSafe, 0, INT_MAX, 'encode_sparse_array');
      config.sparseSafe = safe;
      return [convert.result, ratio, safe];
    },
    encode_max_depth: (args) => [(config.encodeMaxDepth = integerOption(argInit(args, 1, 'encode_max_depth'), 1, config.encodeMaxDepth, 1, INT_MAX, 'encode_max_depth'))],
    decode_max_depth: (args) => [(config.decodeMaxDepth = integerOption(argInit(args, 1, 'decode_max_depth'), 1, config.decodeMaxDepth, 1, INT_MAX, 'decode_max_depth'))],
    encode_number_precision: (args) => [
      (config.encodeNumberPrecision = integerOption(argInit(args, 1, 'encode_number_precision'), 1, config.encodeNumberPrecision, 1, 14, 'encode_number_precision')),
    ],
    encode_keep_buffer: (args) => {
      const r = enumOption(argInit(args, 1, 'encode_keep_buffer'), 1, config.encodeKeepBuffer ? 1 : 0, BOOL_OPTIONS, 1, 'encode_keep_buffer');
      config.encodeKeepBuffer = r.setting === 1;
      return [r.result];
    },
    encode_invalid_numbers: (args) => {
      const r = enumOption(argInit(args, 1, 'encode_invalid_numbers'), 1, config.encodeInvalidNumbers, ['off', 'on', 'null'], 1, 'encode_invalid_numbers');
      config.encodeInvalidNumbers = r.setting;
      return [r.result];
    },
    decode_invalid_numbers: (args) => {
      const r = enumOption(argInit(args, 1, 'decode_invalid_numbers'), 1, config.decodeInvalidNumbers ? 1 : 0, BOOL_OPTIONS, 1, 'decode_invalid_numbers');
      config.decodeInvalidNumbers = r.setting === 1;
      return [r.result];
    },
  };
  return { functions, null: nullValue, fields: { _NAME: 'cjson', _VERSION: '2.1.0' }, config };
}

// ---- settings ------------------------------------------------------------------------

const BOOL_OPTIONS = ['off', 'on'];

/** json_arg_init: at most n arguments, the missing ones read as nil. */
function argInit(args: LuaValue[], n: number, fname: string): LuaValue[] {
  if (args.length > n) throw new LuaArgError(n + 1, cjsonTooManyArgs, fname);
  const a = args.slice();
  while (a.length < n) a.push(null);
  return a;
}

/** json_integer_option: a new value when the argument is not nil (an int, range-checked: the error names argument #1 whatever the index). */
function integerOption(args: LuaValue[], i: number, current: number, min: number, max: number, fname: string): number {
  if (args[i - 1] === null) return current;
  const value = Number(BigInt.asIntN(32, checkInteger(args, i, fname)));
  if (!(min <= value && value <= max)) throw new LuaArgError(1, cjsonIntegerRange(min, max), fname);
  return value;
}

/** json_enum_option: a boolean or one of the option names; answers a boolean for off/on and the name otherwise. */
function enumOption(
  args: LuaValue[],
  i: number,
  current: number,
  options: string[],
  boolTrue: number,
  fname: string,
): { setting: number; result: LuaValue } {
  let setting = current;
  const v = args[i - 1]!;
  if (v !== null) {
    if (typeof v === 'boolean') setting = v ? boolTrue : 0;
    else {
      const name = toLString(v);
      if (name === null) throw typeError(args, i, 'string', fname);
      const found = options.indexOf(name);
      if (found < 0) {
        const nul = name.indexOf('\0');
        throw new LuaArgError(i, cjsonInvalidOption(nul < 0 ? name : name.slice(0, nul)), fname);
      }
      setting = found;
    }
  }
  return { setting, result: setting === 0 || setting === boolTrue ? setting !== 0 : options[setting]! };
}

// ---- encoding ------------------------------------------------------------------------

const ESCAPES: (string | null)[] = Array.from({ length: 256 }, (_, c) => {
  if (c < 0x20) {
    const named: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };
    return named[c] ?? `\\u${c.toString(16).padStart(4, '0')}`;
  }
  if (c === 0x22) return '\\"';
  if (c === 0x2f) return '\\/';
  if (c === 0x5c) return '\\\\';
  if (c === 0x7f) return '\\u007f';
  return null;
});
const NEEDS_ESCAPE = /[\x00-\x1f"\/\\\x7f]/;

function escapeString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) out += ESCAPES[s.charCodeAt(i)] ?? s[i];
  return out + '"';
}

/** One table being written: an array (its length) or an object (its pairs), and how far along. */
interface EncodeFrame {
  array: boolean;
  len: number;
  byIndex: Map<number, LuaValue> | null;
  entries: LuaTable['entries'];
  next: number;
  depth: number;
  slots: number;
}

class Encoder {
  private readonly out: string[] = [];
  constructor(private readonly cfg: CjsonConfig) {}

  /**
   * json_append_data over the value, with an explicit stack of open tables instead of C's
   * recursion (the depth setting can be raised far past what JS recursion allows). `slots`
   * follows the Lua stack the C code uses (the argument, then per object level the key and
   * value lua_next pushes, per array level the element): lua_checkstack's 8000-slot limit
   * is part of the "excessive nesting" check.
   */
  encode(root: LuaValue): string {
    const frames: EncodeFrame[] = [];
    let v: LuaValue = root;
    let depth = 0;
    let slots = 1;
    for (;;) {
      if (v instanceof LuaTable) {
        const f = this.open(v, depth + 1, slots);
        frames.push(f);
      } else this.scalar(v);
      // Move to the next value to write, closing the tables that are done.
      let found = false;
      while (!found) {
        const f = frames[frames.length - 1];
        if (!f) return this.out.join('');
        if (f.next >= f.len) {
          this.out.push(f.array ? ']' : '}');
          frames.pop();
          continue;
        }
        if (f.next > 0) this.out.push(',');
        if (f.array) {
          f.next++;
          v = f.byIndex!.get(f.next) ?? null;
          slots = f.slots + 1;
        } else {
          const [k, x] = f.entries[f.next++]!;
          if (typeof k === 'number') this.out.push(`"${this.number(k)}":`);
          else if (typeof k === 'string') this.out.push(escapeString(k) + ':');
          else throw new LuaRaisedError(cjsonCannotSerialise(typeName(k), cjsonBadKeyType));
          v = x;
          slots = f.slots + 2;
        }
        depth = f.depth;
        found = true;
      }
    }
  }

  private scalar(v: LuaValue): void {
    if (typeof v === 'string') this.out.push(escapeString(v));
    else if (typeof v === 'number') this.out.push(this.number(v));
    else if (typeof v === 'boolean') this.out.push(v ? 'true' : 'false');
    else if (v === null) this.out.push('null');
    else if (!(v instanceof LuaTable) && v.type === 'lightuserdata') this.out.push('null'); // the only lightuserdata in Redis's Lua is NULL
    else throw new LuaRaisedError(cjsonCannotSerialise(typeName(v), cjsonTypeNotSupported));
  }

  private number(n: number): string {
    if (!Number.isFinite(n)) {
      if (this.cfg.encodeInvalidNumbers === 0) throw new LuaRaisedError(cjsonCannotSerialise('number', cjsonNotNanOrInf));
      if (this.cfg.encodeInvalidNumbers === 2) return 'null';
      if (Number.isNaN(n)) return 'nan';
    }
    return formatG(n, this.cfg.encodeNumberPrecision, false, false);
  }

  /** Starts a table (the depth and stack check, array or object), writing its opening bracket. */
  private open(t: LuaTable, depth: number, slots: number): EncodeFrame {
    if (depth > this.cfg.encodeMaxDepth || slots + 3 > MAX_C_STACK) throw new LuaRaisedError(cjsonExcessiveNesting(depth));
    const len = this.arrayLength(t);
    if (len > 0) {
      const byIndex = new Map<number, LuaValue>();
      for (const [k, v] of t.entries) byIndex.set(k as number, v);
      this.out.push('[');
      return { array: true, len, byIndex, entries: t.entries, next: 0, depth, slots };
    }
    this.out.push('{');
    return { array: false, len: t.entries.length, byIndex: null, entries: t.entries, next: 0, depth, slots };
  }

  /** lua_array_length: the largest key as a C int when all keys are positive integers (-1 otherwise). */
  private arrayLength(t: LuaTable): number {
    let max = 0;
    let items = 0;
    for (const [k] of t.entries) {
      if (!(typeof k === 'number' && k !== 0 && Math.floor(k) === k && k >= 1)) return -1;
      if (k > max) max = doubleToInt32(k);
      items++;
    }
    const cfg = this.cfg;
    if (cfg.sparseRatio > 0 && max > Math.imul(items, cfg.sparseRatio) && max > cfg.sparseSafe) {
      if (!cfg.sparseConvert) throw new LuaRaisedError(cjsonCannotSerialise('table', cjsonExcessivelySparse));
      return -1;
    }
    return max;
  }
}

// ---- decoding ------------------------------------------------------------------------

const enum T {
  OBJ_BEGIN,
  OBJ_END,
  ARR_BEGIN,
  ARR_END,
  STRING,
  NUMBER,
  BOOLEAN,
  NULL,
  COLON,
  COMMA,
  END,
  WHITESPACE,
  ERROR,
  UNKNOWN,
}
const TOKEN_NAMES = ['T_OBJ_BEGIN', 'T_OBJ_END', 'T_ARR_BEGIN', 'T_ARR_END', 'T_STRING', 'T_NUMBER', 'T_BOOLEAN', 'T_NULL', 'T_COLON', 'T_COMMA', 'T_END', 'T_WHITESPACE', 'T_ERROR', 'T_UNKNOWN'];

const CH2TOKEN: T[] = Array.from({ length: 256 }, (_, c) => {
  const ch = String.fromCharCode(c);
  const single: Record<string, T> = { '{': T.OBJ_BEGIN, '}': T.OBJ_END, '[': T.ARR_BEGIN, ']': T.ARR_END, ',': T.COMMA, ':': T.COLON, '\0': T.END, ' ': T.WHITESPACE, '\t': T.WHITESPACE, '\n': T.WHITESPACE, '\r': T.WHITESPACE };
  if (single[ch] !== undefined) return single[ch]!;
  return 'fiInNt"+-0123456789'.includes(ch) ? T.UNKNOWN : T.ERROR;
});
const ESCAPE2CHAR: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', u: 'u' };

interface Token {
  type: T;
  /** 0-based position the token starts at (or where the error was found). */
  index: number;
  value: LuaValue;
  error: string;
}

class Parser {
  /** The C string the parser sees: up to the first NUL byte. */
  private readonly data: string;
  ptr = 0;
  constructor(
    input: string,
    private readonly cfg: CjsonConfig,
  ) {
    const nul = input.indexOf('\0');
    this.data = nul < 0 ? input : input.slice(0, nul);
  }

  private ch(at = this.ptr): string {
    return at < this.data.length ? this.data[at]! : '\0';
  }

  private error(token: Token, what: string): void {
    token.type = T.ERROR;
    token.index = this.ptr;
    token.error = what;
  }

  next(): Token {
    while (CH2TOKEN[this.ch().charCodeAt(0)] === T.WHITESPACE) this.ptr++;
    const c = this.ch();
    const token: Token = { type: CH2TOKEN[c.charCodeAt(0)]!, index: this.ptr, value: null, error: '' };
    if (token.type === T.ERROR) {
      this.error(token, 'invalid token');
      return token;
    }
    if (token.type === T.END) return token;
    if (token.type !== T.UNKNOWN) {
      this.ptr++;
      return token;
    }
    if (c === '"') this.string(token);
    else if (c === '-' || (c >= '0' && c <= '9')) {
      if (!this.cfg.decodeInvalidNumbers && this.isInvalidNumber()) this.error(token, 'invalid number');
      else this.number(token);
    } else if (this.data.startsWith('true', this.ptr)) {
      token.type = T.BOOLEAN;
      token.value = true;
      this.ptr += 4;
    } else if (this.data.startsWith('false', this.ptr)) {
      token.type = T.BOOLEAN;
      token.value = false;
      this.ptr += 5;
    } else if (this.data.startsWith('null', this.ptr)) {
      token.type = T.NULL;
      this.ptr += 4;
    } else if (this.cfg.decodeInvalidNumbers && this.isInvalidNumber()) this.number(token);
    else this.error(token, 'invalid token');
    return token;
  }

  /** json_is_invalid_number: what strtod takes but JSON does not ('+', hex, leading zeros, inf, nan). */
  private isInvalidNumber(): boolean {
    let p = this.ptr;
    if (this.ch(p) === '+') return true;
    if (this.ch(p) === '-') p++;
    const c = this.ch(p);
    if (c === '0') {
      const c2 = this.ch(p + 1);
      return c2 === 'x' || c2 === 'X' || (c2 >= '0' && c2 <= '9');
    }
    if (c <= '9') return false;
    const three = this.data.slice(p, p + 3).toLowerCase();
    return three === 'inf' || three === 'nan';
  }

  private number(token: Token): void {
    token.type = T.NUMBER;
    const r = strtod(this.data, this.ptr);
    if (r === null) this.error(token, 'invalid number');
    else {
      token.value = r.value;
      this.ptr = r.end;
    }
  }

  private string(token: Token): void {
    this.ptr++;
    let out = '';
    for (;;) {
      const c = this.ch();
      if (c === '"') break;
      if (c === '\0') return this.error(token, 'unexpected end of string');
      if (c === '\\') {
        const esc = ESCAPE2CHAR[this.ch(this.ptr + 1)];
        if (esc === 'u') {
          const bytes = this.unicodeEscape();
          if (bytes === null) return this.error(token, 'invalid unicode escape code');
          out += bytes;
          continue;
        }
        if (esc === undefined) return this.error(token, 'invalid escape code');
        out += esc;
        this.ptr += 2;
        continue;
      }
      out += c;
      this.ptr++;
    }
    this.ptr++;
    token.type = T.STRING;
    token.value = out;
  }

  private hex4(at: number): number {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const d = parseInt(this.ch(at + i), 16);
      if (Number.isNaN(d)) return -1;
      v = v * 16 + d;
    }
    return v;
  }

  /** \uXXXX (or a surrogate pair) as UTF-8 bytes, advancing past it; null when malformed. */
  private unicodeEscape(): string | null {
    let cp = this.hex4(this.ptr + 2);
    let len = 6;
    if (cp < 0) return null;
    if ((cp & 0xf800) === 0xd800) {
      if (cp & 0x400) return null;
      if (this.ch(this.ptr + 6) !== '\\' || this.ch(this.ptr + 7) !== 'u') return null;
      const low = this.hex4(this.ptr + 8);
      if (low < 0 || (low & 0xfc00) !== 0xdc00) return null;
      cp = (((cp & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
      len = 12;
    }
    this.ptr += len;
    if (cp <= 0x7f) return String.fromCharCode(cp);
    if (cp <= 0x7ff) return String.fromCharCode(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    if (cp <= 0xffff) return String.fromCharCode(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    return String.fromCharCode(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
}

function parseError(expected: string, token: Token): LuaRaisedError {
  const found = token.type === T.ERROR ? token.error : TOKEN_NAMES[token.type]!;
  return new LuaRaisedError(cjsonParseError(expected, found, token.index + 1));
}

interface Container {
  isObject: boolean;
  /** Object: key -> value in first-insertion order (lua_rawset keeps a key's place). Array: values. */
  object: Map<string, Exclude<LuaValue, null>>;
  array: Exclude<LuaValue, null>[];
  /** The key waiting for its value (objects). */
  key: string;
  /** Lua stack slots in use by the enclosing levels when this level was entered. */
  slots: number;
}

function decode(input: string, cfg: CjsonConfig, nullValue: LuaOpaque): LuaValue {
  if (input.length >= 2 && (input[0] === '\0' || input[1] === '\0')) throw new LuaRaisedError(cjsonUtf16);
  const parser = new Parser(input, cfg);
  // json_process_value and the two contexts, with an explicit stack of open containers
  // instead of C's recursion (the depth limit can be set far past what JS recursion takes).
  const open: Container[] = [];
  let token = parser.next();
  for (;;) {
    // token is the start of a value.
    let value: Exclude<LuaValue, null>;
    switch (token.type) {
      case T.STRING:
      case T.NUMBER:
      case T.BOOLEAN:
        value = token.value as Exclude<LuaValue, null>;
        break;
      case T.NULL:
        value = nullValue;
        break;
      case T.OBJ_BEGIN:
      case T.ARR_BEGIN: {
        const isObject = token.type === T.OBJ_BEGIN;
        const parent = open[open.length - 1];
        // The slots below this level: the argument, then per enclosing object its table and
        // pending key, per enclosing array its table.
        const slots = parent ? parent.slots + (parent.isObject ? 2 : 1) : 1;
        const depth = open.length + 1;
        if (depth > cfg.decodeMaxDepth || slots + (isObject ? 3 : 2) > MAX_C_STACK) {
          throw new LuaRaisedError(cjsonTooDeep(depth, parser.ptr));
        }
        const c: Container = { isObject, object: new Map(), array: [], key: '', slots };
        token = parser.next();
        if (token.type === (isObject ? T.OBJ_END : T.ARR_END)) {
          value = build(c);
          break;
        }
        open.push(c);
        if (isObject) {
          token = objectKey(parser, token);
          c.key = token.value as string;
          token = parser.next();
        }
        continue;
      }
      default:
        throw parseError('value', token);
    }
    // Store the value in the containers it completes.
    for (;;) {
      const c = open[open.length - 1];
      if (!c) {
        token = parser.next();
        if (token.type !== T.END) throw parseError('the end', token);
        return value;
      }
      if (c.isObject) c.object.set(c.key, value);
      else c.array.push(value);
      token = parser.next();
      if (token.type === (c.isObject ? T.OBJ_END : T.ARR_END)) {
        open.pop();
        value = build(c);
        continue;
      }
      if (token.type !== T.COMMA) throw parseError(c.isObject ? 'comma or object end' : 'comma or array end', token);
      token = parser.next();
      if (c.isObject) {
        token = objectKey(parser, token);
        c.key = token.value as string;
        token = parser.next();
      }
      break;
    }
  }
}

/** Checks an object member's key token and the colon after it; returns the key token. */
function objectKey(parser: Parser, token: Token): Token {
  if (token.type !== T.STRING) throw parseError('object key string', token);
  const colon = parser.next();
  if (colon.type !== T.COLON) throw parseError('colon', colon);
  return token;
}

function build(c: Container): LuaTable {
  const t = new LuaTable();
  if (c.isObject) for (const [k, v] of c.object) t.set(k, v);
  else c.array.forEach((v, i) => t.set(i + 1, v));
  return t;
}

