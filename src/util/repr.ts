/** Redis's sdscatrepr: a double-quoted string with C escapes for what is not printable. */
export function quoteRepr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c >= 32 && c < 127) out += ch;
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}
