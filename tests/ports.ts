/**
 * Free TCP ports for tests and benchmarks, safe when several test workers (`deno test
 * --parallel`) or several runs (two CI clones) pick ports on one machine at the same time.
 *
 * A port is ours once we hold an exclusive `flock` on its lock file (`<tmp>/rc-test-ports/<port>`)
 * and no socket uses it. The lock is held until this process exits (the kernel drops it
 * then, so a killed run leaves nothing stale behind): a test that stops a node and restarts it
 * on the same port keeps the port through the gap. Every pick reserves the client port p and its
 * cluster bus port p + 10000, and keeps both in [10000, 32000) so that no bus port lands in the
 * kernel's ephemeral range (32768 and up).
 *
 * "No socket uses it" is read from the kernel's socket tables (/proc/net/tcp, /proc/net/tcp6),
 * never found out by listening on the port: a listening probe's socket outlives its close() when
 * another worker of this process spawns a child meanwhile (posix_spawn's CLONE_VFORK child gets a
 * copy of every descriptor and keeps it until its execve), so the in-process node that listens
 * right after freePort() got AddrInUse on a port nobody held a moment later.
 */

const LOCK_DIR = `${Deno.env.get("TMPDIR") ?? "/tmp"}/rc-test-ports`;
const FIRST_PORT = 10000;
/** Client ports stay below this, so bus ports (+10000) stay below 32000. */
const CLIENT_PORT_END = 22000;
export const BUS_PORT_OFFSET = 10000;

/** Lock files held by this process (one fd each; bounded by the ports a run uses). */
const held = new Map<number, Deno.FsFile>();
let lockDirMade = false;

/** The kernel's TCP socket tables (IPv4, IPv6): one line per socket, any state. */
const SOCKET_TABLES = ["/proc/net/tcp", "/proc/net/tcp6"];

/**
 * The local ports of every TCP socket on this machine (listening, connected, TIME_WAIT), read
 * from the kernel's tables without opening a socket; null where there are no such tables.
 */
export function tcpPortsInUse(): Set<number> | null {
  const ports = new Set<number>();
  for (const path of SOCKET_TABLES) {
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch {
      if (path === SOCKET_TABLES[0]) return null;
      continue; // no IPv6
    }
    // "   0: 0100007F:4F9B 00000000:0000 0A ...": after "sl: ", the local address in hex (8
    // digits, 32 in tcp6), a colon and the port (4 digits).
    const ipDigits = path.endsWith("6") ? 32 : 8;
    let at = text.indexOf("\n") + 1;
    while (at > 0 && at < text.length) {
      const sl = text.indexOf(":", at);
      if (sl < 0) break;
      const port = parseInt(text.slice(sl + 3 + ipDigits, sl + 7 + ipDigits), 16);
      if (!Number.isNaN(port)) ports.add(port);
      at = text.indexOf("\n", sl) + 1;
    }
  }
  return ports;
}

/**
 * Is `port` used by a socket? From the socket tables; only where they are missing (not Linux)
 * by listening on it, which a child spawned meanwhile by another worker can make linger.
 */
function inUse(port: number, used: Set<number> | null): boolean {
  if (used !== null) return used.has(port);
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return false;
  } catch {
    return true;
  }
}

/** Take `port`'s lock for this process: false if another worker or process holds it. */
function lock(port: number): boolean {
  if (held.has(port)) return false;
  if (!lockDirMade) {
    Deno.mkdirSync(LOCK_DIR, { recursive: true });
    lockDirMade = true;
  }
  const f = Deno.openSync(`${LOCK_DIR}/${port}`, { create: true, write: true });
  let locked = false;
  try {
    locked = f.tryLockSync(true);
  } catch {
    locked = false;
  }
  if (!locked) {
    f.close();
    return false;
  }
  held.set(port, f);
  return true;
}

function unreserve(port: number): void {
  const f = held.get(port);
  if (f === undefined) return;
  held.delete(port);
  f.close();
}

/**
 * Reserve ports base..base+count-1 and their bus ports, all or none: their locks first, then
 * (so that no other reserver can take one meanwhile) none of them in use by a socket.
 */
export function reserveBlock(base: number, count: number): boolean {
  const got: number[] = [];
  const giveBack = () => {
    for (const q of got) unreserve(q);
    return false;
  };
  for (let i = 0; i < count; i++) {
    for (const p of [base + i, base + i + BUS_PORT_OFFSET]) {
      if (!lock(p)) return giveBack();
      got.push(p);
    }
  }
  const used = tcpPortsInUse();
  if (got.some((p) => inUse(p, used))) return giveBack();
  return true;
}

/**
 * A block of `count` consecutive client ports b..b+count-1 in [10000, 22000), with their bus
 * ports, reserved for this process. Returns b.
 */
export function freePortBlock(count: number): number {
  if (count < 1 || count > 100) throw new RangeError(`port block of ${count}`);
  for (let attempt = 0; attempt < 2000; attempt++) {
    const base = FIRST_PORT + Math.floor(Math.random() * (CLIENT_PORT_END - FIRST_PORT - count));
    if (reserveBlock(base, count)) return base;
  }
  throw new Error(`no free block of ${count} ports in ${FIRST_PORT}-${CLIENT_PORT_END}`);
}

/** A client port p in [10000, 22000) with p and p + 10000 reserved for this process. */
export function freePort(): number {
  return freePortBlock(1);
}

/** Give back a port from `freePort` (and its bus port) once nothing will bind it again. */
export function releasePort(port: number): void {
  unreserve(port);
  unreserve(port + BUS_PORT_OFFSET);
}
