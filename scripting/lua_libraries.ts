/**
 * The libraries Redis's Lua offers besides the standard ones, each a Lua chunk returning its
 * table: cjson (called with the light userdata that is cjson.null), cmsgpack, struct, bit.
 */

import { CJSON_LUA } from "./lua_lib_cjson.ts";
import { CMSGPACK_LUA } from "./lua_lib_cmsgpack.ts";
import { STRUCT_LUA } from "./lua_lib_struct.ts";
import { BIT_LUA } from "./lua_lib_bit.ts";

export interface LuaLibrary {
  name: string;
  source: string;
  /** Called with one argument, a light userdata (cjson.null). */
  withNull: boolean;
}

export const LUA_LIBRARIES: LuaLibrary[] = [
  { name: "cjson", source: CJSON_LUA, withNull: true },
  { name: "cmsgpack", source: CMSGPACK_LUA, withNull: false },
  { name: "struct", source: STRUCT_LUA, withNull: false },
  { name: "bit", source: BIT_LUA, withNull: false },
];
