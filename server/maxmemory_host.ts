/**
 * What maxmemory (server/maxmemory.ts) reads of the server: a port, so that it takes this view
 * instead of the `Server` class (no import circle; tests/import_cycles_test.ts). The script
 * engine and replication are named by the few members used, since both reach maxmemory (a script
 * checks OOM). server/server.ts implements it.
 */

import type { ClockPort, ConfigPort, DatabasesPort } from "./server_ports.ts";
import type { LatencyMonitor } from "./latency_monitor.ts";
import type { WritePause } from "../cluster/write_pause.ts";
import type { LoadingState } from "../persistence/rdb_load.ts";
import type { Arg } from "../replication/propagate.ts";

export interface MaxmemoryHost extends ClockPort, ConfigPort, DatabasesPort {
  readonly latency: LatencyMonitor;
  readonly loading: LoadingState | null;
  readonly clientPause: Pick<WritePause, "untilMs">;
  /** A script running (not null) past the busy threshold (`busy`) is never interrupted. */
  readonly scripts: { readonly running: unknown; readonly busy: boolean };
  readonly replication: {
    readonly backlog: unknown;
    readonly isReplica: boolean;
    readonly propagating: boolean;
    feedCommand(argv: readonly Arg[], selectDb?: boolean, dbId?: number): void;
  };
}
