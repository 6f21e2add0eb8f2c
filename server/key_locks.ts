/**
 * Write locks on keys while MIGRATE moves them (commands/migrate.ts).
 *
 * Redis's MIGRATE blocks the whole server between serializing the keys and deleting them, so no
 * command can change a key in flight. Our MIGRATE waits for the target asynchronously (other
 * clients keep being served), so instead it locks just the keys of its batch: the dispatcher
 * (server/dispatch.ts) makes a write command, or an EXEC with a queued write, that touches a
 * locked key wait until the batch is done and then dispatches it again from the start (so it is
 * routed again: in cluster mode a key that has moved away now gets ASK). Reads are served at once:
 * the source still holds the value until the target has acknowledged it.
 *
 * Keys are binary strings (one char per byte). A key may be locked by several holders (counted).
 * Waiters are bounded by the number of clients (one waiting command per client).
 */

import type { CommandDef } from "../commands/command_def.ts";
import type { QueuedCommand } from "./client.ts";
import { latin1 } from "../protocol/bytes.ts";

export class KeyLocks {
  private readonly locked = new Map<string, number>();
  private waiters: (() => void)[] = [];

  /** Number of distinct locked keys (0 on the hot path: one comparison). */
  get size(): number {
    return this.locked.size;
  }

  isLocked(key: string): boolean {
    return this.locked.has(key);
  }

  lock(keys: Iterable<string>): void {
    for (const k of keys) this.locked.set(k, (this.locked.get(k) ?? 0) + 1);
  }

  /** Release keys taken with `lock`; wakes every waiter (each re-checks its own keys). */
  unlock(keys: Iterable<string>): void {
    for (const k of keys) {
      const n = this.locked.get(k);
      if (n === undefined) throw new Error(`KeyLocks.unlock: ${k} is not locked`);
      if (n === 1) this.locked.delete(k);
      else this.locked.set(k, n - 1);
    }
    if (this.waiters.length === 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  }

  /** Resolves at the next unlock. */
  wait(): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.waiters.push(resolve);
    return promise;
  }

  /**
   * Whether running these commands now would write a locked key. `keyIndices` is the
   * dispatcher's key extraction (legacy key spec or the command's getKeys).
   */
  blocks(
    cmds: readonly QueuedCommand[],
    keyIndices: (def: CommandDef, argv: Uint8Array[]) => number[],
  ): boolean {
    for (let i = 0; i < cmds.length; i++) {
      const { def, argv } = cmds[i];
      if (!def.flags.includes("write")) continue;
      const positions = keyIndices(def, argv);
      for (let j = 0; j < positions.length; j++) {
        if (this.locked.has(latin1(argv[positions[j]]))) return true;
      }
    }
    return false;
  }
}
