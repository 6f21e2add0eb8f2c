/**
 * COMMAND INFO and COMMAND DOCS replies written from the tables generated off redis-server
 * 7.0.15 (commands/command_docs_table.ts, and command_docs_text.ts for the DOCS texts): the one
 * place the node's command metadata comes from.
 * Follows Redis's server.c addReplyCommandInfo / addReplyCommandDocs: the table keeps each
 * reply as plain JSON and the writer gives the RESP types back (maps, sets of statuses, bulks,
 * integers), RESP2 or RESP3 by the writer's protocol. Only the commands `exists` accepts are
 * written, so a subcommand the node lacks is not listed.
 */

import type { Reply } from "../protocol/reply.ts";
import type { CommandSpec, DocValue } from "./command_docs_table.ts";
import type { CommandDocMap } from "./command_docs_text.ts";

export type CommandTable = ReadonlyMap<string, CommandSpec>;
export type CommandDocsTable = ReadonlyMap<string, CommandDocMap>;

/** Array keys whose items Redis writes as a set of statuses (addReplyFlagsForArg & co). */
const STATUS_SETS = new Set(["flags", "doc_flags"]);

/** One plain-JSON value with its RESP type (`key`: the map key it sits under, if any). */
function writeValue(reply: Reply, v: DocValue, key: string | null): void {
  if (typeof v === "number") reply.int(v);
  else if (typeof v === "string") reply.bulkText(v);
  else if (Array.isArray(v)) {
    if (key !== null && STATUS_SETS.has(key)) {
      reply.set(v.length);
      for (const s of v) reply.status(String(s));
    } else {
      // addReplyCommandHistory writes a set of [version, change] pairs.
      if (key === "history") reply.set(v.length);
      else reply.array(v.length);
      for (const x of v) writeValue(reply, x, null);
    }
  } else writeMap(reply, v);
}

function writeMap(reply: Reply, m: { [key: string]: DocValue }): void {
  const keys = Object.keys(m);
  reply.map(keys.length);
  for (const k of keys) {
    reply.bulkText(k);
    writeValue(reply, m[k], k);
  }
}

function subcommandsOf(spec: CommandSpec, exists: (fullname: string) => boolean): string[] {
  return (spec.subcommands ?? []).filter(exists);
}

/** addReplyCommandInfo: the 10-element entry of `fullname`, its subcommands nested. */
export function writeCommandInfo(
  reply: Reply,
  table: CommandTable,
  fullname: string,
  exists: (fullname: string) => boolean,
): void {
  const spec = table.get(fullname);
  if (spec === undefined) throw new Error(`no COMMAND table entry for ${fullname}`);
  reply.array(10);
  reply.bulkText(fullname);
  reply.int(spec.arity);
  reply.set(spec.flags.length);
  for (const f of spec.flags) reply.status(f);
  reply.int(spec.keys[0]);
  reply.int(spec.keys[1]);
  reply.int(spec.keys[2]);
  reply.set(spec.acl.length);
  for (const c of spec.acl) reply.status(c);
  reply.set(spec.tips.length);
  for (const t of spec.tips) reply.bulkText(t);
  reply.set(spec.keySpecs.length);
  for (const ks of spec.keySpecs) writeValue(reply, ks, null);
  const subs = subcommandsOf(spec, exists);
  // addReplyCommandSubCommands: an empty set when there are none, else an array.
  if (subs.length === 0) reply.set(0);
  else reply.array(subs.length);
  for (const s of subs) writeCommandInfo(reply, table, s, exists);
}

/** addReplyCommandDocs: the documentation map of `fullname`, its subcommands nested. */
export function writeCommandDocs(
  reply: Reply,
  table: CommandTable,
  docsTable: CommandDocsTable,
  fullname: string,
  exists: (fullname: string) => boolean,
): void {
  const spec = table.get(fullname);
  const docs = docsTable.get(fullname);
  if (spec === undefined || docs === undefined) {
    throw new Error(`no COMMAND table entry for ${fullname}`);
  }
  const keys = Object.keys(docs);
  const subs = subcommandsOf(spec, exists);
  reply.map(keys.length + (subs.length ? 1 : 0));
  for (const k of keys) {
    reply.bulkText(k);
    writeValue(reply, docs[k], k);
  }
  if (subs.length === 0) return;
  reply.bulkText("subcommands");
  reply.map(subs.length);
  for (const s of subs) {
    reply.bulkText(s);
    writeCommandDocs(reply, table, docsTable, s, exists);
  }
}
