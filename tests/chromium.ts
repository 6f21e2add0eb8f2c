/**
 * A real headless Chromium (Debian's `chromium`) driven over the DevTools protocol, for the
 * dashboard's browser tests: one browser per test (starting it is the slow part), pages loaded
 * by URL, JavaScript evaluated in the page (the DOM as the page shows it, like --dump-dom but at
 * any moment of a live page), and PNG screenshots (like --screenshot).
 */

import { setTimeout as sleep } from "node:timers/promises";

/** Is Debian's chromium installed? */
export function haveChromium(): boolean {
  try {
    new Deno.Command("chromium", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync();
    return true;
  } catch {
    return false;
  }
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waiters: { method: string; resolve: () => void }[] = [];

  private constructor(
    private readonly child: Deno.ChildProcess,
    private readonly ws: WebSocket,
    private readonly profileDir: string,
  ) {
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data));
      if (typeof msg.id === "number") {
        const p = this.pending.get(msg.id);
        if (p === undefined) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`CDP: ${JSON.stringify(msg.error)}`));
        else p.resolve(msg.result ?? {});
        return;
      }
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        if (this.waiters[i].method === msg.method) {
          this.waiters[i].resolve();
          this.waiters.splice(i, 1);
        }
      }
    };
  }

  /** Start chromium --headless with a DevTools port and attach to its first page. */
  static async launch(width = 1400, height = 1300): Promise<Browser> {
    const profileDir = await Deno.makeTempDir({ prefix: "rc-chromium-" });
    const child = new Deno.Command("chromium", {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--hide-scrollbars",
        // A page in a headless browser is never in the background: no timer or renderer
        // throttling.
        "--disable-renderer-backgrounding",
        "--disable-background-timer-throttling",
        "--disable-backgrounding-occluded-windows",
        `--window-size=${width},${height}`,
        `--user-data-dir=${profileDir}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID" on stderr.
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let port = 0;
    const deadline = Date.now() + 60_000;
    while (port === 0) {
      if (Date.now() > deadline) throw new Error(`chromium did not start:\n${text}`);
      const { value, done } = await reader.read();
      if (done) throw new Error(`chromium exited:\n${text}`);
      text += value;
      const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(text);
      if (m) port = Number(m[1]);
    }
    // Keep draining stderr so chromium never blocks on it.
    (async () => {
      try {
        while (!(await reader.read()).done) { /* discard */ }
      } catch { /* closed */ }
    })();
    let wsUrl = "";
    for (let i = 0; i < 100 && wsUrl === ""; i++) {
      const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
        type: string;
        webSocketDebuggerUrl: string;
      }[];
      wsUrl = list.find((t) => t.type === "page")?.webSocketDebuggerUrl ?? "";
      if (wsUrl === "") await sleep(50);
    }
    if (wsUrl === "") throw new Error("chromium has no page target");
    const ws = new WebSocket(wsUrl);
    await new Promise<void>((res, rej) => {
      ws.onopen = () => res();
      ws.onerror = () => rej(new Error("could not attach to chromium's page"));
    });
    const b = new Browser(child, ws, profileDir);
    await b.send("Page.enable");
    await b.send("Runtime.enable");
    await b.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    return b;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<Record<string, unknown>>();
    this.pending.set(id, { resolve, reject });
    this.ws.send(JSON.stringify({ id, method, params }));
    return promise;
  }

  private event(method: string): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.waiters.push({ method, resolve });
    return promise;
  }

  /** Load a URL and wait for its load event. */
  async open(url: string): Promise<void> {
    const loaded = this.event("Page.loadEventFired");
    const r = await this.send("Page.navigate", { url });
    if (r.errorText) throw new Error(`navigate to ${url}: ${r.errorText}`);
    await loaded;
  }

  /** Evaluate an expression in the page; returns its JSON value. */
  async eval<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    }) as { result: { value: T }; exceptionDetails?: unknown };
    if (r.exceptionDetails) throw new Error(`in page: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value;
  }

  /** The page's DOM as HTML now (what --dump-dom prints). */
  dom(): Promise<string> {
    return this.eval<string>("document.documentElement.outerHTML");
  }

  /** Wait until `expression` is truthy in the page (polling every `everyMs`). */
  async waitFor(what: string, expression: string, timeoutMs = 20_000, everyMs = 25): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await this.eval<boolean>(`!!(${expression})`)) return;
      await sleep(everyMs);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting in the page for: ${what}`);
  }

  /** A PNG of the whole page. */
  async screenshot(path: string): Promise<number> {
    const r = await this.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
    }) as { data: string };
    const bin = Uint8Array.from(atob(r.data), (c) => c.charCodeAt(0));
    await Deno.writeFile(path, bin);
    return bin.length;
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) p.reject(new Error("browser closed"));
    this.pending.clear();
    try {
      this.ws.close();
    } catch { /* closed */ }
    try {
      this.child.kill("SIGKILL");
    } catch { /* gone */ }
    await this.child.status;
    await Deno.remove(this.profileDir, { recursive: true }).catch(() => {});
  }
}
