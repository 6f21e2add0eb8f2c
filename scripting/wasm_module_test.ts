import assert from "node:assert/strict";
import {
  dataAddress,
  exportedFunctionBody,
  findOnly,
  functionBodies,
  sections,
  sleb,
  uleb,
  withFunctionBodies,
} from "./wasm_module.ts";
import { fixtureModule } from "./wasm_module_test_fixture.ts";

const te = new TextEncoder();

const MODULE = {
  imports: ["f", "g"],
  functions: [
    { code: [0x00, 0x0b] },
    { code: [0x00, 0x41, 0x05, 0x1a, 0x0b], exportAs: "five" },
    { code: [0x00, 0x01, 0x0b], exportAs: "nop" },
  ],
  data: [{ base: 1024, text: "\0%lld\0" }, { base: 300, text: "ab\0%.14g\0" }],
};

Deno.test("LEB128 as the format writes it", () => {
  assert.deepEqual(uleb(0), [0]);
  assert.deepEqual(uleb(127), [0x7f]);
  assert.deepEqual(uleb(128), [0x80, 0x01]);
  assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(sleb(6219), [0xcb, 0x30]);
  assert.deepEqual(sleb(63), [0x3f]);
  assert.deepEqual(sleb(64), [0xc0, 0x00]);
  assert.deepEqual(sleb(-1), [0x7f]);
  assert.deepEqual(sleb(-123456), [0xc0, 0xbb, 0x78]);
});

Deno.test("sections, function bodies past the imported functions, exports, data addresses", () => {
  const wasm = fixtureModule(MODULE);
  assert.deepEqual(sections(wasm)?.map((s) => s.id), [1, 2, 3, 7, 10, 11]);
  const bodies = functionBodies(wasm)!;
  assert.deepEqual(bodies.map((b) => b.index), [2, 3, 4]);
  const five = exportedFunctionBody(wasm, "five")!;
  assert.equal(five.index, 3);
  assert.deepEqual([...wasm.subarray(five.start, five.end)], [0x00, 0x41, 0x05, 0x1a, 0x0b]);
  assert.equal(exportedFunctionBody(wasm, "none"), null);
  assert.equal(dataAddress(wasm, te.encode("\0%lld\0")), 1024);
  assert.equal(dataAddress(wasm, te.encode("%.14g")), 303);
  assert.equal(dataAddress(wasm, te.encode("%q")), null);
  // Twice (once in each segment): no address.
  assert.equal(dataAddress(wasm, te.encode("\0%")), null);
});

Deno.test("a module cut short or not a module: null, never a partial answer", () => {
  const wasm = fixtureModule(MODULE);
  // Anywhere inside the last section (a cut between sections leaves a shorter module).
  const last = sections(wasm)!.at(-1)!;
  for (let cut = 1; cut < wasm.length - last.at; cut++) {
    const part = wasm.subarray(0, wasm.length - cut);
    assert.equal(sections(part), null);
    assert.equal(functionBodies(part), null);
    assert.equal(exportedFunctionBody(part, "five"), null);
    assert.equal(dataAddress(part, te.encode("%.14g")), null);
    assert.equal(withFunctionBodies(part, new Map()), null);
  }
  assert.equal(sections(te.encode("not a module")), null);
});

Deno.test("bodies replaced, longer and shorter: the sizes are encoded again, the rest as it was", () => {
  const wasm = fixtureModule(MODULE);
  const long = Array.from({ length: 200 }, () => 0x01);
  const out = withFunctionBodies(
    wasm,
    new Map([[2, Uint8Array.from([0x00, ...long, 0x0b])], [4, Uint8Array.of(0x00, 0x0b)]]),
  )!;
  const want = fixtureModule({
    ...MODULE,
    functions: [
      { code: [0x00, ...long, 0x0b] },
      MODULE.functions[1],
      { code: [0x00, 0x0b], exportAs: "nop" },
    ],
  });
  assert.deepEqual([...out], [...want]);
  assert.deepEqual([...withFunctionBodies(wasm, new Map())!], [...wasm]);
});

Deno.test("findOnly tells once, never and more than once apart", () => {
  const hay = te.encode("abcabd");
  assert.equal(findOnly(hay, te.encode("abd"), 0, hay.length), 3);
  assert.equal(findOnly(hay, te.encode("ab"), 0, hay.length), -2);
  assert.equal(findOnly(hay, te.encode("ab"), 1, hay.length), 3);
  assert.equal(findOnly(hay, te.encode("abd"), 0, 5), -1);
});
