// The status page served at /: self-contained (no external assets), it reads
// the API and redraws every two seconds without losing the reader's place
// (graph pan and zoom, filters, the open migration).
//
// Built for an on-call engineer: what needs attention comes first (failed
// migrations, checksum mismatches, unreachable databases, drift), each one
// click from its details; the services table sorts the worst first and
// filters by service, state and database; the graph is laid out in columns by
// dependency depth and rows by service, with pan, zoom and full names on
// hover and in the side panel. Large platforms draw at most kMaxLanes
// services at once, the most urgent first, and say how to narrow the rest.
namespace lockstep {

extern const char kStatusPage[] = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lockstep</title>
<style>
  :root { --ok: #2e7d32; --pending: #757575; --running: #1565c0; --failed: #c62828;
          --mismatch: #6a1b9a; --drift: #ef6c00; --ink: #212121; --line: #e0e0e0; --panel: 440px; }
  * { box-sizing: border-box; }
  body { font: 14px/1.4 system-ui, sans-serif; color: var(--ink); margin: 0; background: #fafafa; }
  header { background: #263238; color: #fff; padding: 10px 20px; display: flex; gap: 18px;
           align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  header .muted { color: #b0bec5; }
  #error { color: #ff8a80; }
  main { padding: 14px 20px; display: grid; gap: 14px; }
  body.panel-open main { margin-right: var(--panel); }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 0; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
  th { font-weight: 600; color: #546e7a; }
  a { color: #1565c0; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px;
           margin: 1px 4px 1px 0; text-decoration: none; white-space: nowrap; }
  .ok, .applied, .baseline { background: var(--ok); } .pending { background: var(--pending); }
  .running { background: var(--running); } .failed { background: var(--failed); }
  .checksum_mismatch { background: var(--mismatch); } .drift { background: var(--drift); }
  #attention ul { margin: 0; padding-left: 18px; } #attention li { margin: 2px 0; }
  #attention .none { color: var(--ok); }
  .filters { display: flex; gap: 10px; flex-wrap: wrap; margin-bottom: 8px; align-items: center; }
  .filters input, .filters select, .tools button { font: inherit; padding: 3px 6px; }
  .note { color: #616161; font-size: 13px; margin: 6px 0 0; }
  .tools { display: flex; gap: 6px; align-items: center; margin-bottom: 6px; flex-wrap: wrap; }
  .legend span { margin-right: 10px; font-size: 12px; }
  .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
  #graph-view { height: 56vh; min-height: 320px; border: 1px solid var(--line); border-radius: 4px;
                overflow: hidden; cursor: grab; background: #fcfcfc; touch-action: none; }
  #graph-view.dragging { cursor: grabbing; }
  #graph-view svg { width: 100%; height: 100%; display: block; user-select: none; }
  svg text { font-size: 12px; }
  svg .node { cursor: pointer; } svg .node text { pointer-events: none; }
  svg .node.selected rect { stroke: #ffd600; stroke-width: 3; }
  svg .lane-label { font-weight: 600; fill: #37474f; }
  code, pre { background: #f1f1f1; border-radius: 3px; }
  code { padding: 0 4px; } pre { padding: 8px; white-space: pre-wrap; word-break: break-word; }
  #panel { position: fixed; top: 0; right: 0; bottom: 0; width: var(--panel); background: #fff;
           border-left: 1px solid var(--line); box-shadow: -2px 0 8px rgba(0,0,0,.08);
           padding: 12px 16px; overflow: auto; display: none; }
  body.panel-open #panel { display: block; }
  #panel h2 { font-size: 16px; word-break: break-all; padding-right: 30px; }
  #panel .close { position: absolute; top: 8px; right: 10px; font-size: 20px; text-decoration: none; color: #546e7a; }
  #panel th { width: 110px; } #panel td { word-break: break-all; }
  #panel ul { margin: 4px 0 8px; padding-left: 18px; }
</style>
</head>
<body>
<header><h1>lockstep</h1><span id="platform"></span><span id="summary"></span>
  <span id="refreshed" class="muted"></span><span id="error"></span></header>
<main>
  <section id="attention"><h2>Needs attention</h2><div id="attention-list"></div></section>
  <section><h2>Services</h2>
    <div class="filters">
      <input id="f-service" type="search" placeholder="filter services" list="service-names" aria-label="service">
      <datalist id="service-names"></datalist>
      <select id="f-state" aria-label="state">
        <option value="">every state</option><option value="failed">failed</option>
        <option value="checksum_mismatch">checksum mismatch</option><option value="running">running</option>
        <option value="pending">pending</option><option value="applied">up to date</option>
        <option value="drift">drifted database</option>
      </select>
      <select id="f-database" aria-label="database"><option value="">every database</option></select>
      <span id="shown" class="note"></span>
    </div>
    <div id="by-database"></div>
    <table id="services"><thead><tr><th>service</th><th>database</th><th>applied</th><th>state</th></tr></thead>
      <tbody></tbody></table>
    <p id="services-more" class="note"></p>
  </section>
  <section><h2>Migration graph</h2>
    <div class="tools">
      <button id="zoom-in" title="zoom in">+</button><button id="zoom-out" title="zoom out">&minus;</button>
      <button id="fit">fit</button><button id="latest">latest</button>
      <span class="legend"><span><i class="applied"></i>applied</span><span><i class="pending"></i>pending</span>
        <span><i class="running"></i>running</span><span><i class="failed"></i>failed</span>
        <span><i class="checksum_mismatch"></i>checksum mismatch</span>
        <span>&#8212; parent &#8209;&#8209; requires</span></span>
      <span class="note">drag to pan, wheel to zoom, click a migration for its details</span>
    </div>
    <div id="graph-view"></div>
    <p id="graph-note" class="note"></p>
  </section>
  <section><h2>Drift</h2><div id="drift"></div></section>
  <section><h2>Recent runs</h2><table id="runs"><thead><tr><th>run</th><th>trigger</th><th>state</th>
    <th>applied</th><th>started</th><th>finished</th><th>error</th></tr></thead><tbody></tbody></table></section>
</main>
<aside id="panel" aria-live="polite"></aside>
<script>
"use strict";
const kMaxRows = 50, kAggregatedRows = 20, kMaxLanes = 60, kAggregateAfter = 40;
const NODE_W = 168, NODE_H = 24, COL = 200, ROW = 30, LANE_PAD = 8;
const rank = {failed: 0, checksum_mismatch: 1, running: 2, pending: 3, applied: 4};
const stateText = {failed: "failed", checksum_mismatch: "checksum mismatch", running: "running",
                   pending: "pending", applied: "up to date", baseline: "baseline"};

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}
function sv(tag, attrs = {}, text) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
const $ = id => document.getElementById(id);
const link = (id, text) => el("a", {href: "#m=" + id, "data-link": id, title: id}, text || id);
async function get(path) {
  const r = await fetch(path, {cache: "no-store"});
  if (!r.ok) throw new Error(path + ": " + r.status + " " + (await r.text()));
  return r.json();
}

let data = null;  // {status, graph, runs}
const filters = {service: "", state: "", database: ""};
const view = {k: 1, x: 0, y: 0, placed: false, width: 0, height: 0};
let drawnKey = "", nodePos = {};
let lastRun = {id: "", failed: {}};  // the newest finished run's failures: id -> error

// A migration that failed in its own transaction left nothing behind: the
// database says pending. The newest finished run says why; until a run
// applies it, it is shown as failed.
async function readLastRun(runs) {
  const last = runs.runs.find(r => ["succeeded", "failed", "cancelled"].includes(r.state));
  if (!last || last.state !== "failed") { lastRun = {id: "", failed: {}}; return; }
  if (last.id === lastRun.id) return;
  const detail = await get("/v1/runs/" + last.id), failed = {};
  for (const m of detail.migrations) if (m.state === "failed") failed[m.id] = m.error || "";
  lastRun = {id: last.id, failed};
}
function withLastRun(status) {
  for (const s of status.services) {
    const rolledBack = s.pending.filter(id => id in lastRun.failed);
    s.rolled_back = rolledBack;
    s.failed = [...s.failed, ...rolledBack];
    s.pending = s.pending.filter(id => !(id in lastRun.failed));
  }
  return status;
}

// The state of every migration, and of every service: its worst.
function migrationStates(status) {
  const state = {};
  for (const s of status.services) {
    for (const id of s.pending) state[id] = "pending";
    for (const id of s.running) state[id] = "running";
    for (const id of s.checksum_mismatched) state[id] = "checksum_mismatch";
    for (const id of s.failed) state[id] = "failed";
  }
  // The graph has one node per file: a migration of a service on a database
  // set ("app:001@tenant/acme") shows the worst state among its members.
  for (const [id, st] of Object.entries(state)) {
    const at = id.indexOf("@");
    if (at < 0) continue;
    const base = id.slice(0, at);
    if (!(base in state) || rank[st] < rank[state[base]]) state[base] = st;
  }
  return state;
}
function serviceState(s) {
  return s.failed.length ? "failed" : s.checksum_mismatched.length ? "checksum_mismatch"
       : s.running.length ? "running" : s.pending.length ? "pending" : "applied";
}
function driftedDatabases(status) {
  return new Set(status.drift.filter(d => d.state === "checked" && d.drift.length).map(d => d.database));
}
function selectedServices(status) {
  const drifted = driftedDatabases(status), needle = filters.service.toLowerCase();
  return status.services
    .filter(s => !needle || s.service.toLowerCase().includes(needle))
    .filter(s => !filters.database || s.database === filters.database ||
                 (filters.database.endsWith("/") && s.database.startsWith(filters.database)))
    .filter(s => !filters.state || (filters.state === "drift" ? drifted.has(s.database)
                                                              : serviceState(s) === filters.state))
    .sort((a, b) => rank[serviceState(a)] - rank[serviceState(b)] || a.service.localeCompare(b.service));
}

function drawSummary(status) {
  let total = 0, applied = 0;
  for (const s of status.services) { total += s.total; applied += s.applied; }
  const count = k => status.services.reduce((n, s) => n + s[k].length, 0);
  const down = status.databases.filter(d => !d.reachable).length;
  const parts = [status.services.length + " services", applied + "/" + total + " applied"];
  for (const [k, word] of [["failed", "failed"], ["running", "running"], ["pending", "pending"]]) {
    if (count(k)) parts.push(count(k) + " " + word);
  }
  if (down) parts.push(down + " unreachable");
  $("summary").textContent = parts.join(" · ");
}

function drawAttention(status) {
  const ul = el("ul");
  for (const s of status.services) {
    for (const id of s.failed) {
      const why = s.rolled_back.includes(id)
        ? " on database " + s.database + " in run " + lastRun.id + ": its transaction rolled back, nothing of it is applied; " +
          (lastRun.failed[id] || "").replace(/^.*?\): /, "")
        : " on database " + s.database + " outside a transaction: repair it before " + s.service + " can go on";
      ul.append(el("li", {"data-attention": "failed"}, el("span", {class: "badge failed"}, "failed"), " ", link(id), why));
    }
    for (const id of s.checksum_mismatched) ul.append(el("li", {"data-attention": "checksum"},
      el("span", {class: "badge checksum_mismatch"}, "checksum mismatch"), " ", link(id),
      ": the file changed after it was applied"));
  }
  for (const d of status.databases.filter(d => !d.reachable)) {
    ul.append(el("li", {"data-attention": "unreachable"}, el("span", {class: "badge failed"}, "unreachable"),
      " database " + d.database + (d.error ? ": " + d.error : "")));
  }
  for (const d of status.drift.filter(d => d.state === "checked" && d.drift.length)) {
    ul.append(el("li", {"data-attention": "drift"}, el("span", {class: "badge drift"}, "drift"), " database ",
      el("a", {href: "#drift-" + d.database}, d.database), ": " + d.drift.length + " object(s) changed by hand"));
  }
  for (const u of status.unknown_applied) {
    ul.append(el("li", {"data-attention": "unknown"}, el("span", {class: "badge checksum_mismatch"}, "unknown"),
      " " + u.id + " is recorded on " + u.database + " but no file here has it"));
  }
  const box = $("attention-list");
  if (ul.children.length) box.replaceChildren(ul);
  else box.replaceChildren(el("span", {class: "none"}, "Nothing needs attention: no failed migration, every database reachable, no drift."));
}

function drawFilters(status) {
  const names = $("service-names"), dbs = $("f-database");
  const key = status.services.map(s => s.service + "@" + s.database).join(",");
  if (names.dataset.key === key) return;
  names.dataset.key = key;
  names.replaceChildren(...status.services.map(s => el("option", {value: s.service})));
  const databases = [...new Set(status.services.map(s => s.database))].sort();
  const sets = [...new Set(databases.filter(d => d.includes("/")).map(d => d.slice(0, d.indexOf("/") + 1)))];
  databases.unshift(...sets);
  dbs.replaceChildren(el("option", {value: ""}, "every database"),
                      ...databases.map(d => el("option", {value: d}, d.endsWith("/") ? "every member of " + d.slice(0, -1) : d)));
  dbs.value = databases.includes(filters.database) ? filters.database : "";
}

function badges(td, cls, label, ids) {
  if (!ids.length) return;
  td.append(el("span", {class: "badge " + cls}, label + " " + ids.length), " ");
  for (const id of ids.slice(0, 3)) td.append(link(id, id.slice(id.lastIndexOf(":") + 1)), " ");
  if (ids.length > 3) td.append("and " + (ids.length - 3) + " more ");
}
function drawServices(status, shown) {
  const body = document.querySelector("#services tbody");
  body.replaceChildren();
  // Past kAggregateAfter the per-database table comes first: fewer rows.
  const limit = shown.length > kAggregateAfter ? kAggregatedRows : kMaxRows;
  for (const s of shown.slice(0, limit)) {
    const tr = el("tr", {"data-service": s.service});
    const name = el("a", {href: "#", title: "show only " + s.service}, s.service);
    name.onclick = e => { e.preventDefault(); setFilter("service", s.service); };
    const td = el("td");
    badges(td, "failed", "failed", s.failed);
    badges(td, "checksum_mismatch", "checksum mismatch", s.checksum_mismatched);
    badges(td, "running", "running", s.running);
    badges(td, "pending", "pending", s.pending);
    if (serviceState(s) === "applied") td.append(el("span", {class: "badge ok"}, "up to date"));
    tr.append(el("td", {}, name), el("td", {}, s.database), el("td", {}, s.applied + "/" + s.total), td);
    body.append(tr);
  }
  $("shown").textContent = shown.length === status.services.length ? status.services.length + " services"
                         : shown.length + " of " + status.services.length + " services";
  $("services-more").textContent = shown.length > limit
    ? "showing the first " + limit + " (the most urgent first); filter to see the rest" : "";
}

// Past kAggregateAfter services: one row per database, worst first, each a
// click away from its services.
function drawDatabases(status, shown) {
  const box = $("by-database");
  const dbs = {};
  for (const s of shown) {
    const d = dbs[s.database] = dbs[s.database] || {database: s.database, services: 0, ok: 0, pending: 0, failed: 0};
    d.services++; d.pending += s.pending.length; d.failed += s.failed.length + s.checksum_mismatched.length;
    if (serviceState(s) === "applied") d.ok++;
  }
  const rows = Object.values(dbs).sort((a, b) => b.failed - a.failed || b.pending - a.pending || a.database.localeCompare(b.database));
  if (shown.length <= kAggregateAfter || rows.length < 2) { box.replaceChildren(); return; }
  // Members of database sets ("tenant/acme"): one row per set first, each a
  // click away from its members, worst first.
  const sets = {};
  for (const d of rows) {
    const slash = d.database.indexOf("/");
    if (slash < 0) continue;
    const name = d.database.slice(0, slash + 1);
    const t = sets[name] = sets[name] || {set: name, members: 0, ok: 0, pending: 0, failed: 0};
    t.members++; if (d.ok === d.services) t.ok++; if (d.pending) t.pending++; if (d.failed) t.failed++;
  }
  const setRows = Object.values(sets);
  const bySet = [];
  if (setRows.length && !filters.database.endsWith("/")) {
    const body = el("tbody");
    for (const t of setRows) {
      const a = el("a", {href: "#", title: "show only the members of " + t.set}, t.set.slice(0, -1));
      a.onclick = e => { e.preventDefault(); setFilter("database", t.set); };
      body.append(el("tr", {"data-set-row": t.set.slice(0, -1)}, el("td", {}, a), el("td", {}, String(t.members)),
        el("td", {}, String(t.ok)), el("td", {}, String(t.pending)), el("td", {}, String(t.failed))));
    }
    bySet.push(el("h3", {}, "By database set"), el("table", {},
      el("thead", {}, el("tr", {}, ...["set", "members", "up to date", "with pending migrations", "with failures"].map(h => el("th", {}, h)))),
      body));
  }
  const body = el("tbody");
  for (const d of rows.slice(0, kMaxRows)) {
    const a = el("a", {href: "#", title: "show only the services on " + d.database}, d.database);
    a.onclick = e => { e.preventDefault(); setFilter("database", d.database); };
    body.append(el("tr", {"data-database-row": d.database}, el("td", {}, a), el("td", {}, String(d.services)),
      el("td", {}, String(d.ok)), el("td", {}, String(d.pending)), el("td", {}, String(d.failed))));
  }
  box.replaceChildren(...bySet, el("h3", {}, "By database"), el("table", {},
    el("thead", {}, el("tr", {}, ...["database", "services", "up to date", "pending migrations", "failed"].map(h => el("th", {}, h)))),
    body));
}

// Columns by dependency depth, rows by service.
function layout(graph, shown) {
  const depth = {}, needs = {};
  for (const e of graph.edges) (needs[e.to] = needs[e.to] || []).push(e.from);
  for (const m of graph.migrations) depth[m.id] = Math.max(0, ...(needs[m.id] || []).map(d => depth[d] + 1));
  const lanes = shown.map(s => s.service), laneOf = {};
  lanes.forEach((s, i) => laneOf[s] = i);
  const nodes = graph.migrations.filter(m => m.service in laneOf);
  const columns = [...new Set(nodes.map(m => depth[m.id]))].sort((a, b) => a - b), col = {};
  columns.forEach((d, i) => col[d] = i);
  const stack = {}, laneRows = lanes.map(() => 1);
  for (const m of nodes) {
    const key = laneOf[m.service] + "/" + depth[m.id];
    const row = stack[key] = (stack[key] || 0) + 1;
    laneRows[laneOf[m.service]] = Math.max(laneRows[laneOf[m.service]], row);
  }
  const laneTop = [];
  let y = 0;
  for (let i = 0; i < lanes.length; ++i) { laneTop.push(y); y += laneRows[i] * ROW + 2 * LANE_PAD; }
  const labelW = Math.max(120, 12 + 7.4 * Math.max(0, ...lanes.map(s => s.length)));
  const pos = {}, used = {};
  for (const m of nodes) {
    const key = laneOf[m.service] + "/" + depth[m.id];
    const i = used[key] = (used[key] || 0) + 1;
    pos[m.id] = {x: labelW + 24 + col[depth[m.id]] * COL, y: laneTop[laneOf[m.service]] + LANE_PAD + (i - 1) * ROW};
  }
  return {lanes, laneTop, laneRows, labelW, pos, nodes, width: labelW + 48 + columns.length * COL, height: y};
}

function short(m) {
  const text = m.version + " " + m.name;
  return text.length > 23 ? text.slice(0, 22) + "…" : text;
}

function drawGraph(graph, status, shown) {
  // A lane per service as written: the members of a database set share theirs.
  const seen = new Set(), unique = shown.filter(s => !seen.has(s.service) && seen.add(s.service));
  const lanes = unique.slice(0, kMaxLanes);
  $("graph-note").textContent = unique.length > kMaxLanes
    ? "drawing " + kMaxLanes + " of " + unique.length + " services, the most urgent first: filter by service, state or database to choose"
    : "";
  const state = migrationStates(status);
  const key = JSON.stringify([graph.migrations.length, graph.edges.length, lanes.map(s => s.service), state]);
  if (key === drawnKey) return;
  const filtersChanged = !drawnKey || JSON.parse(drawnKey)[2].join() !== lanes.map(s => s.service).join();
  drawnKey = key;
  const L = layout(graph, lanes);
  nodePos = L.pos;
  const content = sv("g", {id: "content"}), labels = sv("g", {id: "labels"});
  L.lanes.forEach((s, i) => {
    const h = L.laneRows[i] * ROW + 2 * LANE_PAD;
    content.append(sv("rect", {x: -100000, y: L.laneTop[i], width: 200000 + L.width, height: h,
                               fill: i % 2 ? "#f5f7f8" : "#ffffff"}));
    labels.append(sv("rect", {x: 0, y: L.laneTop[i], width: L.labelW, height: h, fill: i % 2 ? "#eceff1" : "#f5f7f8"}));
    labels.append(sv("text", {class: "lane-label", x: 8, y: L.laneTop[i] + LANE_PAD + 16, "data-lane": s}, s));
  });
  for (const e of graph.edges) {
    const a = L.pos[e.from], b = L.pos[e.to];
    if (!a || !b) continue;
    const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2, bend = Math.max(30, (x2 - x1) / 2);
    content.append(sv("path", {d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`, fill: "none",
      stroke: e.kind === "requires" ? "#8d6e63" : "#90a4ae", "stroke-width": e.kind === "requires" ? 1.5 : 1.2,
      "stroke-dasharray": e.kind === "requires" ? "5 3" : "none"}));
  }
  for (const m of L.nodes) {
    const p = L.pos[m.id], st = state[m.id] || "applied";
    const g = sv("g", {"data-id": m.id, "data-state": st, class: "node"});
    g.append(sv("rect", {x: p.x, y: p.y, width: NODE_W, height: NODE_H, rx: 4, class: st,
      style: "fill: var(--" + (st === "applied" ? "ok" : st === "checksum_mismatch" ? "mismatch" : st) + ")",
      stroke: m.merge ? "#000" : "none", "stroke-width": m.merge ? 2 : 0}));
    g.append(sv("text", {x: p.x + 6, y: p.y + 16, fill: "#fff"}, short(m)));
    g.append(sv("title", {}, m.id + " " + m.name + " — " + stateText[st] + (m.merge ? " (merge)" : "") + (m.head ? " (head)" : "")));
    g.addEventListener("click", () => { location.hash = "m=" + m.id; });
    content.append(g);
  }
  const svg = sv("svg", {id: "graph-svg"});
  svg.append(content, labels);
  $("graph-view").replaceChildren(svg);
  view.width = L.width; view.height = L.height;
  if (!view.placed || filtersChanged) place(state, L);
  markSelected();
  apply();
}

// First view: the whole graph when it is readable at that size; otherwise
// full size at what needs attention (failed first), or at the newest end.
function place(state, L) {
  const box = $("graph-view").getBoundingClientRect();
  const fit = Math.min(box.width / Math.max(1, view.width), box.height / Math.max(1, view.height), 1.5);
  view.placed = true;
  if (fit >= 0.5) { view.k = fit; view.x = 0; view.y = 0; return; }
  view.k = 1;
  const urgent = L.nodes.map(m => m.id).filter(id => state[id])
                        .sort((a, b) => rank[state[a]] - rank[state[b]])[0];
  if (urgent) { focusOn(urgent); return; }
  view.x = Math.min(0, box.width - view.width); view.y = 0;
}
function focusOn(id) {
  const p = nodePos[id];
  if (!p) return;
  const box = $("graph-view").getBoundingClientRect();
  view.x = box.width / 2 - (p.x + NODE_W / 2) * view.k;
  view.y = box.height / 2 - (p.y + NODE_H / 2) * view.k;
  clamp(box);
}
// Keeps the graph from leaving empty space above or left of it.
function clamp(box) {
  view.x = Math.max(Math.min(0, box.width - view.width * view.k), Math.min(0, view.x));
  view.y = Math.max(Math.min(0, box.height - view.height * view.k), Math.min(0, view.y));
}
function apply() {
  const c = $("content"), l = $("labels");
  if (!c) return;
  c.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.k})`);
  l.setAttribute("transform", `translate(0,${view.y}) scale(${view.k})`);
}
function zoom(factor, cx, cy) {
  const box = $("graph-view").getBoundingClientRect();
  if (cx === undefined) { cx = box.width / 2; cy = box.height / 2; }
  const k = Math.min(3, Math.max(0.03, view.k * factor));
  view.x = cx - (cx - view.x) * (k / view.k);
  view.y = cy - (cy - view.y) * (k / view.k);
  view.k = k;
  apply();
}
function markSelected() {
  const id = selected();
  for (const g of document.querySelectorAll("#graph-view .node")) g.classList.toggle("selected", g.dataset.id === id);
}

function drawDrift(status) {
  const box = $("drift");
  box.replaceChildren();
  const order = d => d.state === "checked" && d.drift.length ? 0 : d.state === "checked" ? 2 : 1;
  for (const d of [...status.drift].sort((a, b) => order(a) - order(b))) {
    const p = el("div", {"data-database": d.database, id: "drift-" + d.database});
    if (d.state !== "checked") { p.append(el("b", {}, d.database), " " + d.state.replace("_", " ")); }
    else if (!d.drift.length) { p.append(el("b", {}, d.database), " ", el("span", {class: "badge ok"}, "no drift")); }
    else {
      p.append(el("b", {}, d.database), " ", el("span", {class: "badge drift"}, d.drift.length + " changed by hand"));
      const ul = el("ul");
      for (const i of d.drift) ul.append(el("li", {}, i.change + " " + i.object + (i.after ? ": " + i.after : "")));
      p.append(ul);
    }
    box.append(p);
  }
  if (!status.drift.length) box.append("not checked yet");
}

function drawRuns(runs) {
  const body = document.querySelector("#runs tbody");
  body.replaceChildren();
  for (const r of runs.runs) {
    const tr = el("tr", {"data-run": r.id});
    const cls = r.state === "succeeded" ? "ok" : r.state === "failed" ? "failed" : "pending";
    tr.append(el("td", {}, el("a", {href: "/v1/runs/" + r.id}, r.id)), el("td", {}, r.trigger),
              el("td", {}, el("span", {class: "badge " + cls}, r.state)), el("td", {}, String(r.applied)),
              el("td", {}, r.started_at || ""), el("td", {}, r.finished_at || ""), el("td", {}, r.error || ""));
    body.append(tr);
  }
}

function selected() {
  const m = /^#m=(.+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : "";
}
async function drawPanel() {
  const id = selected(), panel = $("panel");
  document.body.classList.toggle("panel-open", !!id);
  markSelected();
  if (!id) { panel.replaceChildren(); return; }
  let m;
  try { m = await get("/v1/migrations/" + encodeURIComponent(id)); }
  catch (e) { panel.replaceChildren(closer(), el("h2", {}, id), el("p", {}, e.message)); return; }
  if (selected() !== id) return;
  const state = m.state === "pending" && m.id in lastRun.failed ? "failed" : m.state;
  const rows = el("table");
  const row = (k, v) => rows.append(el("tr", {}, el("th", {}, k), el("td", {}, v)));
  row("name", m.name); row("service", m.service); row("database", m.database); row("version", m.version);
  row("file", el("code", {}, m.up)); row("down file", m.down ? el("code", {}, m.down) : "none (cannot be rolled back)");
  row("checksum", el("code", {title: m.checksum}, m.checksum.slice(0, 16) + "…"));
  if (m.no_transaction) row("transaction", "none (-- lockstep:no-transaction)");
  const list = ids => ids.length ? el("ul", {}, ...ids.map(x => el("li", {}, link(x.id || x), x.kind === "requires" ? " (requires)" : "")))
                                 : el("p", {class: "note"}, "none");
  const parts = [closer(), el("h2", {"data-panel": m.id}, m.id),
                 el("p", {}, el("span", {class: "badge " + state}, stateText[state] || state),
                    state !== m.state ? " in the last run; its transaction rolled back, so the database has none of it" : ""), rows,
                 el("h3", {}, "Requires"), list(m.requires), el("h3", {}, "Needed by"), list(m.dependents),
                 el("h3", {}, "History")];
  if (!m.history) parts.push(el("p", {class: "note"}, "never run on " + m.database));
  else {
    const h = el("table");
    for (const [k, v] of [["status", m.history.status], ["started", m.history.started_at], ["finished", m.history.finished_at],
                          ["took", m.history.execution_ms + " ms"], ["by", m.history.applied_by], ["run", m.history.run_id]]) {
      h.append(el("tr", {}, el("th", {}, k), el("td", {}, v === null ? "" : String(v))));
    }
    parts.push(h);
  }
  if (m.last_error) {
    parts.push(el("h3", {}, "Last error"), el("pre", {class: "last-error"}, m.last_error.error),
               el("p", {class: "note"}, "in run ", el("a", {href: "/v1/runs/" + m.last_error.run}, m.last_error.run),
                  " at " + m.last_error.at));
  } else if (m.state === "failed") {
    parts.push(el("h3", {}, "Last error"), el("p", {class: "note"}, "failed in run " + (m.history ? m.history.run_id : "?") +
               ", which this daemon did not see: its log has the error"));
  }
  panel.replaceChildren(...parts);
}
function closer() {
  const a = el("a", {href: "#", class: "close", title: "close (Esc)"}, "×");
  a.onclick = e => { e.preventDefault(); history.replaceState(null, "", location.pathname); drawPanel(); };
  return a;
}

function setFilter(k, v) {
  filters[k] = v;
  ({service: $("f-service"), state: $("f-state"), database: $("f-database")})[k].value = v;
  draw();
}
function draw() {
  if (!data) return;
  const shown = selectedServices(data.status);
  drawServices(data.status, shown);
  drawDatabases(data.status, shown);
  drawGraph(data.graph, data.status, shown);
}

let lastDrawn = "";
async function refresh() {
  try {
    const [status, graph, runs] = await Promise.all([get("/v1/status"), get("/v1/graph?format=json"), get("/v1/runs")]);
    $("refreshed").textContent = "read " + status.refreshed_at + (status.running ? " · run " + status.running + " in progress" : "");
    // Redrawn only when something changed: a row the reader is about to
    // click stays the same element between refreshes.
    const key = JSON.stringify([status, graph, runs], (k, v) => k === "refreshed_at" ? undefined : v);
    if (key === lastDrawn) return;
    await readLastRun(runs);
    data = {status: withLastRun(status), graph, runs};
    $("platform").textContent = status.platform;
    $("error").textContent = status.reload_error || "";
    drawSummary(status); drawAttention(status); drawFilters(status); draw(); drawDrift(status); drawRuns(runs);
    if (selected()) drawPanel();
    lastDrawn = key;
    document.body.dataset.loaded = "1";
  } catch (e) {
    $("error").textContent = e.message;
  }
}

$("f-service").addEventListener("input", e => setFilter("service", e.target.value));
$("f-state").addEventListener("change", e => setFilter("state", e.target.value));
$("f-database").addEventListener("change", e => setFilter("database", e.target.value));
$("zoom-in").onclick = () => zoom(1.25);
$("zoom-out").onclick = () => zoom(0.8);
$("fit").onclick = () => {
  const box = $("graph-view").getBoundingClientRect();
  view.k = Math.min(box.width / view.width, box.height / view.height, 1.5); view.x = 0; view.y = 0; apply();
};
$("latest").onclick = () => {
  const box = $("graph-view").getBoundingClientRect();
  view.k = 1; view.x = Math.min(0, box.width - view.width); view.y = 0; apply();
};
const gv = $("graph-view");
gv.addEventListener("wheel", e => {
  e.preventDefault();
  const box = gv.getBoundingClientRect();
  zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - box.left, e.clientY - box.top);
}, {passive: false});
let drag = null;
gv.addEventListener("pointerdown", e => {
  if (e.target.closest(".node")) return;
  drag = {x: e.clientX, y: e.clientY, vx: view.x, vy: view.y};
  gv.classList.add("dragging"); gv.setPointerCapture(e.pointerId);
});
gv.addEventListener("pointermove", e => {
  if (!drag) return;
  view.x = drag.vx + e.clientX - drag.x; view.y = drag.vy + e.clientY - drag.y; apply();
});
gv.addEventListener("pointerup", () => { drag = null; gv.classList.remove("dragging"); });
window.addEventListener("hashchange", () => {
  drawPanel();
  const id = selected();
  if (id && nodePos[id]) { focusOn(id); apply(); }
});
document.addEventListener("keydown", e => {
  if (e.key === "Escape" && selected()) { history.replaceState(null, "", location.pathname); drawPanel(); }
});
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
)html";

}  // namespace lockstep
