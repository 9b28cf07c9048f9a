import { redactedArguments } from './redaction.js';
import { quoteRepr } from '../util/repr.js';
import type { Client } from './context.js';
import { cmd, type CommandDefinition } from './declare.js';
import { ERR_MONITOR_DENY_BLOCKING } from './errors.js';
import type { CommandSpec } from './table.js';

/**
 * MONITOR, as Redis 7.0's replicationFeedMonitors: every command a client (or a script)
 * runs is shown to the monitors once it has run, as
 * `+<seconds>.<microseconds> [<db> <address>|lua] "arg" "arg" ...`, arguments quoted as
 * sdscatrepr quotes them; administrative commands (and those flagged skip_monitor) are
 * not shown, and AUTH's and HELLO AUTH's secrets are "(redacted)". The lines reach each
 * monitor with its pub/sub-style pushes (written once the running batch is over). With
 * no monitor attached, a command pays one size check.
 */

/** MONITOR */
function monitor(c: Client): void {
  // Inside EXEC a client expects one reply per command (Redis's CLIENT_DENY_BLOCKING).
  if (c.multi !== null) {
    c.reply.error(ERR_MONITOR_DENY_BLOCKING);
    return;
  }
  // Already a monitor or a replica: ignored, without a reply, as in Redis.
  if (c.isMonitor || c.isReplica) return;
  c.isMonitor = true;
  c.server.monitors.add(c);
  c.reply.simple('OK');
}

/**
 * Scripts and functions are shown before they run (Redis's evalCommand and
 * fcallCommandGeneric feed monitors themselves, so the script's commands follow the
 * script); they are flagged skip_monitor for the feed after.
 */
const SHOWN_BEFORE: ReadonlySet<string> = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

/** Before a command runs: a script or function is shown now (the caller checked that a monitor is attached). */
export function feedMonitorsBefore(c: Client, cmd: CommandSpec, argv: readonly string[]): void {
  if (cmd.parent === undefined && SHOWN_BEFORE.has(cmd.name)) show(c, cmd, argv);
}

/** Once a command has run: it is shown unless administrative or skip_monitor (the caller checked that a monitor is attached). */
export function feedMonitors(c: Client, cmd: CommandSpec, argv: readonly string[]): void {
  if (cmd.flags.has('admin') || cmd.flags.has('skip_monitor')) return;
  show(c, cmd, argv);
}

function show(c: Client, cmd: CommandSpec, argv: readonly string[]): void {
  const nowMs = performance.timeOrigin + performance.now();
  const seconds = Math.floor(nowMs / 1000);
  const micros = Math.floor((nowMs - seconds * 1000) * 1000);
  const where = c.isScript ? 'lua' : c.transport.remoteAddress;
  let line = `+${seconds}.${String(micros).padStart(6, '0')} [${c.db.index} ${where}] `;
  const shown = redactedArguments(cmd.fullName, argv);
  for (let i = 0; i < shown.length; i++) line += (i === 0 ? '' : ' ') + quoteRepr(shown[i]!);
  const bytes = Buffer.from(`${line}\r\n`, 'latin1');
  for (const m of c.server.monitors) m.transport.push(bytes);
}

export const MONITOR_COMMANDS: CommandDefinition[] = [
  /** MONITOR */
  cmd('monitor', 1, 'admin noscript loading stale', monitor),
];
