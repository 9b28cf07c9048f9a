import { sendDatagram } from './unix-datagram.js';
import type { LineSink, LogLevel } from './logger.js';

/**
 * Log lines to the local syslog daemon, as Redis does with syslog-enabled: glibc's
 * openlog(ident, LOG_PID, facility) and syslog(level, "%s", msg), which send one RFC 3164
 * datagram per line to /dev/log.
 */

/** The facilities syslog-facility names, as numbers (LOG_USER = 1 << 3, LOG_LOCAL0 = 16 << 3, ...). */
const FACILITY: Readonly<Record<string, number>> = {
  user: 1, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

/** Redis's syslogLevelMap: LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING. */
const SEVERITY: Readonly<Record<LogLevel, number>> = { debug: 7, verbose: 6, notice: 5, warning: 4 };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The datagram glibc's syslog() sends for a message: `<PRI>Mmm dd hh:mm:ss ident[pid]: msg`,
 * PRI = facility * 8 + severity, the day padded with a space (strftime's %e), local time.
 */
export function syslogDatagram(facility: string, level: LogLevel, ident: string, pid: number, message: string, date: Date): string {
  const pri = (FACILITY[facility] ?? FACILITY.local0!) * 8 + SEVERITY[level];
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp =
    `${MONTHS[date.getMonth()]} ${String(date.getDate()).padStart(2, ' ')} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `<${pri}>${stamp} ${ident}[${pid}]: ${message}`;
}

/** Where syslog() sends: the local syslog socket. */
export const SYSLOG_SOCKET = '/dev/log';

/**
 * Sends log lines to syslog. A line that cannot be sent is dropped, as glibc drops it;
 * the first failure is reported once through `warn` (to the log file or stdout).
 */
export class SyslogSink implements LineSink {
  private warned = false;

  constructor(
    private readonly ident: () => string,
    private readonly facility: () => string,
    private readonly warn: (message: string) => void,
    private readonly socketPath: string = SYSLOG_SOCKET,
  ) {}

  send(level: LogLevel, message: string): void {
    const datagram = syslogDatagram(this.facility(), level, this.ident(), process.pid, message, new Date());
    const error = sendDatagram(this.socketPath, datagram);
    if (error === null || this.warned) return;
    this.warned = true;
    this.warn(`syslog-enabled is set but log lines cannot be sent to syslog: ${error}`);
  }
}
