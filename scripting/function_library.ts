/**
 * Function libraries (Redis 7.0's functions.c): the metadata line of a library's code, names,
 * and the registry of loaded libraries and their functions. Pure data; the Lua side lives in
 * script_engine.ts.
 */

import { latin1 } from "../protocol/bytes.ts";
import { type ScriptFlags } from "./shebang.ts";

export interface FunctionInfo {
  name: string;
  /** Registry reference of the Lua callback. */
  ref: number;
  description: string | null;
  flags: ScriptFlags;
  library: Library;
}

export interface Library {
  name: string;
  /** The whole code as loaded, metadata line included (FUNCTION LIST WITHCODE, DUMP). */
  code: Uint8Array;
  functions: Map<string, FunctionInfo>;
}

export interface LibraryMetadata {
  engine: string;
  name: string;
  /** Where the Lua code starts (the newline ending the metadata line stays: line numbers). */
  codeStart: number;
}

/** functionExtractLibMetaData: `#!<engine> name=<name>`. */
export function parseLibraryMetadata(code: Uint8Array): LibraryMetadata | { error: string } {
  if (code.length < 2 || code[0] !== 35 || code[1] !== 33) {
    return { error: "Missing library metadata" };
  }
  const nl = code.indexOf(10);
  if (nl === -1) return { error: "Invalid library metadata" };
  const parts = latin1(code.subarray(0, nl)).split(/[ \t\r\v\f]+/).filter((p) => p !== "");
  if (parts.length === 0) return { error: "Invalid library metadata" };
  const engine = parts[0].slice(2);
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() === "name=") {
      if (name !== null) {
        return { error: "Invalid metadata value, name argument was given multiple times" };
      }
      name = part.slice(5);
      continue;
    }
    return { error: `Invalid metadata value given: ${part}` };
  }
  if (name === null) return { error: "Library name was not given" };
  return { engine, name, codeStart: nl };
}

/** functionsVerifyName: letters, digits and underscores, at least one. */
export function validName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

export const NAME_ERROR =
  "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/** The loaded libraries; names are case-insensitive, as Redis's dictionaries of them. */
export class FunctionRegistry {
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, FunctionInfo>();

  getLibrary(name: string): Library | undefined {
    return this.libraries.get(name.toLowerCase());
  }

  getFunction(name: string): FunctionInfo | undefined {
    return this.functions.get(name.toLowerCase());
  }

  /** A function of `lib` already registered by another library, or null. */
  collision(lib: Library): string | null {
    for (const f of lib.functions.values()) {
      if (this.functions.has(f.name.toLowerCase())) return f.name;
    }
    return null;
  }

  link(lib: Library): void {
    this.libraries.set(lib.name.toLowerCase(), lib);
    for (const f of lib.functions.values()) this.functions.set(f.name.toLowerCase(), f);
  }

  unlink(lib: Library): void {
    this.libraries.delete(lib.name.toLowerCase());
    for (const f of lib.functions.values()) this.functions.delete(f.name.toLowerCase());
  }

  get functionCount(): number {
    return this.functions.size;
  }
}
