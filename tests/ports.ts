/**
 * Free TCP ports for tests and benchmarks, safe when several test workers (`deno test
 * --parallel`) or several runs (two CI clones) pick ports on one machine at the same time.
 *
 * A port is ours once we hold an exclusive `flock` on its lock file (`<tmp>/rc-test-ports/<port>`)
 * and nothing listens on it. The lock is held until this process exits (the kernel drops it
 * then, so a killed run leaves nothing stale behind): a test that stops a node and restarts it
 * on the same port keeps the port through the gap. Every pick reserves the client port p and its
 * cluster bus port p + 10000, and keeps both in [10000, 32000) so that no bus port lands in the
 * kernel's ephemeral range (32768 and up).
 */

const LOCK_DIR = `${Deno.env.get("TMPDIR") ?? "/tmp"}/rc-test-ports`;
const FIRST_PORT = 10000;
/** Client ports stay below this, so bus ports (+10000) stay below 32000. */
const CLIENT_PORT_END = 22000;
export const BUS_PORT_OFFSET = 10000;

/** Lock files held by this process (one fd each; bounded by the ports a run uses). */
const held = new Map<number, Deno.FsFile>();
let lockDirMade = false;

function listenable(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/** Reserve `port` for this process: false if another worker or process holds it, or it is bound. */
function reserve(port: number): boolean {
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
  if (!locked || !listenable(port)) {
    f.close(); // closing drops our lock, if we had it
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

/** Reserve ports base..base+count-1 and their bus ports, all or none. */
function reserveBlock(base: number, count: number): boolean {
  const got: number[] = [];
  for (let i = 0; i < count; i++) {
    for (const p of [base + i, base + i + BUS_PORT_OFFSET]) {
      if (!reserve(p)) {
        for (const q of got) unreserve(q);
        return false;
      }
      got.push(p);
    }
  }
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
