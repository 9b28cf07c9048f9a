import type { Client } from './context.js';
import { cmd, container, key, type CommandDefinition } from './declare.js';
import { errSubcommandSyntax } from './errors.js';
import { replyHelp, type HelpEntry } from './help.js';
import { CHANNELS, SHARD_CHANNELS, type ChannelKind } from '../pubsub/hub.js';
import { globMatch } from '../util/glob.js';

/**
 * Pub/sub commands, as Redis 7.0's pubsub.c. The registry and delivery are in
 * src/pubsub/hub.ts; keyspace notifications in src/pubsub/notifications.ts.
 *
 * Confirmations of (un)subscribing are pushes in RESP3 and arrays in RESP2, one per
 * channel or pattern, each with the client's subscription count after it. Shard
 * channels (SSUBSCRIBE, SPUBLISH) behave as in a Redis that is not a cluster: a
 * namespace of their own, no patterns.
 */

/**
 * Commands a RESP2 client in pub/sub mode may run (full names, as the dispatcher
 * checks them): Redis 7.0's list in processCommand.
 */
export const ALLOWED_WHILE_SUBSCRIBED: ReadonlySet<string> = new Set([
  'ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset',
]);

/** SUBSCRIBE channel [channel ...] */
function subscribe(c: Client, argv: string[]): void {
  subscribeTo(c, argv, CHANNELS);
}

/** SSUBSCRIBE shardchannel [shardchannel ...] */
function ssubscribe(c: Client, argv: string[]): void {
  subscribeTo(c, argv, SHARD_CHANNELS);
}

function subscribeTo(c: Client, argv: string[], kind: ChannelKind): void {
  const hub = c.server.pubsub;
  for (let j = 1; j < argv.length; j++) hub.subscribe(c, kind, argv[j]!);
}

/** UNSUBSCRIBE [channel [channel ...]] */
function unsubscribe(c: Client, argv: string[]): void {
  unsubscribeFrom(c, argv, CHANNELS);
}

/** SUNSUBSCRIBE [shardchannel [shardchannel ...]] */
function sunsubscribe(c: Client, argv: string[]): void {
  unsubscribeFrom(c, argv, SHARD_CHANNELS);
}

function unsubscribeFrom(c: Client, argv: string[], kind: ChannelKind): void {
  const hub = c.server.pubsub;
  if (argv.length === 1) hub.unsubscribeAll(c, kind);
  else for (let j = 1; j < argv.length; j++) hub.unsubscribe(c, kind, argv[j]!);
  hub.leaveIfDone(c);
}

/** PSUBSCRIBE pattern [pattern ...] */
function psubscribe(c: Client, argv: string[]): void {
  const hub = c.server.pubsub;
  for (let j = 1; j < argv.length; j++) hub.psubscribe(c, argv[j]!);
}

/** PUNSUBSCRIBE [pattern [pattern ...]] */
function punsubscribe(c: Client, argv: string[]): void {
  const hub = c.server.pubsub;
  if (argv.length === 1) hub.punsubscribeAll(c);
  else for (let j = 1; j < argv.length; j++) hub.punsubscribe(c, argv[j]!);
  hub.leaveIfDone(c);
}

/** PUBLISH channel message: the number of clients that received it. */
function publish(c: Client, argv: string[]): void {
  c.reply.integer(c.server.pubsub.publish(argv[1]!, argv[2]!));
  // Replicas publish it to their own subscribers (Redis forces its propagation).
  c.forcePropagation = true;
}

/** SPUBLISH shardchannel message */
function spublish(c: Client, argv: string[]): void {
  c.reply.integer(c.server.pubsub.spublish(argv[1]!, argv[2]!));
}

/** PUBSUB CHANNELS [pattern] */
function pubsubChannels(c: Client, argv: string[]): void {
  channelList(c, argv, c.server.pubsub.channels);
}

/** PUBSUB SHARDCHANNELS [pattern] */
function pubsubShardchannels(c: Client, argv: string[]): void {
  channelList(c, argv, c.server.pubsub.shardChannels);
}

/** The channels with subscribers, matching the pattern if given (case-sensitive glob). */
function channelList(c: Client, argv: string[], channels: ReadonlyMap<string, unknown>): void {
  if (argv.length > 3) {
    c.reply.error(errSubcommandSyntax(argv[0]!, argv[1]!));
    return;
  }
  const pattern = argv[2];
  const names: string[] = [];
  for (const name of channels.keys()) if (pattern === undefined || globMatch(pattern, name)) names.push(name);
  c.reply.bulkArray(names);
}

/** PUBSUB NUMSUB [channel ...]: channel, subscriber count (patterns not counted), for each. */
function pubsubNumsub(c: Client, argv: string[]): void {
  numsub(c, argv, c.server.pubsub.channels);
}

/** PUBSUB SHARDNUMSUB [shardchannel ...] */
function pubsubShardnumsub(c: Client, argv: string[]): void {
  numsub(c, argv, c.server.pubsub.shardChannels);
}

function numsub(c: Client, argv: string[], channels: ReadonlyMap<string, ReadonlySet<unknown>>): void {
  const r = c.reply;
  r.arrayHeader((argv.length - 2) * 2);
  for (let j = 2; j < argv.length; j++) {
    r.bulk(argv[j]!);
    r.integer(channels.get(argv[j]!)?.size ?? 0);
  }
}

/** PUBSUB NUMPAT: the number of distinct patterns subscribed to. */
function pubsubNumpat(c: Client): void {
  c.reply.integer(c.server.pubsub.patterns.size);
}

/** Redis 7.0's PUBSUB HELP text. */
const PUBSUB_HELP: readonly HelpEntry[] = [
  ['channels', ['CHANNELS [<pattern>]', "    Return the currently active channels matching a <pattern> (default: '*')."]],
  ['numpat', ['NUMPAT', '    Return number of subscriptions to patterns.']],
  [
    'numsub',
    [
      'NUMSUB [<channel> ...]',
      '    Return the number of subscribers for the specified channels, excluding',
      '    pattern subscriptions(default: no channels).',
    ],
  ],
  [
    'shardchannels',
    [
      'SHARDCHANNELS [<pattern>]',
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    ],
  ],
  [
    'shardnumsub',
    ['SHARDNUMSUB [<shardchannel> ...]', '    Return the number of subscribers for the specified shard level channel(s)'],
  ],
];

/** PUBSUB HELP */
function pubsubHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv, PUBSUB_HELP);
}

export const PUBSUB_COMMANDS: CommandDefinition[] = [
  /** SUBSCRIBE channel [channel ...] */
  cmd('subscribe', -2, 'pubsub noscript loading stale', subscribe),
  /** UNSUBSCRIBE [channel [channel ...]] */
  cmd('unsubscribe', -1, 'pubsub noscript loading stale', unsubscribe),
  /** PSUBSCRIBE pattern [pattern ...] */
  cmd('psubscribe', -2, 'pubsub noscript loading stale', psubscribe),
  /** PUNSUBSCRIBE [pattern [pattern ...]] */
  cmd('punsubscribe', -1, 'pubsub noscript loading stale', punsubscribe),
  /** SSUBSCRIBE shardchannel [shardchannel ...] */
  cmd('ssubscribe', -2, 'pubsub noscript loading stale', { keys: [key(1, 'not_key', { last: -1 })] }, ssubscribe),
  /** SUNSUBSCRIBE [shardchannel [shardchannel ...]] */
  cmd('sunsubscribe', -1, 'pubsub noscript loading stale', { keys: [key(1, 'not_key', { last: -1 })] }, sunsubscribe),
  /** PUBLISH channel message */
  cmd('publish', 3, 'pubsub loading stale fast may_replicate', publish),
  /** SPUBLISH shardchannel message */
  cmd('spublish', 3, 'pubsub loading stale fast may_replicate', { keys: [key(1, 'not_key')] }, spublish),
  /** PUBSUB */
  container('pubsub', -2, [
    /** PUBSUB CHANNELS [pattern] */
    cmd('channels', -2, 'pubsub loading stale', pubsubChannels),
    /** PUBSUB NUMSUB [channel [channel ...]] */
    cmd('numsub', -2, 'pubsub loading stale', pubsubNumsub),
    /** PUBSUB NUMPAT */
    cmd('numpat', 2, 'pubsub loading stale', pubsubNumpat),
    /** PUBSUB SHARDCHANNELS [pattern] */
    cmd('shardchannels', -2, 'pubsub loading stale', pubsubShardchannels),
    /** PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]] */
    cmd('shardnumsub', -2, 'pubsub loading stale', pubsubShardnumsub),
    /** PUBSUB HELP */
    cmd('help', 2, 'loading stale', pubsubHelp),
  ]),
];
