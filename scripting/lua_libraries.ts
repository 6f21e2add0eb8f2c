/**
 * The libraries Redis's Lua offers besides the standard ones, each a Lua chunk returning its
 * table: cjson (called with the light userdata that is cjson.null), and cmsgpack, struct and bit
 * (called with the table of C51_LUA, the helpers they share).
 */

import { CJSON_LUA } from "./lua_lib_cjson.ts";
import { CMSGPACK_LUA } from "./lua_lib_cmsgpack.ts";
import { STRUCT_LUA } from "./lua_lib_struct.ts";
import { BIT_LUA } from "./lua_lib_bit.ts";

export { C51_LUA } from "./lua_lib_c51.ts";

export interface LuaLibrary {
  name: string;
  source: string;
  /** The chunk's argument: cjson.null (a light userdata), or the C51_LUA table. */
  arg: "null" | "c51";
}

export const LUA_LIBRARIES: LuaLibrary[] = [
  { name: "cjson", source: CJSON_LUA, arg: "null" },
  { name: "cmsgpack", source: CMSGPACK_LUA, arg: "c51" },
  { name: "struct", source: STRUCT_LUA, arg: "c51" },
  { name: "bit", source: BIT_LUA, arg: "c51" },
];
