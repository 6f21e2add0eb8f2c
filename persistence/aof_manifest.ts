/**
 * Redis 7.0's multi-part AOF manifest (aof.c): one line per file,
 *   file <name> seq <n> type <b|h|i>
 * b = the base file (an RDB with aof-use-rdb-preamble, else commands), i = incremental files of
 * commands appended after it, in sequence order, h = history files left by a rewrite, to delete.
 * Lines starting with '#' are comments. Pure: text in, text out.
 */

export type AofFileType = "b" | "h" | "i";

export interface AofFileInfo {
  name: string;
  seq: number;
  type: AofFileType;
}

export interface AofManifest {
  base: AofFileInfo | null;
  incr: AofFileInfo[];
  history: AofFileInfo[];
  /** The highest sequence numbers used so far (new files take the next one). */
  currBaseSeq: number;
  currIncrSeq: number;
}

export class AofManifestError extends Error {}

/** Redis's AOF_MANIFEST_MAX_LINE. */
const MAX_LINE = 1024;

export function emptyManifest(): AofManifest {
  return { base: null, incr: [], history: [], currBaseSeq: 0, currIncrSeq: 0 };
}

/** A name as Redis writes it: quoted (sdscatrepr) only when it holds spaces or odd bytes. */
function quoteName(name: string): string {
  if (/^[\x21-\x7e]+$/.test(name) && !/["'\\]/.test(name)) return name;
  let out = '"';
  for (const ch of name) {
    const c = ch.charCodeAt(0);
    if (ch === "\\" || ch === '"') out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c > 0x7e) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Split a line into words, honouring "double quotes" with \\ escapes (sdssplitargs). */
function splitWords(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    let w = "";
    if (line[i] === '"') {
      i++;
      let closed = false;
      while (i < line.length) {
        const ch = line[i];
        if (ch === "\\" && i + 1 < line.length) {
          const n = line[i + 1];
          if (n === "x" && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
            w += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          w += n === "n" ? "\n" : n === "r" ? "\r" : n === "t" ? "\t" : n;
          i += 2;
          continue;
        }
        if (ch === '"') {
          closed = true;
          i++;
          break;
        }
        w += ch;
        i++;
      }
      if (!closed || (i < line.length && !/\s/.test(line[i]))) return null;
    } else {
      while (i < line.length && !/\s/.test(line[i])) w += line[i++];
    }
    out.push(w);
  }
  return out;
}

/** Parse a manifest (aofLoadManifestFromFile). Throws AofManifestError with Redis's reasons. */
export function parseManifest(text: string): AofManifest {
  const m = emptyManifest();
  let maxIncrSeq = 0;
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (const raw of lines) {
    if (raw.length + 1 > MAX_LINE) {
      throw new AofManifestError("The AOF manifest file contains too long line");
    }
    const line = raw.replace(/\r$/, "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const words = splitWords(line);
    if (words === null || words.length < 6 || words.length % 2 !== 0) {
      throw new AofManifestError("Invalid AOF manifest file format");
    }
    let name: string | null = null;
    let seq = 0;
    let type: string | null = null;
    for (let i = 0; i < words.length; i += 2) {
      const k = words[i];
      if (k === "file") name = words[i + 1];
      else if (k === "seq") seq = Number(words[i + 1]);
      else if (k === "type") type = words[i + 1];
      // Unknown keys are ignored, as Redis does (forward compatibility).
    }
    if (name === null || !Number.isSafeInteger(seq) || seq <= 0 || type === null) {
      throw new AofManifestError("Invalid AOF manifest file format");
    }
    if (type === "b") {
      if (m.base !== null) throw new AofManifestError("Found duplicate base file information");
      m.base = { name, seq, type: "b" };
      m.currBaseSeq = seq;
    } else if (type === "h") {
      m.history.push({ name, seq, type: "h" });
    } else if (type === "i") {
      if (seq <= maxIncrSeq) throw new AofManifestError("Found a non-monotonic sequence number");
      m.incr.push({ name, seq, type: "i" });
      m.currIncrSeq = seq;
      maxIncrSeq = seq;
    } else {
      throw new AofManifestError("Unknown AOF file type");
    }
  }
  if (m.base === null && m.incr.length === 0 && m.history.length === 0) {
    throw new AofManifestError("Found an empty AOF manifest");
  }
  return m;
}

/** The manifest's text (getAofManifestAsString): base, then history, then incremental files. */
export function serializeManifest(m: AofManifest): string {
  let out = "";
  const line = (f: AofFileInfo) => `file ${quoteName(f.name)} seq ${f.seq} type ${f.type}\n`;
  if (m.base !== null) out += line(m.base);
  for (const h of m.history) out += line(h);
  for (const i of m.incr) out += line(i);
  return out;
}

/** File names (getNewBaseFileNameAndMarkPreAsHistory / getNewIncrAofName). */
export function baseFileName(prefix: string, seq: number, rdbPreamble: boolean): string {
  return `${prefix}.${seq}.base.${rdbPreamble ? "rdb" : "aof"}`;
}
export function incrFileName(prefix: string, seq: number): string {
  return `${prefix}.${seq}.incr.aof`;
}
export function manifestFileName(prefix: string): string {
  return `${prefix}.manifest`;
}

/** A new incremental file after the current ones (a rewrite starts one; so does a fresh AOF). */
export function withNewIncr(
  m: AofManifest,
  prefix: string,
): { manifest: AofManifest; file: AofFileInfo } {
  const seq = m.currIncrSeq + 1;
  const file: AofFileInfo = { name: incrFileName(prefix, seq), seq, type: "i" };
  return { manifest: { ...m, incr: [...m.incr, file], currIncrSeq: seq }, file };
}

/**
 * After a rewrite: the new base replaces the old one, and every incremental file but the last
 * (the one opened when the rewrite began) becomes history (backgroundRewriteDoneHandler).
 */
export function withNewBase(
  m: AofManifest,
  prefix: string,
  rdbPreamble: boolean,
  keepIncr: AofFileInfo,
): { manifest: AofManifest; base: AofFileInfo } {
  const seq = m.currBaseSeq + 1;
  const base: AofFileInfo = { name: baseFileName(prefix, seq, rdbPreamble), seq, type: "b" };
  const history = [...m.history];
  if (m.base !== null) history.push({ ...m.base, type: "h" });
  const incr: AofFileInfo[] = [];
  for (const f of m.incr) {
    if (f.seq < keepIncr.seq) history.push({ ...f, type: "h" });
    else incr.push(f);
  }
  return { manifest: { ...m, base, incr, history, currBaseSeq: seq }, base };
}
