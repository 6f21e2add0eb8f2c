/**
 * LOLWUT against a real redis-server 7.0.15, RESP2 and RESP3: the version line, the VERSION
 * argument (parsed as a long, printed as an unsigned int), the errors, and Schotter's drawings
 * that involve no random numbers (at most two rows of squares: Redis turns and moves the squares
 * from the third row on) byte for byte, at sizes that exercise its float geometry and its limits.
 * The random drawings (Schotter's lower rows, the skyline) are compared by shape: line count, line
 * widths, the characters or colour escapes used, and the closing lines.
 */

import assert from "node:assert/strict";
import { type Cmd, cmdText, show, withNodeAndRedis, words } from "./compare.ts";
import type { RespClient } from "./harness.ts";
import type { RespValue } from "../protocol/resp_value.ts";

const EXACT: Cmd[] = [
  "LOLWUT",
  "lolwut foo bar",
  "LOLWUT VERSION",
  "LOLWUT VERSION 7",
  "LOLWUT VERSION 4",
  "LOLWUT VERSION -1",
  "LOLWUT VERSION abc",
  "LOLWUT VERSION 05",
  "LOLWUT VERSION 99999999999999999999",
  "LOLWUT VERSION 5 x",
  "LOLWUT VERSION 5 1 1.5",
  "LOLWUT VERSION 6 80 y",
  "LOLWUT VERSION 4294967301 1 1 1",
  "lolwut version 5 1 1 1",
  "LOLWUT VERSION 5 0 0 0",
  "LOLWUT VERSION 5 -5 -5 -5",
  "LOLWUT VERSION 5 2 1 1",
  "LOLWUT VERSION 5 3 1 1",
  "LOLWUT VERSION 5 7 3 1",
  "LOLWUT VERSION 5 10 2 2",
  "LOLWUT VERSION 5 33 5 2",
  "LOLWUT VERSION 5 66 8 2",
  "LOLWUT VERSION 5 66 7 2",
  "LOLWUT VERSION 5 41 9 2",
  "LOLWUT VERSION 5 100 13 2",
  "LOLWUT VERSION 5 5000 300 2",
  "LOLWUT VERSION 5 999 199 1",
  "LOLWUT VERSION 5 17 1 2 extra",
].map((l) => words(l));

async function both(a: RespClient, b: RespClient, c: Cmd): Promise<[string, string]> {
  return [show(await a.callRaw(...c)), show(await b.callRaw(...c))];
}

Deno.test("LOLWUT: the version line, VERSION, errors and Schotter without randomness, as redis-server (RESP2, RESP3)", async () => {
  await withNodeAndRedis(async (a, b) => {
    for (const proto of ["2", "3"]) {
      await a.callRaw("HELLO", proto);
      await b.callRaw("HELLO", proto);
      for (const c of EXACT) {
        const [ours, redis] = await both(a, b, c);
        assert.equal(ours, redis, `RESP${proto}: ${cmdText(c)}`);
      }
    }
  });
});

const dec = new TextDecoder();
function textOf(v: RespValue): string {
  if (v.type === "verbatim") return v.value;
  if (v.type === "bulk") return dec.decode(v.value);
  throw new Error(`not text: ${show(v)}`);
}

/** A drawing's shape: its lines' lengths in characters, with the closing text lines kept. */
function shape(text: string, closing: number, cell: RegExp): string[] {
  const lines = text.split("\n");
  const art = lines.slice(0, lines.length - closing);
  return [
    ...art.map((l) => {
      const cells = l.match(cell) ?? [];
      assert.equal(cells.join(""), l, `a line of other characters: ${JSON.stringify(l)}`);
      return String(cells.length);
    }),
    ...lines.slice(lines.length - closing),
  ];
}

const BRAILLE = /[\u2800-\u28ff]/gu;
const ESC = String.fromCharCode(27);
const COLOR_CELL = new RegExp(`${ESC}\\[0;(?:30;40|90;100|37;47|97;107)m ${ESC}\\[0m`, "g");

Deno.test("LOLWUT: Schotter's and the skyline's random drawings have redis-server's shape", async () => {
  await withNodeAndRedis(async (a, b) => {
    for (const proto of ["2", "3"]) {
      await a.callRaw("HELLO", proto);
      await b.callRaw("HELLO", proto);
      const cases: [string, number, RegExp][] = [
        ["LOLWUT VERSION 5", 3, BRAILLE],
        ["LOLWUT VERSION 5 40 5 9", 3, BRAILLE],
        ["LOLWUT VERSION 5 120 30 40", 3, BRAILLE],
        ["LOLWUT VERSION 6", 3, COLOR_CELL],
        ["LOLWUT VERSION 6 13 7", 3, COLOR_CELL],
        ["LOLWUT VERSION 6 1 1", 3, COLOR_CELL],
        ["LOLWUT VERSION 6 200 60", 3, COLOR_CELL],
      ];
      for (const [line, closing, cell] of cases) {
        const c = words(line);
        const ra = await a.callRaw(...c);
        const rb = await b.callRaw(...c);
        assert.equal(ra.type, rb.type, `RESP${proto}: ${line}`);
        assert.deepEqual(
          shape(textOf(ra), closing, cell),
          shape(textOf(rb), closing, cell),
          `RESP${proto}: ${line}`,
        );
      }
    }
  });
});
