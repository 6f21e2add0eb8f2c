/**
 * The ACL command's definitions; their handlers are in commands/acl.ts, imported on first use
 * (commands/lazy_commands.ts).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

const lazy = (name: string) => fromTable(name, notLoaded);

export const aclCommands: CommandDef[] = lazyFamily(
  [
    fromTable("acl", undefined, {
      subcommands: [
        lazy("acl|cat"),
        lazy("acl|deluser"),
        lazy("acl|dryrun"),
        lazy("acl|genpass"),
        lazy("acl|getuser"),
        lazy("acl|help"),
        lazy("acl|list"),
        lazy("acl|load"),
        lazy("acl|log"),
        lazy("acl|save"),
        lazy("acl|setuser"),
        lazy("acl|users"),
        lazy("acl|whoami"),
      ],
    }),
  ],
  () =>
    importOnFirstUse<typeof import("./acl.ts")>(new URL("./acl.ts", import.meta.url)).then((m) =>
      m.aclCommands
    ),
);
