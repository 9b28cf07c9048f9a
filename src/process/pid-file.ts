import fs from 'node:fs';

/** Redis's CONFIG_DEFAULT_PID_FILE: the pid file of a daemon whose configuration names none. */
export const DEFAULT_PID_FILE = '/var/run/redis.pid';

/**
 * Redis's createPidFile: the pid and a newline, written best-effort (a pid file that
 * cannot be written does not stop the server). Returns whether it was written.
 */
export function writePidFile(file: string, pid: number = process.pid): boolean {
  try {
    fs.writeFileSync(file, `${pid}\n`);
    return true;
  } catch {
    return false;
  }
}

/** Removes it at a clean shutdown, as Redis does (unlink, errors ignored). */
export function removePidFile(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Already gone, or never written.
  }
}
