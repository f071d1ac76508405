// Talking to the server: the control API with the tab's token, and the live feed (server-sent events read through
// fetch, so that the token can go in a header).

const TOKEN_KEY = "tablecast.controlToken";

let tokenPrompt = null;

/** The token kept for this tab, or null. */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function headers(extra = {}) {
  const all = { Accept: "application/json", ...extra };
  const value = token();
  if (value) all.Authorization = `Bearer ${value}`;
  return all;
}

/** Asks for the token once (concurrent callers share one dialog) and keeps it for the tab. */
export function askForToken(problem) {
  if (tokenPrompt) return tokenPrompt;
  const dialog = document.getElementById("token-dialog");
  const input = document.getElementById("token-input");
  const note = document.getElementById("token-problem");
  note.hidden = !problem;
  note.textContent = problem || "";
  input.value = "";
  tokenPrompt = new Promise((resolve) => {
    const done = () => {
      dialog.removeEventListener("close", done);
      const value = input.value.trim();
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      tokenPrompt = null;
      resolve(value);
    };
    dialog.addEventListener("close", done);
  });
  dialog.showModal();
  input.focus();
  return tokenPrompt;
}

/** The answer of a control call: {status, ok, body (parsed JSON or text)}. Asks for the token on 401, once. */
export async function call(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
    if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
    const response = await fetch(path, init);
    const text = await response.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: kept as text.
    }
    if (response.status === 401 && attempt === 0) {
      await askForToken(token() ? "That token was refused." : null);
      continue;
    }
    return { status: response.status, ok: response.ok, body: parsed, text };
  }
}

/**
 * Opens the feed and calls `onMessage` with each event's JSON; reconnects (1 s, then up to 5 s apart) until
 * `close()` is called. `onState` hears "live", "reconnecting" or "token".
 */
export function openFeed(query, onMessage, onState) {
  let closed = false;
  let controller = null;
  let delay = 1000;

  async function connect() {
    while (!closed) {
      controller = new AbortController();
      try {
        const response = await fetch(`/_tablecast/dashboard/feed${query}`, {
          headers: headers({ Accept: "text/event-stream" }),
          signal: controller.signal,
          cache: "no-store",
        });
        if (response.status === 401) {
          onState("token");
          await askForToken(token() ? "That token was refused." : null);
          continue;
        }
        if (!response.ok || !response.body) throw new Error(`feed answered ${response.status}`);
        onState("live");
        delay = 1000;
        await readEvents(response.body, onMessage);
      } catch (error) {
        if (closed) return;
      }
      if (closed) return;
      onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(5000, delay * 2);
    }
  }

  connect();
  return {
    close() {
      closed = true;
      if (controller) controller.abort();
    },
  };
}

/** Reads a text/event-stream body: `data:` lines joined by "\n", dispatched at each blank line. */
async function readEvents(body, onMessage) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let newline;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
      if (line === "") {
        if (data.length) {
          const text = data.join("\n");
          data = [];
          try {
            onMessage(JSON.parse(text));
          } catch (error) {
            console.error("tablecast: a feed message could not be read", error);
          }
        }
      } else if (line.startsWith("data:")) {
        data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      }
    }
  }
}
