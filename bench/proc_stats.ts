/**
 * What a bench process costs, read from Linux's /proc (proc(5)): memory from /proc/<pid>/status,
 * CPU time from /proc/<pid>/stat.
 */

/** USER_HZ: the unit of utime and stime in /proc/<pid>/stat on Linux. */
const CLOCK_TICKS_PER_SEC = 100;

/** A `kB` field of /proc/<pid>/status (VmRSS, VmHWM...), in KiB; 0 when it cannot be read. */
export function statusKiB(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
      Deno.readTextFileSync(`/proc/${pid}/status`),
    );
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident set size (VmRSS), in KiB; 0 when it cannot be read. */
export function rssKiB(pid: number): number {
  return statusKiB(pid, "VmRSS");
}

/** CPU time (user + system) a process has used, in ms; null when it cannot be read. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after "(comm)": state is field 3, utime 14 and stime 15.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 1000 / CLOCK_TICKS_PER_SEC;
  } catch {
    return null;
  }
}
