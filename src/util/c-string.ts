/**
 * A string as C code reads it (strcmp, strcasecmp, strtoull, printf's "%s"): cut at the
 * first NUL. Redis compares and prints many arguments this way, so an argument with a
 * NUL in it matches, or is echoed in an error, only up to that byte.
 */
export function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul >= 0 ? s.slice(0, nul) : s;
}
