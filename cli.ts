/**
 * Command line: `deno run -A cli.ts [/path/to/redis.conf] [--directive value ...]`, as
 * redis-server takes it. SIGTERM/SIGINT shut down cleanly (the dataset saved when save points
 * are set, nodes.conf saved). `--inspect` streams the node's actors to the XState visualizer;
 * `cli.ts machines` prints their configs.
 */

import { Config, ConfigError, ConfigOpenError, fileErrorText } from "./server/config.ts";
import { Server } from "./server/server.ts";
import { REDIS_VERSION } from "./server/version.ts";
import { Logger } from "./server/log.ts";
import { MANAGER_SUBCOMMANDS } from "./manager/subcommands.ts";
import { InspectArgsError, splitInspectArgs } from "./actors/inspect_args.ts";
import { importOnFirstUse } from "./server/lazy_import.ts";

export async function runServer(allArgs: string[]): Promise<number> {
  // --inspect / --inspect-port / --inspect-url are ours, not redis directives (actors/inspect.ts).
  let split;
  try {
    split = splitInspectArgs(allArgs);
  } catch (e) {
    if (!(e instanceof InspectArgsError)) throw e;
    console.error(e.message);
    return 1;
  }
  const args = split.rest;
  const config = new Config();
  let fileText: string | null = null;
  let rest = args;
  if (args.length > 0 && !args[0].startsWith("--")) {
    const path = args[0];
    rest = args.slice(1);
    try {
      fileText = await Deno.readTextFile(path);
    } catch (e) {
      const log = new Logger();
      log.role = "C";
      log.warning(`Fatal error, can't open config file '${path}': ${fileErrorText(e)}`);
      return 1;
    }
    config.file = await Deno.realPath(path);
  }
  try {
    config.load(fileText, rest);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.render(REDIS_VERSION));
      return 1;
    }
    if (e instanceof ConfigOpenError) {
      const log = new Logger();
      log.role = "C";
      log.warning(e.message);
      return 1;
    }
    throw e;
  }
  const inspector = split.target !== null
    ? (await importOnFirstUse<typeof import("./actors/inspect.ts")>(
      new URL("./actors/inspect.ts", import.meta.url),
    )).startInspector(split.target)
    : null;
  const server = new Server({ config, inspect: inspector?.inspect });
  try {
    await server.start();
  } catch (e) {
    console.error(`Fatal: ${(e as Error).message}`);
    await server.shutdown().catch(() => {});
    inspector?.stop();
    return 1;
  }
  for (const note of inspector?.notes ?? []) server.log.notice(note);
  const { promise, resolve } = Promise.withResolvers<number>();
  // SHUTDOWN (the command) has already stopped the server when it asks to exit.
  server.onShutdownRequest = (code) => resolve(code);
  const stop = async (sig: string) => {
    if (server.isStopped) return;
    server.log.warning(`Received ${sig} scheduling shutdown...`);
    server.log.warning("User requested shutdown...");
    // The final save (when save points are set); a node that cannot save keeps running.
    if (!server.prepareForShutdown()) {
      server.log.warning(
        `${sig} received but errors trying to shut down the server, check the logs for more information`,
      );
      return;
    }
    await server.shutdown();
    resolve(0);
  };
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  const code = await promise;
  inspector?.stop();
  return code;
}

if (import.meta.main) {
  // `cli.ts create|check|info|add-node|del-node|reshard|rebalance|failover|help ...` is the
  // cluster manager (manager/main.ts); anything else starts a node.
  if (Deno.args[0] === "machines") {
    // The node's XState machine configs as JSON, for the Stately editor (actors/inspect.ts).
    const { printMachines } = await importOnFirstUse<typeof import("./actors/machines_json.ts")>(
      new URL("./actors/machines_json.ts", import.meta.url),
    );
    Deno.exit(printMachines(Deno.args.slice(1)));
  }
  if (Deno.args[0] === "dashboard") {
    // The live cluster dashboard (dashboard/main.ts), for any cluster it can reach.
    const { dashboardMain } = await importOnFirstUse<typeof import("./dashboard/main.ts")>(
      new URL("./dashboard/main.ts", import.meta.url),
    );
    Deno.exit(await dashboardMain(Deno.args.slice(1)));
  }
  if (Deno.args.length > 0 && MANAGER_SUBCOMMANDS.has(Deno.args[0])) {
    const { managerMain } = await importOnFirstUse<typeof import("./manager/main.ts")>(
      new URL("./manager/main.ts", import.meta.url),
    );
    Deno.exit(await managerMain(Deno.args));
  }
  Deno.exit(await runServer(Deno.args));
}
