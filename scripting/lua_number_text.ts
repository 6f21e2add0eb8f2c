/**
 * Numbers as text the way Redis's Lua 5.1 writes them, inside the Lua 5.4 VM itself.
 *
 * Lua 5.1 turns every number into text with "%.14g" (luaconf.h LUA_NUMBER_FMT): `'x' .. 10/2` is
 * "x5". Lua 5.4's tostringbuff (lobject.c) formats a float with the same "%.14g" and then appends
 * ".0" when the text "looks like an int":
 *
 * ```c
 * if (buff[strspn(buff, "-0123456789")] == '\0') {  // looks like an int?
 *   buff[len++] = lua_getlocaledecpoint();
 *   buff[len++] = '0';  // adds '.0' to result
 * }
 * ```
 *
 * so `'x' .. 10/2` is "x5.0", `string.len(10/2)` is 3 (not 1), and so goes every conversion the
 * VM's C code makes by itself (concatenation, string functions given a number, lua_tolstring). The prelude's `tostring`, `string.format` and `table.concat`
 * print as 5.1 does already, but `..` is an instruction of the VM, out of the prelude's reach.
 *
 * The character set "-0123456789" is a string constant in the module's data segment (the only
 * copy: the linker merged "0123456789", used elsewhere, into its tail). Making its first byte the
 * terminator empties the set: strspn returns 0, `buff[0]` is never the terminator of a formatted
 * number, and no ".0" is appended. The tail "0123456789" is left as it was.
 *
 * Integers (a 5.4 subtype 5.1 does not have) still print with every digit: `'x' .. 10^14` is
 * "x1e+14" as in 5.1, but `'x' .. 100000000000000` (an integer literal) is "x100000000000000"
 * where 5.1 prints "x1e+14"; only integers of 15 digits or more differ.
 */

/** The set's bytes in the module, with the terminators before and after it. */
const LOOKS_LIKE_AN_INT_SET = new TextEncoder().encode("\0-0123456789\0");

/**
 * `wasm` (wasmoon's Lua 5.4 module) with tostringbuff's "looks like an int" set emptied; null if
 * the module does not hold the set exactly once (another build: nothing is patched).
 */
export function withLua51NumberText(wasm: Uint8Array): Uint8Array | null {
  const at = findOnly(wasm, LOOKS_LIKE_AN_INT_SET);
  if (at < 0) return null;
  const patched = wasm.slice();
  patched[at + 1] = 0; // the set's '-' becomes its terminator
  return patched;
}

/** Where `needle` starts in `haystack` if it occurs there exactly once, else -1. */
function findOnly(haystack: Uint8Array, needle: Uint8Array): number {
  let found = -1;
  const first = needle[0];
  const last = haystack.length - needle.length;
  outer: for (
    let i = haystack.indexOf(first);
    i >= 0 && i <= last;
    i = haystack.indexOf(first, i + 1)
  ) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    if (found >= 0) return -1;
    found = i;
  }
  return found;
}
