/**
 * Input number `index` of a run, for each port (pure): a function of the seed, the index and,
 * for the bus, the node names and ports of the moment, so any input can be rebuilt alone.
 *
 * Client port: random bytes (30%), a real command with random arguments mutated in its RESP
 * structure (40%), or sent well formed (30%).
 * Bus port: random bytes with or without the signature (20%), a valid frame with field
 * mutations (40%), truncated (10%), with byte havoc (10%), or well formed (20%).
 */

import { buildFrame, type BusFuzzContext, randomMessage, randomNodeId } from "./bus_frames.ts";
import { havocFrame, mutateFrame, randomBusInput, truncateFrame } from "./bus_mutate.ts";
import { randomCommand } from "./command_gen.ts";
import { inputRng } from "./gen.ts";
import { encodeRequest, mutateRequest, randomInput } from "./resp_mutate.ts";

export interface FuzzInput {
  bytes: Uint8Array;
  /** What kind of input it is (for crash reports). */
  how: string;
}

export function clientInput(seed: number, index: number): FuzzInput {
  const rng = inputRng(seed, "client", index);
  const r = rng.int(10);
  if (r < 3) return { bytes: randomInput(rng, 600), how: "random" };
  const args = randomCommand(rng);
  const name = new TextDecoder().decode(args[0]);
  if (r < 7) {
    const m = mutateRequest(rng, args);
    return { bytes: m.bytes, how: `${name}:${m.how}` };
  }
  return { bytes: encodeRequest(args), how: `${name}:valid` };
}

/**
 * `sender`: "unknown" (a fresh random name) or "known" (ctx.knownIds[0], a node that completed a
 * handshake with the target).
 */
export function busInput(
  seed: number,
  index: number,
  ctx: BusFuzzContext,
  sender: "unknown" | "known",
): FuzzInput {
  const rng = inputRng(seed, "bus", index);
  const r = rng.int(10);
  if (r < 2) return { bytes: randomBusInput(rng), how: "random" };
  const name = sender === "known" ? ctx.knownIds[0] : randomNodeId(rng);
  const msg = randomMessage(rng, name, ctx);
  const frame = buildFrame(msg);
  if (r < 6) {
    const m = mutateFrame(rng, frame);
    return { bytes: m.bytes, how: `${msg.type}:${m.how}` };
  }
  if (r < 7) return { bytes: truncateFrame(rng, frame.bytes), how: `${msg.type}:truncate` };
  if (r < 8) return { bytes: havocFrame(rng, frame.bytes), how: `${msg.type}:havoc` };
  return { bytes: frame.bytes, how: `${msg.type}:valid` };
}

/** Inputs per session (connection) from index `index`: 1-8, a function of the seed and index. */
export function sessionSize(seed: number, stream: "client" | "bus", index: number): number {
  return 1 + (inputRng(seed ^ 0x5bd1e995, stream, index).int(8));
}

/**
 * The bytes of a session's inputs, well-formed ones first and the ones that end a connection
 * (random bytes, truncations) last, so that an early protocol error, after which a node closes
 * the connection, does not keep the later inputs from being read.
 */
export function inSessionOrder(inputs: readonly FuzzInput[]): Uint8Array[] {
  const rank = (how: string) =>
    how.endsWith(":valid") ? 0 : how === "random" || how.endsWith("truncate") ? 2 : 1;
  return inputs.map((inp, i) => ({ inp, i }))
    .sort((x, y) => rank(x.inp.how) - rank(y.inp.how) || x.i - y.i)
    .map((e) => e.inp.bytes);
}
