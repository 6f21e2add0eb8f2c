/**
 * `import()` of a module a node loads only when first needed (a command family, the cluster, the
 * Lua engine, TLS), hidden from Deno's start-up module graph.
 *
 * Deno builds the graph of every module a program could load before it runs it, following each
 * `import("./literal.ts")` too, and keeps the sources and analysis of them all in memory (and
 * resolves the npm packages they use): a lazily imported family cost the idle node its RSS all
 * the same. A specifier computed at run time is not followed, so such a module is fetched only
 * when it is imported. The caller names the module's type with `typeof import(...)`, a type-only
 * reference that `deno check` follows and `deno run` does not.
 */

/** Import `specifier` (a URL made with the caller's `import.meta.url`, or a bare npm name). */
export function importOnFirstUse<M>(specifier: URL | string): Promise<M> {
  return import(specifier instanceof URL ? specifier.href : specifier) as Promise<M>;
}
