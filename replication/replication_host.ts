/**
 * What replication (replication/replication.ts) uses of its server: a port, so that it takes
 * this view instead of the `Server` class (no import circle; tests/import_cycles_test.ts), as
 * replication/replica.ts's `LinkOwner` does for the link. The script engine and the cluster are
 * named by the members used (both sit above replication). server/server.ts implements it.
 */

import type { Client } from "../server/client.ts";
import type {
  ClientsPort,
  ClockPort,
  ConfigPort,
  DatabasesPort,
  LogPort,
} from "../server/server_ports.ts";
import type { Aof } from "../persistence/aof.ts";
import type { RdbPersistence } from "../persistence/rdb_persistence.ts";
import type { ServerTls } from "../server/tls.ts";
import type { WritePause } from "../cluster/write_pause.ts";

export interface ReplicationServerHost
  extends ClockPort, ConfigPort, LogPort, DatabasesPort, ClientsPort {
  /** The client port actually bound (REPLCONF listening-port). */
  readonly port: number;
  readonly tls: Pick<ServerTls, "forReplication" | "port">;
  readonly aof: Pick<Aof, "append" | "on" | "replaceAfterSync">;
  readonly persistence: Pick<RdbPersistence, "storeFromMaster">;
  /** Client pauses: a FAILOVER holds writes with its own purpose ("failover"). */
  readonly clientPause: Pick<WritePause, "pausedBy" | "pause" | "unpause">;
  /** Cluster mode or not (replicaof is refused in cluster mode). */
  readonly cluster: unknown;
  /** The functions an RDB carries: saved to it, replaced from our master's. */
  readonly scripts: {
    functionCodes(): Uint8Array[];
    replaceFunctionsFromRdb(codes: Uint8Array[]): void | Promise<void>;
  };
  /** A client for our master's link (server.c createClient). */
  newClient(addr: string, laddr: string): Client;
  /** Run one command of our master's stream as `client` (server/dispatch.ts dispatch). */
  dispatchCommand(client: Client, argv: Uint8Array[]): void | Promise<void>;
  /** While our master's stream is applied, nothing expires. */
  setApplyingMasterStream(on: boolean): void;
  /** A replica does not delete expired keys on access. */
  setExpireOnAccess(on: boolean): void;
}
