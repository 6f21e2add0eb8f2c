/**
 * Text the manager prints, in redis-cli --cluster's shapes: slot lists ("[0-5460],[5462]"),
 * node summaries ("M: id ip:port / slots:... (N slots) master"), the info line per master,
 * and log lines with an optional colour (only on a terminal).
 */

import { CLUSTER_SLOTS } from "../protocol/slot.ts";

/** "[0-5460],[5462],[6000-6001]" from a sorted or unsorted list of slots. */
export function slotsString(slots: Iterable<number>): string {
  const owned = new Uint8Array(CLUSTER_SLOTS);
  for (const s of slots) owned[s] = 1;
  const parts: string[] = [];
  let first = -1;
  for (let i = 0; i <= CLUSTER_SLOTS; i++) {
    const has = i < CLUSTER_SLOTS && owned[i] === 1;
    if (has && first < 0) first = i;
    if (!has && first >= 0) {
      parts.push(first === i - 1 ? `[${first}]` : `[${first}-${i - 1}]`);
      first = -1;
    }
  }
  return parts.join(",");
}

/** Compact ranges "0-5460 5462" (CLUSTER NODES style), for plans and messages. */
export function slotRanges(slots: readonly number[]): [number, number][] {
  const sorted = [...slots].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === s - 1) last[1] = s;
    else if (last === undefined || last[1] !== s) out.push([s, s]);
  }
  return out;
}

/** Each run of slots as text: "0-5", "9", "12-13" (see slotRanges). */
export function slotRangeTexts(slots: readonly number[]): string[] {
  return slotRanges(slots).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
}

export interface NodeSummary {
  id: string;
  addr: string;
  replica: boolean;
  /** Master ID for a replica (planned or actual). */
  replicate: string | null;
  slots: readonly number[];
  replicasCount: number;
}

/**
 * redis-cli's clusterManagerNodeInfo. `planned` replicas (create's plan) print only the
 * "S: id addr / replicates id" form.
 */
export function nodeInfo(n: NodeSummary, indent = 0, planned = false): string {
  const sp = " ".repeat(indent);
  let out = sp;
  if (planned && n.replicate !== null) {
    out += `S: ${n.id} ${n.addr}`;
  } else {
    out += `${n.replica ? "S" : "M"}: ${n.id} ${n.addr}\n` +
      `${sp}   slots:${slotsString(n.slots)} (${n.slots.length} slots) ${
        n.replica ? "slave" : "master"
      }`;
  }
  if (n.replicate !== null) out += `\n${sp}   replicates ${n.replicate}`;
  else if (n.replicasCount > 0) out += `\n${sp}   ${n.replicasCount} additional replica(s)`;
  return out;
}

/** "127.0.0.1:7000 (8f9abb18...) -> 19 keys | 5461 slots | 1 slaves." */
export function infoLine(
  addr: string,
  id: string,
  keys: number,
  slots: number,
  replicas: number,
): string {
  return `${addr} (${id.slice(0, 8)}...) -> ${keys} keys | ${slots} slots | ${replicas} slaves.`;
}

export type Level = "info" | "ok" | "warn" | "err" | "plain";

const COLOURS: Record<Level, string> = {
  info: "\x1b[29;1m",
  ok: "\x1b[32;1m",
  warn: "\x1b[33;1m",
  err: "\x1b[31;1m",
  plain: "",
};

/** Where the manager writes; `colour` only when stdout is a terminal (and NO_COLOR unset). */
export interface Out {
  line(text: string, level?: Level): void;
  /** Write without a newline (prompts, dots). */
  write(text: string): void;
  readonly tty: boolean;
}

const enc = new TextEncoder();

function writeAll(text: string): void {
  const b = enc.encode(text);
  let off = 0;
  while (off < b.length) off += Deno.stdout.writeSync(b.subarray(off));
}

export function stdoutOut(): Out {
  const tty = Deno.stdout.isTerminal();
  const colour = tty && !Deno.env.get("NO_COLOR");
  return {
    tty,
    line(text: string, level: Level = "plain") {
      if (colour && level !== "plain") writeAll(`${COLOURS[level]}${text}\x1b[0m\n`);
      else writeAll(`${text}\n`);
    },
    write: writeAll,
  };
}

/** An Out that records lines (for unit tests of printing code). */
export function memoryOut(): Out & { text(): string } {
  const parts: string[] = [];
  return {
    tty: false,
    line(text: string) {
      parts.push(`${text}\n`);
    },
    write(text: string) {
      parts.push(text);
    },
    text: () => parts.join(""),
  };
}

/** An Out that records lines with their levels, to replay later into another Out. */
export function bufferedOut(tty: boolean): Out & { replay(to: Out): void } {
  const items: { text: string; level: Level | null }[] = [];
  return {
    tty,
    line(text: string, level: Level = "plain") {
      items.push({ text, level });
    },
    write(text: string) {
      items.push({ text, level: null });
    },
    replay(to: Out) {
      for (const it of items) {
        if (it.level === null) to.write(it.text);
        else to.line(it.text, it.level);
      }
    },
  };
}
