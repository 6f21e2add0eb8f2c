/**
 * Loading an RDB file into the keyspace at start-up without shutting clients out (Redis's
 * rdbLoad with processEventsWhileBlocked): keys go in by slices of at most LOAD_SLICE_MS, and
 * between slices the event loop runs, so clients get `-LOADING` (server/dispatch.ts) and the
 * cluster bus keeps talking. `key-load-delay` (µs per key, a Redis test aid) slows it down.
 */

import { nextTurnAsync } from "./next_turn.ts";
import type { Db } from "../keyspace/db.ts";
import { rdbEntries, type RdbFile, targetDb } from "../protocol/rdb_file.ts";
import type { RdbOptions } from "../protocol/rdb_object.ts";
import { check } from "../protocol/rdb_buffer.ts";

const LOAD_SLICE_MS = 5;
const KEYS_PER_CHECK = 64;

/** What a running load shows in INFO persistence. */
export interface LoadingState {
  startMs: number;
  totalBytes: number;
  loadedBytes: number;
  keysLoaded: number;
}

export interface LoadOutcome {
  file: RdbFile;
  loaded: number;
  /** Keys dropped because they had expired (a master only). */
  expired: number;
}

export interface LoadOptions {
  /** A master drops keys whose TTL is past; a replica keeps them for its master to expire. */
  dropExpired: boolean;
  nowMs: number;
  keyLoadDelayUs: number;
  /** Updated as the load goes (INFO). */
  state: LoadingState;
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Load `buf` into `dbs` (empty; each entry into the database of its SELECTDB). Throws
 * RdbFormatError on a bad file, and on a database index past `dbs` (Redis refuses a file of a
 * server with more databases).
 */
export async function loadRdbIncrementally(
  dbs: Db | readonly Db[],
  buf: Uint8Array,
  o: RdbOptions,
  opts: LoadOptions,
): Promise<LoadOutcome> {
  const steps = rdbEntries(buf, o);
  let loaded = 0;
  let expired = 0;
  let sliceStart = performance.now();
  for (let n = 1;; n++) {
    const r = steps.next();
    if (r.done) return { file: r.value, loaded, expired };
    const e = r.value;
    const db = targetDb(dbs, e.dbId);
    check(
      db !== null || !Array.isArray(dbs),
      `FATAL: Data file was created with a Redis server configured to handle more than ${
        Array.isArray(dbs) ? dbs.length : 1
      } databases. Exiting`,
    );
    if (db !== null) {
      if (opts.dropExpired && e.expireMs !== -1 && e.expireMs < opts.nowMs) expired++;
      else {
        check(!db.dict.has(e.key), "RDB: duplicate key");
        db.addLoaded(e.key, e.value, e.idleSec, e.freq);
        if (e.expireMs !== -1) db.expires.set(e.key, e.expireMs);
        loaded++;
      }
    }
    opts.state.keysLoaded = loaded + expired;
    opts.state.loadedBytes = e.readBytes ?? 0;
    if (opts.keyLoadDelayUs > 0) {
      await sleepMs(opts.keyLoadDelayUs / 1000);
      continue;
    }
    if (n % KEYS_PER_CHECK === 0 && performance.now() - sliceStart >= LOAD_SLICE_MS) {
      await nextTurnAsync();
      sliceStart = performance.now();
    }
  }
}
