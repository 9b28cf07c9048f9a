/**
 * Glob matching with Redis's stringmatchlen() semantics, used by KEYS, SCAN MATCH,
 * CONFIG GET, PSUBSCRIBE and friends. Pattern and subject are latin1 strings.
 *
 * - `*` any run of bytes, `?` one byte, `\x` the literal x;
 * - `[abc]`, `[^abc]`, `[a-z]` (reversed ranges are swapped), `\` escapes inside a class,
 *   `[]` is an empty class, and an unterminated class ends at the end of the pattern;
 * - range bounds compare as C's signed char, as Redis does, so bytes >= 0x80 sort below 0.
 *
 * Like Redis, a star that failed to match at every later position stops the whole match
 * (skipLongerMatches), which keeps patterns such as `*a*a*a*b` polynomial, and nesting
 * deeper than 1000 stars answers "no match" instead of recursing further.
 */
export function globMatch(pattern: string, subject: string, nocase = false): boolean {
  const state = { skipLonger: false };
  return matchFrom(pattern, 0, subject, 0, nocase, state, 0);
}

/**
 * The literal bytes every subject the pattern matches must start with (escapes
 * resolved): '' when the pattern starts with `*`, `?` or `[`. Lets KEYS and SCAN skip a
 * key by comparing its stored bytes, without making a string of it.
 */
export function literalPrefix(pattern: string): string {
  let prefix = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 0x2a || c === 0x3f || c === 0x5b) break;
    if (c === 0x5c) {
      // An escape at the end of the pattern is a literal backslash (stringmatchlen).
      if (i + 1 < pattern.length) i++;
    }
    prefix += pattern[i];
  }
  return prefix;
}

const MAX_NESTING = 1000;

function matchFrom(
  pat: string,
  pi: number,
  str: string,
  si: number,
  nocase: boolean,
  state: { skipLonger: boolean },
  nesting: number,
): boolean {
  if (nesting > MAX_NESTING) return false;
  const plen = pat.length;
  const slen = str.length;
  while (pi < plen && si < slen) {
    const pc = pat.charCodeAt(pi);
    switch (pc) {
      case 0x2a /* * */: {
        while (pi + 1 < plen && pat.charCodeAt(pi + 1) === 0x2a) pi++;
        if (pi + 1 === plen) return true;
        while (si < slen) {
          if (matchFrom(pat, pi + 1, str, si, nocase, state, nesting + 1)) return true;
          if (state.skipLonger) return false;
          si++;
        }
        state.skipLonger = true;
        return false;
      }
      case 0x3f /* ? */:
        si++;
        break;
      case 0x5b /* [ */: {
        pi++;
        const negate = pi < plen && pat.charCodeAt(pi) === 0x5e; /* ^ */
        if (negate) pi++;
        let matched = false;
        const sc = str.charCodeAt(si);
        for (;;) {
          const remaining = plen - pi;
          const c = remaining > 0 ? pat.charCodeAt(pi) : 0;
          if (c === 0x5c /* \ */ && remaining >= 2) {
            pi++;
            if (pat.charCodeAt(pi) === sc) matched = true;
          } else if (remaining > 0 && c === 0x5d /* ] */) {
            break;
          } else if (remaining <= 0) {
            pi--; // unterminated class: leave the cursor on the last pattern byte
            break;
          } else if (remaining >= 3 && pat.charCodeAt(pi + 1) === 0x2d /* - */) {
            let start = signedChar(c);
            let end = signedChar(pat.charCodeAt(pi + 2));
            let ch = signedChar(sc);
            if (start > end) { const t = start; start = end; end = t; }
            if (nocase) { start = lowerSigned(start); end = lowerSigned(end); ch = lowerSigned(ch); }
            pi += 2;
            if (ch >= start && ch <= end) matched = true;
          } else if (!nocase) {
            if (c === sc) matched = true;
          } else if (lower(c) === lower(sc)) {
            matched = true;
          }
          pi++;
        }
        if (negate) matched = !matched;
        if (!matched) return false;
        si++;
        break;
      }
      default: {
        if (pc === 0x5c /* \ */ && plen - pi >= 2) pi++;
        const c = pat.charCodeAt(pi);
        const sc = str.charCodeAt(si);
        if (nocase ? lower(c) !== lower(sc) : c !== sc) return false;
        si++;
        break;
      }
    }
    pi++;
    if (si === slen) {
      while (pi < plen && pat.charCodeAt(pi) === 0x2a) pi++;
      break;
    }
  }
  return pi === plen && si === slen;
}

function signedChar(c: number): number {
  return c >= 0x80 ? c - 0x100 : c;
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

function lowerSigned(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}
