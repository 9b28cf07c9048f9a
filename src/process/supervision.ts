import { loadUnixDgram, sendDatagram } from '../server/unix-datagram.js';
import type { LogLevel } from '../server/logger.js';
import type { Supervisor } from '../server/shutdown.js';

/**
 * `supervised` (no, upstart, systemd, auto), as Redis 7.0's redisIsSupervised: which
 * service manager runs the server, and how it is told that the server is ready.
 */

/** The supervision `supervised` asks for in this environment (auto looks at UPSTART_JOB, then NOTIFY_SOCKET). */
export function supervisionMode(supervised: string, env: NodeJS.ProcessEnv = process.env): 'systemd' | 'upstart' | null {
  if (supervised === 'upstart' || (supervised === 'auto' && env.UPSTART_JOB)) return 'upstart';
  if (supervised === 'systemd' || (supervised === 'auto' && env.NOTIFY_SOCKET)) return 'systemd';
  return null;
}

/**
 * Whether supervision in this mode can start here (systemd: NOTIFY_SOCKET is set and
 * unix-dgram loads; upstart: UPSTART_JOB is set). Redis daemonizes only when it is not
 * supervised; lapse decides that before it starts the daemon, in which nothing of the
 * supervision is repeated.
 */
export function supervisionPossible(mode: 'systemd' | 'upstart' | null, env: NodeJS.ProcessEnv = process.env): boolean {
  if (mode === 'upstart') return Boolean(env.UPSTART_JOB);
  if (mode === 'systemd') return Boolean(env.NOTIFY_SOCKET) && !('error' in loadUnixDgram());
  return false;
}

type Log = (level: LogLevel, message: string) => void;

/**
 * systemd's sd_notify: one datagram of `KEY=value\n` lines to the AF_UNIX socket named by
 * NOTIFY_SOCKET. Returns false (logged as Redis logs it) when it cannot be sent.
 */
export class SystemdNotifier implements Supervisor {
  readonly mode = 'systemd';

  constructor(
    private readonly log: Log,
    private readonly socket: string | undefined = process.env.NOTIFY_SOCKET,
  ) {}

  notify(state: string): boolean {
    if (!this.socket) {
      this.log('warning', 'systemd supervision error: NOTIFY_SOCKET not found!');
      return false;
    }
    const error = sendDatagram(this.socket, state);
    if (error !== null) {
      this.log('warning', `systemd supervision error: sd_notify: ${error}`);
      return false;
    }
    return true;
  }
}

/** Upstart is told of readiness by the SIGSTOP of redisSupervisedUpstart; nothing else. */
export class UpstartSupervisor implements Supervisor {
  readonly mode = 'upstart';

  notify(): void {}
}

/**
 * Starts supervision as Redis does before it loads its data: systemd gets
 * "STATUS=... loading" (supervision holds only if that could be sent); upstart's job
 * sees the process stop itself (SIGSTOP), and continues it when it is ready to.
 * Returns the supervisor, or null (logged) when there is none.
 */
export function startSupervision(mode: 'systemd' | 'upstart', log: Log): Supervisor | null {
  if (mode === 'upstart') {
    if (!process.env.UPSTART_JOB) {
      log('warning', 'upstart supervision requested, but UPSTART_JOB not found!');
      return null;
    }
    log('notice', 'supervised by upstart, will stop to signal readiness.');
    process.kill(process.pid, 'SIGSTOP');
    delete process.env.UPSTART_JOB;
    return new UpstartSupervisor();
  }
  const notifier = new SystemdNotifier(log);
  if (!notifier.notify('STATUS=lapse is loading...\n')) return null;
  log(
    'notice',
    'Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.',
  );
  return notifier;
}

/** Once the server listens: systemd gets its status and READY=1, as Redis sends them. */
export function notifyReady(supervisor: Supervisor | null): void {
  if (supervisor === null) return;
  supervisor.notify('STATUS=Ready to accept connections\n');
  supervisor.notify('READY=1\n');
}
