/**
 * Writing the config file back (config.c rewriteConfig), for CONFIG REWRITE and DEBUG
 * CONFIG-REWRITE-FORCE-ALL: the old file's text (none if it is missing) rewritten with the
 * current values, the ACL's users as `user` lines unless an aclfile holds them
 * (rewriteConfigUserOption), written atomically.
 */

import { writeFileAtomic } from "../persistence/files.ts";
import type { AclUsers } from "./acl.ts";
import { aclListLines } from "./acl_file.ts";
import { type Config, rewriteConfigText } from "./config.ts";

/** Rewrite `file` from `config` (every directive when `forceAll`). Throws on I/O errors. */
export function rewriteConfigFile(
  file: string,
  config: Config,
  acl: AclUsers,
  forceAll = false,
): void {
  let old = "";
  try {
    old = Deno.readTextFileSync(file);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const users = config.getString("aclfile") === "" ? aclListLines(acl) : [];
  writeFileAtomic(file, rewriteConfigText(old, config, users, forceAll));
}
