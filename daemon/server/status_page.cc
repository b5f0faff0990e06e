// The status page served at /: self-contained (no external assets), it reads
// the API and redraws every few seconds.
namespace lockstep {

extern const char kStatusPage[] = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lockstep</title>
<style>
  :root { --ok: #2e7d32; --pending: #9e9e9e; --failed: #c62828; --drift: #ef6c00; --ink: #212121; }
  body { font: 14px/1.4 system-ui, sans-serif; color: var(--ink); margin: 0; background: #fafafa; }
  header { background: #263238; color: #fff; padding: 12px 20px; display: flex; gap: 20px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  main { padding: 16px 20px; display: grid; gap: 16px; }
  section { background: #fff; border: 1px solid #e0e0e0; border-radius: 6px; padding: 12px 16px; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px; }
  .ok { background: var(--ok); } .pending { background: var(--pending); }
  .failed { background: var(--failed); } .drift { background: var(--drift); }
  #graph { overflow-x: auto; } svg text { font-size: 11px; }
  code { background: #f1f1f1; padding: 0 4px; border-radius: 3px; }
  #error { color: var(--failed); }
</style>
</head>
<body>
<header><h1>lockstep</h1><span id="platform"></span><span id="refreshed"></span><span id="error"></span></header>
<main>
  <section><h2>Services</h2><table id="services"><thead><tr><th>service</th><th>database</th>
    <th>applied</th><th>state</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Migration graph</h2><div id="graph"></div></section>
  <section><h2>Drift</h2><div id="drift"></div></section>
  <section><h2>Recent runs</h2><table id="runs"><thead><tr><th>run</th><th>trigger</th><th>state</th>
    <th>applied</th><th>started</th><th>finished</th><th>error</th></tr></thead><tbody></tbody></table></section>
</main>
<script>
"use strict";
const el = (tag, attrs = {}, text) => {
  const e = document.createElementNS(attrs.svg ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml", tag);
  for (const [k, v] of Object.entries(attrs)) if (k !== "svg") e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};
async function get(path) {
  const r = await fetch(path, {cache: "no-store"});
  if (!r.ok) throw new Error(path + ": " + r.status + " " + (await r.text()));
  return r.json();
}
function drawServices(status) {
  const body = document.querySelector("#services tbody");
  body.replaceChildren();
  for (const s of status.services) {
    const tr = el("tr", {"data-service": s.service});
    tr.append(el("td", {}, s.service), el("td", {}, s.database), el("td", {}, s.applied + "/" + s.total));
    const td = el("td");
    const add = (cls, text) => td.append(el("span", {class: "badge " + cls}, text), " ");
    if (s.failed.length) add("failed", "failed " + s.failed.join(", "));
    if (s.checksum_mismatched.length) add("failed", "checksum mismatch " + s.checksum_mismatched.join(", "));
    if (s.running.length) add("pending", "running " + s.running.join(", "));
    if (s.pending.length) add("pending", "pending " + s.pending.join(", "));
    if (!s.failed.length && !s.pending.length && !s.running.length && !s.checksum_mismatched.length) {
      add("ok", "up to date");
    }
    tr.append(td);
    body.append(tr);
  }
}
function drawGraph(graph, status) {
  const state = {};
  for (const s of status.services) {
    for (const id of s.pending) state[id] = "pending";
    for (const id of s.running) state[id] = "pending";
    for (const id of s.failed) state[id] = "failed";
  }
  const depth = {}, needs = {};
  for (const e of graph.edges) (needs[e.to] = needs[e.to] || []).push(e.from);
  for (const m of graph.migrations) {  // listed in topological order
    depth[m.id] = Math.max(0, ...(needs[m.id] || []).map(d => depth[d] + 1));
  }
  const services = graph.services.map(s => s.name);
  const row = {};
  services.forEach((s, i) => row[s] = i);
  const W = 150, H = 34, pad = 170;
  const width = pad + (Math.max(0, ...Object.values(depth)) + 1) * W, height = services.length * H + 10;
  const svg = el("svg", {svg: 1, width, height, viewBox: `0 0 ${width} ${height}`});
  const pos = {};
  services.forEach((s, i) => svg.append(el("text", {svg: 1, x: 4, y: i * H + 22}, s)));
  const used = {};
  for (const m of graph.migrations) {
    const key = m.service + "/" + depth[m.id];
    const shift = used[key] = (used[key] || 0) + 1;
    pos[m.id] = {x: pad + depth[m.id] * W + (shift - 1) * 8, y: row[m.service] * H + 6 + (shift - 1) * 4};
  }
  for (const e of graph.edges) {
    const a = pos[e.from], b = pos[e.to];
    svg.append(el("line", {svg: 1, x1: a.x + 120, y1: a.y + 11, x2: b.x, y2: b.y + 11,
      stroke: e.kind === "requires" ? "#90a4ae" : "#546e7a", "stroke-dasharray": e.kind === "requires" ? "4 3" : ""}));
  }
  const colour = {pending: "var(--pending)", failed: "var(--failed)"};
  for (const m of graph.migrations) {
    const p = pos[m.id];
    const g = el("g", {svg: 1, "data-id": m.id, "data-state": state[m.id] || "applied"});
    g.append(el("rect", {svg: 1, x: p.x, y: p.y, width: 120, height: 22, rx: 4,
      fill: colour[state[m.id]] || "var(--ok)", stroke: m.merge ? "#000" : "none"}));
    g.append(el("text", {svg: 1, x: p.x + 6, y: p.y + 15, fill: "#fff"}, m.version + " " + m.name.slice(0, 14)));
    g.append(el("title", {svg: 1}, m.id + " " + m.name + " (" + (state[m.id] || "applied") + ")"));
    svg.append(g);
  }
  document.getElementById("graph").replaceChildren(svg);
}
function drawDrift(status) {
  const box = document.getElementById("drift");
  box.replaceChildren();
  for (const d of status.drift) {
    const p = el("div", {"data-database": d.database});
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
}
function drawRuns(runs) {
  const body = document.querySelector("#runs tbody");
  body.replaceChildren();
  for (const r of runs.runs) {
    const tr = el("tr", {"data-run": r.id});
    const cls = r.state === "succeeded" ? "ok" : r.state === "failed" ? "failed" : "pending";
    tr.append(el("td", {}, r.id), el("td", {}, r.trigger));
    const td = el("td"); td.append(el("span", {class: "badge " + cls}, r.state));
    tr.append(td, el("td", {}, String(r.applied)), el("td", {}, r.started_at || ""),
              el("td", {}, r.finished_at || ""), el("td", {}, r.error || ""));
    body.append(tr);
  }
}
async function refresh() {
  try {
    const [status, graph, runs] = await Promise.all([get("/v1/status"), get("/v1/graph?format=json"), get("/v1/runs")]);
    document.getElementById("platform").textContent = status.platform;
    document.getElementById("refreshed").textContent = "read " + status.refreshed_at + (status.running ? " · run " + status.running + " in progress" : "");
    document.getElementById("error").textContent = status.reload_error || "";
    drawServices(status); drawGraph(graph, status); drawDrift(status); drawRuns(runs);
    document.body.dataset.loaded = "1";
  } catch (e) {
    document.getElementById("error").textContent = e.message;
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
)html";

}  // namespace lockstep
