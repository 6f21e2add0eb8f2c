/** The cluster-manager subcommands cli.ts hands to manager/main.ts (anything else starts a node). */
export const MANAGER_SUBCOMMANDS: ReadonlySet<string> = new Set([
  "create",
  "check",
  "info",
  "add-node",
  "del-node",
  "reshard",
  "rebalance",
  "failover",
  "help",
]);
