/**
 * The Lua debugger (LDB) of one EVAL run, as Redis 7.0.15's eval.c: `SCRIPT DEBUG SYNC`, then an
 * EVAL stops at its first line and the client drives it with the debugger's commands (step,
 * continue, list, whole, print, break, trace, eval, redis, maxlen, abort, help) until the script
 * ends; `<endsession>`, the EVAL's reply, and the connection closes.
 *
 * This module holds the session's state and everything that is text: the log lines, their RESP
 * frame (ldbSendLogs), the source listing, breakpoints, the stop decision of the line hook
 * (luaLdbLineHook), the REPL's command table (ldbRepl) and Redis replies in human form
 * (ldbRedisProtocolToHuman). What needs the Lua VM (a variable's value, eval, a Redis command,
 * the backtrace) is asked of the engine through `LdbVm`; the client's I/O goes through `LdbIo`.
 */

import { latin1 } from "../protocol/bytes.ts";
import { catRepr } from "../server/monitor.ts";

/** LDB_BREAKPOINTS_MAX. */
const BREAKPOINTS_MAX = 64;
/** LDB_MAX_LEN_DEFAULT: logged replies and values are trimmed to this many bytes. */
const MAX_LEN_DEFAULT = 256;
/**
 * Log entries kept between two frames. Redis keeps them all; a script logging in a loop while
 * the debugger lets it run (redis.debug under `continue`) would grow them until the timeout stop.
 */
const MAX_PENDING_LOGS = 100_000;

/** The debugging client: frames out, its next command in (null once it closed). */
export interface LdbIo {
  send(frame: Uint8Array): void;
  nextCommand(): Promise<Uint8Array[] | { error: string } | null>;
  /** Set once the session began (the script started under it): its end says `<endsession>`. */
  began: boolean;
  /** A forked session (SCRIPT DEBUG YES): the script runs on a copy of the dataset. */
  forked: boolean;
}

/** What the debugger asks of the VM while the script is stopped. */
export interface LdbVm {
  /** The value of the named local (innermost frame first), as ldbCatStackValue; null: none. */
  print(name: string): string | null;
  /** Every local of the current frame: [name, value]. */
  printAll(): [string, string][];
  /** `eval`: the value the code returned (as `print` shows it), or its error. */
  eval(code: string): { ok: boolean; text: string };
  /** `redis`: run the command through redis.call (which logs it and its reply). */
  redis(argv: Uint8Array[]): void;
  /** The script's frames, innermost first: the function's name ("top level"), its line. */
  trace(): { name: string; line: number }[];
}

/** How a stop ends: run on, or raise this error in the script (abort, a protocol error). */
export type ReplOutcome = { resume: true } | { error: string };

export class LuaDebugger {
  /** The EVAL body's lines (ldb.src). */
  readonly lines: string[];
  private breakpoints: number[] = [];
  /** Stop at the next line (ldb.step); the session starts stepping. */
  step = true;
  /** redis.breakpoint() was called (ldb.luabp). */
  luaBreakpoint = false;
  currentLine = -1;
  private maxLen = MAX_LEN_DEFAULT;
  private maxLenHintSent = false;
  private logs: string[] = [];
  /** When the script last started or resumed, for the timeout stop (rctx->start_time). */
  startMs: number;

  constructor(body: Uint8Array, nowMs: number) {
    // ldbStartSession: trailing newlines dropped, then split on "\n".
    let end = body.length;
    while (end > 0 && (body[end - 1] === 0x0a || body[end - 1] === 0x0d)) end--;
    // sdssplitlen: no lines at all in an empty body.
    this.lines = end === 0 ? [] : latin1(body.subarray(0, end)).split("\n");
    this.startMs = nowMs;
  }

  /** ldbIsEnabled: commands and errors are logged while stepping. */
  get logging(): boolean {
    return this.step;
  }

  log(entry: string): void {
    if (this.logs.length < MAX_PENDING_LOGS) this.logs.push(entry);
    else if (this.logs.length === MAX_PENDING_LOGS) {
      this.logs.push(`<hint> More than ${MAX_PENDING_LOGS} log lines: the rest were dropped.`);
    }
  }

  /** ldbLogWithMaxLen: trimmed to maxlen, with a hint the first time. */
  logWithMaxLen(entry: string): void {
    let trimmed = false;
    if (this.maxLen !== 0 && entry.length > this.maxLen) {
      entry = entry.slice(0, this.maxLen) + " ...";
      trimmed = true;
    }
    this.log(entry);
    if (trimmed && !this.maxLenHintSent) {
      this.maxLenHintSent = true;
      this.log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.");
    }
  }

  /** ldbSendLogs: the pending entries as an array of simple strings, newlines as spaces. */
  takeLogsFrame(): Uint8Array {
    let s = `*${this.logs.length}\r\n`;
    for (const e of this.logs) s += `+${e.replace(/[\r\n]/g, " ")}\r\n`;
    this.logs = [];
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
    return out;
  }

  /** ldbGetSourceLine. */
  sourceLine(line: number): string {
    const i = line - 1;
    return i < 0 || i >= this.lines.length ? "<out of range source code line>" : this.lines[i];
  }

  private isBreakpoint(line: number): boolean {
    return this.breakpoints.includes(line);
  }

  /** ldbLogSourceLine: "->#", "-> ", "  #" or "   ", the number left-aligned in 3, the text. */
  logSourceLine(line: number): void {
    const bp = this.isBreakpoint(line);
    const current = this.currentLine === line;
    const prefix = current && bp ? "->#" : current ? "-> " : bp ? "  #" : "   ";
    this.log(`${prefix}${String(line).padEnd(3)} ${this.sourceLine(line)}`);
  }

  /** ldbList: the whole source (around 0) or `context` lines each side of `around`. */
  list(around: number, context: number): void {
    for (let j = 1; j <= this.lines.length; j++) {
      if (around !== 0 && Math.abs(around - j) > context) continue;
      this.logSourceLine(j);
    }
  }

  /**
   * luaLdbLineHook's decision for a hook event at `line` (a line event, or the count event that
   * checks the time): the stop reason, or null to run on.
   */
  stopReason(countEvent: boolean, line: number, nowMs: number, timeLimitMs: number): string | null {
    this.currentLine = line;
    const bp = this.isBreakpoint(line) || this.luaBreakpoint;
    let timeout = false;
    if (countEvent && !this.step && !bp) {
      if (nowMs - this.startMs < timeLimitMs) return null;
      timeout = true;
      this.step = true;
    }
    if (!this.step && !bp) return null;
    const reason = bp
      ? (this.luaBreakpoint ? "redis.breakpoint() called" : "break point")
      : timeout
      ? "timeout reached, infinite loop?"
      : "step over";
    this.step = false;
    this.luaBreakpoint = false;
    this.log(`* Stopped at ${line}, stop reason = ${reason}`);
    this.logSourceLine(line);
    return reason;
  }

  /** The client closed the connection: the script runs on without stopping (ldbRepl's C_ERR). */
  detach(): void {
    this.step = false;
    this.breakpoints = [];
  }

  /** ldbRepl: serve the client's commands until one runs the script on (or ends it). */
  async repl(io: LdbIo, vm: LdbVm, timedOut: boolean): Promise<ReplOutcome> {
    for (;;) {
      const argv = await io.nextCommand();
      if (argv === null) {
        this.detach();
        // The client is gone while an endless loop was stopped: end the script, which would
        // otherwise keep the server busy forever.
        return timedOut
          ? { error: "timeout during Lua debugging with client closing connection" }
          : { resume: true };
      }
      if ("error" in argv) return { error: argv.error };
      if (argv.length === 0) continue;
      const args = argv.map(latin1);
      const cmd = args[0].toLowerCase();
      switch (cmd) {
        case "h":
        case "help":
          for (const l of HELP) this.log(l);
          break;
        case "s":
        case "step":
        case "n":
        case "next":
          this.step = true;
          return { resume: true };
        case "c":
        case "continue":
          return { resume: true };
        case "t":
        case "trace":
          this.trace(vm);
          break;
        case "m":
        case "maxlen":
          this.setMaxLen(args);
          break;
        case "b":
        case "break":
          this.break(args);
          break;
        case "e":
        case "eval": {
          const r = vm.eval(args.slice(1).join(" "));
          if (r.ok) this.logWithMaxLen(`<retval> ${r.text}`);
          else this.log(`<error> ${r.text}`);
          break;
        }
        case "a":
        case "abort":
          return { error: "script aborted for user request" };
        case "p":
        case "print":
          if (args.length === 2) this.print(vm, args[1]);
          else this.printAll(vm);
          break;
        case "l":
        case "list": {
          let around = this.currentLine;
          let context = 5;
          if (args.length > 1) {
            const n = atoi(args[1]);
            if (n > 0) around = n;
          }
          if (args.length > 2) context = atoi(args[2]);
          this.list(around, context);
          break;
        }
        case "w":
        case "whole":
          this.list(1, 1000000);
          break;
        default:
          if (args.length > 1 && (cmd === "r" || cmd === "redis")) {
            this.step = true; // ldbRedis: redis.call logs the command and its reply
            try {
              vm.redis(argv.slice(1));
            } finally {
              this.step = false;
            }
          } else {
            this.log("<error> Unknown Redis Lua debugger command or wrong number of arguments.");
          }
      }
      io.send(this.takeLogsFrame());
    }
  }

  private print(vm: LdbVm, name: string): void {
    const v = vm.print(name);
    if (v === null) this.log("No such variable.");
    else this.logWithMaxLen(`<value> ${v}`);
  }

  private printAll(vm: LdbVm): void {
    const vars = vm.printAll();
    for (const [name, v] of vars) this.logWithMaxLen(`<value> ${name} = ${v}`);
    if (vars.length === 0) this.log("No local variables in the current context.");
  }

  private trace(vm: LdbVm): void {
    const frames = vm.trace();
    frames.forEach((f, i) => {
      this.log(`${i === 0 ? "In" : "From"} ${f.name}:`);
      this.logSourceLine(f.line);
    });
    if (frames.length === 0) this.log("<error> Can't retrieve Lua stack.");
  }

  /** ldbMaxlen. */
  private setMaxLen(args: string[]): void {
    if (args.length === 2) {
      let n = atoi(args[1]);
      this.maxLenHintSent = true;
      if (n !== 0 && n <= 60) n = 60;
      this.maxLen = n;
    }
    this.log(
      this.maxLen !== 0
        ? `<value> replies are truncated at ${this.maxLen} bytes.`
        : "<value> replies are unlimited.",
    );
  }

  /** ldbBreak. */
  private break(args: string[]): void {
    if (args.length === 1) {
      if (this.breakpoints.length === 0) {
        this.log("No breakpoints set. Use 'b <line>' to add one.");
        return;
      }
      this.log(`${this.breakpoints.length} breakpoints set:`);
      for (const bp of this.breakpoints) this.logSourceLine(bp);
      return;
    }
    for (const arg of args.slice(1)) {
      const line = string2l(arg);
      if (line === null) {
        this.log(`Invalid argument:'${arg}'`);
      } else if (line === 0) {
        this.breakpoints = [];
        this.log("All breakpoints removed.");
      } else if (line > 0) {
        if (this.breakpoints.length === BREAKPOINTS_MAX) {
          this.log("Too many breakpoints set.");
        } else if (line <= this.lines.length && !this.isBreakpoint(line)) {
          this.breakpoints.push(line);
          this.list(line, 1);
        } else {
          this.log("Wrong line number.");
        }
      } else {
        const i = this.breakpoints.indexOf(-line);
        if (i !== -1) {
          this.breakpoints.splice(i, 1);
          this.log("Breakpoint removed.");
        } else {
          this.log("No breakpoint in the specified line.");
        }
      }
    }
  }

  /** ldbLogRedisReply: "<reply> " and the reply in human form, trimmed to maxlen. */
  logRedisReply(reply: Uint8Array): void {
    this.logWithMaxLen(`<reply> ${protocolToHuman(reply, 0)[0]}`);
  }
}

/** C's atoi: leading spaces, a sign, digits; 0 when none. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (m === null) return 0;
  const n = Number(m[1]);
  // An int: what overflows wraps as glibc's strtol-then-truncate does for these small uses.
  return Math.trunc(n) | 0;
}

/** string2l: a strict long (no spaces, no leading zeros, no "+"), or null. */
function string2l(s: string): number | null {
  if (!/^(0|-?[1-9]\d{0,18})$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** The line of a reply starting at `pos` (after its type byte), and the index after its CRLF. */
function lineAt(buf: Uint8Array, pos: number): [string, number] {
  let end = pos;
  while (end < buf.length && buf[end] !== 0x0d) end++;
  return [latin1(buf.subarray(pos, end)), end + 2];
}

/** ldbRedisProtocolToHuman: a RESP2 or RESP3 reply as the debugger shows it, and its end. */
export function protocolToHuman(buf: Uint8Array, pos: number): [string, number] {
  const t = buf[pos];
  const [line, next] = lineAt(buf, pos + 1);
  switch (t) {
    case 0x3a: // ':'
      return [line, next];
    case 0x24: { // '$'
      const n = Number(line);
      if (n === -1) return ["NULL", next];
      return [catRepr("", buf.subarray(next, next + n)), next + n + 2];
    }
    case 0x2b: // '+'
    case 0x2d: // '-': the type byte is part of the text
      return [catRepr("", buf.subarray(pos, next - 2)), next];
    case 0x2a: // '*'
    case 0x7e: { // '~'
      const n = Number(line);
      if (t === 0x2a && n === -1) return ["NULL", next];
      const parts: string[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const [s, q] = protocolToHuman(buf, p);
        parts.push(s);
        p = q;
      }
      return [t === 0x2a ? `[${parts.join(",")}]` : `~(${parts.join(",")})`, p];
    }
    case 0x25: { // '%'
      const n = Number(line);
      const parts: string[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const [k, q] = protocolToHuman(buf, p);
        const [v, r] = protocolToHuman(buf, q);
        parts.push(`${k} => ${v}`);
        p = r;
      }
      return [`{${parts.join(",")}}`, p];
    }
    case 0x5f: // '_'
      return ["(null)", next];
    case 0x23: // '#'
      return [line === "t" ? "#true" : "#false", next];
    case 0x2c: // ','
      return [`(double) ${line}`, next];
    default:
      return ["", next];
  }
}

/** The help text of the debugger (ldbRepl "help"). */
const HELP = [
  "Redis Lua debugger help:",
  "[h]elp               Show this help.",
  "[s]tep               Run current line and stop again.",
  "[n]ext               Alias for step.",
  "[c]ontinue           Run till next breakpoint.",
  "[l]ist               List source code around current line.",
  "[l]ist [line]        List source code around [line].",
  "                     line = 0 means: current position.",
  "[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
  "                     to show before/after [line].",
  "[w]hole              List all source code. Alias for 'list 1 1000000'.",
  "[p]rint              Show all the local variables.",
  "[p]rint <var>        Show the value of the specified variable.",
  "                     Can also show global vars KEYS and ARGV.",
  "[b]reak              Show all breakpoints.",
  "[b]reak <line>       Add a breakpoint to the specified line.",
  "[b]reak -<line>      Remove breakpoint from the specified line.",
  "[b]reak 0            Remove all breakpoints.",
  "[t]race              Show a backtrace.",
  "[e]val <code>        Execute some Lua code (in a different callframe).",
  "[r]edis <cmd>        Execute a Redis command.",
  "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
  "                     Specifying zero as <len> means unlimited.",
  "[a]bort              Stop the execution of the script. In sync",
  "                     mode dataset changes will be retained.",
  "",
  "Debugger functions you can call from Lua scripts:",
  "redis.debug()        Produce logs in the debugger console.",
  "redis.breakpoint()   Stop execution like if there was a breakpoint in the",
  "                     next line of code.",
];
