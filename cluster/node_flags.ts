/**
 * Node flag bits, as in cluster.h and on the wire; a leaf module, so that code outside the
 * cluster (INFO's role) can read a node's flags without importing the cluster state's code.
 */

export const NodeFlags = {
  MASTER: 1,
  SLAVE: 2,
  PFAIL: 4,
  FAIL: 8,
  MYSELF: 16,
  HANDSHAKE: 32,
  NOADDR: 64,
  MEET: 128,
  MIGRATE_TO: 256,
  NOFAILOVER: 512,
} as const;
