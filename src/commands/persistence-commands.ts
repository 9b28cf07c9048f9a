import type { Client } from './context.js';
import { cmd, type CommandDefinition } from './declare.js';
import { ERR_BARE, ERR_BGSAVE_IN_PROGRESS, ERR_SYNTAX } from './errors.js';
import { optionName } from './args.js';

/** Snapshot commands (Redis's rdb.c and server.c): SAVE, BGSAVE, LASTSAVE. */

/** SAVE: writes the snapshot now, blocking every client until it is on disk. */
function save(c: Client): void {
  const result = c.server.persistence.save();
  if (result === null) c.reply.simple('OK');
  else c.reply.error(result === 'in-progress' ? ERR_BGSAVE_IN_PROGRESS : ERR_BARE);
}

/**
 * BGSAVE [SCHEDULE]
 *
 * Starts the fork-less point-in-time save (see persistence/snapshot.ts). lapse runs no
 * other background job (no AOF rewrite), so SCHEDULE never has to wait and starts the
 * save as a plain BGSAVE does; while a save runs, both report it, as Redis does.
 */
function bgsave(c: Client, argv: string[]): void {
  if (argv.length > 1 && !(argv.length === 2 && optionName(argv[1]!) === 'schedule')) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  // Inside EXEC Redis only schedules it (server.in_exec); the cron starts it right after.
  if (c.multi !== null && c.multi.execArgvMemory >= 0 && !c.server.persistence.bgsaveInProgress) {
    c.server.persistence.scheduleBgsave();
    c.reply.simple('Background saving scheduled');
    return;
  }
  const result = c.server.persistence.bgsave();
  if (result === 'started') c.reply.simple('Background saving started');
  else c.reply.error(result === 'in-progress' ? ERR_BGSAVE_IN_PROGRESS : ERR_BARE);
}

/** LASTSAVE: when the last successful save ended, in seconds (the start time before any). */
function lastsave(c: Client): void {
  c.reply.integer(c.server.persistence.lastSave);
}

export const PERSISTENCE_COMMANDS: CommandDefinition[] = [
  /** SAVE */
  cmd('save', 1, 'admin noscript no_async_loading no_multi', save),
  /** BGSAVE [SCHEDULE] */
  cmd('bgsave', -1, 'admin noscript no_async_loading', bgsave),
  /** LASTSAVE */
  cmd('lastsave', 1, 'loading stale fast', { acl: 'admin dangerous', tips: 'nondeterministic_output' }, lastsave),
];
