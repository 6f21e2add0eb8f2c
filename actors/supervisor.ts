/**
 * The node supervisor actor (XState v5): runs the cluster cron every 100 ms (Redis's clusterCron)
 * and is the one place that persists nodes.conf and lets the node's bus output go.
 *
 * Redis saves the cluster config in `beforeSleep` (clusterBeforeSleep -> clusterSaveConfigOrDie
 * for CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_FSYNC_CONFIG): after an event-loop turn changed the
 * config and before any reply, vote or bus message of that turn is written to a socket. Here a
 * "turn" is one piece of work that ends with END_OF_TURN: a bus packet, a cron tick, a connect, a
 * batch of client commands. The bus engine holds the packets of a turn in an outbox; END_OF_TURN
 * saves a dirty config (one write, fsynced, for every change of the turn: group commit),
 * then releases the outbox. A client reply batch asks for END_OF_TURN before it is written, so
 * nothing the node says leaves before the state it announces is on disk.
 *
 * Like Redis (CLUSTER_TODO_FSYNC_CONFIG), only some changes ask for an fsync: votes, epoch changes,
 * promotions, BUMPEPOCH and the epoch bump of SETSLOT NODE. The others (SETSLOT MIGRATING, ADDSLOTS,
 * gossip about other nodes) are written into the file before the reply, which a killed
 * process cannot undo, without waiting for the disk; a turn that holds both kinds is fsynced.
 *
 * A turn of client commands (a SETSLOT, say) tells its change in the END_OF_TURN that ends it
 * (`changed`), instead of a CONFIG_CHANGED before it: one event, one macrostep, per command that
 * changes the config, where a reshard sends thousands (the bus and the cron still send
 * CONFIG_CHANGED as they go). The save is the same: before the turn's output is released.
 *
 * A save that fails is fatal, as in Redis ("Fatal: can't update cluster config file."): `fatal`
 * does not return in production (the process exits), so no output of that turn ever leaves.
 *
 * States (as the visualizer shows them), parallel regions under `running`:
 *   cron:    ticking (invokes `cronTicker`: every 100 ms it runs `cron`, then ends that turn)
 *   config:  clean --CONFIG_CHANGED--> dirty, or dirtyFsync when the change asks for an fsync
 *            dirty --CONFIG_CHANGED {fsync}--> dirtyFsync
 *            dirty | dirtyFsync --END_OF_TURN--> clean (saves, fsynced from dirtyFsync or when
 *                                                the event says `changed: "fsync"`, then releases
 *                                                the outbox)
 *            clean --END_OF_TURN {changed}--> clean (saves, fsynced for "fsync", then releases)
 *            clean --END_OF_TURN--> clean (releases the outbox)
 *            dirty | dirtyFsync --CONFIG_SAVED (CLUSTER SAVECONFIG wrote it)--> clean
 *   running --SHUTDOWN--> stopped (final; saves first if dirty)
 *
 * Side effects are injected through `input` (`cron`, `save`, `release`, `fatal`), so tests drive
 * the machine with xstate's SimulatedClock and no filesystem. The ticker's timer is on the actor
 * system's clock (xstate's `clock` option; in production the server's cron clock,
 * server/cron_clock.ts), so that option controls time.
 *
 * The cron is an invoked callback actor, not a delayed self-transition (`after`): a tick that
 * leaves the config clean ends its turn without an event (`endCleanTurn`), so an idle node's
 * tick runs no macrostep. Two macrosteps a tick (the delayed event and its END_OF_TURN), ten
 * ticks a second, were over a third of an idle cluster node's CPU: 1.02% of a core with them,
 * 0.64% without (three 30 s runs each, issue 18). A tick that changed the config ends with
 * END_OF_TURN as before.
 */

import {
  Actor,
  type AnyActorRef,
  createActor,
  type EventObject,
  fromCallback,
  or,
  setup,
  type SnapshotFrom,
  stateIn,
} from "xstate";
/** The timer interface xstate actors use (`setTimeout`/`clearTimeout`), e.g. SimulatedClock. */
export interface Clock {
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
}

/** Redis runs clusterCron 10 times per second. */
export const CLUSTER_CRON_INTERVAL_MS = 100;

export interface SupervisorDeps {
  /** One cron tick (handshake expiry, state update, ...). Must not throw. */
  cron: () => void;
  /**
   * Persist the configuration (cluster/nodes_conf_io.ts), fsynced when `fsync` (a change of the
   * turn asked for it). Returns false when the save failed.
   */
  save: (fsync: boolean) => boolean;
  /** Hand the turn's held output (bus packets) to the network. Must not throw. */
  release?: () => void;
  /** The save failed: log and exit (clusterSaveConfigOrDie). Does not return in production. */
  fatal?: (reason: string) => void;
  /** Override the tick length (tests). */
  cronIntervalMs?: number;
}

export type SupervisorEvent =
  | { type: "CONFIG_CHANGED"; fsync?: boolean }
  | { type: "CONFIG_SAVED" }
  | {
    type: "END_OF_TURN";
    /** The turn changed the config without a CONFIG_CHANGED: save it (and fsync, "fsync"). */
    changed?: "save" | "fsync";
  }
  | { type: "SHUTDOWN" };

/** Counters, for INFO-style introspection and tests (a mutable record owned by the actor). */
export interface SupervisorStats {
  ticks: number;
  saves: number;
  /** Saves that failed (each one fatal in production). */
  failedSaves: number;
  /** Turns that ended (END_OF_TURN events). */
  turns: number;
}

interface SupervisorContext {
  deps: SupervisorDeps;
  stats: SupervisorStats;
}

export const SAVE_FAILED_TEXT = "Fatal: can't update cluster config file.";

/** clusterSaveConfigOrDie: true when saved; otherwise counts it and calls `fatal`. */
function saveOrDie(context: SupervisorContext, fsync: boolean): boolean {
  if (context.deps.save(fsync)) {
    context.stats.saves++;
    return true;
  }
  context.stats.failedSaves++;
  const fatal = context.deps.fatal ?? ((r: string) => {
    throw new Error(r);
  });
  fatal(SAVE_FAILED_TEXT);
  return false;
}

function release(context: SupervisorContext): void {
  context.stats.turns++;
  context.deps.release?.();
}

interface CronTickerInput {
  /** The supervisor's context: the deps it runs, the counters it counts ticks and turns in. */
  context: SupervisorContext;
  /** The supervisor: its config region tells how a tick's turn ends. */
  supervisor: AnyActorRef;
}

/**
 * The cron (Redis's clusterCron), invoked by the supervisor while it runs: every
 * `cronIntervalMs` (fixed delay: the next tick is armed once a tick's turn has ended) it runs
 * `cron`, then ends that turn: at once when the config is still clean (the tick changed nothing
 * to save: its output is released), else with END_OF_TURN to the supervisor (save, then
 * release). A tick is a turn of its own: what it changed is on disk before what it sent leaves.
 * Its timer is on the actor system's clock (`self.clock`), stopped with the actor.
 */
const cronTicker = fromCallback<EventObject, CronTickerInput>(({ input, self, sendBack }) => {
  const { context, supervisor } = input;
  // An invoked actor is an `Actor`, whose `clock` is its system's (its ref type omits it).
  if (!(self instanceof Actor)) throw new Error("cronTicker: not an Actor");
  const clock: Clock = self.clock;
  const intervalMs = context.deps.cronIntervalMs ?? CLUSTER_CRON_INTERVAL_MS;
  let timer: unknown = null;
  const tick = (): void => {
    timer = null;
    context.stats.ticks++;
    context.deps.cron();
    // The timer fired outside the supervisor's actions: its mailbox is empty, and a change the
    // tick made (CONFIG_CHANGED, processed at once) left the config dirty.
    if (!endCleanTurn(supervisor)) sendBack({ type: "END_OF_TURN" });
    // Not once the ticker was stopped (SHUTDOWN in that turn, or a fatal save that returned).
    if (self.getSnapshot().status === "active") timer = clock.setTimeout(tick, intervalMs);
  };
  timer = clock.setTimeout(tick, intervalMs);
  return () => {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
  };
});

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    input: {} as SupervisorDeps,
    events: {} as SupervisorEvent,
  },
  actors: { cronTicker },
  guards: {
    configIsDirty: or([
      stateIn({ running: { config: "dirty" } }),
      stateIn({ running: { config: "dirtyFsync" } }),
    ]),
    wantsFsync: ({ event }) => event.type === "CONFIG_CHANGED" && event.fsync === true,
    turnChanged: ({ event }) => event.type === "END_OF_TURN" && event.changed !== undefined,
    turnWantsFsync: ({ event }) => event.type === "END_OF_TURN" && event.changed === "fsync",
  },
  actions: {
    saveConfig: ({ context }, params: { fsync: boolean }) => {
      saveOrDie(context, params.fsync);
    },
    saveThenRelease: ({ context }, params: { fsync: boolean }) => {
      // Nothing of the turn leaves when its save failed, even if `fatal` returned.
      if (saveOrDie(context, params.fsync)) release(context);
    },
    release: ({ context }) => release(context),
  },
}).createMachine({
  id: "nodeSupervisor",
  context: ({ input }) => ({
    deps: input,
    stats: { ticks: 0, saves: 0, failedSaves: 0, turns: 0 },
  }),
  initial: "running",
  states: {
    running: {
      type: "parallel",
      states: {
        cron: {
          initial: "ticking",
          states: {
            ticking: {
              invoke: {
                id: "cronTicker",
                src: "cronTicker",
                input: ({ context, self }) => ({ context, supervisor: self }),
              },
            },
          },
        },
        config: {
          initial: "clean",
          states: {
            clean: {
              on: {
                CONFIG_CHANGED: [
                  { guard: "wantsFsync", target: "dirtyFsync" },
                  { target: "dirty" },
                ],
                END_OF_TURN: [
                  {
                    guard: "turnWantsFsync",
                    actions: [{ type: "saveThenRelease", params: { fsync: true } }],
                  },
                  {
                    guard: "turnChanged",
                    actions: [{ type: "saveThenRelease", params: { fsync: false } }],
                  },
                  { actions: ["release"] },
                ],
              },
            },
            dirty: {
              on: {
                CONFIG_CHANGED: { guard: "wantsFsync", target: "dirtyFsync" },
                CONFIG_SAVED: { target: "clean" },
                END_OF_TURN: [
                  {
                    guard: "turnWantsFsync",
                    target: "clean",
                    actions: [{ type: "saveThenRelease", params: { fsync: true } }],
                  },
                  {
                    target: "clean",
                    actions: [{ type: "saveThenRelease", params: { fsync: false } }],
                  },
                ],
              },
            },
            dirtyFsync: {
              on: {
                CONFIG_SAVED: { target: "clean" },
                END_OF_TURN: {
                  target: "clean",
                  actions: [{ type: "saveThenRelease", params: { fsync: true } }],
                },
              },
            },
          },
        },
      },
      on: {
        SHUTDOWN: [
          {
            guard: "configIsDirty",
            target: "stopped",
            actions: [{ type: "saveConfig", params: { fsync: true } }],
          },
          { target: "stopped" },
        ],
      },
    },
    stopped: { type: "final" },
  },
});

export type SupervisorActor = ReturnType<typeof startSupervisor>;

/** Create and start the supervisor; `clock` defaults to real timers. */
export function startSupervisor(deps: SupervisorDeps, clock?: Clock) {
  const actor = createActor(supervisorMachine, clock ? { input: deps, clock } : { input: deps });
  actor.start();
  return actor;
}

/**
 * END_OF_TURN to a supervisor whose config is clean, done without a macrostep: the actions the
 * `clean` state takes for it (saveThenRelease, fsynced for `changed: "fsync"`, or release), and
 * the state stays clean as there. A reshard ends thousands of such turns (each SETSLOT, each
 * gossip packet that changed the view), and the macrostep cost more than the save's own work.
 * Returns false, having done nothing, unless the supervisor is running with a clean config: then
 * send the event. Only for a caller outside the supervisor's own actions (its mailbox is then
 * empty, so no queued event is overtaken) and with a `fatal` that does not throw (a throwing
 * save would stop the actor in the event path, and reach the caller here).
 */
export function endCleanTurn(
  actor: { getSnapshot(): SnapshotFrom<typeof supervisorMachine> },
  changed?: "save" | "fsync",
): boolean {
  const snapshot = actor.getSnapshot();
  if (snapshot.status !== "active" || supervisorConfigLevel(snapshot) !== "clean") return false;
  const context = snapshot.context;
  if (changed === undefined || saveOrDie(context, changed === "fsync")) release(context);
  return true;
}

/** The state of the `running.config` region ("clean", "dirty", "dirtyFsync"), or null. */
export function supervisorConfigLevel(snapshot: { value: unknown }): string | null {
  const v = snapshot.value as { running?: { config?: string } } | string;
  if (typeof v !== "object") return null;
  return v.running?.config ?? null;
}

/** True while the supervisor holds a change not yet on disk. */
export function supervisorConfigDirty(snapshot: { value: unknown }): boolean {
  const c = supervisorConfigLevel(snapshot);
  return c === "dirty" || c === "dirtyFsync";
}
