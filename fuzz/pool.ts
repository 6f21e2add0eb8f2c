/**
 * The session pool of a campaign: `concurrency` workers take the next inputs in index order,
 * one session (connection) each, until `end`, and stop early when `shouldStop` says so.
 * Reproducible whatever the timing: session boundaries depend on the seed and index only
 * (inputs.ts sessionSize); only which worker carries a session varies.
 */

export interface PoolOptions {
  from: number;
  end: number;
  concurrency: number;
  sizeAt: (index: number) => number;
  runSession: (indexes: number[]) => Promise<void>;
  /** Checked before each session is taken. */
  shouldStop?: () => boolean;
}

/** Runs sessions; returns the first index not taken. */
export async function runPool(o: PoolOptions): Promise<number> {
  let next = o.from;
  const worker = async () => {
    while (next < o.end && !(o.shouldStop?.() ?? false)) {
      const size = Math.min(o.sizeAt(next), o.end - next);
      const indexes: number[] = [];
      for (let i = 0; i < size; i++) indexes.push(next + i);
      next += size;
      await o.runSession(indexes);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return next;
}
