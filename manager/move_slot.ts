/**
 * Moving one hash slot with its keys, in redis-cli's order (redis-cli.c clusterManagerMoveSlot):
 * target SETSLOT IMPORTING source; source SETSLOT MIGRATING target; GETKEYSINSLOT + MIGRATE
 * ... KEYS in batches until the slot is empty; then SETSLOT NODE target on the target, the
 * source (its "Please use SETSLOT only with masters." is accepted) and every other master.
 */

import { type ClusterNode, ManagerError } from "./topology.ts";
import { type Arg, replyBytesArray, ReplyError, replyStrings } from "./client.ts";

export interface MoveOptions {
  /** Keys per GETKEYSINSLOT/MIGRATE batch (redis-cli's --cluster-pipeline, default 10). */
  pipeline: number;
  /** MIGRATE timeout (redis-cli's --cluster-timeout, default 60000 ms). */
  timeoutMs: number;
  /** MIGRATE with REPLACE from the start. */
  replace: boolean;
  /** Called after each batch with the number of keys moved. */
  onKeys?: (n: number) => void;
}

async function setSlot(node: ClusterNode, slot: number, action: string, id: string): Promise<void> {
  const r = await node.client.send(["CLUSTER", "SETSLOT", slot, action, id]);
  if (r.type === "error") {
    throw new ManagerError(
      `[ERR] Calling CLUSTER SETSLOT ${slot} ${action} ${id} on ${node.addr}: ${r.value}`,
    );
  }
}

/** Are all of these keys' values identical on both nodes (DEBUG DIGEST-VALUE)? */
async function sameValues(
  source: ClusterNode,
  target: ClusterNode,
  keys: Uint8Array[],
): Promise<boolean> {
  try {
    const a = replyStrings(await source.client.send(["DEBUG", "DIGEST-VALUE", ...keys]));
    const b = replyStrings(await target.client.send(["DEBUG", "DIGEST-VALUE", ...keys]));
    return a.length === b.length && a.every((d, i) => d === b[i]);
  } catch {
    return false;
  }
}

/** Move the keys of `slot` from source to target; returns how many keys moved. */
export async function migrateKeysInSlot(
  source: ClusterNode,
  target: ClusterNode,
  slot: number,
  opts: MoveOptions,
): Promise<number> {
  let moved = 0;
  for (;;) {
    const keys = replyBytesArray(
      await source.client.call("CLUSTER", "GETKEYSINSLOT", slot, opts.pipeline),
    );
    if (keys.length === 0) return moved;
    const migrate = (replace: boolean): Arg[] => [
      "MIGRATE",
      target.host,
      target.port,
      "",
      0,
      opts.timeoutMs,
      ...(replace ? ["REPLACE"] : []),
      "KEYS",
      ...keys,
    ];
    // The MIGRATE itself may take up to its own timeout: wait a little longer for the reply.
    let r = await source.client.send(migrate(opts.replace), opts.timeoutMs + 10_000);
    if (r.type === "error" && r.value.includes("BUSYKEY") && !opts.replace) {
      if (await sameValues(source, target, keys)) {
        r = await source.client.send(migrate(true), opts.timeoutMs + 10_000);
      } else {
        throw new ManagerError(
          `[ERR] Calling MIGRATE on ${source.addr} for slot ${slot}: ${r.value}\n` +
            "*** Target key exists with a different value; use --replace to overwrite it.",
        );
      }
    }
    if (r.type === "error") {
      throw new ManagerError(
        `[ERR] Calling MIGRATE on ${source.addr} for slot ${slot}: ${r.value}`,
      );
    }
    moved += keys.length;
    opts.onKeys?.(keys.length);
  }
}

/** The full per-slot sequence. `allMasters` are told the new owner at the end. */
export async function moveSlot(
  source: ClusterNode,
  target: ClusterNode,
  slot: number,
  allMasters: readonly ClusterNode[],
  opts: MoveOptions,
): Promise<number> {
  if (source === target) {
    throw new ManagerError(`cannot move slot ${slot} to the node that owns it`);
  }
  await setSlot(target, slot, "IMPORTING", source.id);
  await setSlot(source, slot, "MIGRATING", target.id);
  const moved = await migrateKeysInSlot(source, target, slot, opts);
  // The target first: it bumps its epoch and owns the slot before anyone else is told. The
  // source may answer "Please use SETSLOT only with masters." once it gave away its last slot
  // (it turned into a replica of the target), and so may a master that did so earlier.
  await setSlot(target, slot, "NODE", target.id);
  const others = new Set([source, ...allMasters]);
  others.delete(target);
  await Promise.all([...others].map(async (m) => {
    const r = await m.client.send(["CLUSTER", "SETSLOT", slot, "NODE", target.id]);
    if (r.type === "error" && !r.value.startsWith("ERR Please use SETSLOT only with masters")) {
      throw new ManagerError(
        `[ERR] Calling CLUSTER SETSLOT ${slot} NODE ${target.id} on ${m.addr}: ${r.value}`,
      );
    }
  }));
  const si = source.slots.indexOf(slot);
  if (si >= 0) source.slots.splice(si, 1);
  if (!target.slots.includes(slot)) target.slots.push(slot);
  return moved;
}

export { ReplyError };
