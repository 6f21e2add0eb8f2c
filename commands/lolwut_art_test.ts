import assert from "node:assert/strict";
import { drawSchotter, drawSkyline, RAND_MAX, renderBraille, renderColors } from "./lolwut_art.ts";

/** A seeded rand() (an LCG's top 31 bits). */
function seeded(seed: number): () => number {
  let s = BigInt(seed);
  return () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number(s >> 33n) & RAND_MAX;
  };
}

Deno.test("Schotter: a seed reproduces the drawing; the first two rows take no random numbers", () => {
  const a = renderBraille(drawSchotter(66, 8, 12, seeded(1)));
  assert.equal(a, renderBraille(drawSchotter(66, 8, 12, seeded(1))));
  assert.notEqual(a, renderBraille(drawSchotter(66, 8, 12, seeded(2))));
  let calls = 0;
  const counting = () => {
    calls++;
    return 0;
  };
  drawSchotter(66, 8, 2, counting);
  assert.equal(calls, 0);
  // Six calls a square from the third row on: three shifts and three signs.
  drawSchotter(66, 8, 3, counting);
  assert.equal(calls, 8 * 6);
  // 66 columns of 2 pixels, 8 squares: 128 / 8 = 16-pixel sides; 12 rows: 196 pixel rows, 49
  // lines of 4, each ended by a newline (Redis's renderCanvas ends a line unless y is the last
  // pixel row, which a line's first row never is here).
  const lines = a.split("\n");
  assert.equal(lines.length, 50);
  assert.equal(lines.pop(), "");
  assert.ok(lines.every((l) => l.length === 66));
});

Deno.test("skyline: white sky on top, buildings from the bottom, only the four colours", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const c = drawSkyline(80, 20, seeded(seed));
    for (let x = 0; x < 80; x++) assert.equal(c.get(x, 0), 3, `seed ${seed}: sky at ${x}`);
    assert.ok([...c.pixels].every((p) => p <= 3));
    const ground = [...c.pixels.subarray(19 * 80)].filter((p) => p !== 3).length;
    assert.ok(ground > 40, `seed ${seed}: ${ground} building pixels on the ground`);
    const text = renderColors(c);
    assert.equal(text.split("\n").length, 20);
    assert.equal(text, renderColors(drawSkyline(80, 20, seeded(seed))));
  }
});
