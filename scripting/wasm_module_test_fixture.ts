/**
 * Test fixture (wasm_module_test.ts, lua_module_patch_test.ts): small modules laid out as the
 * binary format says (not modules that would validate: the bodies are any bytes given).
 */

import { sleb, uleb } from "./wasm_module.ts";

export interface FixtureModule {
  /** Names of imported functions (module "env"); an imported memory with a maximum follows. */
  imports: string[];
  /** The module's own functions: their body bytes, and the name each is exported as. */
  functions: { code: number[]; exportAs?: string }[];
  /** Active data segments: a base address and the text there. */
  data: { base: number; text: string }[];
}

const te = new TextEncoder();

function name(s: string): number[] {
  return [...uleb(te.encode(s).length), ...te.encode(s)];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

export function fixtureModule(m: FixtureModule): Uint8Array {
  const imports = [
    ...uleb(m.imports.length + 1),
    ...m.imports.flatMap((f) => [...name("env"), ...name(f), 0, 0]),
    ...[...name("env"), ...name("memory"), 2, 1, 1, 2],
  ];
  const exported = m.functions.flatMap((f, i) =>
    f.exportAs === undefined ? [] : [[...name(f.exportAs), 0, ...uleb(m.imports.length + i)]]
  );
  const exports = [...uleb(exported.length), ...exported.flat()];
  const types = [1, 0x60, 0, 0];
  const functions = [...uleb(m.functions.length), ...m.functions.map(() => 0)];
  const code = [
    ...uleb(m.functions.length),
    ...m.functions.flatMap((f) => [...uleb(f.code.length), ...f.code]),
  ];
  const data = [
    ...uleb(m.data.length),
    ...m.data.flatMap((d) => [
      0,
      0x41,
      ...sleb(d.base),
      0x0b,
      ...uleb(te.encode(d.text).length),
      ...te.encode(d.text),
    ]),
  ];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, types),
    ...section(2, imports),
    ...section(3, functions),
    ...section(7, exports),
    ...section(10, code),
    ...section(11, data),
  ]);
}
