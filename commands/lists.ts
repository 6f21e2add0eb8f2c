/** PLACEHOLDER: filled in by the work on this command family. */
import type { CommandDef } from "./types.ts";

export const listCommands: CommandDef[] = [];
