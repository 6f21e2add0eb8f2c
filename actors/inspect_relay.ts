/**
 * The local relay between a node's WebSocket inspector and the browser (`--inspect`): an HTTP
 * page that embeds the Stately inspector UI (https://stately.ai/inspect, loaded by the browser)
 * and forwards to it, over a WebSocket back to this relay, what the node sends. Same role as
 * @statelyai/inspect/server, plus what a long-running node needs: a browser that connects late
 * still gets every live actor (its @xstate.actor message, which carries the machine definition)
 * and its latest snapshot, not just the last few hundred messages. Memory is bounded
 * (MAX_SESSIONS actors remembered, oldest forgotten first).
 */

const MAX_SESSIONS = 5000;
/** Per-client send queue bound (messages); a browser that stops reading is dropped. */
const MAX_CLIENT_BUFFERED_BYTES = 16 * 1024 * 1024;

export function bridgeHtml(wsUrl: string, inspectorUrl = "https://stately.ai/inspect"): string {
  return `<!DOCTYPE html>
<html>
<head>
  <title>Node actors - Stately Inspector</title>
  <style>* { margin: 0; padding: 0; } html, body { height: 100%; }
  iframe { width: 100%; height: 100%; border: none; }</style>
</head>
<body>
  <iframe id="inspector" src="${inspectorUrl}"></iframe>
  <script>
    const iframe = document.getElementById('inspector');
    const buffer = [];
    let connected = false;
    window.addEventListener('message', (e) => {
      if (e.data && e.data.type === '@statelyai.connected') {
        connected = true;
        buffer.forEach((event) => iframe.contentWindow.postMessage(event, '*'));
        buffer.length = 0;
      }
    });
    const ws = new WebSocket('${wsUrl}');
    ws.onmessage = (event) => {
      const data = JSON.parse(event.data);
      if (connected) iframe.contentWindow.postMessage(data, '*');
      else buffer.push(data);
    };
  </script>
</body>
</html>`;
}

interface Relayed {
  type?: string;
  sessionId?: string;
  snapshot?: { status?: string };
}

export interface Relay {
  /** ws://127.0.0.1:<port>, for the node's inspector. */
  wsUrl: string;
  /** http://127.0.0.1:<port>, for the browser. */
  pageUrl: string;
  stop(): Promise<void>;
}

export function startRelay(port: number, hostname = "127.0.0.1"): Relay {
  const wsUrl = `ws://${hostname}:${port}`;
  const clients = new Set<WebSocket>();
  /** sessionId -> its @xstate.actor message (insertion order = creation order). */
  const actors = new Map<string, string>();
  /** sessionId -> its latest @xstate.snapshot message. */
  const snapshots = new Map<string, string>();

  const remember = (text: string) => {
    let m: Relayed;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    const id = m.sessionId;
    if (typeof id !== "string") return;
    if (m.type === "@xstate.actor") {
      actors.set(id, text);
      if (actors.size > MAX_SESSIONS) {
        const oldest = actors.keys().next().value as string;
        actors.delete(oldest);
        snapshots.delete(oldest);
      }
    } else if (m.type === "@xstate.snapshot" && actors.has(id)) {
      const status = m.snapshot?.status;
      if (status === "stopped" || status === "done" || status === "error") {
        actors.delete(id);
        snapshots.delete(id);
      } else snapshots.set(id, text);
    }
  };

  const send = (ws: WebSocket, text: string) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_CLIENT_BUFFERED_BYTES) {
      ws.close();
      return;
    }
    ws.send(text);
  };

  const server = Deno.serve({ port, hostname, onListen: () => {} }, (req) => {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response(bridgeHtml(wsUrl), { headers: { "content-type": "text/html" } });
    }
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onopen = () => {
      clients.add(socket);
      for (const t of actors.values()) send(socket, t);
      for (const t of snapshots.values()) send(socket, t);
    };
    socket.onmessage = (e) => {
      const text = String(e.data);
      remember(text);
      for (const c of clients) if (c !== socket) send(c, text);
    };
    socket.onclose = () => clients.delete(socket);
    socket.onerror = () => clients.delete(socket);
    return response;
  });
  return {
    wsUrl,
    pageUrl: `http://${hostname}:${port}`,
    async stop() {
      for (const c of clients) c.close();
      await server.shutdown();
    },
  };
}
