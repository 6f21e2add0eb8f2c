/**
 * The V8 flag to start a node with where memory counts: `deno run -A
 * --v8-flags=--max-semi-space-size=2 cli.ts ...` (README). A node started as `deno run -A cli.ts`
 * works the same, with more memory held right after heavy writes, and its writes cost less CPU
 * (fewer young-generation collections). `deno task bench --mode memory` measures the plain node,
 * and a node started with the flag beside it.
 *
 * Why: V8's young generation is two semi-spaces that start at 1 MiB and double each time the
 * bytes surviving its collections since the last doubling exceed its size (heap.cc
 * ShouldResizeNewSpace). A node keeps what it is sent, so after ~32 MiB of writes the young
 * generation reaches V8's default maximum, 2 x 32 MiB, and keeps that memory until V8's memory
 * reducer runs some 8-20 s after the node goes quiet. `deno task bench --mode memory`, right
 * after loading 100,000 hashes of 10 fields: 64 MiB of the 147 MiB of RSS growth (~650 B a key
 * of ~1,500, Redis needing 338) was the young generation holding ~1 MiB of live objects.
 * Capped at 2 MiB a semi-space it holds 4 MiB; the writes' short-lived garbage (argument views,
 * replies) still dies young, since a pipelined batch's requests live for well under a
 * collection's worth of allocation.
 *
 * The flag has to be on the command line (or in DENO_V8_FLAGS): V8 sizes its heap when the
 * isolate is made, and `node:v8` setFlagsFromString("--max-semi-space-size=2") at run time is
 * accepted and ignored (measured on Deno 2.9.6 / V8 15.0: the young generation still grew to
 * 64 MiB; so did --semi-space-growth-factor=1).
 */

/** Largest semi-space, MiB (V8 default on 64-bit: 32). */
export const NODE_MAX_SEMI_SPACE_MIB = 2;

/** The `--v8-flags=...` argument of `deno run` for a node. */
export const NODE_V8_FLAGS_ARG = `--v8-flags=--max-semi-space-size=${NODE_MAX_SEMI_SPACE_MIB}`;
