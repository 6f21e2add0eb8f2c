/** The shape of one manager subcommand, and the exit codes scripts can rely on. */

import type { OptionKind, ParsedArgs } from "./args.ts";
import type { Out } from "./format.ts";

/** Success; for `check`, a healthy cluster. */
export const EXIT_OK = 0;
/** The work failed, was refused or declined, or `check` found a problem. */
export const EXIT_FAIL = 1;
/** Bad command line (unknown subcommand or option, missing argument). */
export const EXIT_USAGE = 2;

export interface ManagerCommand {
  name: string;
  /** One line: "create host:port ... --replicas N [--yes]". */
  synopsis: string;
  /** Longer help text (what it does, each option). */
  help: string;
  options: Readonly<Record<string, OptionKind>>;
  minPositionals: number;
  maxPositionals: number;
  run(args: ParsedArgs, out: Out): Promise<number>;
}
