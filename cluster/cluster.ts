/**
 * PLACEHOLDER (the one-node-cluster work replaces it): the node's cluster role.
 * `route` is Redis's getNodeByQuery: null to serve the command here, or the error to send.
 */

import type { Client, QueuedCommand } from "../server/client.ts";
import type { Server } from "../server/server.ts";

export class Cluster {
  constructor(readonly server: Server) {}

  static async open(server: Server): Promise<Cluster> {
    return await Promise.resolve(new Cluster(server));
  }

  route(_client: Client, _cmds: QueuedCommand[], _isExec: boolean): string | null {
    return null;
  }

  async stop(): Promise<void> {}
}
