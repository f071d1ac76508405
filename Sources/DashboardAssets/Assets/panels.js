// The control panels: simulation, firing an event, faults, replay. Each drives the documented control API and shows
// the server's answer as it came.

import { call } from "./api.js";
import { validate } from "./schema.js";
import { timelineChart } from "./charts.js";

const $ = (id) => document.getElementById(id);

function show(answer, result) {
  answer.classList.toggle("ok", result.ok);
  answer.classList.toggle("error", !result.ok);
  const body = typeof result.body === "string" ? result.body : JSON.stringify(result.body);
  answer.textContent = `${result.status} ${body ?? ""}`;
}

function showError(answer, message) {
  answer.classList.remove("ok");
  answer.classList.add("error");
  answer.textContent = message;
}

async function send(answer, method, path, body) {
  try {
    const result = await call(method, path, body);
    show(answer, result);
    return result;
  } catch (error) {
    showError(answer, `The server could not be reached: ${error.message}`);
    return null;
  }
}

/** A GET's JSON body; throws with the status and the server's error otherwise (or when the server is unreachable). */
async function read(path) {
  const result = await call("GET", path);
  if (!result.ok) throw new Error(`${result.status} ${result.text}`);
  return result.body;
}

function number(id) {
  const text = $(id).value.trim();
  return text === "" ? null : Number(text);
}

// --- Simulation ---------------------------------------------------------------------------------------------------

export function simulationPanel() {
  const answer = $("sim-answer");
  let status = null;
  let filled = false;
  const post = (body) => send(answer, "POST", "/_tablecast/simulation", body);

  $("sim-pause").addEventListener("click", () => status && post({ paused: !status.paused }));
  $("sim-rate-set").addEventListener("click", () => {
    const rate = number("sim-rate");
    if (!(rate > 0)) return showError(answer, "Give a rate above 0 events per second.");
    post({ rate });
  });
  $("sim-timescale-set").addEventListener("click", () => {
    const timeScale = number("sim-timescale");
    if (!(timeScale > 0)) return showError(answer, "Give a time scale above 0.");
    post({ timeScale });
  });
  $("sim-ramp").addEventListener("click", () => {
    const rampTo = number("sim-ramp-to");
    const rampSeconds = number("sim-ramp-seconds");
    if (!(rampTo >= 0) || !(rampSeconds > 0)) return showError(answer, "Give the rate to ramp to and how many seconds.");
    const body = { rampTo, rampSeconds };
    if (status && status.targetRate == null) {
      const from = number("sim-rate");
      if (!(from > 0)) return showError(answer, "The simulation runs on a time scale: give the rate to ramp from in Rate.");
      body.rate = from;
    }
    post(body);
  });
  $("sim-switch").addEventListener("click", () => post({ scenario: $("sim-scenario-select").value }));

  return {
    update(simulation) {
      status = simulation && simulation.running ? simulation : null;
      $("sim-off").hidden = status !== null;
      $("sim-on").hidden = status === null;
      if (!status) return;
      $("sim-scenario").textContent = status.scenario;
      $("sim-phase").textContent = status.phase + (status.rateStage ? ` · ${status.rateStage}` : "");
      $("sim-pacing").textContent = status.pacing === "rate" ? `${status.targetRate} events/s` : `time scale ${status.timeScale}×`;
      $("sim-achieved").textContent = `${status.achievedRate} events/s`;
      $("sim-events").textContent = status.events.toLocaleString("en");
      const pause = $("sim-pause");
      pause.disabled = false;
      pause.textContent = status.paused ? "Resume" : "Pause";
      pause.setAttribute("aria-label", status.paused ? "Resume the simulation" : "Pause the simulation");
      if (!filled) {
        filled = true;
        const select = $("sim-scenario-select");
        select.replaceChildren(...status.scenarios.map((name) => new Option(name, name, false, name === status.scenario)));
        if (status.targetRate != null) $("sim-rate").value = status.targetRate;
        if (status.timeScale != null) $("sim-timescale").value = status.timeScale;
      }
    },
  };
}

// --- Fire an event ------------------------------------------------------------------------------------------------

export async function firePanel() {
  const answer = $("fire-answer");
  const select = $("fire-event");
  const payload = $("fire-payload");
  const problems = $("fire-problems");
  let contract = null;

  // The catalog comes from the server; while it cannot be read, the panel says so and tries again every 5 s.
  while (contract === null) {
    try {
      contract = await read("/_tablecast/contract");
    } catch (error) {
      showError(answer, `The contract could not be read (trying again in 5 s): ${error.message}`);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
  answer.classList.remove("error");
  answer.textContent = "";
  select.replaceChildren(...contract.events.map((event) => new Option(event.name, event.name)));

  const current = () => contract.events.find((event) => event.name === select.value);
  const reset = () => {
    const event = current();
    $("fire-summary").textContent = `${event.summary} Payload: ${event.type}.`;
    payload.value = JSON.stringify(event.example, null, 2);
    check();
  };
  const check = () => {
    let found;
    let value;
    try {
      value = JSON.parse(payload.value);
    } catch (error) {
      found = [`The payload is not JSON: ${error.message}`];
    }
    if (!found) found = validate(value, contract.schema.events[select.value], contract.schema);
    problems.replaceChildren(...found.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
    payload.setAttribute("aria-invalid", found.length ? "true" : "false");
    return { found, parsed: found.length === 0 || value !== undefined };
  };

  select.addEventListener("change", reset);
  $("fire-example").addEventListener("click", reset);
  payload.addEventListener("input", check);
  $("fire-send").addEventListener("click", () => {
    const { found, parsed } = check();
    if (!parsed) return showError(answer, "Not sent: the payload must be JSON.");
    if (found.length && !$("fire-force").checked) {
      return showError(answer, "Not sent: the payload does not match the contract (see above), or tick “send even if…”.");
    }
    // The payload's text goes into the request as typed, so the clients get exactly these bytes.
    const body = `{"event":${JSON.stringify(select.value)},"payload":${payload.value.trim()}}`;
    send(answer, "POST", "/_tablecast/emit", body);
  });
  reset();
}

// --- Faults -------------------------------------------------------------------------------------------------------

export function faultPanel() {
  const answer = $("fault-answer");
  const kind = $("fault-kind");
  const showParams = () => {
    document.querySelectorAll(".fault-params").forEach((group) => {
      group.hidden = group.dataset.kind !== kind.value;
    });
  };
  kind.addEventListener("change", showParams);
  showParams();

  $("fault-inject").addEventListener("click", () => {
    let body = `{"fault":${JSON.stringify(kind.value)}`;
    const add = (name, json) => {
      body += `,${JSON.stringify(name)}:${json}`;
    };
    const integer = (id, name) => {
      const value = number(id);
      if (value !== null) add(name, String(value));
    };
    const raw = (id, name) => {
      const text = $(id).value.trim();
      if (text === "") return true;
      try {
        JSON.parse(text);
      } catch (error) {
        showError(answer, `${name} is not JSON: ${error.message}`);
        return false;
      }
      add(name, text);
      return true;
    };
    switch (kind.value) {
      case "duplicate": integer("fault-duplicate-seq", "seq"); break;
      case "replay": integer("fault-replay-count", "count"); break;
      case "unknown-event": {
        const event = $("fault-unknown-event").value.trim();
        if (event) add("event", JSON.stringify(event));
        if (!raw("fault-unknown-payload", "payload")) return;
        break;
      }
      case "extra-fields":
        integer("fault-extra-count", "count");
        if (!raw("fault-extra-fields", "fields")) return;
        break;
      case "disconnect": {
        const clients = $("fault-disconnect-clients").value.trim();
        if (clients) add("clients", /^\d+$/.test(clients) ? clients : JSON.stringify(clients));
        add("mode", JSON.stringify($("fault-disconnect-mode").value));
        break;
      }
      case "delay": integer("fault-delay-ms", "ms"); break;
    }
    send(answer, "POST", "/_tablecast/faults", body + "}");
  });

  const rows = new Map();
  return {
    update(faults) {
      if (!faults || !faults.injected) return;
      const body = $("fault-counts").tBodies[0];
      for (const [name, count] of Object.entries(faults.injected)) {
        let row = rows.get(name);
        if (!row) {
          row = body.insertRow();
          row.dataset.kind = name;
          row.insertCell().textContent = name;
          row.insertCell().className = "num";
          rows.set(name, row);
        }
        row.cells[1].textContent = String(count);
      }
      const notes = [];
      if (faults.holding) notes.push("Delivery is held now.");
      if (faults.extraFieldsPending) notes.push(`Extra fields armed for the next ${faults.extraFieldsPending} transitions.`);
      $("fault-state").textContent = notes.join(" ") || "\u00a0";
    },
  };
}

// --- Replay -------------------------------------------------------------------------------------------------------

export function replayPanel() {
  const answer = $("replay-answer");
  let status = null;
  let chart = null;
  let timeline = null;
  let loading = false;
  const post = (body) => send(answer, "POST", "/_tablecast/replay", body);

  $("replay-pause").addEventListener("click", () => status && post({ paused: status.state !== "paused" }));
  $("replay-step").addEventListener("click", () => post({ step: Math.max(1, number("replay-step-count") || 1) }));
  $("replay-speed").addEventListener("change", (event) => {
    const value = event.target.value;
    post({ speed: value === "max" ? "max" : Number(value) });
  });
  $("replay-seek").addEventListener("click", () => {
    const text = $("replay-seek-to").value.trim();
    if (!text) return showError(answer, "Give a seq (1200), a time (2026-11-26T12:05:00.000Z) or an offset (+5m).");
    post({ seek: /^\d+$/.test(text) ? Number(text) : text });
  });

  // Loaded once; a failure (the server busy or gone for a moment) is tried again 5 s later.
  let retryAt = 0;
  async function loadTimeline() {
    loading = true;
    try {
      timeline = await read("/_tablecast/replay/timeline");
    } catch (error) {
      showError(answer, `The timeline could not be read (trying again in 5 s): ${error.message}`);
      retryAt = Date.now() + 5000;
      loading = false;
      return;
    }
    const seconds = timeline.bucketMillis / 1000;
    $("replay-timeline-note").textContent =
      `Events per second over the recorded run (${seconds === 1 ? "one bar a second" : `one bar per ${seconds} s`}). Click to seek there.`;
    chart = timelineChart($("replay-timeline"), timeline, (index) => {
      const millis = timeline.origin + index * timeline.bucketMillis;
      // The first event of that bucket, by seq when it has one (exact), by time otherwise.
      const seq = timeline.firstSeqs[index];
      post({ seek: seq != null ? seq : new Date(millis).toISOString() });
    });
    if (status) chart.position(status.position && status.position.time ? Date.parse(status.position.time) : null);
  }

  return {
    update(replay) {
      status = replay && replay.running ? replay : null;
      $("replay-off").hidden = status !== null;
      $("replay-on").hidden = status === null;
      if (!status) return;
      if (!loading && Date.now() >= retryAt) loadTimeline();
      $("replay-state").textContent = status.state;
      const position = status.position || {};
      $("replay-position").textContent = position.seq == null ? "before the first event" : `seq ${position.seq} · ${position.time}`;
      $("replay-sent").textContent = `${status.sent.toLocaleString("en")} sent, ${status.eventsLeft.toLocaleString("en")} left, ${status.loops} loops`;
      $("replay-source").textContent = `${status.source.path}, run ${status.source.run}, seq ${status.source.fromSeq}–${status.source.toSeq}`;
      const pause = $("replay-pause");
      pause.disabled = false;
      pause.textContent = status.state === "paused" ? "Resume" : "Pause";
      pause.setAttribute("aria-label", status.state === "paused" ? "Resume the replay" : "Pause the replay");
      const speed = String(status.speed);
      const select = $("replay-speed");
      if (document.activeElement !== select && [...select.options].some((o) => o.value === speed)) select.value = speed;
      if (chart) chart.position(position.time ? Date.parse(position.time) : null);
    },
  };
}
