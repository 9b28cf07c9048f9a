import type { Client } from './context.js';

/**
 * One entry of a container command's HELP reply: the subcommand it describes ('' for
 * lines shown whatever is implemented) and Redis's lines for it.
 */
export type HelpEntry = readonly [subcommand: string, lines: readonly string[]];

/**
 * A container's HELP reply as Redis's addReplyHelp writes it: a header naming the
 * command, the entries, and the HELP entry, all status replies. Only the entries of
 * subcommands that lapse implements are shown, so the help never offers a subcommand
 * that would answer "unknown subcommand"; their text is Redis's.
 */
export function replyHelp(c: Client, argv: readonly string[], entries: readonly HelpEntry[]): void {
  const container = c.server.commands.lookup(argv[0]!)!;
  const lines: string[] = [];
  for (const [sub, text] of entries) {
    if (sub === '' || container.subcommands?.has(sub)) lines.push(...text);
  }
  const r = c.reply;
  r.arrayHeader(lines.length + 3);
  r.simple(`${container.name.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const line of lines) r.simple(line);
  r.simple('HELP');
  r.simple('    Prints this help.');
}
