import type { Client } from './context.js';
import { cmd, type CommandDefinition } from './declare.js';

/**
 * Replication's commands. lapse is a primary without replicas so far (issue 15 builds the
 * rest: SYNC, PSYNC, REPLCONF, REPLICAOF, WAIT); what it has answers as such a Redis does.
 */

/**
 * ROLE: a primary's ["master", replication offset, replicas]. The offset is the write
 * stream's size since the start, 0 while no replica ever attached (as Redis's
 * master_repl_offset without a backlog), and there are no replicas.
 */
function role(c: Client): void {
  const reply = c.reply;
  reply.arrayHeader(3);
  reply.bulk('master');
  reply.integer(0);
  reply.arrayHeader(0);
}

export const REPLICATION_COMMANDS: CommandDefinition[] = [
  /** ROLE */
  cmd('role', 1, 'noscript loading stale fast', { acl: 'admin dangerous' }, role),
];
