import type { ShutdownOptions } from '../commands/context.js';
import type { Config } from '../config/config.js';
import { SHUTDOWN_FORCE, SHUTDOWN_NOSAVE, SHUTDOWN_NOW, SHUTDOWN_SAVE } from '../config/params.js';
import type { Persistence } from '../persistence/save-scheduler.js';
import type { LogLevel } from './logger.js';

/**
 * The process's supervisor, as the server tells it of its shutdown: systemd's sd_notify
 * states (`STOPPING=1`, `STATUS=...`), as Redis sends them.
 */
export interface Supervisor {
  /** As INFO's process_supervised shows it. */
  readonly mode: 'systemd' | 'upstart';
  notify(state: string): void;
}

/** What a shutdown reaches of its server. */
export interface ShutdownHost {
  readonly persistence: Persistence;
  readonly supervisor: Supervisor | null;
  log(level: LogLevel, message: string): void;
}

/**
 * The final save of a shutdown, as Redis's prepareForShutdown: a background save is
 * stopped; with save points (unless NOSAVE), or with SAVE, the dataset is saved
 * synchronously. False if that save failed and FORCE was not given: the server then
 * refuses to exit and keeps serving.
 */
export function finalSave(host: ShutdownHost, options: ShutdownOptions): boolean {
  const persistence = host.persistence;
  const supervisor = host.supervisor;
  if (persistence.bgsaveInProgress) {
    host.log('warning', 'There is a background save in progress. Stopping it!');
    persistence.abortBgsaveNow();
  }
  if ((persistence.hasSavePoints && !options.noSave) || options.save) {
    host.log('notice', 'Saving the final RDB snapshot before exiting.');
    supervisor?.notify('STATUS=Saving the final RDB snapshot\n');
    if (!persistence.saveNow()) {
      if (!options.force) {
        host.log('warning', "Error trying to save the DB, can't exit.");
        supervisor?.notify("STATUS=Error trying to save the DB, can't exit.\n");
        return false;
      }
      host.log('warning', 'Error trying to save the DB. Exit anyway.');
    }
  }
  return true;
}

/**
 * The SHUTDOWN options a signal stands for: shutdown-on-sigint for SIGINT,
 * shutdown-on-sigterm otherwise (default: none), as Redis reads them.
 */
export function signalShutdownOptions(config: Config, signal: string): ShutdownOptions {
  const flags = signal === 'SIGINT' ? config.number('shutdown-on-sigint') : config.number('shutdown-on-sigterm');
  return {
    save: (flags & SHUTDOWN_SAVE) !== 0,
    noSave: (flags & SHUTDOWN_NOSAVE) !== 0,
    now: (flags & SHUTDOWN_NOW) !== 0,
    force: (flags & SHUTDOWN_FORCE) !== 0,
  };
}
