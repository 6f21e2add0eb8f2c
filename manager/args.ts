/**
 * Subcommand argument parsing: positionals and `--option [value]` (also `--option=value`, and
 * redis-cli's spellings with a `cluster-` prefix, e.g. `--cluster-replicas 1`). Pure.
 */

export type OptionKind = "flag" | "value" | "multi";

export interface ParsedArgs {
  positionals: string[];
  flags: Set<string>;
  values: Map<string, string>;
  multi: Map<string, string[]>;
}

export class UsageError extends Error {
  override name = "UsageError";
}

export function parseArgs(
  argv: readonly string[],
  spec: Readonly<Record<string, OptionKind>>,
): ParsedArgs {
  const out: ParsedArgs = {
    positionals: [],
    flags: new Set(),
    values: new Map(),
    multi: new Map(),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--") || a === "--") {
      out.positionals.push(a);
      continue;
    }
    let name = a.slice(2);
    let inline: string | null = null;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (!(name in spec) && name.startsWith("cluster-")) name = name.slice(8);
    if (name === "slave" && "replica" in spec) name = "replica";
    if (!(name in spec)) throw new UsageError(`Unknown option '${a}'`);
    const kind = spec[name];
    if (kind === undefined) throw new UsageError(`Unknown option '${a}'`);
    if (kind === "flag") {
      if (inline !== null) throw new UsageError(`Option '--${name}' takes no value`);
      out.flags.add(name);
      continue;
    }
    let value = inline;
    if (value === null) {
      if (i + 1 >= argv.length) throw new UsageError(`Option '--${name}' needs a value`);
      value = argv[++i];
    }
    if (kind === "value") out.values.set(name, value);
    else {
      const list = out.multi.get(name) ?? [];
      list.push(value);
      out.multi.set(name, list);
    }
  }
  return out;
}

/** An integer option in [min, max], or the default. */
export function intOption(
  p: ParsedArgs,
  name: string,
  def: number,
  min: number,
  max: number,
): number {
  const v = p.values.get(name);
  if (v === undefined) return def;
  if (!/^-?[0-9]+$/.test(v)) {
    throw new UsageError(`Option '--${name}' must be an integer, got '${v}'`);
  }
  const n = Number(v);
  if (n < min || n > max) {
    throw new UsageError(`Option '--${name}' must be between ${min} and ${max}, got ${n}`);
  }
  return n;
}

/** A number option (may be fractional) >= min, or the default. */
export function numberOption(p: ParsedArgs, name: string, def: number, min: number): number {
  const v = p.values.get(name);
  if (v === undefined) return def;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < min) {
    throw new UsageError(`Option '--${name}' must be a number >= ${min}, got '${v}'`);
  }
  return n;
}
