import type { Client } from './context.js';

/**
 * The line CLIENT LIST and CLIENT INFO print for a client: Redis 7.0's fields in its
 * order (networking.c, catClientInfoString), then lib-name and lib-ver as Redis 7.2
 * adds them for CLIENT SETINFO.
 *
 * Where lapse's memory layout differs from Redis's, the memory fields report what lapse
 * holds for the client: qbuf the bytes of the unfinished element of a command (a partial
 * line or bulk); argv-mem the bytes of the arguments of the command being run (for the
 * client running CLIENT LIST/INFO) or already read of an unfinished one; multi-mem the bytes of the commands queued by
 * MULTI (counted as Redis does); omem the bytes queued for the socket and not sent yet
 * (in the socket's buffer and in the connection's output queue while the socket is full),
 * pub/sub messages waiting to be written included. Replies are encoded in a buffer
 * shared by all clients and handed to the socket at the end of each batch, so there is
 * no per-client reply buffer (rbs, rbp, obl, oll) or preallocated query buffer
 * (qbuf-free): 0. tot-mem is everything lapse holds for the client: those buffers, the
 * connection's own objects, spare parser capacity and the unused end of its output
 * queue's last block (ClientTransport.fixedMemory), and its subscriptions.
 */
export function clientInfoLine(c: Client, now: number, argvMemory: number): string {
  const t = c.transport;
  const qbuf = t.queryBufferLength();
  const omem = t.outputBufferLength();
  const multiMemory = c.multi?.memory ?? 0;
  const totalMemory = qbuf + argvMemory + multiMemory + omem + t.fixedMemory() + subscriptionMemory(c);
  const nowSeconds = Math.floor(now / 1000);
  const age = nowSeconds - Math.floor(c.createdAt / 1000);
  const idle = nowSeconds - Math.floor(c.lastInteraction / 1000);
  const subs = c.subscriptions;
  return (
    `id=${c.id} addr=${t.remoteAddress} laddr=${t.localAddress} fd=${t.fd} name=${c.name}` +
    ` age=${age} idle=${idle} flags=${clientFlags(c)} db=${c.db.index} sub=${subs?.channels.size ?? 0}` +
    ` psub=${subs?.patterns.size ?? 0} ssub=${subs?.shardChannels.size ?? 0}` +
    ` multi=${c.multi?.queue.length ?? -1} qbuf=${qbuf} qbuf-free=0 argv-mem=${argvMemory}` +
    ` multi-mem=${multiMemory} rbs=0 rbp=0` +
    ` obl=0 oll=0 omem=${omem} tot-mem=${totalMemory}` +
    ` events=${omem > 0 ? 'rw' : 'r'} cmd=${c.lastCommand} user=${c.user.name} redir=${c.tracking?.redirect ?? -1}` +
    ` resp=${c.protocol} lib-name=${c.libName} lib-ver=${c.libVersion}`
  );
}

/** Redis's one-letter client flags, in its order; N when none applies. */
function clientFlags(c: Client): string {
  let flags = '';
  if (c.isMonitor) flags += 'O';
  else if (c.isReplica) flags += 'S';
  if (c.isPrimary) flags += 'M';
  if (c.subscriptions !== null) flags += 'P';
  if (c.multi !== null) flags += 'x';
  if (c.blocked) flags += 'b';
  const tracking = c.tracking;
  if (tracking !== null) {
    flags += 't';
    if (tracking.brokenRedirect) flags += 'R';
    if (tracking.bcast) flags += 'B';
  }
  if (c.watchDirty) flags += 'd';
  if (c.closeAfterReply) flags += 'c';
  if (c.transport.closingAsap) flags += 'A';
  if (c.noEvict) flags += 'e';
  return flags === '' ? 'N' : flags;
}

/**
 * Per subscription, the client's Set slot and the channel's subscriber Set slot (about
 * 2 x 24 bytes), plus the name's string when the client is its only subscriber.
 */
function subscriptionMemory(c: Client): number {
  const subs = c.subscriptions;
  if (subs === null) return 0;
  let n = 0;
  for (const set of [subs.channels, subs.patterns, subs.shardChannels]) {
    for (const name of set) n += 48 + name.length;
  }
  return n;
}

/**
 * argv-mem of the client running CLIENT LIST/INFO: the bytes of its command's arguments;
 * inside EXEC, of EXEC's own (Redis keeps the top-level command's count).
 */
export function runningArgvMemory(c: Client, argv: readonly string[]): number {
  const inExec = c.multi?.execArgvMemory ?? -1;
  return inExec >= 0 ? inExec : argvMemory(argv);
}

/** Bytes of a command's arguments (Redis's argv-mem for the client running it). */
function argvMemory(argv: readonly string[]): number {
  let n = 0;
  for (const a of argv) n += a.length;
  return n;
}

/**
 * Whether a client name or library attribute is valid: bytes '!' to '~' only, so a
 * CLIENT LIST line stays splittable on spaces (Redis's validateClientAttr).
 */
export function isValidClientAttribute(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (ch < 0x21 || ch > 0x7e) return false;
  }
  return true;
}
