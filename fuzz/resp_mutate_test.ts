import assert from "node:assert/strict";
import { Prng } from "../cluster/prng.ts";
import {
  encodeLayout,
  encodeRequest,
  inlineForm,
  layoutOf,
  mutateRequest,
  nested,
  RESP_MUTATOR_NAMES,
  RESP_MUTATORS,
  truncate,
} from "./resp_mutate.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const ARGS = ["SET", "key", "value"].map((s) => te.encode(s));

Deno.test("resp mutators: the unmutated layout is the request redis-cli sends", () => {
  assert.equal(
    td.decode(encodeLayout(layoutOf(ARGS))),
    "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
  );
  assert.deepEqual(encodeRequest(ARGS), encodeLayout(layoutOf(ARGS)));
});

Deno.test("resp mutators: each edits the part it is named after", () => {
  const rng = new Prng(7);
  const runs = (name: string) => {
    const l = layoutOf(ARGS);
    RESP_MUTATORS[name](rng, l);
    return { l, text: td.decode(encodeLayout(l)) };
  };
  for (let i = 0; i < 50; i++) {
    const c = runs("arrayCount");
    assert.equal(c.l.args.length, 3); // only the count line changed
    assert.ok(c.text.endsWith("$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"));
    const h = runs("hugeBulkLength");
    assert.ok(h.l.args.some((a) => Number(a.len) > 512 * 1024 * 1024), h.text);
    const n = runs("negativeLength");
    assert.ok(n.l.count.startsWith("-") || n.l.args.some((a) => a.len.startsWith("-")));
    const t = runs("argType");
    assert.ok(
      t.l.args.some((a) => a.typeByte !== 0x24) || t.text === td.decode(encodeRequest(ARGS)),
    );
    const e = runs("emptyArray");
    assert.equal(e.text, "*0\r\n");
  }
  assert.ok(RESP_MUTATOR_NAMES.length >= 10);
});

Deno.test("resp mutators: inline, nested and truncated forms", () => {
  const rng = new Prng(3);
  let sawTooBig = false;
  for (let i = 0; i < 100; i++) {
    const b = inlineForm(rng, ARGS);
    assert.notEqual(b[0], 0x2a); // never starts with '*': the inline parser reads it
    if (b.length > 64 * 1024) sawTooBig = true;
    const n = td.decode(nested(rng, ARGS));
    assert.match(n, /^(\*1\r\n)+\*3\r\n/);
    const full = encodeRequest(ARGS);
    const cut = truncate(rng, full);
    assert.ok(cut.length < full.length);
    assert.deepEqual(cut, full.subarray(0, cut.length));
  }
  assert.ok(sawTooBig, "an inline line past PROTO_INLINE_MAX_SIZE comes up");
});

Deno.test("resp mutators: a seed gives the same mutations; nearly all change the request", () => {
  let invalid = 0;
  for (let i = 0; i < 300; i++) {
    const a = mutateRequest(new Prng(i), ARGS);
    const b = mutateRequest(new Prng(i), ARGS);
    assert.deepEqual(a, b);
    if (td.decode(a.bytes) !== td.decode(encodeRequest(ARGS))) invalid++;
  }
  assert.ok(invalid > 250, `only ${invalid} of 300 changed`);
});
