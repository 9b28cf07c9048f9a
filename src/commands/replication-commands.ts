import { ReplicaLink } from '../replication/primary.js';
import { User } from '../acl/user.js';
import { parseLong } from '../util/numbers.js';
import { splitArgs } from '../util/split-args.js';
import { clientInfoLine } from './client-info-line.js';
import { Client, socketlessTransport } from './context.js';
import { cmd, type CommandDefinition } from './declare.js';
import { parseTimeoutMs } from './blocking.js';
import {
  ERR_FILTERED_NEEDS_EOF,
  ERR_INVALID_MASTER_PORT,
  ERR_NOMASTERLINK_SYNC,
  ERR_REPLICAOF_BY_REPLICA,
  ERR_UNBLOCKED_ROLE_CHANGE,
  ERR_WAIT_ON_REPLICA,
  ERR_NOT_INTEGER,
  ERR_RDB_FILTER_MISSING,
  ERR_RDB_ONLY_RANGE,
  ERR_SYNC_PENDING_OUTPUT,
  ERR_SYNTAX,
  rdbFilterUnsupported,
  replconfIpTooLong,
  replconfUnrecognized,
} from './errors.js';

/**
 * Replication's commands on a primary (replication/primary.ts does the work): SYNC and
 * PSYNC attach a replica, REPLCONF configures it and carries its ACKs, WAIT waits for
 * replicas to acknowledge the client's writes, ROLE describes the primary and its
 * replicas.
 */

/** The replication link of a client, made at its first REPLCONF or SYNC. */
function linkOf(c: Client): ReplicaLink {
  if (c.replica === null) {
    const address = c.transport.remoteAddress;
    const colon = address.lastIndexOf(':');
    const host = colon < 0 ? address : address.slice(0, colon);
    const ip = host.startsWith('[') ? host.slice(1, -1) : host;
    c.replica = new ReplicaLink(ip, () => clientInfoLine(c, Date.now(), 0));
  }
  return c.replica;
}

/**
 * SYNC | PSYNC replicationid offset: a replica attaches (syncCommand). Nothing is replied
 * through the client's reply buffer: +FULLRESYNC / +CONTINUE, the RDB and the stream are
 * written to its socket by the primary, and the client's own replies are dropped from
 * now on (a replica's output is the stream).
 */
function sync(c: Client, argv: string[]): void {
  if (c.replica !== null && c.replica.state !== 'none') return;
  // A replica passes on its primary's stream: nothing to give while it has none.
  const link = c.server.primaryLink;
  if (link.isReplica && !link.linkUp) {
    c.reply.error(ERR_NOMASTERLINK_SYNC);
    return;
  }
  // A fresh output is needed: the stream starts right after what is sent now.
  if (c.reply.pending > 0 || c.transport.outputBufferLength() > 0) {
    c.reply.error(ERR_SYNC_PENDING_OUTPUT);
    return;
  }
  const replica = linkOf(c);
  if ((replica.excludeKeys || replica.excludeFunctions) && !replica.capaEof) {
    c.reply.error(ERR_FILTERED_NEEDS_EOF);
    return;
  }
  let psync: { replid: string; offset: number } | null = null;
  if (argv[0]!.toLowerCase() === 'psync') {
    const offset = parseLong(argv[2]!);
    if (offset === undefined) {
      c.server.log('warning', `Replica ${replica.name} asks for synchronization but with a wrong offset`);
      c.reply.error(ERR_NOT_INTEGER);
      return;
    }
    psync = { replid: argv[1]!, offset };
  }
  c.server.replication.sync(replica, c.transport.replicaSocket(), psync);
}

/**
 * REPLCONF option value [option value ...]: listening-port, ip-address, capa (eof,
 * psync2; others ignored), rdb-only, rdb-filter-only (functions, or nothing),
 * ACK offset (from a replica, no reply), GETACK (to a replica; a primary ignores it).
 */
function replconf(c: Client, argv: string[]): void {
  if (argv.length % 2 === 0) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  for (let j = 1; j < argv.length; j += 2) {
    const option = argv[j]!.toLowerCase();
    const value = argv[j + 1]!;
    if (option === 'listening-port') {
      const port = parseLong(value);
      if (port === undefined) {
        c.reply.error(ERR_NOT_INTEGER);
        return;
      }
      // Stored in an int, as Redis's slave_listening_port.
      linkOf(c).listeningPort = port | 0;
    } else if (option === 'ip-address') {
      // NET_HOST_STR_LEN is 256.
      if (value.length >= 256) {
        c.reply.error(replconfIpTooLong(value.length));
        return;
      }
      linkOf(c).announcedIp = value;
    } else if (option === 'capa') {
      const capa = value.toLowerCase();
      if (capa === 'eof') linkOf(c).capaEof = true;
      else if (capa === 'psync2') linkOf(c).capaPsync2 = true;
    } else if (option === 'ack') {
      const link = c.replica;
      if (link === null || link.state === 'none') return;
      const offset = parseLong(value);
      if (offset === undefined) return;
      c.server.replication.ack(link, offset);
      return;
    } else if (option === 'getack') {
      return;
    } else if (option === 'rdb-only') {
      const v = parseLong(value);
      if (v === undefined || v < 0 || v > 1) {
        c.reply.error(v === undefined ? ERR_NOT_INTEGER : ERR_RDB_ONLY_RANGE);
        return;
      }
      linkOf(c).rdbOnly = v === 1;
    } else if (option === 'rdb-filter-only') {
      // By default everything is left out; "functions" keeps the libraries.
      const filters = splitArgs(value);
      if (filters === null) {
        c.reply.error(ERR_RDB_FILTER_MISSING);
        return;
      }
      const link = linkOf(c);
      link.excludeKeys = true;
      link.excludeFunctions = true;
      for (const filter of filters) {
        if (filter.toLowerCase() === 'functions') {
          link.excludeFunctions = false;
        } else {
          c.reply.error(rdbFilterUnsupported(filter));
          return;
        }
      }
    } else {
      c.reply.error(replconfUnrecognized(argv[j]!));
      return;
    }
  }
  c.reply.simple('OK');
}

/**
 * WAIT numreplicas timeout: the number of replicas that acknowledged this client's last
 * write, once numreplicas did or the timeout (ms, 0 = none) passed. Inside MULTI it
 * answers at once.
 */
function wait(c: Client, argv: string[]): void {
  if (c.server.primaryLink.isReplica) {
    c.reply.error(ERR_WAIT_ON_REPLICA);
    return;
  }
  const numreplicas = parseLong(argv[1]!);
  if (numreplicas === undefined) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const parsed = parseTimeoutMs(argv[2]!);
  if ('error' in parsed) {
    c.reply.error(parsed.error);
    return;
  }
  const timeout = parsed.ms;
  const primary = c.server.replication;
  const offset = c.woff;
  const acked = primary.countAcks(offset);
  if (acked >= numreplicas || c.multi !== null || c.isScript) {
    c.reply.integer(acked);
    return;
  }
  const blocking = c.server.blocking;
  const cancel = primary.waitForAcks(offset, numreplicas, (count) => {
    blocking.release(c, (client) => client.reply.integer(count));
  });
  blocking.block(c, {
    type: null,
    db: c.db,
    keys: [],
    timeoutMs: timeout,
    serve() {},
    timeoutReply: (client) => client.reply.integer(primary.countAcks(offset)),
    onLeave: cancel,
  });
}

/**
 * ROLE: a primary's ["master", offset, [[ip, port, acknowledged offset], ...]], the
 * replicas that are online.
 */
function role(c: Client): void {
  const link = c.server.primaryLink;
  if (link.isReplica) {
    c.reply.arrayHeader(5);
    c.reply.bulk('slave');
    c.reply.bulk(link.host!);
    c.reply.integer(link.port);
    c.reply.bulk(link.roleState);
    c.reply.integer(link.linkUp ? link.offset : -1);
    return;
  }
  const primary = c.server.replication;
  const online = primary.replicas.filter((r) => r.state === 'online');
  const reply = c.reply;
  reply.arrayHeader(3);
  reply.bulk('master');
  reply.integer(primary.offset);
  reply.arrayHeader(online.length);
  for (const link of online) {
    reply.arrayHeader(3);
    reply.bulk(link.ip);
    reply.bulk(String(link.listeningPort));
    reply.bulk(String(link.ackOffset));
  }
}

/**
 * REPLICAOF host port | REPLICAOF NO ONE (and SLAVEOF): follow a primary, or become one,
 * as replicaofCommand.
 */
function replicaof(c: Client, argv: string[]): void {
  const link = c.server.primaryLink;
  const describe = () => clientInfoLine(c, Date.now(), 0);
  if (argv[1]!.toLowerCase() === 'no' && argv[2]!.toLowerCase() === 'one') {
    if (link.isReplica) {
      link.stopFollowing();
      c.server.log('notice', `MASTER MODE enabled (user request from '${describe()}')`);
    }
    c.reply.simple('OK');
    return;
  }
  if (c.isReplica) {
    c.reply.error(ERR_REPLICAOF_BY_REPLICA);
    return;
  }
  const port = parseLong(argv[2]!);
  if (port === undefined || port < 0 || port > 65535) {
    c.reply.error(ERR_INVALID_MASTER_PORT);
    return;
  }
  const host = argv[1]!;
  if (link.isReplica && link.host!.toLowerCase() === host.toLowerCase() && link.port === port) {
    c.server.log('notice', 'REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.');
    c.reply.simple('OK Already connected to specified master');
    return;
  }
  c.server.blocking.releaseAll((client) => client.reply.error(ERR_UNBLOCKED_ROLE_CHANGE));
  link.follow(host, port);
  c.server.log('notice', `REPLICAOF ${host}:${port} enabled (user request from '${describe()}')`);
  c.reply.simple('OK');
}

/**
 * The client a replica runs its primary's stream on (Redis's master client, flag M): a
 * user with every permission, in database `db` (the RDB's repl-stream-db, or 0 when a
 * partial resync starts: the stream begins with a SELECT). No socket of its own: its
 * replies are dropped, and closing it (CLIENT KILL TYPE master) drops the link.
 */
export function newPrimaryClient(server: Client['server'], db: number, link: { address: string; close(): void; unblocked(): void }): Client {
  const transport = socketlessTransport('primary client', link.address, () => link.close(), () => link.unblocked());
  const c = new Client(server, transport);
  c.isPrimary = true;
  c.authenticated = true;
  const user = new User('', server.acl);
  for (const rule of ['on', 'nopass', 'allcommands', 'allkeys', 'allchannels']) user.apply(rule);
  c.user = user;
  c.db = server.keyspace.dbs[db] ?? server.keyspace.dbs[0]!;
  return c;
}

export const REPLICATION_COMMANDS: CommandDefinition[] = [
  /** REPLICAOF host port | NO ONE */
  cmd('replicaof', 3, 'admin noscript stale no_async_loading', replicaof),
  /** SLAVEOF host port | NO ONE */
  cmd('slaveof', 3, 'admin noscript stale no_async_loading', replicaof),
  /** SYNC */
  cmd('sync', 1, 'admin noscript no_async_loading no_multi', sync),
  /** PSYNC replicationid offset */
  cmd('psync', -3, 'admin noscript no_async_loading no_multi', sync),
  /** REPLCONF [option value ...] */
  cmd('replconf', -1, 'admin noscript loading stale allow_busy', replconf),
  /** WAIT numreplicas timeout */
  cmd('wait', 3, 'noscript', { acl: 'connection', tips: 'request_policy:all_shards response_policy:agg_min' }, wait),
  /** ROLE */
  cmd('role', 1, 'noscript loading stale fast', { acl: 'admin dangerous' }, role),
];
