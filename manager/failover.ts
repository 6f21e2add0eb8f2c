/**
 * `failover host:port [--force|--takeover]`: CLUSTER FAILOVER on a replica, then wait until
 * that replica reports itself a master (and its old master agrees it is no longer one).
 */

import { parseAddr } from "./address.ts";
import { intOption, UsageError } from "./args.ts";
import { EXIT_FAIL, EXIT_OK, type ManagerCommand } from "./command.ts";
import { myselfLine, parseClusterNodes } from "./nodes_text.ts";
import { closeCluster, loadCluster, ManagerError } from "./topology.ts";

export const failoverCommand: ManagerCommand = {
  name: "failover",
  synopsis: "failover replica_host:port [--force|--takeover] [--timeout ms]",
  help: `Promote a replica to master of its slots (CLUSTER FAILOVER on the replica), and wait
until it is a master.

Options:
  --force              do not wait for the master's agreement (the master may be down)
  --takeover           do not even ask the other masters (no election; use with care)
  --timeout ms         how long to wait for the promotion (default 30000)`,
  options: { force: "flag", takeover: "flag", timeout: "value" },
  minPositionals: 1,
  maxPositionals: 1,
  async run(p, out) {
    if (p.flags.has("force") && p.flags.has("takeover")) {
      throw new UsageError("--force and --takeover exclude each other");
    }
    const timeoutMs = intOption(p, "timeout", 30_000, 100, 86_400_000);
    const cluster = await loadCluster(parseAddr(p.positionals[0]));
    try {
      const replica = cluster.entry;
      if (!replica.replica || replica.masterId === null) {
        const reps = cluster.nodes.filter((n) => n.replica && n.masterId === replica.id).map((n) =>
          n.addr
        );
        out.line(
          `[ERR] Node ${replica.addr} is not a replica. ` +
            (reps.length > 0
              ? `Run failover on one of its replicas: ${reps.join(", ")}`
              : "It has no replicas."),
          "err",
        );
        return EXIT_FAIL;
      }
      const oldMaster = cluster.nodes.find((n) => n.id === replica.masterId);
      const mode = p.flags.has("force") ? "FORCE" : p.flags.has("takeover") ? "TAKEOVER" : null;
      out.line(
        `>>> Sending CLUSTER FAILOVER${mode ? ` ${mode}` : ""} to ${replica.addr} ` +
          `(replica of ${oldMaster?.addr ?? replica.masterId})`,
        "info",
      );
      const r = await replica.client.send(["CLUSTER", "FAILOVER", ...(mode ? [mode] : [])]);
      if (r.type === "error") {
        throw new ManagerError(`[ERR] CLUSTER FAILOVER on ${replica.addr} failed: ${r.value}`);
      }
      out.write("Waiting for the failover");
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await new Promise((res) => setTimeout(res, 250));
        const me = myselfLine(parseClusterNodes(await replica.client.callText("CLUSTER", "NODES")));
        if (me.master) {
          out.write("\n");
          out.line(`[OK] ${replica.addr} is now a master with ${me.slots.length} slots.`, "ok");
          return EXIT_OK;
        }
        if (Date.now() > deadline) {
          out.write("\n");
          out.line(`[ERR] ${replica.addr} is still a replica after ${timeoutMs} ms.`, "err");
          return EXIT_FAIL;
        }
        out.write(".");
      }
    } finally {
      closeCluster(cluster);
    }
  },
};
