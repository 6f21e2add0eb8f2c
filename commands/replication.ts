/**
 * Replication commands (Redis 7.0 replication.c): PSYNC, SYNC, REPLCONF, REPLICAOF/SLAVEOF,
 * WAIT, ROLE and FAILOVER. The state and the protocol live in replication/replication.ts.
 */

import { lower, parseInt64, str } from "../protocol/bytes.ts";
import * as E from "./errors.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type { ConfigPort, LogPort } from "../server/server_ports.ts";
import type { ClusterModePort, ReplicationRolePort } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<ClusterModePort & ConfigPort & LogPort & ReplicationRolePort>;

function psync(ctx: Ctx, argv: Uint8Array[]): void {
  // syncCommand: a fourth argument FAILOVER asks us to take over from our master.
  const failover = argv.length > 3 && lower(argv[3]) === "failover";
  const err = ctx.server.replication.psync(
    ctx.client,
    str(argv[1]),
    str(argv[2]),
    false,
    failover,
  );
  if (err !== null) ctx.reply.error(err);
}

/** FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms] (replication/failover.ts). */
function failover(ctx: Ctx, argv: Uint8Array[]): void {
  const err = ctx.server.replication.failover.command(argv);
  if (err === null) ctx.reply.ok();
  else ctx.reply.error(err);
}

function sync(ctx: Ctx): void {
  const err = ctx.server.replication.psync(ctx.client, "?", "-1", true);
  if (err !== null) ctx.reply.error(err);
}

function replconf(ctx: Ctx, argv: Uint8Array[]): void {
  const r = ctx.server.replication.replconf(ctx.client, argv.slice(1).map((a) => str(a)));
  if (r === "ok") ctx.reply.ok();
  else if (r !== "none") ctx.reply.error(r);
}

function replicaof(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply, client } = ctx;
  if (server.cluster !== null || server.config.getBool("cluster-enabled")) {
    return reply.error("ERR REPLICAOF not allowed in cluster mode.");
  }
  const repl = server.replication;
  if (repl.failover.state !== "no-failover") {
    return reply.error("ERR REPLICAOF not allowed while failing over.");
  }
  if (lower(argv[1]) === "no" && lower(argv[2]) === "one") {
    if (repl.isReplica) {
      repl.replicaOfNoOne(null);
      server.log.notice(
        `MASTER MODE enabled (user request from 'id=${client.id} addr=${client.addr}')`,
      );
    }
    return reply.ok();
  }
  if (client.isReplica) return reply.error("ERR Command is not valid when client is a replica.");
  const port = parseInt64(argv[2]);
  if (port === null || port < 0 || port > 65535) return reply.error("ERR Invalid master port");
  const r = repl.replicaOf(str(argv[1]), port);
  if (r === "already") return reply.status("OK Already connected to specified master");
  server.log.notice(
    `REPLICAOF ${
      str(argv[1])
    }:${port} enabled (user request from 'id=${client.id} addr=${client.addr}')`,
  );
  reply.ok();
}

function wait(ctx: Ctx, argv: Uint8Array[]): void | Promise<void> {
  const { server, reply, client } = ctx;
  const repl = server.replication;
  if (repl.isReplica) {
    return reply.error(
      "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
    );
  }
  const n = parseInt64(argv[1]);
  if (n === null) return reply.error(E.NOT_INTEGER);
  const t = parseInt64(argv[2]);
  if (t === null) return reply.error("ERR timeout is not an integer or out of range");
  if (t < 0) return reply.error("ERR timeout is negative");
  const inExec = client.lastCommand === "exec";
  const r = repl.wait(client, n, t, inExec);
  if (typeof r === "number") return reply.int(r);
  // A number of replicas, or an error (the node became a replica meanwhile).
  return r.then((acked) => typeof acked === "number" ? reply.int(acked) : reply.error(acked));
}

function role(ctx: Ctx): void {
  const { reply, server } = ctx;
  const repl = server.replication;
  if (repl.isReplica) {
    const connected = repl.link?.state === "connected";
    reply.array(5);
    reply.bulkText("slave");
    reply.bulkText(repl.masterHost ?? "");
    reply.int(repl.masterPort);
    reply.bulkText(repl.roleLinkState());
    reply.int(connected ? repl.masterReplOffset : -1);
    return;
  }
  const online = repl.peers.filter((p) => p.state === "online");
  reply.array(3);
  reply.bulkText("master");
  reply.int(repl.masterReplOffset);
  reply.array(online.length);
  for (const p of online) {
    reply.array(3);
    reply.bulkText(p.ip);
    reply.bulkText(String(p.listeningPort));
    reply.bulkText(String(p.ackOffset));
  }
}

export const replicationCommands: CommandDef[] = [
  fromTable("psync", psync),
  fromTable("sync", sync),
  fromTable("replconf", replconf),
  fromTable("replicaof", replicaof),
  fromTable("slaveof", replicaof),
  fromTable("wait", wait),
  fromTable("role", role),
  fromTable("failover", failover),
];
