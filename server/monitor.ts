/**
 * MONITOR's feed, as Redis 7.0.15: the clients in monitor mode, and the status line each gets
 * for every command executed (replicationFeedMonitors in replication.c). call() (server/dispatch.ts)
 * feeds a command after running it, unless it is flagged skip_monitor or admin; EVAL, EVALSHA and
 * FCALL (skip_monitor) feed themselves before running, so a script's commands follow them. The
 * MONITOR command itself is in commands/monitor.ts.
 *
 * The line: `+<unix seconds>.<µs, 6 digits> [<db> <origin>] "arg" "arg"...\r\n`, each argument
 * quoted by sdscatrepr, the origin `lua` for a script's commands and the client's address else.
 * Passwords are shown as "(redacted)" where AUTH, HELLO and MIGRATE redact them as they parse
 * (`redactArgument`, Redis's redactClientCommandArgument).
 */

import { fromLatin1 } from "../protocol/bytes.ts";
import type { CommandDef } from "../commands/command_def.ts";
import type { Client } from "./client.ts";

const REDACTED = "(redacted)";

/** sdscatrepr (sds.c): the argument in double quotes, escaped; appended to `out` as latin1. */
export function catRepr(out: string, arg: Uint8Array): string {
  out += '"';
  for (let i = 0; i < arg.length; i++) {
    const b = arg[i];
    switch (b) {
      case 0x5c: // '\\'
        out += "\\\\";
        break;
      case 0x22: // '"'
        out += '\\"';
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x07:
        out += "\\a";
        break;
      case 0x08:
        out += "\\b";
        break;
      default:
        // isprint() in the C locale; anything else as \xHH (lowercase hex).
        out += b >= 0x20 && b <= 0x7e
          ? String.fromCharCode(b)
          : "\\x" + (b < 16 ? "0" : "") + b.toString(16);
    }
  }
  return out + '"';
}

/**
 * One monitor line (replicationFeedMonitors), as the bytes sent: `timeUs` is gettimeofday in µs,
 * `origin` "lua" or the client's address, `redacted` the argument indexes shown as "(redacted)".
 */
export function formatMonitorLine(
  timeUs: number,
  db: number,
  origin: string,
  argv: readonly Uint8Array[],
  redacted: readonly number[] = [],
): Uint8Array {
  const sec = Math.floor(timeUs / 1e6);
  const usec = String(timeUs - sec * 1e6).padStart(6, "0");
  let out = `+${sec}.${usec} [${db} ${origin}] `;
  for (let j = 0; j < argv.length; j++) {
    out = redacted.includes(j) ? out + `"${REDACTED}"` : catRepr(out, argv[j]);
    if (j !== argv.length - 1) out += " ";
  }
  return fromLatin1(out + "\r\n");
}

/** Arguments redacted by the command that got them (keyed by its argv, so nothing goes stale). */
const redactions = new WeakMap<readonly Uint8Array[], number[]>();

/**
 * redactClientCommandArgument (networking.c): MONITOR shows `argv[j]` as "(redacted)". AUTH,
 * HELLO and MIGRATE call it on passwords as they parse them, so arguments after an error that
 * stopped the parse are shown as they are, as in Redis.
 */
export function redactArgument(argv: readonly Uint8Array[], j: number): void {
  const r = redactions.get(argv);
  if (r === undefined) redactions.set(argv, [j]);
  else if (!r.includes(j)) r.push(j);
}

/** The argument indexes `redactArgument` marked for this argv (empty when none). */
export function redactedArgs(argv: readonly Uint8Array[]): readonly number[] {
  return redactions.get(argv) ?? NONE;
}

const NONE: readonly number[] = [];

/** gettimeofday in µs. */
function nowUs(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** What a monitor line needs of the server: whether it loads, and the scripts' client. */
export interface MonitorSource {
  readonly loading: unknown;
  readonly scripts: { readonly scriptClient: Client };
}

/** The clients in monitor mode (Redis's server.monitors), fed in the order they asked. */
export class Monitors {
  private readonly clients = new Set<Client>();

  /** How many clients monitor: call() feeds only when this is not 0 (one test per command). */
  get size(): number {
    return this.clients.size;
  }

  /** monitorCommand: the client gets every command from now on (CLIENT LIST flag O). */
  add(c: Client): void {
    c.monitoring = true;
    this.clients.add(c);
  }

  /** RESET or a disconnect: the client leaves monitor mode. */
  remove(c: Client): void {
    if (!c.monitoring) return;
    c.monitoring = false;
    this.clients.delete(c);
  }

  /**
   * call()'s feed, after the command ran (so SELECT shows its new db): administrative commands
   * are too dangerous to be shown, skip_monitor ones feed themselves (`feed`).
   */
  afterCall(server: MonitorSource, client: Client, def: CommandDef, argv: Uint8Array[]): void {
    if (def.flags.includes("skip_monitor") || def.flags.includes("admin")) return;
    this.feed(server, client, argv);
  }

  /** replicationFeedMonitors: one line to every monitor (nothing while loading the dataset). */
  feed(server: MonitorSource, client: Client, argv: Uint8Array[]): void {
    if (this.clients.size === 0 || server.loading !== null) return;
    const origin = client === server.scripts.scriptClient ? "lua" : client.addr;
    const frame = formatMonitorLine(nowUs(), client.db.id, origin, argv, redactedArgs(argv));
    // A client closing after its reply takes no more output (prepareClientToWrite): a monitor
    // that QUITs does not see its own QUIT.
    for (const m of this.clients) if (!m.closeAfterReply) m.deliver(frame);
  }
}
