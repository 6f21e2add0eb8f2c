/**
 * Progress for long work (moving slots, waiting for a join): on a terminal a bar redrawn in
 * place with counts and rates; when piped, a plain line at most once per `lineEveryMs` and a
 * final line. Rendering is pure (renderBar / renderLine); Progress only decides when to draw.
 */

import type { Out } from "./format.ts";

export interface ProgressState {
  label: string;
  unit: string;
  done: number;
  total: number;
  /** Secondary count (keys moved); -1 to leave it out. */
  keys: number;
  elapsedMs: number;
}

export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "0";
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(0)}k`;
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k`;
  if (perSecond >= 100) return perSecond.toFixed(0);
  return perSecond.toFixed(1);
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function rates(s: ProgressState): string {
  const sec = Math.max(s.elapsedMs, 1) / 1000;
  let text = `${formatRate(s.done / sec)} ${s.unit}/s`;
  if (s.keys >= 0) text += `, ${formatRate(s.keys / sec)} keys/s`;
  return text;
}

/** "Moving slots [#####-----] 120/4096 slots, 2300 keys | 85.0 slots/s, 1.6k keys/s | ETA 45s" */
export function renderBar(s: ProgressState, barWidth = 30): string {
  const frac = s.total > 0 ? Math.min(1, s.done / s.total) : 1;
  const filled = Math.round(frac * barWidth);
  const bar = "#".repeat(filled) + "-".repeat(barWidth - filled);
  let text = `${s.label} [${bar}] ${s.done}/${s.total} ${s.unit}`;
  if (s.keys >= 0) text += `, ${s.keys} keys`;
  text += ` | ${rates(s)}`;
  if (s.done > 0 && s.done < s.total) {
    text += ` | ETA ${formatDuration((s.elapsedMs / s.done) * (s.total - s.done))}`;
  } else if (s.done >= s.total) {
    text += ` | ${formatDuration(s.elapsedMs)}`;
  }
  return text;
}

/** "Moving slots: 120/4096 slots (2.9%), 2300 keys, 85.0 slots/s, 1.6k keys/s" */
export function renderLine(s: ProgressState): string {
  const pct = s.total > 0 ? ((100 * s.done) / s.total).toFixed(1) : "100.0";
  let text = `${s.label}: ${s.done}/${s.total} ${s.unit} (${pct}%)`;
  if (s.keys >= 0) text += `, ${s.keys} keys`;
  return `${text}, ${rates(s)}, ${formatDuration(s.elapsedMs)} elapsed`;
}

export class Progress {
  private done = 0;
  private keys: number;
  private readonly startMs: number;
  private lastDrawMs: number;
  private finished = false;

  constructor(
    private readonly out: Out,
    private readonly label: string,
    private readonly total: number,
    private readonly opts: {
      unit?: string;
      withKeys?: boolean;
      lineEveryMs?: number;
      now?: () => number;
    } = {},
  ) {
    this.keys = opts.withKeys === false ? -1 : 0;
    this.startMs = this.now();
    this.lastDrawMs = this.startMs;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : performance.now();
  }

  state(): ProgressState {
    return {
      label: this.label,
      unit: this.opts.unit ?? "slots",
      done: this.done,
      total: this.total,
      keys: this.keys,
      elapsedMs: this.now() - this.startMs,
    };
  }

  add(done: number, keys = 0): void {
    this.done += done;
    if (this.keys >= 0) this.keys += keys;
    this.draw(false);
  }

  /** Keys moved inside a step that is not finished yet (long slots). */
  addKeys(keys: number): void {
    if (this.keys >= 0) this.keys += keys;
    this.draw(false);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.draw(true);
  }

  private draw(final: boolean): void {
    const now = this.now();
    if (this.out.tty) {
      if (!final && now - this.lastDrawMs < 100) return;
      this.lastDrawMs = now;
      const width = Math.max(10, Math.min(40, (consoleColumns() ?? 100) - 90));
      this.out.write(`\r${renderBar(this.state(), width)}\x1b[K${final ? "\n" : ""}`);
      return;
    }
    if (!final && now - this.lastDrawMs < (this.opts.lineEveryMs ?? 1000)) return;
    this.lastDrawMs = now;
    this.out.line(renderLine(this.state()));
  }
}

function consoleColumns(): number | null {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return null;
  }
}
