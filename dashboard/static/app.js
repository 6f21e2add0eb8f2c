// The dashboard page: renders the view inlined in the page at once, then follows the server's
// event stream (/events). Plain browser JavaScript, no build step. Attributes the tests read:
// slot cells .slot[data-slot][data-owner], node cards .node[data-node-id][data-role]
// [data-fail-state][data-reachable][data-slots], timeline entries li[data-kind][data-node-id]
// [data-time-ms (the server saw it)][data-received-ms (the page got it)].
"use strict";

const SLOTS = 16384;
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#e15759",
  "#b07aa1",
  "#76b7b2",
  "#edc948",
  "#9c755f",
  "#ff9da7",
  "#bab0ac",
  "#1f77b4",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#17becf",
];
const colours = new Map();
function colourOf(id) {
  if (id === null || id === undefined) return "";
  if (!colours.has(id)) colours.set(id, PALETTE[colours.size % PALETTE.length]);
  return colours.get(id);
}

const $ = (id) => document.getElementById(id);
const state = { view: null, timeline: [], jobs: new Map(), owners: new Array(SLOTS).fill(null) };

function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === "class") e.className = v;
    else if (k === "style") e.style.cssText = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const short = (id) => (id ? id.slice(0, 8) : "-");
function bytes(n) {
  if (n === null || n === undefined) return "-";
  const u = ["B", "K", "M", "G", "T"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)}${u[i]}`;
}
const fmt = (v, unit = "") => (v === null || v === undefined ? "-" : `${v}${unit}`);
function timeText(ms) {
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour12: false }) + "." +
    String(d.getMilliseconds()).padStart(3, "0");
}
function nodeById(id) {
  return state.view ? state.view.nodes.find((n) => n.id === id) : undefined;
}
function nodeName(id) {
  const n = nodeById(id);
  return n ? n.addr : short(id);
}

// ---- slot grid -------------------------------------------------------------------------------
const cells = [];
/** What each cell shows now (reading it back from the DOM is slow). */
const drawn = { owner: new Array(SLOTS).fill(undefined), cls: new Array(SLOTS).fill("slot") };
function buildGrid() {
  const grid = $("slot-grid");
  const frag = document.createDocumentFragment();
  for (let s = 0; s < SLOTS; s++) {
    const c = document.createElement("i");
    c.className = "slot";
    c.dataset.slot = String(s);
    c.dataset.owner = "";
    cells.push(c);
    frag.append(c);
  }
  grid.append(frag);
  grid.addEventListener("mouseover", (e) => {
    const s = e.target.dataset && e.target.dataset.slot;
    if (s !== undefined) showSlot(Number(s), false);
  });
  grid.addEventListener("click", (e) => {
    const s = e.target.dataset && e.target.dataset.slot;
    if (s !== undefined) showSlot(Number(s), true);
  });
}

function showSlot(slot, withKeys) {
  const owner = state.owners[slot];
  const open = (state.view ? state.view.open : []).filter((o) => o.slot === slot);
  const info = $("slot-info");
  info.dataset.slot = String(slot);
  info.textContent = `slot ${slot}: ` +
    (owner ? `${nodeName(owner)} (${short(owner)})` : "no owner") +
    open.map((o) => ` · ${o.kind} ${o.kind === "migrating" ? "to" : "from"} ${nodeName(o.peerId)}`)
      .join("");
  if (!withKeys) return;
  info.textContent += " · keys: …";
  fetch(`/api/slot?slot=${slot}`).then((r) => r.json()).then((r) => {
    if (info.dataset.slot !== String(slot)) return;
    info.dataset.keys = r.keys === null ? "" : String(r.keys);
    info.textContent = info.textContent.replace(
      /keys: …$/,
      `keys: ${r.keys === null ? "?" : r.keys}`,
    );
  }).catch(() => {});
}

function renderSlots(view) {
  const owners = new Array(SLOTS).fill(null);
  for (const [a, b, id] of view.slots) for (let s = a; s <= b; s++) owners[s] = id;
  const open = new Map();
  for (const o of view.open) open.set(o.slot, (open.get(o.slot) || "") + " " + o.kind);
  for (let s = 0; s < SLOTS; s++) {
    const id = owners[s];
    if (drawn.owner[s] !== id) {
      drawn.owner[s] = id;
      cells[s].dataset.owner = id || "";
      cells[s].style.background = id ? colourOf(id) : "";
    }
    const cls = "slot" + (open.get(s) || "");
    if (drawn.cls[s] !== cls) {
      drawn.cls[s] = cls;
      cells[s].className = cls;
    }
  }
  state.owners = owners;
  const covered = view.covered;
  const cov = $("coverage");
  cov.dataset.covered = String(covered);
  cov.textContent = `${covered} / ${SLOTS} slots covered`;
  cov.className = covered === SLOTS ? "good" : "bad";
  const tbody = $("slot-legend").querySelector("tbody");
  tbody.replaceChildren(
    ...view.nodes.filter((n) => n.role === "master" || view.slotCounts[n.id])
      .map((n) =>
        h(
          "tr",
          { "data-node-id": n.id, "data-slots": view.slotCounts[n.id] || 0 },
          h("td", {}, h("span", { class: "swatch", style: `background:${colourOf(n.id)}` })),
          h("td", {}, `${n.addr} (${short(n.id)})`),
          h("td", { class: "slot-count" }, String(view.slotCounts[n.id] || 0)),
          h("td", {}, fmt(n.keys)),
        )
      ),
  );
  $("open-slots").replaceChildren(
    ...(view.open.length === 0 ? [] : [
      h(
        "p",
        {},
        "Open slots: ",
        view.open.map((o) =>
          `${o.slot} ${o.kind} on ${nodeName(o.nodeId)} ${o.kind === "migrating" ? "→" : "←"} ${
            nodeName(o.peerId)
          }`
        ).join("; "),
      ),
    ]),
  );
}

// ---- nodes -----------------------------------------------------------------------------------
function sparkline(values, cls, label) {
  const w = 120, hgt = 24;
  const max = Math.max(1, ...values);
  const pts = values.map((v, i) =>
    `${(values.length <= 1 ? w : (i * w) / (values.length - 1)).toFixed(1)},${
      (hgt - 1 - (v / max) * (hgt - 2)).toFixed(1)
    }`
  ).join(" ");
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", `spark ${cls}`);
  svg.setAttribute("viewBox", `0 0 ${w} ${hgt}`);
  svg.setAttribute("height", String(hgt));
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("data-points", String(values.length));
  const title = document.createElementNS(ns, "title");
  title.textContent = `${label}: last ${values.length} samples, max ${max}`;
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", pts);
  svg.append(title, line);
  return svg;
}

function nodeCard(n) {
  const status = n.reachable === false && n.failState === "ok" ? "unreachable" : n.failState;
  const rows = [
    ["epoch", n.configEpoch],
    ["slots", n.slots],
    ["offset", fmt(n.replOffset)],
    ...(n.role === "replica"
      ? [["lag", `${fmt(n.lagBytes, " B")} / ${fmt(n.lagSec, " s")}`], [
        "link",
        fmt(n.masterLinkStatus),
      ]]
      : []),
    ["memory", bytes(n.usedMemory)],
    ["keys", fmt(n.keys)],
    ["ops/s", fmt(n.opsPerSec)],
    ["rtt", fmt(n.rttMs, " ms")],
  ];
  const failover = n.role === "replica" && n.reachable
    ? h("button", { class: "failover", onclick: () => askFailover(n) }, "Failover…")
    : null;
  return h(
    "div",
    {
      class: `node ${n.role} ${status}`,
      "data-node-id": n.id,
      "data-addr": n.addr,
      "data-role": n.role,
      "data-fail-state": n.failState,
      "data-reachable": n.reachable === null ? "unknown" : n.reachable ? "yes" : "no",
      "data-slots": n.slots,
      "data-epoch": n.configEpoch,
      "data-master-link": n.masterLinkStatus || "",
      style: n.role === "master" ? `border-color:${colourOf(n.id)}` : "",
    },
    h(
      "div",
      { class: "title" },
      h("b", {}, n.addr),
      " ",
      h("span", { class: "role" }, n.role),
      status !== "ok" ? h("span", { class: `status ${status}` }, status.toUpperCase()) : null,
    ),
    h("div", { class: "id" }, n.id),
    h(
      "table",
      { class: "stats" },
      rows.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, String(v)))),
    ),
    h(
      "div",
      { class: "sparks" },
      h("span", {}, "ops/s"),
      sparkline(n.opsHistory, "ops", "ops/s"),
      h("span", {}, "rtt"),
      sparkline(n.rttHistory, "rtt", "round trip ms"),
    ),
    failover,
  );
}

/** Cards are made again only when what they show changed. */
const cards = new Map();
let drawnOptions = "";
function cachedCard(n) {
  const key = JSON.stringify(n) + colourOf(n.id);
  const c = cards.get(n.id);
  if (c && c.key === key) return c.el;
  const el = nodeCard(n);
  cards.set(n.id, { key, el });
  return el;
}

function renderNodes(view) {
  const groups = [];
  const byMaster = new Map();
  for (const n of view.nodes) {
    if (n.role === "master") {
      const g = { master: n, replicas: [] };
      groups.push(g);
      byMaster.set(n.id, g);
    }
  }
  const orphans = [];
  for (const n of view.nodes) {
    if (n.role !== "replica") continue;
    const g = byMaster.get(n.masterId);
    if (g) g.replicas.push(n);
    else orphans.push(n);
  }
  if (orphans.length) groups.push({ master: null, replicas: orphans });
  $("node-graph").replaceChildren(
    ...groups.map((g) =>
      h(
        "div",
        { class: "shard" },
        g.master ? cachedCard(g.master) : h("div", { class: "node ghost" }, "master unknown"),
        g.replicas.map((r) =>
          h("div", { class: "edge" }, h("div", { class: "wire" }), cachedCard(r))
        ),
      )
    ),
  );
  const options = JSON.stringify(
    view.nodes.filter((n) => n.role === "master").map((n) => [n.addr, view.slotCounts[n.id]]),
  );
  if (options === drawnOptions) return; // an open drop-down stays open
  drawnOptions = options;
  for (const sel of [$("move-from"), $("move-to")]) {
    const keep = sel.value;
    sel.replaceChildren(
      ...view.nodes.filter((n) => n.role === "master").map((n) =>
        h("option", { value: n.id }, `${n.addr} (${view.slotCounts[n.id] || 0} slots)`)
      ),
    );
    if (keep) sel.value = keep;
  }
  if ($("move-from").value === $("move-to").value && $("move-to").options.length > 1) {
    $("move-to").selectedIndex = ($("move-from").selectedIndex + 1) % $("move-to").options.length;
  }
}

// ---- links -----------------------------------------------------------------------------------
const LINK_TEXT = {
  connected: "ok",
  disconnected: "down",
  handshake: "hs",
  noaddr: "noaddr",
  pfail: "PFAIL",
  fail: "FAIL",
};
function renderLinks(view) {
  const ids = view.nodes.map((n) => n.id);
  const peers = [...ids];
  for (const l of view.links) if (!peers.includes(l.to)) peers.push(l.to);
  const cell = new Map(view.links.map((l) => [`${l.from} ${l.to}`, l]));
  const head = h(
    "tr",
    {},
    h("th", {}, ""),
    peers.map((p) => h("th", { title: p }, nodeById(p) ? nodeById(p).addr : `${short(p)}…`)),
  );
  const rows = view.nodes.filter((n) => n.reachable).map((r) =>
    h(
      "tr",
      {},
      h("th", {}, r.addr),
      peers.map((p) => {
        if (p === r.id) return h("td", { class: "self" }, "·");
        const l = cell.get(`${r.id} ${p}`);
        if (!l) return h("td", { class: "none" }, "");
        const conn = l.outbound === null ? "" : `${l.outbound ? "→" : ""}${l.inbound ? "←" : ""}`;
        // Our nodes also say what their link actor for the peer is in (data-machine).
        const machine = l.machine ? ` [${l.machine}]` : "";
        return h("td", {
          class: `link ${l.state}`,
          "data-from": l.from,
          "data-to": l.to,
          "data-state": l.state,
          ...(l.machine ? { "data-machine": l.machine } : {}),
          title: `${r.addr} sees ${l.toAddr}: ${l.state}` +
            (l.outbound === null
              ? ""
              : ` (outbound ${l.outbound ? "open" : "none"}, inbound ${
                l.inbound ? "open" : "none"
              })`) +
            (l.machine ? `; its link actor: ${l.machine}` : ""),
        }, `${LINK_TEXT[l.state] || l.state} ${conn}${machine}`);
      }),
    )
  );
  $("link-matrix").replaceChildren(h("thead", {}, head), h("tbody", {}, rows));
}

// ---- timeline --------------------------------------------------------------------------------
function addEvents(events, receivedMs) {
  const list = $("timeline");
  for (const e of events) {
    if (state.timeline.length && e.seq <= state.timeline[state.timeline.length - 1].seq) continue;
    state.timeline.push(e);
    list.prepend(h(
      "li",
      {
        class: `event ${e.kind}`,
        "data-seq": e.seq,
        "data-kind": e.kind,
        "data-node-id": e.nodeId || "",
        "data-time-ms": e.timeMs,
        "data-received-ms": receivedMs,
      },
      h("time", {}, timeText(e.timeMs)),
      " ",
      h("span", { class: "kind" }, e.kind),
      " ",
      e.text,
    ));
  }
  while (list.children.length > 500) list.lastElementChild.remove();
}

// ---- jobs (actions) --------------------------------------------------------------------------
function renderJob(job) {
  const known = state.jobs.get(job.id);
  if (known && known.rev >= job.rev) return; // an older state (e.g. the POST's answer, late)
  state.jobs.set(job.id, job);
  const pct = job.total > 0 ? Math.round((100 * job.done) / job.total) : 0;
  const el = h(
    "div",
    {
      class: `job ${job.status}`,
      id: `job-${job.id}`,
      "data-status": job.status,
      "data-done": job.done,
      "data-total": job.total,
    },
    h(
      "div",
      {},
      h("b", {}, job.title),
      ` — ${job.status} — ${job.done}/${job.total}` +
        (job.kind === "move" ? `, ${job.keys} keys` : ""),
    ),
    h("progress", { max: job.total || 1, value: job.done }),
    ` ${pct}%`,
    h("pre", {}, job.lines.slice(-6).join("\n")),
  );
  const old = $(`job-${job.id}`);
  if (old) old.replaceWith(el);
  else $("jobs").prepend(el);
}

async function post(path, body) {
  const r = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, confirm: true }),
  });
  const j = await r.json();
  if (!r.ok) alert(`Refused: ${j.error}`);
  else renderJob(j);
}

function askFailover(n) {
  const m = nodeById(n.masterId);
  if (
    !confirm(
      `Manual failover: promote ${n.addr} in place of ${
        m ? m.addr : short(n.masterId)
      }?\n(CLUSTER FAILOVER on the replica, as cli.ts failover)`,
    )
  ) return;
  post("/api/failover", { replica: n.addr, mode: "" });
}

$("move-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const from = $("move-from").value, to = $("move-to").value, count = Number($("move-count").value);
  if (!from || !to || from === to) return alert("Pick two different masters.");
  if (
    !confirm(
      `Move ${count} slot(s) with their keys from ${nodeName(from)} to ${
        nodeName(to)
      }?\n(as cli.ts reshard)`,
    )
  ) return;
  post("/api/move", { from, to, slots: count });
});

// ---- the view --------------------------------------------------------------------------------
function render(view) {
  state.view = view;
  const st = $("cluster-state");
  st.dataset.state = view.state;
  st.textContent = `cluster_state:${view.state}`;
  $("epoch").textContent = `currentEpoch ${fmt(view.currentEpoch)}`;
  const up = $("updated");
  up.dataset.timeMs = String(view.timeMs);
  up.textContent = `updated ${timeText(view.timeMs)}`;
  renderSlots(view);
  renderNodes(view);
  renderLinks(view);
}

function applySnapshot(s, receivedMs) {
  if (s.view) render(s.view);
  addEvents(s.timeline || [], receivedMs);
  for (const j of s.jobs || []) renderJob(j);
}

buildGrid();
const initial = JSON.parse($("initial-state").textContent);
if (initial !== null) applySnapshot(initial, Date.now());

function connect() {
  const es = new EventSource("/events");
  const live = $("live");
  es.onopen = () => {
    live.dataset.live = "yes";
    live.textContent = "live";
  };
  es.onerror = () => {
    live.dataset.live = "no";
    live.textContent = "reconnecting…";
  };
  es.addEventListener("snapshot", (m) => applySnapshot(JSON.parse(m.data), Date.now()));
  // Events go on the timeline as they arrive; a burst of views is drawn once, the last.
  let pending = null;
  es.addEventListener("view", (m) => {
    const now = Date.now();
    const d = JSON.parse(m.data);
    addEvents(d.events, now);
    if (pending === null) {
      setTimeout(() => {
        const v = pending;
        pending = null;
        render(v);
      }, 0);
    }
    pending = d.view;
  });
  es.addEventListener("job", (m) => renderJob(JSON.parse(m.data)));
}
connect();
