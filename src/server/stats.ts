import type { ServerStats } from '../commands/context.js';

/** A server's counters (INFO stats, errorstats), all at zero. */
export function newStats(): ServerStats {
  return {
    totalCommandsProcessed: 0,
    totalConnectionsReceived: 0,
    rejectedConnections: 0,
    totalErrorReplies: 0,
    totalReadsProcessed: 0,
    totalWritesProcessed: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    errorCodes: new Map(),
    instantaneousOpsPerSec: 0,
    instantaneousInputKbps: 0,
    instantaneousOutputKbps: 0,
    peakMemory: 0,
  };
}

/**
 * Counts an error reply for INFO, as Redis's afterErrorReply: the code is the text
 * before the first space if that space is within the first 31 characters, else ERR.
 */
export function countErrorReply(stats: ServerStats, text: string): void {
  stats.totalErrorReplies++;
  const space = text.indexOf(' ');
  const code = space >= 0 && space < 31 ? text.slice(0, space) : 'ERR';
  stats.errorCodes.set(code, (stats.errorCodes.get(code) ?? 0) + 1);
}
