/** EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis 7.0's eval.c). */

import { lower, parseInt64 } from "../protocol/bytes.ts";
import * as E from "./errors.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import { replyHelp } from "./connection.ts";
import { NOSCRIPT, sha1hex } from "../scripting/script_client.ts";
import { parseShebang, type ScriptFlags } from "../scripting/shebang.ts";
import type { ScriptsPort } from "../scripting/scripts_port.ts";
import type {
  CommandHost,
  DebugForkPort,
  MonitorsPort,
  PersistencePort,
  ScriptsHost,
} from "./command_host.ts";
import type { LdbIo } from "../scripting/ldb.ts";
import type { Client } from "../server/client.ts";
import type { LogPort } from "../server/server_ports.ts";
import { Reply } from "../protocol/reply.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<MonitorsPort & PersistencePort & ScriptsHost & LogPort & DebugForkPort>;

/** Keys of EVAL-like commands: numkeys at argv[2], the keys after it (none when invalid). */
export function numkeysKeys(argv: Uint8Array[]): number[] {
  if (argv.length < 3) return [];
  const n = parseInt64(argv[2]);
  if (n === null || n < 0 || n > argv.length - 3) return [];
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(3 + i);
  return out;
}

const variants = new WeakMap<CommandDef, Map<string, CommandDef>>();
/** The variant of a definition for a flags object already seen (no allocation per call). */
const byFlags = new WeakMap<ScriptFlags, WeakMap<CommandDef, CommandDef>>();

/**
 * scriptFlagsToCmdFlags: a script with a shebang (or a function) replaces the command's write,
 * denyoom and stale flags with what it declares, so the node's checks before running it (a
 * read-only replica, MISCONF, the cluster being down) treat it as the writer it says it is.
 */
export function defWithScriptFlags(def: CommandDef, flags: ScriptFlags | null): CommandDef {
  if (flags === null || flags.compat) return def;
  const known = byFlags.get(flags)?.get(def);
  if (known !== undefined) return known;
  const out: CommandDef["flags"] = def.flags.filter((f) =>
    f !== "stale" && f !== "denyoom" && f !== "write" && f !== "may_replicate"
  );
  if (!flags.allowOom && !flags.noWrites) out.push("denyoom");
  if (!flags.noWrites) out.push("write");
  if (flags.allowStale) out.push("stale");
  const key = out.join(",");
  let byKey = variants.get(def);
  if (byKey === undefined) {
    byKey = new Map();
    variants.set(def, byKey);
  }
  let v = byKey.get(key);
  if (v === undefined) {
    v = { ...def, flags: out, flagsFor: undefined };
    byKey.set(key, v);
  }
  let forFlags = byFlags.get(flags);
  if (forFlags === undefined) {
    forFlags = new WeakMap();
    byFlags.set(flags, forFlags);
  }
  forFlags.set(def, v);
  return v;
}

/** The SHA1 of an EVAL body, computed once per request (flagsFor, then the command). */
const shas = new WeakMap<Uint8Array, string>();
function shaOf(body: Uint8Array): string {
  let sha = shas.get(body);
  if (sha === undefined) {
    sha = sha1hex(body);
    shas.set(body, sha);
  }
  return sha;
}

/** evalGetCommandFlags: the cached script's flags, else the body's shebang. */
function evalFlagsFor(def: CommandDef, evalsha: boolean) {
  return (server: ScriptsHost, argv: Uint8Array[]): CommandDef => {
    const scripts = server.scripts.scripts;
    if (evalsha) {
      if (argv[1].length !== 40) return def;
      return defWithScriptFlags(def, scripts.get(lower(argv[1]))?.flags ?? null);
    }
    const cached = scripts.get(shaOf(argv[1]));
    if (cached !== undefined) return defWithScriptFlags(def, cached.flags);
    const sb = parseShebang(argv[1]);
    return defWithScriptFlags(def, "error" in sb ? null : sb.flags);
  };
}

/** Run `then` with the VM, now or once it exists. */
export function withEngine(
  ctx: CommandContext<ScriptsHost>,
  then: (engine: ScriptsPort) => void | Promise<void>,
): void | Promise<void> {
  const engine = ctx.server.scripts;
  const rt = engine.ready();
  if (rt instanceof Promise) return rt.then(() => then(engine));
  return then(engine);
}

function evalGeneric(ctx: Ctx, argv: Uint8Array[], evalsha: boolean, ro: boolean) {
  const { reply } = ctx;
  // evalCommand/evalShaCommand: shown to monitors before the script's commands (skip_monitor).
  ctx.server.monitors.feed(ctx.server, ctx.client, argv);
  // evalShaCommand: a SHA1 of another length matches nothing, answered before numkeys is read.
  if (evalsha && argv[1].length !== 40) {
    reply.error(NOSCRIPT);
    return;
  }
  if (ctx.client.luaDebug !== null) {
    if (evalsha) {
      reply.error("ERR Please use EVAL instead of EVALSHA for debugging");
      return;
    }
    return evalWithDebugging(ctx, argv, ro);
  }
  return evalRun(ctx, argv, evalsha, ro);
}

/** The end of a debugging session that ended before its script started (no session ran). */
const ENDSESSION_FRAME = new TextEncoder().encode("*1\r\n+<endsession>\r\n");

/**
 * evalGenericCommandWithDebugging: the script runs under the Lua debugger (scripting/ldb.ts),
 * which talks to the client directly (its frames go out at once, its commands are read from the
 * client's input). The EVAL's own reply is written into a reply of its own, so that it follows
 * the session's last frame (`<endsession>`) whenever the session ends; then the connection
 * closes.
 *
 * SCRIPT DEBUG SYNC runs the script here, holding the server. SCRIPT DEBUG YES is Redis's forked
 * session: the script runs on a child server with a copy of the dataset
 * (`forkForDebugging`), whose writes go nowhere, while this server serves everyone else.
 */
function evalWithDebugging(ctx: Ctx, argv: Uint8Array[], ro: boolean) {
  const client = ctx.client;
  const log = ctx.server.log;
  const forked = client.luaDebug === "fork";
  const io = debuggerIo(client, forked);
  const own = new Reply();
  own.proto = ctx.reply.proto;
  let runCtx: Ctx = { ...ctx, reply: own };
  let child: CommandHost | null = null;
  if (forked) {
    const fork = ctx.server.forkForDebugging();
    log.warning("Redis forked for debugging eval");
    const childClient = fork.newClient(client.addr, client.laddr);
    childClient.user = client.user;
    childClient.db = fork.dbs[client.db.id];
    childClient.reply.proto = client.reply.proto;
    runCtx = { server: fork, client: childClient, reply: own, db: childClient.db };
    child = fork;
  }
  const end = () => {
    if (!io.began) {
      if (!forked) log.warning("Redis synchronous debugging eval session started");
      client.deliver(ENDSESSION_FRAME);
      log.warning(
        forked
          ? "Lua debugging session child exiting"
          : "Redis synchronous debugging eval session ended",
      );
    }
    child?.scripts.close();
    const bytes = own.buf.subarray(0, own.len);
    if (bytes[0] === 45) ctx.reply.errorBytes(bytes.subarray(1, bytes.length - 2));
    else ctx.reply.raw(bytes);
    client.closeAfterReply = true;
  };
  const r = evalRun(runCtx, argv, false, ro, io);
  if (r instanceof Promise) {
    return r.then(end, (e) => {
      child?.scripts.close();
      throw e;
    });
  }
  end();
}

/** ldbRepl: more input than this without a complete command ends the script. */
const LDB_MAX_INPUT_BYTES = 1 << 20;

/** The debugger's side of the client's connection: frames out at once, commands from its input. */
function debuggerIo(client: Client, forked: boolean): LdbIo {
  return {
    began: false,
    forked,
    send: (frame) => client.deliver(frame),
    nextCommand: async () => {
      for (;;) {
        const r = client.parser.next();
        if (r !== null) {
          // ldbReplParseCommand: 1 to 1024 arguments of 1 to 1024 bytes.
          const ok = !("error" in r) && r.argv.length <= 1024 &&
            r.argv.every((a) => a.length > 0 && a.length <= 1024);
          return ok ? r.argv : { error: "protocol error" };
        }
        if (client.parser.pendingBytes() > LDB_MAX_INPUT_BYTES) {
          return { error: "max client buffer reached" };
        }
        if (client.peerGone) return null;
        await new Promise<void>((resolve) => client.inputArrived = resolve);
        client.inputArrived = null;
      }
    },
  };
}

function evalRun(ctx: Ctx, argv: Uint8Array[], evalsha: boolean, ro: boolean, ldb?: LdbIo) {
  const { reply } = ctx;
  const numkeys = parseInt64(argv[2]);
  if (numkeys === null) {
    reply.error(E.NOT_INTEGER);
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
  return withEngine(ctx, (engine) => {
    let script;
    if (evalsha) {
      script = engine.scripts.get(lower(argv[1]));
      if (script === undefined) {
        reply.error(NOSCRIPT);
        return;
      }
    } else {
      script = engine.scripts.get(shaOf(argv[1]));
      if (script === undefined) {
        const shebang = parseShebang(argv[1]);
        if ("error" in shebang) {
          reply.error("ERR " + shebang.error);
          return;
        }
        const created = engine.createScript(
          argv[1],
          shebang.flags,
          shebang.bodyStart,
          shaOf(argv[1]),
        );
        if ("error" in created) {
          reply.error(created.error);
          return;
        }
        script = created;
      }
    }
    return engine.run({
      caller: ctx.client,
      reply,
      funcname: script.sha,
      isEval: true,
      flags: script.flags,
      readOnlyCommand: ro,
      ref: script.ref,
      keys: argv.slice(3, 3 + numkeys),
      args: argv.slice(3 + numkeys),
      command: argv,
      ldb,
    });
  });
}

function scriptLoad(ctx: Ctx, argv: Uint8Array[]) {
  return withEngine(ctx, (engine) => {
    const shebang = parseShebang(argv[2]);
    if ("error" in shebang) {
      ctx.reply.error("ERR " + shebang.error);
      return;
    }
    const created = engine.createScript(argv[2], shebang.flags, shebang.bodyStart);
    if ("error" in created) ctx.reply.error(created.error);
    else ctx.reply.bulkBinary(created.sha);
  });
}

function scriptExists(ctx: Ctx, argv: Uint8Array[]): void {
  const scripts = ctx.server.scripts.scripts;
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    ctx.reply.int(argv[i].length === 40 && scripts.has(lower(argv[i])) ? 1 : 0);
  }
}

function scriptFlush(ctx: Ctx, argv: Uint8Array[]): void {
  if (argv.length > 3) {
    ctx.reply.error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  if (argv.length === 3) {
    const mode = lower(argv[2]);
    if (mode !== "sync" && mode !== "async") {
      ctx.reply.error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
      return;
    }
  }
  ctx.server.scripts.flushScripts();
  ctx.reply.ok();
}

/** SCRIPT DEBUG YES|SYNC|NO: the client's next EVALs run under the Lua debugger, or not. */
function scriptDebug(ctx: Ctx, argv: Uint8Array[]): void {
  const client = ctx.client;
  if (client.inExec) {
    ctx.reply.error("ERR SCRIPT DEBUG must be called outside a pipeline");
    return;
  }
  const mode = lower(argv[2]);
  if (mode === "no") client.luaDebug = null;
  else if (mode === "yes") client.luaDebug = "fork";
  else if (mode === "sync") client.luaDebug = "sync";
  else {
    ctx.reply.error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
    return;
  }
  ctx.reply.ok();
}

function scriptKill(ctx: Ctx): void {
  const err = ctx.server.scripts.kill(true);
  if (err !== null) ctx.reply.error(err);
  else ctx.reply.ok();
}

const SCRIPT_HELP = [
  "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DEBUG (YES|SYNC|NO)",
  "    Set the debug mode for subsequent scripts executed.",
  "EXISTS <sha1> [<sha1> ...]",
  "    Return information about the existence of the scripts in the script cache.",
  "FLUSH [ASYNC|SYNC]",
  "    Flush the Lua scripts cache. Very dangerous on replicas.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the scripts cache.",
  "    * SYNC: Synchronously flush the scripts cache.",
  "KILL",
  "    Kill the currently executing Lua script.",
  "LOAD <script>",
  "    Load a script into the scripts cache without executing it.",
  "HELP",
  "    Prints this help.",
];

/** EVAL & co: keys after numkeys, flags the script's (evalFlagsFor). */
const evalDef = (name: string, evalsha: boolean, ro: boolean) => {
  const def = fromTable(
    name,
    (ctx, argv) => evalGeneric(ctx, argv, evalsha, ro),
    { getKeys: numkeysKeys },
    // EVAL and EVALSHA may replicate (eval.json's MAY_REPLICATE; hidden from COMMAND INFO).
    ro ? [] : ["may_replicate"],
  );
  def.flagsFor = evalFlagsFor(def, evalsha);
  return def;
};

export const scriptingCommands: CommandDef[] = [
  evalDef("eval", false, false),
  evalDef("evalsha", true, false),
  evalDef("eval_ro", false, true),
  evalDef("evalsha_ro", true, true),
  fromTable("script", undefined, {
    subcommands: [
      fromTable("script|debug", scriptDebug),
      fromTable("script|flush", scriptFlush),
      fromTable("script|exists", scriptExists),
      fromTable("script|help", (ctx) => replyHelp(ctx, SCRIPT_HELP)),
      fromTable("script|kill", scriptKill),
      fromTable("script|load", scriptLoad),
    ],
  }),
];
