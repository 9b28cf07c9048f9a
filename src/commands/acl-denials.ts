import type { Client } from './context.js';
import type { CommandSpec } from './table.js';
import { ERR_NOPERM_CHANNEL, ERR_NOPERM_KEY, errNopermCommand } from './errors.js';
import { clientInfoLine, runningArgvMemory } from './client-info-line.js';
import type { AclLogReason } from '../acl/log.js';
import { ACL_DENIED_CHANNEL, ACL_DENIED_CMD, ACL_DENIED_KEY } from '../acl/user.js';

/**
 * What the commands layer does when ACL refuses something (the dispatcher, EXEC, AUTH,
 * ACL DRYRUN): the NOPERM error it answers and the ACL log entry it writes. Apart from
 * the ACL command's file so that the dispatcher does not import a command group.
 */

/** The NOPERM error for a refused command (processCommand's wording). */
export function nopermError(result: number, cmd: CommandSpec): string {
  if (result === ACL_DENIED_KEY) return ERR_NOPERM_KEY;
  if (result === ACL_DENIED_CHANNEL) return ERR_NOPERM_CHANNEL;
  return errNopermCommand(cmd.fullName);
}

/** Why a check refused, as a script's refusal words it (acl.c getAclErrorMessage). */
export function aclErrorMessage(result: number): string {
  if (result === ACL_DENIED_CMD) return "can't run this command or subcommand";
  if (result === ACL_DENIED_KEY) return "can't access at least one of the keys mentioned in the command arguments";
  if (result === ACL_DENIED_CHANNEL) return "can't publish to the channel mentioned in the command";
  return 'lacking the permissions for the command';
}

/** The ACL log reason of a check result. */
export function logReason(result: number): Exclude<AclLogReason, 'auth'> {
  return result === ACL_DENIED_KEY ? 'key' : result === ACL_DENIED_CHANNEL ? 'channel' : 'command';
}

/**
 * Adds an ACL log entry for a refusal to this client (addACLLogEntry): the object is the
 * command's full name, the key or channel refused (argv[acl.deniedIndex]), or for a failed
 * authentication the command as the client typed it with the user name it gave.
 */
export function logAclDenied(c: Client, argv: readonly string[], reason: AclLogReason, object: string, username = c.user.name): void {
  const acl = c.server.acl;
  const now = Date.now();
  acl.log.add({
    reason,
    context: c.isScript ? 'lua' : c.multi !== null ? 'multi' : 'toplevel',
    object,
    username,
    time: now,
    clientInfo: clientInfoLine(c, now, runningArgvMemory(c, argv)),
  });
}

/** Logs a refused command: its name, or the key or channel at deniedIndex. */
export function logCommandDenied(c: Client, cmd: CommandSpec, argv: readonly string[], result: number): void {
  const object = result === ACL_DENIED_CMD ? cmd.fullName : argv[c.server.acl.deniedIndex]!;
  logAclDenied(c, argv, logReason(result), object);
}
