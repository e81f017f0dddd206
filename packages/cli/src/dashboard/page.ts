/**
 * The dashboard page: one HTML document with its style and script inline, so it works offline and
 * fetches nothing from anywhere but the handler that served it (`snapshot`, then `events`, relative to
 * its own URL, so it works wherever it is mounted). Everything a server sent is set as text, never as
 * markup.
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>memcached · memwire dashboard</title>
<style>
  :root { color-scheme: light dark; --ok: #1a7f37; --down: #cf222e; --line: #0969da; --muted: #6e7781; }
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; padding: 12px; }
  header { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; }
  h1 { font-size: 20px; margin: 0; }
  h2 { font-size: 13px; font-weight: 600; margin: 0; color: var(--muted); text-transform: uppercase; }
  #connection { color: var(--muted); }
  .grid { display: grid; gap: 12px; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); margin-top: 12px; }
  .tile, .server { border: 1px solid #8884; border-radius: 8px; padding: 10px; }
  .figure { font-size: 26px; font-variant-numeric: tabular-nums; margin: 2px 0; }
  svg.chart { width: 100%; height: 48px; display: block; }
  svg.chart polyline { fill: none; stroke: var(--line); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
  .server[data-state="up"] { border-left: 6px solid var(--ok); }
  .server[data-state="down"] { border-left: 6px solid var(--down); background: #cf222e14; }
  .server .state { font-weight: 600; }
  .server[data-state="up"] .state { color: var(--ok); }
  .server[data-state="down"] .state { color: var(--down); }
  .bar { height: 8px; background: #8883; border-radius: 4px; overflow: hidden; }
  .bar > div { height: 100%; background: var(--line); }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 8px 0; }
  dt { color: var(--muted); } dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
  svg.slabs { width: 100%; height: 60px; display: block; }
  svg.slabs rect { fill: var(--line); }
</style>
</head>
<body>
<header><h1>memcached</h1><span id="connection">connecting…</span></header>
<section class="grid" id="totals">
  <div class="tile"><h2>Hit ratio</h2><p class="figure" id="hit-ratio">–</p><svg class="chart" id="chart-hit-ratio" viewBox="0 0 300 100" preserveAspectRatio="none"><polyline/></svg></div>
  <div class="tile"><h2>Gets / s</h2><p class="figure" id="gets">–</p><svg class="chart" id="chart-gets" viewBox="0 0 300 100" preserveAspectRatio="none"><polyline/></svg></div>
  <div class="tile"><h2>Sets / s</h2><p class="figure" id="sets">–</p><svg class="chart" id="chart-sets" viewBox="0 0 300 100" preserveAspectRatio="none"><polyline/></svg></div>
  <div class="tile"><h2>Evictions / s</h2><p class="figure" id="evictions">–</p><svg class="chart" id="chart-evictions" viewBox="0 0 300 100" preserveAspectRatio="none"><polyline/></svg></div>
</section>
<section class="grid" id="servers"></section>
<script>
"use strict";
const base = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
const HISTORY = 300;
let samples = [];
const el = (tag, attributes = {}, text) => {
  const node = document.createElementNS(tag === "svg" || tag === "rect" || tag === "title" ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml", tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
};
const number = (value, digits = 0) => value === null || value === undefined ? "–" : value.toLocaleString(undefined, { maximumFractionDigits: digits });
const percent = (value) => value === null || value === undefined ? "–" : (value * 100).toFixed(1) + " %";
const bytes = (value) => { const units = ["B", "KiB", "MiB", "GiB", "TiB"]; let i = 0; while (value >= 1024 && i < units.length - 1) { value /= 1024; i++; } return value.toFixed(i === 0 ? 0 : 1) + " " + units[i]; };
function totals(sample) {
  const up = sample.servers.filter((server) => server.ok);
  const sum = (name) => up.some((server) => server[name] !== null) ? up.reduce((total, server) => total + (server[name] ?? 0), 0) : null;
  const weighted = up.filter((server) => server.hitRatio !== null && server.getsPerSecond);
  const gets = weighted.reduce((total, server) => total + server.getsPerSecond, 0);
  const hitRatio = gets > 0 ? weighted.reduce((total, server) => total + server.hitRatio * server.getsPerSecond, 0) / gets : null;
  return { hitRatio, gets: sum("getsPerSecond"), sets: sum("setsPerSecond"), evictions: sum("evictionsPerSecond") };
}
function draw(id, values, fixedMax) {
  const line = document.querySelector("#" + id + " polyline");
  const known = values.filter((value) => value !== null);
  const max = fixedMax ?? Math.max(1, ...known);
  const step = values.length > 1 ? 300 / (HISTORY - 1) : 0;
  const offset = 300 - step * (values.length - 1);
  line.setAttribute("points", values.map((value, i) => value === null ? null : (offset + i * step).toFixed(1) + "," + (100 - (value / max) * 96 - 2).toFixed(1)).filter(Boolean).join(" "));
}
function serverCard(server) {
  const card = el("div", { class: "server", "data-server": server.server, "data-state": server.ok ? "up" : "down" });
  card.append(el("h2", {}, server.server), el("p", { class: "state" }, server.ok ? "up" + (server.version ? " · " + server.version : "") : "down · " + server.error.code));
  if (!server.ok) { card.append(el("p", {}, server.error.message)); return card; }
  const used = server.limitBytes > 0 ? Math.min(1, server.bytes / server.limitBytes) : 0;
  const bar = el("div", { class: "bar", title: "memory used" }); bar.append(el("div", { style: "width:" + (used * 100).toFixed(1) + "%" }));
  card.append(el("p", {}, "memory " + bytes(server.bytes) + " of " + bytes(server.limitBytes)), bar);
  const list = el("dl");
  for (const [label, value] of [["hit ratio", percent(server.hitRatio)], ["gets / s", number(server.getsPerSecond)], ["sets / s", number(server.setsPerSecond)], ["items", number(server.items)], ["connections", number(server.connections)], ["evictions", number(server.evictions)]]) list.append(el("dt", {}, label), el("dd", {}, value));
  card.append(list);
  const slabs = el("svg", { class: "slabs", viewBox: "0 0 300 60", preserveAspectRatio: "none", role: "img", "aria-label": "slab classes by memory in use" });
  const inUse = server.slabs.map((slab) => slab.usedChunks * slab.chunkSize);
  const largest = Math.max(1, ...inUse);
  const width = server.slabs.length > 0 ? 300 / server.slabs.length : 0;
  server.slabs.forEach((slab, i) => {
    const height = Math.max(1, (inUse[i] / largest) * 58);
    const rect = el("rect", { x: (i * width + 1).toFixed(1), y: (60 - height).toFixed(1), width: Math.max(1, width - 2).toFixed(1), height: height.toFixed(1), "data-slab": String(slab.id) });
    rect.append(el("title", {}, "class " + slab.id + ": chunks of " + bytes(slab.chunkSize) + ", " + number(slab.usedChunks) + " used, " + bytes(inUse[i])));
    slabs.append(rect);
  });
  card.append(el("h2", {}, "slab classes (" + server.slabs.length + ")"), slabs);
  return card;
}
function render() {
  const last = samples[samples.length - 1];
  if (last === undefined) return;
  const series = samples.map(totals);
  const now = series[series.length - 1];
  document.getElementById("hit-ratio").textContent = percent(now.hitRatio);
  document.getElementById("gets").textContent = number(now.gets);
  document.getElementById("sets").textContent = number(now.sets);
  document.getElementById("evictions").textContent = number(now.evictions, 1);
  draw("chart-hit-ratio", series.map((point) => point.hitRatio), 1);
  draw("chart-gets", series.map((point) => point.gets));
  draw("chart-sets", series.map((point) => point.sets));
  draw("chart-evictions", series.map((point) => point.evictions));
  document.getElementById("servers").replaceChildren(...last.servers.map(serverCard));
  const down = last.servers.filter((server) => !server.ok).length;
  document.getElementById("connection").textContent = new Date(last.time).toLocaleTimeString() + " · " + last.servers.length + " servers" + (down > 0 ? ", " + down + " down" : "");
}
function add(sample) { samples.push(sample); if (samples.length > HISTORY) samples.shift(); render(); }
fetch(base + "snapshot").then((response) => response.json()).then((body) => { samples = body.samples.slice(-HISTORY); render(); }).finally(() => {
  const events = new EventSource(base + "events");
  events.onmessage = (event) => add(JSON.parse(event.data));
  events.onerror = () => { document.getElementById("connection").textContent = "reconnecting…"; };
});
</script>
</body>
</html>
`;
