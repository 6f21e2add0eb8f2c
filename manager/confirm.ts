/**
 * Confirmation before changing a cluster: `--yes` skips it; otherwise a terminal is asked
 * (only "yes" proceeds); with stdin not a terminal (a script) the manager refuses rather than
 * wait or guess.
 */

import type { Out } from "./format.ts";

export type Confirmation = "yes" | "no" | "refused";

async function readLine(): Promise<string | null> {
  const buf = new Uint8Array(1024);
  let text = "";
  for (;;) {
    const n = await Deno.stdin.read(buf);
    if (n === null) return text === "" ? null : text;
    text += new TextDecoder().decode(buf.subarray(0, n));
    const nl = text.indexOf("\n");
    if (nl >= 0) return text.slice(0, nl);
    if (text.length > 4096) return text;
  }
}

export async function confirm(out: Out, question: string, yes: boolean): Promise<Confirmation> {
  if (yes) return "yes";
  if (!Deno.stdin.isTerminal()) {
    out.line(
      `[ERR] ${question} needs confirmation, but stdin is not a terminal. ` +
        "Pass --yes to proceed without asking.",
      "err",
    );
    return "refused";
  }
  out.write(`${question} (type 'yes' to accept): `);
  const answer = await readLine();
  return answer !== null && answer.trim() === "yes" ? "yes" : "no";
}
