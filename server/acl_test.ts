import assert from "node:assert/strict";
import {
  ACL_DENIED_CHANNEL,
  ACL_DENIED_CMD,
  ACL_DENIED_KEY,
  ACL_OK,
  AclCommandTable,
  AclUsers,
  mergeSelectorArgs,
  splitArgs,
} from "./acl.ts";
import { buildCommandTable } from "../commands/registry.ts";

const te = new TextEncoder();
const argv = (...a: string[]) => a.map((s) => te.encode(s));

function users(): AclUsers {
  return new AclUsers(new AclCommandTable(buildCommandTable().values()));
}

function user(acl: AclUsers, ...rules: string[]) {
  const r = acl.stage("u", undefined, rules);
  if ("error" in r) throw new Error(`${r.rule}: ${r.error}`);
  return r.user;
}

Deno.test("acl model: the default user is unrestricted until changed", () => {
  const acl = users();
  assert.equal(acl.defaultUser.unrestricted, true);
  assert.equal(acl.defaultUser.describe(), "on nopass ~* &* +@all");
  assert.equal(acl.authRequired, false);
  acl.setDefaultPassword("x");
  assert.equal(acl.authRequired, true);
  acl.defaultUser.apply("-get", 0);
  assert.equal(acl.defaultUser.unrestricted, false);
  assert.equal(acl.defaultUser.root.describeCommands(), "+@all -get");
});

Deno.test("acl model: rules, errors and descriptions", () => {
  const acl = users();
  const u = user(acl, "on", "~foo*", "%R~bar*", "&ch*", "+get", "+@hash", "-hset", "+client|id");
  assert.equal(u.root.keysText(), "~foo* %R~bar*");
  assert.equal(u.root.channelsText(), "&ch*");
  assert.equal(u.root.describeCommands(), "-@all +@hash +client|id +get -hset");
  for (
    const [r, e] of [
      ["+nosuch", "ENOENT"],
      ["+client|", "EINVAL"],
      ["+client|id|x", "ECHILD"],
      ["%~x", "EINVAL"],
      ["#abc", "EBADMSG"],
      ["<nope", "ENODEV"],
      ["bogus", "EINVAL"],
    ]
  ) {
    const s = acl.stage("v", undefined, [r]);
    assert.ok("error" in s && s.error === e, r);
  }
  const s = acl.stage("v", undefined, ["~*", "~a"]);
  assert.ok("error" in s && s.error === "EEXIST");
  const f = user(acl, "+select|0", "+select|1", "-select", "+select|5");
  assert.equal(f.root.describeCommands(), "-@all +select|5");
  assert.equal(user(acl, "reset").describe(), "off sanitize-payload resetchannels -@all");
});

Deno.test("acl model: command, key (read/write) and channel checks, selectors", () => {
  const acl = users();
  const t = acl.table;
  const u = user(acl, "+get", "+set", "+copy", "+publish", "+psubscribe", "%R~r*", "%W~w*", "&c*");
  const check = (...a: string[]) => u.checkCommand(t.get(a[0])!, argv(...a));
  assert.deepEqual(check("get", "r1"), [ACL_OK, 0]);
  assert.deepEqual(check("get", "w1"), [ACL_DENIED_KEY, 1]);
  assert.deepEqual(check("set", "w1", "v"), [ACL_OK, 0]);
  assert.deepEqual(check("set", "w1", "v", "GET"), [ACL_DENIED_KEY, 1]);
  assert.deepEqual(check("copy", "r1", "w2"), [ACL_OK, 0]);
  assert.deepEqual(check("copy", "w1", "r2"), [ACL_DENIED_KEY, 1]);
  assert.deepEqual(check("del", "r1"), [ACL_DENIED_CMD, 0]);
  assert.deepEqual(check("publish", "c1", "m"), [ACL_OK, 0]);
  assert.deepEqual(check("publish", "d1", "m"), [ACL_DENIED_CHANNEL, 1]);
  // PSUBSCRIBE patterns are compared literally.
  assert.deepEqual(check("psubscribe", "c1"), [ACL_DENIED_CHANNEL, 1]);
  assert.deepEqual(check("psubscribe", "c*"), [ACL_OK, 0]);
  // A selector adds rights; the most relevant denial is reported.
  const v = user(acl, "+get", "~a*", "(+set ~b*)");
  assert.deepEqual(v.checkCommand(t.get("set")!, argv("set", "b1", "x")), [ACL_OK, 0]);
  assert.deepEqual(v.checkCommand(t.get("set")!, argv("set", "a1", "x")), [ACL_DENIED_KEY, 1]);
});

Deno.test("acl model: selector arguments merge, quoted splitting", () => {
  assert.deepEqual(mergeSelectorArgs(["on", "(+get", "~x)", "off"]), ["on", "(+get ~x)", "off"]);
  assert.deepEqual(mergeSelectorArgs(["on", "(+get"]), { unmatched: 1 });
  assert.deepEqual(splitArgs(`a "b c" 'd'`), ["a", "b c", "d"]);
  assert.equal(splitArgs(`"open`), null);
});
