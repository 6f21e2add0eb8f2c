/** Redis's shared error texts (server.c createSharedObjects), exactly. Without the leading '-'. */

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const SYNTAX = "ERR syntax error";
export const NOT_INTEGER = "ERR value is not an integer or out of range";
export const NOT_FLOAT = "ERR value is not a valid float";
export const NO_SUCH_KEY = "ERR no such key";
export const OUT_OF_RANGE = "ERR index out of range";
export const OVERFLOW = "ERR increment or decrement would overflow";
export const NOAUTH = "NOAUTH Authentication required.";
export const EXECABORT = "EXECABORT Transaction discarded because of previous errors.";
export const BUSYKEY = "BUSYKEY Target key name already exists.";
export const LOADING = "LOADING Redis is loading the dataset in memory";
export const READONLY_REPLICA = "READONLY You can't write against a read only replica.";
/** shared.noreplicaserr (min-replicas-to-write). */
export const NOREPLICAS = "NOREPLICAS Not enough good replicas to write.";
export const CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";
export const CLUSTERDOWN = "CLUSTERDOWN The cluster is down";
export const CLUSTERDOWN_UNBOUND = "CLUSTERDOWN Hash slot not served";
export const CLUSTERDOWN_RO = "CLUSTERDOWN The cluster is down and only accepts read commands";
export const TRYAGAIN = "TRYAGAIN Multiple keys request during rehashing of slot";
export const BUSY_EVAL =
  "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
export const BUSY_FUNCTION =
  "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
export const NOT_POSITIVE = "ERR value is out of range, must be positive";

export function wrongArity(fullname: string): string {
  return `ERR wrong number of arguments for '${fullname}' command`;
}

export function unknownSubcommand(sub: string, parent: string): string {
  return `ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${parent.toUpperCase()} HELP.`;
}

/** "ERR unknown command 'x', with args beginning with: 'a' 'b' " (note the trailing space). */
export function unknownCommand(name: string, args: string[]): string {
  let list = "";
  for (const a of args) {
    if (list.length >= 128) break;
    list += `'${a.slice(0, 128 - list.length)}' `;
  }
  return `ERR unknown command '${name.slice(0, 128)}', with args beginning with: ${list}`;
}
