/** The DEBUG knobs (commands/debug.ts sets them; the cron, RESTORE and the bus read them). */

/** Redis's server.* fields DEBUG sets, which other parts of the node read. */
export interface DebugKnobs {
  /** DEBUG PAUSE-CRON: serverCron's periodic work stops (active expiry, save points, AOF). */
  pauseCron: boolean;
  /** DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE and RDB loads skip the CRC64 check. */
  skipChecksumValidation: boolean;
  /** DEBUG DROP-CLUSTER-PACKET-FILTER: received bus packets of this type are dropped (-1: none). */
  dropClusterPacketType: number;
  /** DEBUG QUICKLIST-PACKED-THRESHOLD (quicklist.c packed_threshold), bytes. */
  quicklistPackedThreshold: number;
}

export function defaultDebugKnobs(): DebugKnobs {
  return {
    pauseCron: false,
    skipChecksumValidation: false,
    dropClusterPacketType: -1,
    quicklistPackedThreshold: 1 << 30,
  };
}
