import fs from 'node:fs';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

const RANK: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3 };
const MARK: Record<LogLevel, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface Logger {
  log(level: LogLevel, message: string): void;
}

/** Discards everything: the default for an embedded server. */
export const silentLogger: Logger = { log() {} };

/**
 * Redis's log line format (`pid:M 27 Nov 2026 17:19:11.123 * message`), to stdout or
 * appended to a file, filtered by a level read at each call (CONFIG SET loglevel).
 */
export class LineLogger implements Logger {
  constructor(
    private readonly level: () => LogLevel,
    private readonly file: string = '',
  ) {}

  log(level: LogLevel, message: string): void {
    if (RANK[level] < RANK[this.level()]) return;
    const d = new Date();
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const stamp =
      `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
    const line = `${process.pid}:M ${stamp} ${MARK[level]} ${message}\n`;
    if (this.file === '') process.stdout.write(line);
    else fs.appendFileSync(this.file, line);
  }
}
