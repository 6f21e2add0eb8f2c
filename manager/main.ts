/**
 * The cluster manager's entry: `deno run -A cli.ts <subcommand> ...` (cli.ts hands over the
 * subcommands in subcommands.ts). Parses the subcommand's options, prints `--help`, runs it,
 * and turns failures into messages and exit codes (command.ts).
 */

import { addNodeCommand } from "./add_node.ts";
import { AddrError } from "./address.ts";
import { parseArgs, UsageError } from "./args.ts";
import { checkCommand } from "./check.ts";
import { ConnectionError, ReplyError } from "./client.ts";
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, type ManagerCommand } from "./command.ts";
import { createCommand } from "./create.ts";
import { delNodeCommand } from "./del_node.ts";
import { failoverCommand } from "./failover.ts";
import { type Out, stdoutOut } from "./format.ts";
import { infoCommand } from "./info.ts";
import { NodesParseError } from "./nodes_text.ts";
import { rebalanceCommand } from "./rebalance.ts";
import { reshardCommand } from "./reshard.ts";
import { ManagerError } from "./topology.ts";

export const COMMANDS: readonly ManagerCommand[] = [
  createCommand,
  checkCommand,
  infoCommand,
  addNodeCommand,
  delNodeCommand,
  reshardCommand,
  rebalanceCommand,
  failoverCommand,
];

export function usageText(): string {
  const lines = [
    "Usage: deno run -A cli.ts <subcommand> [arguments] [options]",
    "       deno run -A cli.ts [/path/to/redis.conf] [--directive value ...]   (start a node)",
    "",
    "Cluster manager subcommands (speaking only the client protocol; they work on clusters of",
    "these nodes and of real Redis 7 nodes alike):",
    ...COMMANDS.map((c) => `  ${c.synopsis}`),
    "  help [subcommand]",
    "  dashboard host:port [--port P]   (a live web page of the cluster: dashboard/main.ts)",
    "",
    "Every subcommand takes --help. Options also accept redis-cli's spelling (--cluster-replicas).",
    "Exit codes: 0 success (check: healthy), 1 failure or problems found, 2 bad usage.",
  ];
  return lines.join("\n");
}

function commandHelp(c: ManagerCommand): string {
  return `Usage: deno run -A cli.ts ${c.synopsis}\n\n${c.help}`;
}

export async function managerMain(
  argv: readonly string[],
  out: Out = stdoutOut(),
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic !== undefined) {
      const c = COMMANDS.find((c) => c.name === topic);
      if (c === undefined) {
        console.error(`Unknown subcommand '${topic}'.\n\n${usageText()}`);
        return EXIT_USAGE;
      }
      out.line(commandHelp(c));
      return EXIT_OK;
    }
    out.line(usageText());
    return EXIT_OK;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (cmd === undefined) {
    console.error(`Unknown subcommand '${name}'.\n\n${usageText()}`);
    return EXIT_USAGE;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    out.line(commandHelp(cmd));
    return EXIT_OK;
  }
  try {
    const args = parseArgs(rest, cmd.options);
    const n = args.positionals.length;
    if (n < cmd.minPositionals || n > cmd.maxPositionals) {
      throw new UsageError(`wrong number of arguments for '${cmd.name}'`);
    }
    return await cmd.run(args, out);
  } catch (e) {
    if (e instanceof UsageError || e instanceof AddrError) {
      console.error(
        `${e.message}\nUsage: deno run -A cli.ts ${cmd.synopsis}\n(see: cli.ts ${cmd.name} --help)`,
      );
      return EXIT_USAGE;
    }
    if (e instanceof ManagerError) {
      out.line(e.message, "err");
      return EXIT_FAIL;
    }
    if (e instanceof ConnectionError || e instanceof ReplyError || e instanceof NodesParseError) {
      out.line(`[ERR] ${e.message}`, "err");
      return EXIT_FAIL;
    }
    out.line(`[ERR] ${(e as Error).stack ?? String(e)}`, "err");
    return EXIT_FAIL;
  }
}

if (import.meta.main) {
  Deno.exit(await managerMain(Deno.args));
}
