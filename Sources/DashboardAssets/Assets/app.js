// The dashboard: one feed from the server (figures and a sample of the events, a few times a second) drives the
// figures, the charts, the event stream and the panels' state; the panels drive the control API.

import { openFeed } from "./api.js";
import { lineChart, formatCompact } from "./charts.js";
import { EventStream } from "./stream.js";
import { faultPanel, firePanel, replayPanel, simulationPanel } from "./panels.js";

const $ = (id) => document.getElementById(id);
const integer = new Intl.NumberFormat("en");

const HISTORY_MILLIS = 300_000;
const history = { events: [], deliveries: [] };
let previous = null;
let lastPoint = null;
let mode = null;

const eventsChart = lineChart($("chart-events"), { seriesClass: "s1", label: "events per second" });
const deliveriesChart = lineChart($("chart-deliveries"), { seriesClass: "s2", label: "deliveries per second" });
const stream = new EventStream($("stream"), $("stream-note"), $("stream-empty"));
const simulation = simulationPanel();
const faults = faultPanel();
const replay = replayPanel();
firePanel();

// --- tabs: arrow keys move between them, as WAI-ARIA's tab pattern has it -------------------------------------------

const tabs = [...document.querySelectorAll('[role="tab"]')];
function select(tab) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !selected;
  }
  location.hash = tab.id.replace(/^tab-/, "");
}
tabs.forEach((tab, index) => {
  tab.addEventListener("click", () => select(tab));
  tab.addEventListener("keydown", (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    let next = null;
    if (step) next = tabs[(index + step + tabs.length) % tabs.length];
    if (event.key === "Home") next = tabs[0];
    if (event.key === "End") next = tabs[tabs.length - 1];
    if (next) {
      event.preventDefault();
      select(next);
      next.focus();
    }
  });
});
const fromHash = tabs.find((tab) => tab.id === `tab-${location.hash.slice(1)}`);
if (fromHash) select(fromHash);

// --- the stream's controls -----------------------------------------------------------------------------------------

$("stream-pause").addEventListener("click", (event) => {
  const paused = event.currentTarget.getAttribute("aria-pressed") !== "true";
  event.currentTarget.setAttribute("aria-pressed", String(paused));
  event.currentTarget.textContent = paused ? "Resume" : "Pause";
  stream.setPaused(paused);
});
$("stream-clear").addEventListener("click", () => stream.clear());

let filterTimer = 0;
let filter = "";
$("stream-filter").addEventListener("input", (event) => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    const text = event.target.value.trim();
    // A plain word matches anywhere in the name; a glob (with * or ?) as written.
    const glob = text === "" ? "" : /[*?]/.test(text) ? text : `*${text}*`;
    if (glob !== filter) {
      filter = glob;
      stream.clear();
      connect();
    }
  }, 350);
});

// --- the feed -------------------------------------------------------------------------------------------------------

let feed = null;
function connect() {
  if (feed) feed.close();
  const query = filter ? `?only=${encodeURIComponent(filter)}` : "";
  feed = openFeed(query, receive, (state) => {
    const link = $("link");
    const labels = { live: "live", reconnecting: "reconnecting…", token: "token needed" };
    link.className = `badge ${state === "live" ? "good" : "warn"}`;
    link.replaceChildren(Object.assign(document.createElement("span"), { className: `dot ${state === "live" ? "good" : "warn"}` }), ` ${labels[state]}`);
  });
}

function receive(message) {
  if (message.type === "hello") hello(message);
  else if (message.type === "tick") tick(message);
}

function hello(message) {
  mode = message.mode;
  $("mode").textContent = mode;
  $("where").textContent = `${location.host}${message.namespace}`;
  $("version").textContent = `v${message.version} · journal ${message.journal.split("/").pop()}`;
  $("version").title = `tablecast ${message.version}, journaling into ${message.journal}`;
  document.title = `tablecast ${mode} · ${location.host}`;
  if (!location.hash && mode === "replay") select($("tab-replay"));
  // The server's last minutes, one sample a second: [wallMillis, lastSeq, deliveries, clients].
  history.events = [];
  history.deliveries = [];
  for (let i = 1; i < message.history.length; i++) {
    const [t0, seq0, d0] = message.history[i - 1];
    const [t1, seq1, d1] = message.history[i];
    const seconds = Math.max(0.001, (t1 - t0) / 1000);
    history.events.push([t1, (seq1 - seq0) / seconds]);
    history.deliveries.push([t1, Math.max(0, d1 - d0) / seconds]);
  }
  const last = message.history[message.history.length - 1];
  lastPoint = last ? { t: last[0], lastSeq: last[1], deliveries: last[2] } : null;
  previous = null;
}

function tick(message) {
  // Rates over the last tick for the figures, and a chart point once a second.
  let rate = null;
  let deliveryRate = null;
  if (previous) {
    const seconds = Math.max(0.001, (message.t - previous.t) / 1000);
    rate = (message.lastSeq - previous.lastSeq) / seconds;
    deliveryRate = Math.max(0, (message.deliveries ?? 0) - (previous.deliveries ?? 0)) / seconds;
  }
  if (!lastPoint) lastPoint = { t: message.t, lastSeq: message.lastSeq, deliveries: message.deliveries ?? 0 };
  if (message.t - lastPoint.t >= 1000) {
    const seconds = (message.t - lastPoint.t) / 1000;
    history.events.push([message.t, (message.lastSeq - lastPoint.lastSeq) / seconds]);
    history.deliveries.push([message.t, Math.max(0, (message.deliveries ?? 0) - lastPoint.deliveries) / seconds]);
    for (const series of Object.values(history)) {
      while (series.length && series[0][0] < message.t - HISTORY_MILLIS) series.shift();
    }
    lastPoint = { t: message.t, lastSeq: message.lastSeq, deliveries: message.deliveries ?? 0 };
    eventsChart.update(history.events, message.t);
    deliveriesChart.update(history.deliveries, message.t);
  }
  previous = message;
  figures(message, smooth("events", rate), smooth("deliveries", deliveryRate));
  stream.sampled(message.matched, message.events.length, filter);
  stream.add(message.events);
  simulation.update(message.simulation);
  faults.update(message.faults);
  replay.update(message.replay);
}

// An exponential average over about a second of ticks, so the figures read calmly.
const smoothed = {};
function smooth(key, value) {
  if (value == null) return smoothed[key] ?? null;
  smoothed[key] = smoothed[key] == null ? value : smoothed[key] * 0.6 + value * 0.4;
  return smoothed[key];
}

/** A cluster node's Redis, in the top bar: its role, and whether it reaches Redis. */
function cluster(health) {
  const badge = $("cluster");
  const redis = health && (health.redis || health.redisEmit);
  badge.hidden = !redis;
  if (!redis) return;
  const up = redis.connected;
  badge.className = `badge ${up ? "good" : "bad"}`;
  if (health.redis) {
    const lag = redis.lagSeconds > 0.05 ? ` · lag ${redis.lagSeconds.toFixed(1)} s` : "";
    badge.textContent = `cluster ${redis.role} · ${up ? "Redis connected" : "Redis unreachable"}${lag}`;
    badge.title = `${redis.redis}, stream ${redis.stream}; owner ${redis.owner ?? "unknown"}; ${redis.read} entries read`;
  } else {
    badge.textContent = `--redis-emit · ${up ? "Redis connected" : "Redis unreachable"}`;
    badge.title = `${redis.redis}, channel ${redis.channel}; ${redis.published} published, ${redis.dropped} dropped`;
  }
}

function figures(message, rate, deliveryRate) {
  cluster(message.health);
  const ws = message.clients.websocket;
  const polling = message.clients.polling;
  $("stat-clients").textContent = integer.format(ws + polling);
  $("stat-clients").dataset.value = String(ws + polling);
  $("stat-clients-sub").textContent = `${integer.format(ws)} WebSocket · ${integer.format(polling)} polling`;
  $("stat-clients-sub").dataset.websocket = String(ws);
  $("stat-clients-sub").dataset.polling = String(polling);
  $("stat-rate").textContent = rate == null ? "–" : rate < 10 ? rate.toFixed(1) : formatCompact(rate);
  $("stat-rate-sub").textContent = `last seq ${integer.format(message.lastSeq)}`;
  $("stat-rate-sub").dataset.lastSeq = String(message.lastSeq);
  $("stat-deliveries").textContent = deliveryRate == null ? "–" : deliveryRate < 10 ? deliveryRate.toFixed(1) : formatCompact(deliveryRate);
  $("stat-deliveries-sub").textContent = `${integer.format(message.deliveries ?? 0)} in all · ${formatCompact(message.bytesSent ?? 0)}B sent`;
  const journal = message.journal;
  $("stat-journal").textContent = journal.error ? "failed" : integer.format(journal.committed);
  $("stat-journal").dataset.committed = String(journal.committed);
  $("stat-journal-sub").textContent = journal.error
    ? journal.error
    : `committed · ${integer.format(journal.backlog)} waiting`;
  $("stat-journal-sub").title = `${journal.path}: the last commit took ${journal.lastCommitMillis.toFixed(1)} ms; `
    + `${integer.format(journal.backlogBytes)} bytes not yet committed; ${integer.format(journal.lost)} lost`;
  $("card-journal").classList.toggle("failed", Boolean(journal.error));
  const source = $("stat-source");
  if (message.replay && message.replay.running) {
    $("stat-source-label").textContent = "Replay";
    source.textContent = message.replay.state;
    $("stat-source-sub").textContent = `speed ${message.replay.speed}× · ${integer.format(message.replay.eventsLeft)} left`;
  } else if (message.simulation && message.simulation.running) {
    $("stat-source-label").textContent = "Simulation";
    source.textContent = message.simulation.paused ? "paused" : "running";
    $("stat-source-sub").textContent = `${message.simulation.scenario} · ${message.simulation.phase}`;
  } else {
    $("stat-source-label").textContent = "Source";
    source.textContent = mode === "follower" ? "follower" : "idle";
    $("stat-source-sub").textContent = mode === "follower" ? "events come from the cluster's stream" : "REST API and emit only";
  }
}

connect();
