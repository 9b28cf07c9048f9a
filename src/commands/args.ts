/**
 * Helpers for reading command arguments the way Redis's C code does.
 */

/**
 * An option name as C code compares it: cut at the first NUL (strcasecmp and
 * opt[2] == '\0' tests stop there) and lowercased. "nx\0junk" is NX to Redis.
 */
export function optionName(arg: string): string {
  const nul = arg.indexOf('\0');
  return (nul >= 0 ? arg.slice(0, nul) : arg).toLowerCase();
}
