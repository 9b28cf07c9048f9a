/**
 * Lua 5.1's string.format (lstrlib.c str_format) as Redis's x86-64 build runs it: %d and
 * %i print a C `long` (64-bit there), %o %u %x %X an `unsigned long`, %c an `int`. Lapse's
 * Lua engine is compiled to wasm32, where `long` is 32-bit (string.format('%d', 2^31) would
 * print -2147483648), so the sandbox installs this function instead of the engine's own.
 *
 * What str_format does, kept here because scripts can see it:
 * - each conversion's flags (at most 5 of "-+ #0"), width and precision (2 digits each) are
 *   checked before the argument is converted; a missing argument is "bad argument #N to
 *   'format' (no value)", checked before the conversion letter;
 * - numbers convert as C casts them: (long)3.7 is 3, NaN or out of range is LONG_MIN;
 * - each item is cut at its first NUL byte (sprintf then strlen): '%c' of 0 adds nothing,
 *   and '%s' of a string with a NUL keeps what precedes it, except a string of 100 bytes
 *   or more with no precision, which is added whole;
 * - '%q' quotes a string for Lua's reader ("\n" becomes backslash-newline, NUL "\000");
 * - '%s' takes strings and numbers only (luaL_checklstring: no __tostring in 5.1).
 */
import { LuaRaisedError, type LuaValue } from './lua-value.js';
import { LuaArgError, checkLString, checkNumber, doubleToInt32, doubleToInt64, doubleToUint64 } from './lua-aux.js';
import { formatChar, formatDouble, formatInteger, formatString, type ConversionSpec } from './c-format.js';
import { formatInvalidOption, formatNoValue, formatRepeatedFlags, formatTooLong } from './lib-errors.js';

const FLAGS = '-+ #0';
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** string.format(fmt, ...): the formatted string (one result). */
export function stringFormat(args: LuaValue[]): LuaValue[] {
  const fname = 'format';
  const fmt = checkLString(args, 1, fname);
  const top = args.length;
  let arg = 1;
  let out = '';
  let i = 0;
  while (i < fmt.length) {
    const ch = fmt[i]!;
    if (ch !== '%') {
      out += ch;
      i++;
      continue;
    }
    i++;
    // A Lua string is NUL-terminated in memory: a trailing '%' reads that NUL.
    if (fmt[i] === '%') {
      out += '%';
      i++;
      continue;
    }
    if (++arg > top) throw new LuaArgError(arg, formatNoValue, fname);
    const start = i;
    while (i < fmt.length && FLAGS.includes(fmt[i]!)) i++;
    if (i - start >= FLAGS.length + 1) throw new LuaRaisedError(formatRepeatedFlags);
    const flags = fmt.slice(start, i);
    let width = 0;
    let precision: number | null = null;
    const w0 = i;
    if (isDigit(fmt[i])) i++;
    if (isDigit(fmt[i])) i++;
    if (i > w0) width = Number(fmt.slice(w0, i));
    if (fmt[i] === '.') {
      i++;
      const p0 = i;
      if (isDigit(fmt[i])) i++;
      if (isDigit(fmt[i])) i++;
      precision = i > p0 ? Number(fmt.slice(p0, i)) : 0;
    }
    if (isDigit(fmt[i])) throw new LuaRaisedError(formatTooLong);
    const spec: ConversionSpec = {
      minus: flags.includes('-'),
      plus: flags.includes('+'),
      space: flags.includes(' '),
      hash: flags.includes('#'),
      zero: flags.includes('0'),
      width,
      precision,
    };
    const conv = i < fmt.length ? fmt[i]! : '\0';
    i++;
    let item: string;
    switch (conv) {
      case 'c':
        item = formatChar(doubleToInt32(checkNumber(args, arg, fname)), spec);
        break;
      case 'd':
      case 'i':
        item = formatInteger(doubleToInt64(checkNumber(args, arg, fname)), conv, spec);
        break;
      case 'o':
      case 'u':
      case 'x':
      case 'X':
        item = formatInteger(doubleToUint64(checkNumber(args, arg, fname)), conv, spec);
        break;
      case 'e':
      case 'E':
      case 'f':
      case 'g':
      case 'G':
        item = formatDouble(checkNumber(args, arg, fname), conv, spec);
        break;
      case 'q':
        out += quoted(checkLString(args, arg, fname));
        continue;
      case 's': {
        const s = checkLString(args, arg, fname);
        if (precision === null && s.length >= 100) {
          out += s;
          continue;
        }
        item = formatString(s, spec);
        break;
      }
      default:
        // luaL_error's "%c" of a NUL prints nothing.
        throw new LuaRaisedError(formatInvalidOption(conv === '\0' ? '' : conv));
    }
    const nul = item.indexOf('\0');
    out += nul < 0 ? item : item.slice(0, nul);
  }
  return [out];
}

/** addquoted: the string between double quotes, with '"', '\\' and newline backslashed, CR as \r, NUL as \000. */
function quoted(s: string): string {
  let out = '"';
  for (const c of s) {
    if (c === '"' || c === '\\' || c === '\n') out += '\\' + c;
    else if (c === '\r') out += '\\r';
    else if (c === '\0') out += '\\000';
    else out += c;
  }
  return out + '"';
}
