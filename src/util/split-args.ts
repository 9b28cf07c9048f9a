/**
 * Splits a line into arguments the way Redis's sdssplitargs() does. Used for inline
 * commands and for config files, so both accept exactly what Redis accepts.
 *
 * Input and output are latin1 strings (one char per byte). Returns null on unbalanced
 * quotes, or when a closing quote is not followed by a space or the end of the line.
 *
 * - outside quotes, a token ends at space, \n, \r, \t or NUL; leading whitespace is
 *   anything C's isspace() accepts (also \v and \f);
 * - "double quotes" understand \xHH, \n \r \t \b \a, and \c for any other c;
 * - 'single quotes' understand only \';
 * - a NUL byte ends the whole line (Redis works on a C string here).
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  const n = line.length;
  let p = 0;
  // Reads the char at i, treating the end of the string as NUL, as C does.
  const at = (i: number): number => (i < n ? line.charCodeAt(i) : 0);
  for (;;) {
    while (p < n && isCSpace(at(p))) p++;
    if (at(p) === 0) return out;
    let inDouble = false;
    let inSingle = false;
    let done = false;
    let current = '';
    while (!done) {
      const c = at(p);
      if (inDouble) {
        if (c === 0x5c /* \ */ && at(p + 1) === 0x78 /* x */ && isHex(at(p + 2)) && isHex(at(p + 3))) {
          current += String.fromCharCode(hexValue(at(p + 2)) * 16 + hexValue(at(p + 3)));
          p += 3;
        } else if (c === 0x5c && at(p + 1) !== 0) {
          p++;
          const e = at(p);
          switch (e) {
            case 0x6e: current += '\n'; break;
            case 0x72: current += '\r'; break;
            case 0x74: current += '\t'; break;
            case 0x62: current += '\b'; break;
            case 0x61: current += '\x07'; break;
            default: current += String.fromCharCode(e);
          }
        } else if (c === 0x22 /* " */) {
          // The closing quote must be followed by a space or nothing at all.
          if (at(p + 1) !== 0 && !isCSpace(at(p + 1))) return null;
          done = true;
        } else if (c === 0) {
          return null; // unterminated quotes
        } else {
          current += String.fromCharCode(c);
        }
      } else if (inSingle) {
        if (c === 0x5c && at(p + 1) === 0x27 /* ' */) {
          p++;
          current += "'";
        } else if (c === 0x27) {
          if (at(p + 1) !== 0 && !isCSpace(at(p + 1))) return null;
          done = true;
        } else if (c === 0) {
          return null;
        } else {
          current += String.fromCharCode(c);
        }
      } else {
        switch (c) {
          case 0x20: case 0x0a: case 0x0d: case 0x09: case 0:
            done = true;
            break;
          case 0x22: inDouble = true; break;
          case 0x27: inSingle = true; break;
          default: current += String.fromCharCode(c);
        }
      }
      if (at(p) !== 0) p++;
    }
    out.push(current);
  }
}

function isCSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function hexValue(c: number): number {
  if (c <= 0x39) return c - 0x30;
  if (c >= 0x61) return c - 0x61 + 10;
  return c - 0x41 + 10;
}
