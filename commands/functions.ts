/** FUNCTION LOAD|DELETE|FLUSH|LIST|DUMP|RESTORE|STATS|KILL|HELP, FCALL, FCALL_RO (functions.c). */

import { latin1, lower, parseInt64 } from "../protocol/bytes.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import { replyHelp } from "./connection.ts";
import { defWithScriptFlags, numkeysKeys, withEngine } from "./scripting.ts";
import { LOAD_TIMEOUT_MS } from "../scripting/script_client.ts";
import { flagNames } from "../scripting/shebang.ts";
import { createFunctionsPayload, parseFunctionsPayload } from "../scripting/function_dump.ts";
import { globMatch } from "../keyspace/glob.ts";
import type { ConfigPort, DatabasesPort } from "../server/server_ports.ts";
import type { MonitorsPort, PersistencePort, ScriptsHost } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<
  ConfigPort & DatabasesPort & MonitorsPort & PersistencePort & ScriptsHost
>;

function fcallGeneric(ctx: Ctx, argv: Uint8Array[], ro: boolean) {
  // fcallCommandGeneric: shown to monitors before the function's commands (skip_monitor).
  ctx.server.monitors.feed(ctx.server, ctx.client, argv);
  return withEngine(ctx, (engine) => {
    const { reply } = ctx;
    const fi = engine.functions.getFunction(latin1(argv[1]));
    if (fi === undefined) {
      reply.error("ERR Function not found");
      return;
    }
    const numkeys = parseInt64(argv[2]);
    if (numkeys === null) {
      reply.error("ERR Bad number of keys provided");
      return;
    }
    if (numkeys > argv.length - 3) {
      reply.error("ERR Number of keys can't be greater than number of args");
      return;
    }
    if (numkeys < 0) {
      reply.error("ERR Number of keys can't be negative");
      return;
    }
    return engine.run({
      caller: ctx.client,
      reply,
      funcname: fi.name,
      isEval: false,
      flags: fi.flags,
      readOnlyCommand: ro,
      ref: fi.ref,
      keys: argv.slice(3, 3 + numkeys),
      args: argv.slice(3 + numkeys),
      command: argv,
    });
  });
}

function functionLoad(ctx: Ctx, argv: Uint8Array[]) {
  let replace = false;
  let pos = 2;
  while (pos < argv.length - 1) {
    const opt = argv[pos++];
    if (lower(opt) === "replace") {
      replace = true;
      continue;
    }
    ctx.reply.error(`ERR Unknown option given: ${latin1(opt)}`);
    return;
  }
  if (pos >= argv.length) {
    ctx.reply.error("ERR Function code is missing");
    return;
  }
  const code = argv[pos];
  return withEngine(ctx, (engine) => {
    const timeout = ctx.client.isMaster ? 0 : LOAD_TIMEOUT_MS;
    const r = engine.createLibrary(code, replace, timeout);
    if ("error" in r) {
      ctx.reply.error(`ERR ${r.error}`);
      return;
    }
    ctx.server.db.stats.dirty++;
    ctx.reply.bulkBinary(r.name);
  });
}

function functionDelete(ctx: Ctx, argv: Uint8Array[]) {
  return withEngine(ctx, (engine) => {
    const lib = engine.functions.getLibrary(latin1(argv[2]));
    if (lib === undefined) {
      ctx.reply.error("ERR Library not found");
      return;
    }
    engine.functions.unlink(lib);
    engine.releaseLibrary(lib);
    ctx.server.db.stats.dirty++;
    ctx.reply.ok();
  });
}

function functionFlush(ctx: Ctx, argv: Uint8Array[]) {
  if (argv.length === 3) {
    const mode = lower(argv[2]);
    if (mode !== "sync" && mode !== "async") {
      ctx.reply.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
      return;
    }
  } else if (argv.length > 3) {
    ctx.reply.error(
      "ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.",
    );
    return;
  }
  return withEngine(ctx, (engine) => {
    engine.flushFunctions();
    ctx.server.db.stats.dirty++;
    ctx.reply.ok();
  });
}

function functionList(ctx: Ctx, argv: Uint8Array[]) {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const opt = lower(argv[i]);
    // functionListCommand: each option once; a repeated one is an unknown argument.
    if (!withCode && opt === "withcode") {
      withCode = true;
      continue;
    }
    if (pattern === null && opt === "libraryname") {
      if (i + 1 >= argv.length) {
        ctx.reply.error("ERR library name argument was not given");
        return;
      }
      pattern = latin1(argv[++i]);
      continue;
    }
    ctx.reply.error(`ERR Unknown argument ${latin1(argv[i])}`);
    return;
  }
  return withEngine(ctx, (engine) => {
    const { reply } = ctx;
    const libs = [...engine.functions.libraries.values()].filter((l) =>
      pattern === null || globMatch(pattern, l.name)
    );
    reply.array(libs.length);
    for (const lib of libs) {
      reply.map(withCode ? 4 : 3);
      reply.bulkText("library_name");
      reply.bulkBinary(lib.name);
      reply.bulkText("engine");
      reply.bulkText("LUA");
      reply.bulkText("functions");
      reply.array(lib.functions.size);
      for (const f of lib.functions.values()) {
        reply.map(3);
        reply.bulkText("name");
        reply.bulkBinary(f.name);
        reply.bulkText("description");
        if (f.description === null) reply.nil();
        else reply.bulkBinary(f.description);
        reply.bulkText("flags");
        const names = flagNames(f.flags);
        reply.set(names.length);
        for (const n of names) reply.bulkText(n);
      }
      if (withCode) {
        reply.bulkText("library_code");
        reply.bulk(lib.code);
      }
    }
  });
}

function functionDump(ctx: Ctx) {
  return withEngine(ctx, (engine) => {
    const codes = [...engine.functions.libraries.values()].map((l) => l.code);
    ctx.reply.bulk(
      createFunctionsPayload(codes, ctx.server.config.getBool("rdbcompression")),
    );
  });
}

function functionRestore(ctx: Ctx, argv: Uint8Array[]) {
  const { reply } = ctx;
  if (argv.length > 4) {
    reply.error(
      "ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.",
    );
    return;
  }
  let policy = "append";
  if (argv.length === 4) {
    policy = lower(argv[3]);
    if (policy !== "append" && policy !== "replace" && policy !== "flush") {
      reply.error(
        "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
      );
      return;
    }
  }
  const codes = parseFunctionsPayload(argv[2]);
  if ("error" in codes) {
    reply.error(`ERR ${codes.error}`);
    return;
  }
  return withEngine(ctx, (engine) => {
    const err = engine.restoreLibraries(codes, policy as "append" | "replace" | "flush");
    if (err !== null) {
      reply.error(`ERR ${err}`);
      return;
    }
    ctx.server.db.stats.dirty++;
    reply.ok();
  });
}

function functionStats(ctx: Ctx) {
  return withEngine(ctx, (engine) => {
    const { reply } = ctx;
    reply.map(2);
    reply.bulkText("running_script");
    const run = engine.running;
    if (run === null || run.isEval) reply.nil();
    else {
      reply.map(3);
      reply.bulkText("name");
      reply.bulkBinary(run.funcname);
      reply.bulkText("command");
      reply.bulkArray(run.command);
      reply.bulkText("duration_ms");
      reply.int(Math.floor(performance.now() - run.startMs));
    }
    reply.bulkText("engines");
    reply.map(1);
    reply.bulkText("LUA");
    reply.map(2);
    reply.bulkText("libraries_count");
    reply.int(engine.functions.libraries.size);
    reply.bulkText("functions_count");
    reply.int(engine.functions.functionCount);
  });
}

function functionKill(ctx: Ctx): void {
  const err = ctx.server.scripts.kill(false);
  if (err !== null) ctx.reply.error(err);
  else ctx.reply.ok();
}

const FUNCTION_HELP = [
  "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LOAD [REPLACE] <FUNCTION CODE>",
  "    Create a new library with the given library name and code.",
  "DELETE <LIBRARY NAME>",
  "    Delete the given library.",
  "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
  "    Return general information on all the libraries:",
  "    * Library name",
  "    * The engine used to run the Library",
  "    * Library description",
  "    * Functions list",
  "    * Library code (if WITHCODE is given)",
  "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
  "STATS",
  "    Return information about the current function running:",
  "    * Function name",
  "    * Command used to run the function",
  "    * Duration in MS that the function is running",
  "    If no function is running, return nil",
  "    In addition, returns a list of available engines.",
  "KILL",
  "    Kill the current running function.",
  "FLUSH [ASYNC|SYNC]",
  "    Delete all the libraries.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the libraries.",
  "    * SYNC: Synchronously flush the libraries.",
  "DUMP",
  "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
  "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
  "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
  "    control how to handle existing libraries (default APPEND):",
  "    * FLUSH: delete all existing libraries.",
  "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
  "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
  "      libraries with the new libraries (notice that even on this option there is a chance of failure",
  "      in case of functions name collision with another library).",
  "HELP",
  "    Prints this help.",
];

/** fcallGetCommandFlags: the function's flags decide the command's. */
function withFunctionFlags(def: CommandDef): CommandDef {
  def.flagsFor = (server: ScriptsHost, argv: Uint8Array[]) =>
    defWithScriptFlags(def, server.scripts.functions.getFunction(latin1(argv[1]))?.flags ?? null);
  return def;
}

export const functionCommands: CommandDef[] = [
  withFunctionFlags(fromTable(
    "fcall",
    (ctx, argv) => fcallGeneric(ctx, argv, false),
    { getKeys: numkeysKeys },
    // FCALL may replicate (fcall.json's MAY_REPLICATE; hidden from COMMAND INFO).
    ["may_replicate"],
  )),
  withFunctionFlags(
    fromTable("fcall_ro", (ctx, argv) => fcallGeneric(ctx, argv, true), { getKeys: numkeysKeys }),
  ),
  fromTable("function", undefined, {
    subcommands: [
      fromTable("function|restore", functionRestore),
      fromTable("function|delete", functionDelete),
      fromTable("function|help", (ctx) => replyHelp(ctx, FUNCTION_HELP)),
      fromTable("function|kill", functionKill),
      fromTable("function|load", functionLoad),
      fromTable("function|list", functionList),
      fromTable("function|flush", functionFlush),
      fromTable("function|dump", functionDump),
      fromTable("function|stats", functionStats),
    ],
  }),
];
