/**
 * C's printf conversions as glibc performs them on x86-64, for the parts of Redis's Lua
 * that print numbers: Lua 5.1's string.format and tostring ("%.14g"), and cjson's number
 * output ("%.14g" by default). Doubles are printed from their exact binary value (a
 * double's decimal expansion is finite) and rounded half to even, as glibc rounds in the
 * default rounding mode: "%.0f" of 0.5 is "0" and of 2.5 is "2", "%.2g" of 0.125 is "0.12"
 * (JavaScript's toFixed/toPrecision round those ties up, so they are not used).
 */

/** One conversion's flags, width and precision (the part between '%' and the letter). */
export interface ConversionSpec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  hash: boolean;
  zero: boolean;
  width: number;
  /** null when no precision was given. */
  precision: number | null;
}

export const NO_FLAGS: ConversionSpec = { minus: false, plus: false, space: false, hash: false, zero: false, width: 0, precision: null };

// Scratch space to read a double's bits: written and read within one synchronous call, so
// it carries nothing from one call to the next.
const view = new DataView(new ArrayBuffer(8));

/** The sign bit of a double (so -0 and a NaN with the sign bit print a '-', as glibc does). */
export function signBit(x: number): boolean {
  view.setFloat64(0, x);
  return (view.getUint8(0) & 0x80) !== 0;
}

/** |x| = digits * 10^-scale. */
interface Exact {
  digits: bigint;
  scale: number;
}

/** |x| = digits * 10^-scale exactly, for finite x. */
function exactDecimal(x: number): Exact {
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  if (mant === 0n) return { digits: 0n, scale: 0 };
  while (exp < 0 && (mant & 1n) === 0n) {
    mant >>= 1n;
    exp++;
  }
  if (exp >= 0) return { digits: mant << BigInt(exp), scale: 0 };
  return { digits: mant * 5n ** BigInt(-exp), scale: -exp };
}

/** round-half-even(|x| * 10^prec) for finite x; prec may be negative. */
function scaledRound(e: Exact, prec: number): bigint {
  const shift = prec - e.scale;
  if (shift >= 0) return e.digits * 10n ** BigInt(shift);
  const div = 10n ** BigInt(-shift);
  let q = e.digits / div;
  const twice = (e.digits % div) * 2n;
  if (twice > div || (twice === div && (q & 1n) === 1n)) q += 1n;
  return q;
}

/** Digits of |x| for "%.{prec}f" (no sign, no padding). */
function fixedBody(e: Exact, prec: number, hash: boolean): string {
  let s = scaledRound(e, prec).toString();
  if (s.length <= prec) s = '0'.repeat(prec + 1 - s.length) + s;
  const int = s.slice(0, s.length - prec);
  const frac = s.slice(s.length - prec);
  return prec > 0 || hash ? `${int}.${frac}` : int;
}

/** The P+1 significant digits of |x| rounded (half to even), and the decimal exponent of the first. */
function significant(x: number, exact: () => Exact, p: number): { s: string; exp: number } {
  // Fast path: JavaScript's toExponential rounds the exact value too, only its ties go
  // the other way (up). A tie at P+1 digits means |x| is exactly a P+2-digit decimal
  // ending in 5: such a decimal reads back as |x|. Only those take the exact path.
  const ax = Math.abs(x);
  if (ax !== 0 && p <= 98) {
    const longer = ax.toExponential(p + 1);
    if (longer[longer.indexOf('e') - 1] !== '5' || Number(longer) !== ax) {
      const r = ax.toExponential(p);
      const ePos = r.indexOf('e');
      return { s: r.slice(0, ePos).replace('.', ''), exp: Number(r.slice(ePos + 1)) };
    }
  }
  const e = exact();
  if (e.digits === 0n) return { s: '0'.repeat(p + 1), exp: 0 };
  let exp = e.digits.toString().length - 1 - e.scale;
  let s = scaledRound(e, p - exp).toString();
  if (s.length > p + 1) {
    // Rounding carried into a new digit (9.99 -> 10.0): one more in the exponent.
    exp++;
    s = s.slice(0, p + 1);
  }
  return { s, exp };
}

function expBody(sig: { s: string; exp: number }, p: number, hash: boolean, upper: boolean): string {
  const mant = p > 0 || hash ? `${sig.s[0]}.${sig.s.slice(1)}` : sig.s[0]!;
  const ae = Math.abs(sig.exp);
  return `${mant}${upper ? 'E' : 'e'}${sig.exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
}

/** Drops a %g result's trailing fractional zeros, and the point when nothing follows it. */
function stripZeros(body: string): string {
  const ePos = body.search(/[eE]/);
  const mant = ePos < 0 ? body : body.slice(0, ePos);
  const tail = ePos < 0 ? '' : body.slice(ePos);
  if (!mant.includes('.')) return body;
  return mant.replace(/0+$/, '').replace(/\.$/, '') + tail;
}

function pad(sign: string, body: string, spec: ConversionSpec, zeroPad: boolean): string {
  const len = sign.length + body.length;
  if (len >= spec.width) return sign + body;
  const fill = spec.width - len;
  if (spec.minus) return sign + body + ' '.repeat(fill);
  if (zeroPad) return sign + '0'.repeat(fill) + body;
  return ' '.repeat(fill) + sign + body;
}

/** printf's %e %E %f %g %G of a double. */
export function formatDouble(x: number, conv: 'e' | 'E' | 'f' | 'g' | 'G', spec: ConversionSpec): string {
  const neg = signBit(x);
  const sign = neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  const upper = conv === 'E' || conv === 'G';
  if (!Number.isFinite(x)) {
    const word = Number.isNaN(x) ? 'nan' : 'inf';
    return pad(sign, upper ? word.toUpperCase() : word, spec, false);
  }
  let cached: Exact | null = null;
  const exact = (): Exact => (cached ??= exactDecimal(x));
  let body: string;
  if (conv === 'f') body = fixedBody(exact(), spec.precision ?? 6, spec.hash);
  else if (conv === 'e' || conv === 'E') {
    const p = spec.precision ?? 6;
    body = expBody(significant(x, exact, p), p, spec.hash, upper);
  } else body = gBody(x, exact, spec.precision ?? 6, spec.hash, upper);
  return pad(sign, body, spec, spec.zero && !spec.minus);
}

function gBody(x: number, exact: () => Exact, precision: number, hash: boolean, upper: boolean): string {
  const p = precision === 0 ? 1 : precision;
  const sig = significant(x, exact, p - 1);
  const e = exact;
  if (hash && sig.exp === p && e().digits.toString().length - 1 - e().scale === p - 1) {
    // glibc quirk: when rounding carries a value printed "%f"-style into "%e" style
    // (999999.5 under "%#g"), the fraction digits are those of the "%f" form, none:
    // "1.e+06", where C's rule would give "1.00000e+06".
    return expBody({ s: sig.s[0]!, exp: sig.exp }, 0, true, upper);
  }
  let body: string;
  if (p > sig.exp && sig.exp >= -4) {
    // "%f" style with P-1-X decimals: the same P significant digits, placed.
    const frac = p - 1 - sig.exp;
    if (sig.exp >= 0) body = sig.s.slice(0, sig.exp + 1) + (frac > 0 || hash ? '.' + sig.s.slice(sig.exp + 1) : '');
    else body = '0.' + '0'.repeat(-sig.exp - 1) + sig.s;
  } else body = expBody(sig, p - 1, hash, upper);
  return hash ? body : stripZeros(body);
}

/** "%.{precision}g" with no other flags (LUA_NUMBER_FMT is "%.14g"; cjson's is "%.{1..14}g"). */
export function formatG(x: number, precision: number, hash: boolean, upper: boolean): string {
  // Integers with at most `precision` digits print as themselves (below 2^53, where
  // String() gives every digit exactly rather than the shortest round trip).
  if (!hash && Number.isInteger(x) && Math.abs(x) < Math.min(10 ** precision, 2 ** 53) && !Object.is(x, -0)) return String(x);
  return formatDouble(x, upper ? 'G' : 'g', { ...NO_FLAGS, precision, hash });
}

/** printf's %d %i (signed) and %o %u %x %X (unsigned, given as the uint64 bit pattern) of a 64-bit integer. */
export function formatInteger(v: bigint, conv: 'd' | 'i' | 'o' | 'u' | 'x' | 'X', spec: ConversionSpec): string {
  const signed = conv === 'd' || conv === 'i';
  const neg = signed && v < 0n;
  const mag = neg ? -v : v;
  const radix = conv === 'o' ? 8 : conv === 'x' || conv === 'X' ? 16 : 10;
  let digits = spec.precision === 0 && mag === 0n ? '' : mag.toString(radix);
  if (conv === 'X') digits = digits.toUpperCase();
  if (spec.precision !== null && digits.length < spec.precision) digits = '0'.repeat(spec.precision - digits.length) + digits;
  if (conv === 'o' && spec.hash && digits[0] !== '0') digits = '0' + digits;
  let prefix = '';
  if (signed) prefix = neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  else if (spec.hash && mag !== 0n && (conv === 'x' || conv === 'X')) prefix = conv === 'x' ? '0x' : '0X';
  return pad(prefix, digits, spec, spec.zero && !spec.minus && spec.precision === null);
}

/** printf's %c of an int (the low byte), padded with spaces. */
export function formatChar(code: number, spec: ConversionSpec): string {
  return pad('', String.fromCharCode(code & 0xff), spec, false);
}

/** printf's %s of a C string (the bytes before the first NUL), precision cutting it, padded with spaces. */
export function formatString(s: string, spec: ConversionSpec): string {
  const nul = s.indexOf('\0');
  let c = nul < 0 ? s : s.slice(0, nul);
  if (spec.precision !== null && c.length > spec.precision) c = c.slice(0, spec.precision);
  return pad('', c, spec, false);
}
