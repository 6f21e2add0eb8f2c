/**
 * A simulated disk for one node's nodes.conf, with the two kinds of crash a real node meets:
 *
 * - a *process* crash (kill -9): everything written survives (it is in the page cache);
 * - a *power* loss: a write that was not fsynced is either there or gone (the kernel may or may
 *   not have flushed it), chosen by the seeded PRNG. The save is a temp file + rename, so a file
 *   is never torn: it is one whole version or the previous one.
 *
 * `freeze()` models the moment of death: writes after it (the SHUTDOWN save of a node being torn
 * down) never reach the disk.
 *
 * A *lying* disk acknowledges fsync without making anything durable (a volatile write cache):
 * the simulator's own check that its safety monitor notices lost votes.
 */

import type { Prng } from "../cluster/prng.ts";

/** A file's content, or what makes it when it is read (a save of a large view costs only then). */
export type DiskContent = string | (() => string);

function text(c: DiskContent | null): string | null {
  return typeof c === "function" ? c() : c;
}

export class SimDisk {
  /** What a power loss cannot take away. */
  private synced: DiskContent | null = null;
  /** Unsynced versions written after `synced`, oldest first (bounded: only the last counts). */
  private pending: DiskContent | null = null;
  private frozen = false;
  /** Writes accepted, fsynced writes, writes refused while frozen. */
  readonly stats = { writes: 0, fsyncs: 0, refused: 0 };

  constructor(private readonly lies = false) {}

  /** The file as it is when the node is installed (durable on any disk). */
  install(content: string): void {
    this.synced = content;
    this.pending = null;
  }

  /** The content a reader sees now (page cache included), or null when never written. */
  read(): string | null {
    return text(this.pending ?? this.synced);
  }

  /** The content a power loss cannot take away (what was last fsynced). */
  durable(): string | null {
    return text(this.synced);
  }

  /** An atomic replace (temp + rename), made durable when `fsync`. False once frozen. */
  write(content: DiskContent, fsync: boolean): boolean {
    if (this.frozen) {
      this.stats.refused++;
      return false;
    }
    this.stats.writes++;
    if (fsync && !this.lies) {
      this.stats.fsyncs++;
      this.synced = content;
      this.pending = null;
    } else {
      this.pending = content;
    }
    return true;
  }

  /** The process died: nothing more is written; what was written stays. */
  freeze(): void {
    this.frozen = true;
  }

  /** The machine lost power: the unsynced version survives or not. Implies `freeze`. */
  powerLoss(rng: Prng): void {
    this.frozen = true;
    if (this.pending !== null && !rng.chance(0.5)) this.pending = null;
  }

  /** The node starts again on this disk. */
  thaw(): void {
    this.frozen = false;
  }
}
