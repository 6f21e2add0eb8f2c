/**
 * The ACL file and the `user` directives, as Redis 7.0.15's acl.c: ACLLoadFromFile (every line
 * "user <name> <rules...>", all or nothing, errors collected as "<file>:<line>: <why>. "),
 * ACLSaveToFile (ACL LIST's lines, written atomically), and the startup load
 * of users from the config file or the ACL file (ACLLoadUsersAtStartup).
 */

import {
  type AclUser,
  type AclUsers,
  hasSpaces,
  mergeSelectorArgs,
  SETUSER_ERRORS,
} from "./acl.ts";
import { writeFileAtomic } from "../persistence/files.ts";

/** The users of an ACL file's text, ready to install, or Redis's error text. */
export function parseAclFile(
  acl: AclUsers,
  text: string,
  filename: string,
): { users: Map<string, AclUser> } | { error: string } {
  const users = new Map<string, AclUser>();
  let errors = "";
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const linenum = i + 1;
    const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (line === "") continue;
    const argv = line.split(" ");
    if (argv[0] !== "user" || argv.length < 2) {
      errors += `${filename}:${linenum} should start with user keyword followed by the username. `;
      continue;
    }
    if (hasSpaces(argv[1])) {
      errors += `'${filename}:${linenum}: username '${argv[1]}' contains invalid characters. `;
      continue;
    }
    if (users.has(argv[1])) {
      errors += `WARNING: Duplicate user '${argv[1]}' found on line ${linenum}. `;
      continue;
    }
    const u = acl.newUser(argv[1]);
    users.set(argv[1], u);
    const merged = mergeSelectorArgs(argv.slice(2));
    if (!Array.isArray(merged)) {
      errors += `${filename}:${linenum}: Unmatched parenthesis in selector definition.`;
      continue;
    }
    for (const arg of merged) {
      const op = arg.replace(/^[\t\r\n]+|[\t\r\n]+$/g, "");
      const err = u.apply(op, acl.pubsubDefault);
      if (err !== null) {
        errors += `${filename}:${linenum}: Error in applying operation '${op}': ${
          SETUSER_ERRORS[err]
        }. `;
      }
    }
  }
  if (errors !== "") {
    return {
      error: errors +
        "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
    };
  }
  return { users };
}

/**
 * Install loaded users: the default user object keeps its identity (clients point at it) and
 * takes the file's default rules (or a fresh default's); every other user is new. Returns the
 * users replaced, whose clients the caller disconnects.
 */
export function installUsers(acl: AclUsers, users: Map<string, AclUser>): AclUser[] {
  const newDefault = users.get("default") ?? acl.createDefault();
  acl.defaultUser.copyFrom(newDefault);
  const replaced = [...acl.users.values()].filter((u) => u !== acl.defaultUser);
  acl.users.clear();
  acl.users.set("default", acl.defaultUser);
  for (const [name, u] of users) if (name !== "default") acl.users.set(name, u);
  return replaced;
}

/** ACL LOAD's file read: the text, or Redis's error for a file it cannot open. */
export function readAclFile(path: string): { text: string } | { error: string } {
  try {
    const bytes = Deno.readFileSync(path);
    let text = "";
    for (let i = 0; i < bytes.length; i += 8192) {
      text += String.fromCharCode(...bytes.subarray(i, i + 8192));
    }
    return { text };
  } catch (e) {
    return { error: `Error loading ACLs, opening file '${path}': ${strerror(e)}` };
  }
}

function strerror(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "No such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "Permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "Is a directory";
  return (e as Error).message;
}

/** ACL LIST's lines: "user <name> <description>", in user-name order. */
export function aclListLines(acl: AclUsers): string[] {
  return acl.sorted().map((u) => `user ${u.name} ${u.describe()}`);
}

/**
 * ACLSaveToFile (acl.c): a temp file beside `path` renamed over it, through the server's one
 * atomic writer (persistence/files.ts writeFileAtomic: the file and its directory fsynced).
 * False on I/O errors.
 */
export function saveAclFile(acl: AclUsers, path: string): boolean {
  const text = aclListLines(acl).map((l) => l + "\n").join("");
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  try {
    writeFileAtomic(path, bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * ACLLoadUsersAtStartup: `user` directives from the config file, or the ACL file, not both.
 * Throws Redis's startup error text.
 */
export function loadUsersAtStartup(
  acl: AclUsers,
  configUsers: string[][],
  aclfile: string,
): void {
  if (aclfile !== "" && configUsers.length !== 0) {
    throw new Error(
      "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.",
    );
  }
  const seen = new Set<string>();
  for (const argv of configUsers) {
    const name = argv[0];
    if (seen.has(name)) {
      throw new Error(`Error in user declaration '${name}': ${SETUSER_ERRORS.EALREADY}`);
    }
    seen.add(name);
    if (hasSpaces(name)) throw new Error("Spaces not allowed in ACL usernames");
    const merged = mergeSelectorArgs(argv.slice(1));
    if (!Array.isArray(merged)) {
      throw new Error(`Error in user declaration '${argv[merged.unmatched + 1]}': Syntax error`);
    }
    let u = acl.get(name);
    if (u === undefined) {
      u = acl.newUser(name);
      acl.users.set(name, u);
    } else u.apply("reset", acl.pubsubDefault);
    for (const rule of merged) {
      const err = u.apply(rule, acl.pubsubDefault);
      if (err !== null) {
        throw new Error(
          `Error loading ACL rule '${rule}' for the user named '${name}': ${SETUSER_ERRORS[err]}`,
        );
      }
    }
  }
  if (aclfile !== "") {
    const r = readAclFile(aclfile);
    const parsed = "error" in r ? r : parseAclFile(acl, r.text, aclfile);
    if ("error" in parsed) {
      throw new Error(`Aborting Redis startup because of ACL errors: ${parsed.error}`);
    }
    installUsers(acl, parsed.users);
  }
}
