/**
 * `info host:port`: per master, keys (DBSIZE), slots and replicas, then the totals, in
 * redis-cli's words ("ip:port (id8...) -> N keys | S slots | R slaves.").
 */

import { infoLine, type Out } from "./format.ts";
import { closeCluster, type Cluster, loadCluster, masters } from "./topology.ts";
import { parseAddr } from "./address.ts";
import { EXIT_FAIL, EXIT_OK, type ManagerCommand } from "./command.ts";
import { CLUSTER_SLOTS } from "../protocol/slot.ts";

/** Print the info view; returns false when a master did not answer DBSIZE with an integer. */
export async function showInfo(cluster: Cluster, out: Out): Promise<boolean> {
  let keys = 0;
  let count = 0;
  for (const m of masters(cluster)) {
    let dbsize: number;
    try {
      dbsize = await m.client.callInt("DBSIZE");
    } catch (e) {
      out.line(`Node ${m.addr} replied with error:\n${(e as Error).message}`, "err");
      return false;
    }
    out.line(infoLine(m.addr, m.id, dbsize, m.slots.length, m.replicasCount));
    keys += dbsize;
    count++;
  }
  out.line(`[OK] ${keys} keys in ${count} masters.`, "ok");
  out.line(`${(keys / CLUSTER_SLOTS).toFixed(2)} keys per slot on average.`);
  return true;
}

export const infoCommand: ManagerCommand = {
  name: "info",
  synopsis: "info host:port",
  help: `Show each master of the cluster with its keys (DBSIZE), slots and replicas, and the totals
(as redis-cli --cluster info). Exits 1 if the cluster cannot be loaded.`,
  options: {},
  minPositionals: 1,
  maxPositionals: 1,
  async run(p, out) {
    const cluster = await loadCluster(parseAddr(p.positionals[0]));
    try {
      return await showInfo(cluster, out) ? EXIT_OK : EXIT_FAIL;
    } finally {
      closeCluster(cluster);
    }
  },
};
