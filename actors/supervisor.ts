/**
 * The node supervisor actor (XState v5): runs the cluster cron every 100 ms (Redis's clusterCron)
 * and persists nodes.conf when the configuration is dirty, at most once per tick (Redis's
 * CLUSTER_TODO_SAVE_CONFIG, which batches every change made since the last save).
 *
 * States (as the visualizer shows them):
 *   running.configClean  --CONFIG_CHANGED-->  running.configDirty
 *   running (either)     --after cronInterval-->  runs `cronTick`; if dirty also `saveConfig`;
 *                         re-enters running.configClean
 *   running.configDirty  --CONFIG_SAVED (someone saved, e.g. CLUSTER SAVECONFIG)--> configClean
 *   running              --SHUTDOWN--> stopped (final; saves first if dirty)
 *
 * Side effects are injected through `input` (`cron`, `save`), so tests drive the machine with
 * xstate's SimulatedClock and no filesystem. Delays use `after`, so the actor's `clock` option
 * controls time. The bus work adds its actors beside this one.
 */

import { createActor, setup, stateIn } from "xstate";
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
  /** Persist the configuration. Returns false when the save failed (the config stays dirty). */
  save: () => boolean;
  /** Override the tick length (tests). */
  cronIntervalMs?: number;
}

export type SupervisorEvent =
  | { type: "CONFIG_CHANGED" }
  | { type: "CONFIG_SAVED" }
  | { type: "SHUTDOWN" };

/** Counters, for INFO-style introspection and tests (a mutable record owned by the actor). */
export interface SupervisorStats {
  ticks: number;
  saves: number;
  /** Saves that failed (the next tick retries). */
  failedSaves: number;
}

interface SupervisorContext {
  deps: SupervisorDeps;
  stats: SupervisorStats;
}

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    input: {} as SupervisorDeps,
    events: {} as SupervisorEvent,
  },
  delays: {
    cronInterval: ({ context }) => context.deps.cronIntervalMs ?? CLUSTER_CRON_INTERVAL_MS,
  },
  guards: {
    configIsDirty: stateIn({ running: "configDirty" }),
  },
  actions: {
    cronTick: ({ context }) => {
      context.stats.ticks++;
      context.deps.cron();
    },
    saveConfig: ({ context, self }) => {
      if (context.deps.save()) {
        context.stats.saves++;
      } else {
        context.stats.failedSaves++;
        // Stay dirty: mark again so the next tick retries.
        self.send({ type: "CONFIG_CHANGED" });
      }
    },
  },
}).createMachine({
  id: "nodeSupervisor",
  context: ({ input }) => ({ deps: input, stats: { ticks: 0, saves: 0, failedSaves: 0 } }),
  initial: "running",
  states: {
    running: {
      initial: "configClean",
      states: {
        configClean: {
          on: { CONFIG_CHANGED: { target: "configDirty" } },
        },
        configDirty: {
          on: { CONFIG_SAVED: { target: "configClean" } },
        },
      },
      after: {
        cronInterval: [
          {
            guard: "configIsDirty",
            target: "running",
            reenter: true,
            actions: ["cronTick", "saveConfig"],
          },
          { target: "running", reenter: true, actions: ["cronTick"] },
        ],
      },
      on: {
        SHUTDOWN: [
          { guard: "configIsDirty", target: "stopped", actions: ["saveConfig"] },
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
