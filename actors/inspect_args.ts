/**
 * The visualizer's command-line flags for a node (cli.ts), which are not redis directives:
 *
 *   --inspect                 start a local relay on port 8080 and stream the actors to it
 *   --inspect-port N          the same, relay on port N
 *   --inspect-url ws://h:p    stream to a relay that is already running (none started here)
 *
 * `splitInspectArgs` (pure) takes them out of the command line before config parsing; cli.ts
 * loads actors/inspect.ts (and @statelyai/inspect) only when one is given.
 */

export const DEFAULT_INSPECT_PORT = 8080;

export type InspectTarget =
  /** Start a relay on this port and send to it. */
  | { kind: "relay"; port: number }
  /** Send to an existing relay. */
  | { kind: "url"; url: string };

export class InspectArgsError extends Error {
  override name = "InspectArgsError";
}

/**
 * Take `--inspect`, `--inspect-port N` and `--inspect-url URL` out of a node's command line.
 * Returns the remaining arguments (for the config parser) and the target, null without them.
 */
export function splitInspectArgs(
  args: readonly string[],
): { rest: string[]; target: InspectTarget | null } {
  const rest: string[] = [];
  let on = false;
  let port: number | null = null;
  let url: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--inspect") {
      on = true;
    } else if (a === "--inspect-port" || a === "--inspect-url") {
      const v = args[i + 1];
      if (v === undefined || v.startsWith("--")) {
        throw new InspectArgsError(`'${a}' needs a value`);
      }
      i++;
      if (a === "--inspect-url") {
        if (!/^wss?:\/\/[^\s]+$/.test(v)) {
          throw new InspectArgsError(`'--inspect-url' must be a ws:// or wss:// URL, got '${v}'`);
        }
        url = v;
      } else {
        const n = Number(v);
        if (!/^[0-9]+$/.test(v) || n < 1 || n > 65535) {
          throw new InspectArgsError(`'--inspect-port' must be a port number, got '${v}'`);
        }
        port = n;
      }
    } else {
      rest.push(a);
    }
  }
  if (url !== null && port !== null) {
    throw new InspectArgsError("use either '--inspect-url' or '--inspect-port', not both");
  }
  if (url !== null) return { rest, target: { kind: "url", url } };
  if (on || port !== null) {
    return { rest, target: { kind: "relay", port: port ?? DEFAULT_INSPECT_PORT } };
  }
  return { rest, target: null };
}
