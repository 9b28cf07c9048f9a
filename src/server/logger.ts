import fs from 'node:fs';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

const RANK: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3 };
const MARK: Record<LogLevel, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface Logger {
  log(level: LogLevel, message: string): void;
}

function ignoreWriteError(): void {}

/** Discards everything: the default for an embedded server. */
export const silentLogger: Logger = { log() {} };

/** Where every line that passes the level also goes: syslog (syslog.ts's SyslogSink is one). */
export interface LineSink {
  send(level: LogLevel, message: string): void;
}

/**
 * Redis's log line format (`pid:M 27 Nov 2026 17:19:11.123 * message`), to stdout or
 * appended to a file, filtered by a level read at each call (CONFIG SET loglevel); each
 * line that passes also goes to syslog when a sink is given (Redis's serverLogRaw).
 */
export class LineLogger implements Logger {
  /**
   * @param file the log file's path at the time of the call, '' for stdout (Redis
   *   opens it at each line, relative to its working directory).
   */
  constructor(
    private readonly level: () => LogLevel,
    private readonly file: () => string = () => '',
    private readonly syslog: LineSink | null = null,
  ) {}

  log(level: LogLevel, message: string): void {
    if (RANK[level] < RANK[this.level()]) return;
    const d = new Date();
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const stamp =
      `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
    this.write(`${process.pid}:M ${stamp} ${MARK[level]} ${message}\n`);
    this.syslog?.send(level, message);
  }

  /** Text as it is, without the line prefix (Redis's LL_RAW: the start-up logo). */
  raw(level: LogLevel, text: string): void {
    if (RANK[level] < RANK[this.level()]) return;
    this.write(text);
    this.syslog?.send(level, text);
  }

  /**
   * Whether lines go to an interactive terminal: stdout, a tty, and no syslog (when Redis
   * shows its logo without always-show-logo).
   */
  get interactive(): boolean {
    return this.file() === '' && this.syslog === null && process.stdout.isTTY === true;
  }

  private write(text: string): void {
    const file = this.file();
    if (file === '') {
      // As Redis, which ignores SIGPIPE: a stdout whose reader has gone (EPIPE) loses the
      // line; unhandled, the stream's error event would end the process.
      if (!process.stdout.listeners('error').includes(ignoreWriteError)) process.stdout.on('error', ignoreWriteError);
      process.stdout.write(text);
    } else {
      try {
        fs.appendFileSync(file, text);
      } catch {
        // As Redis: a log file that cannot be opened loses the line, the server goes on.
      }
    }
  }
}
