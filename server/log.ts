/**
 * Node logs in Redis's line format (`pid:role dd Mon yyyy hh:mm:ss.mmm <level-char> message`),
 * filtered by `loglevel`, to stdout or to `logfile`.
 */

export type LogLevel = "debug" | "verbose" | "notice" | "warning" | "nothing";
const RANK: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 };
const MARK: Record<LogLevel, string> = {
  debug: ".",
  verbose: "-",
  notice: "*",
  warning: "#",
  nothing: " ",
};
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export class Logger {
  level: LogLevel = "notice";
  role = "M";
  private file: Deno.FsFile | null = null;
  private readonly enc = new TextEncoder();
  /** Lines kept in memory for tests (bounded). */
  readonly recent: string[] = [];
  quiet = false;

  constructor(private readonly now: () => number = Date.now) {}

  setFile(path: string): void {
    this.file?.close();
    this.file = path ? Deno.openSync(path, { append: true, create: true, write: true }) : null;
  }

  log(level: LogLevel, msg: string): void {
    if (RANK[level] < RANK[this.level] || level === "nothing") return;
    const d = new Date(this.now());
    const p2 = (n: number) => String(n).padStart(2, "0");
    const ts = `${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${
      p2(d.getUTCHours())
    }:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${
      String(d.getUTCMilliseconds()).padStart(3, "0")
    }`;
    const line = `${Deno.pid}:${this.role} ${ts} ${MARK[level]} ${msg}\n`;
    this.recent.push(line);
    if (this.recent.length > 200) this.recent.shift();
    if (this.quiet) return;
    const bytes = this.enc.encode(line);
    if (this.file) this.file.writeSync(bytes);
    else Deno.stdout.writeSync(bytes);
  }

  debug(msg: string): void {
    this.log("debug", msg);
  }
  verbose(msg: string): void {
    this.log("verbose", msg);
  }
  notice(msg: string): void {
    this.log("notice", msg);
  }
  warning(msg: string): void {
    this.log("warning", msg);
  }

  close(): void {
    this.file?.close();
    this.file = null;
  }
}
