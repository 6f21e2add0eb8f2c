/**
 * The CLUSTER, READONLY, READWRITE and ASKING definitions; their handlers are in
 * commands/cluster.ts, imported on first use (commands/lazy_commands.ts): with them come most of
 * cluster/ (the failover rules, failure detection, bus headers, nodes.conf), which a node without
 * cluster-enabled only needs to answer that cluster support is disabled.
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

const lazy = (name: string) => fromTable(name, notLoaded);

export const clusterCommands: CommandDef[] = lazyFamily(
  [
    fromTable("cluster", undefined, {
      subcommands: [
        lazy("cluster|addslots"),
        lazy("cluster|addslotsrange"),
        lazy("cluster|bumpepoch"),
        lazy("cluster|count-failure-reports"),
        lazy("cluster|countkeysinslot"),
        lazy("cluster|delslots"),
        lazy("cluster|delslotsrange"),
        lazy("cluster|failover"),
        lazy("cluster|flushslots"),
        lazy("cluster|forget"),
        lazy("cluster|getkeysinslot"),
        lazy("cluster|help"),
        lazy("cluster|info"),
        lazy("cluster|keyslot"),
        lazy("cluster|links"),
        lazy("cluster|meet"),
        lazy("cluster|myid"),
        lazy("cluster|nodes"),
        lazy("cluster|replicas"),
        lazy("cluster|replicate"),
        lazy("cluster|reset"),
        lazy("cluster|saveconfig"),
        lazy("cluster|set-config-epoch"),
        lazy("cluster|setslot"),
        lazy("cluster|shards"),
        lazy("cluster|slaves"),
        lazy("cluster|slots"),
      ],
    }),
    lazy("readonly"),
    lazy("readwrite"),
    lazy("asking"),
  ],
  () =>
    importOnFirstUse<typeof import("./cluster.ts")>(new URL("./cluster.ts", import.meta.url)).then((
      m,
    ) => m.clusterCommands),
);
