// The event stream: newest first, at most MAX_ROWS rows, each a button that opens its payload. The server samples
// (at most a few dozen events per tick), and rows are added once per animation frame, so a fast server never floods
// the page. The view holds still while it is paused, scrolled down, or showing a payload: new events are counted
// and shown when it lets go.

const MAX_ROWS = 200;

const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

function clock(millis) {
  const date = new Date(millis);
  return `${time.format(date)}.${String(date.getMilliseconds()).padStart(3, "0")}`;
}

function describeFault(fault) {
  if (fault == null) return null;
  if (typeof fault === "string") return fault;
  return fault.kind || "fault";
}

export class EventStream {
  constructor(container, note, empty) {
    this.container = container;
    this.note = note;
    this.empty = empty;
    // Newest first, at most MAX_ROWS: what the rows show.
    this.events = [];
    this.pending = [];
    this.paused = false;
    this.frame = 0;
    this.lastNote = "";
    // A fixed set of rows whose contents change: rows never move, so the page never shifts as events arrive.
    this.rows = [];
    for (let index = 0; index < MAX_ROWS; index++) this.rows.push(this.makeRow(index));
    container.append(...this.rows.map((row) => row.element));
    container.addEventListener("scroll", () => this.schedule(), { passive: true });
  }

  /** Whether new rows wait: paused, scrolled away from the top, or a payload open. */
  get holding() {
    return this.paused || this.container.scrollTop > 4 || this.rows.some((row) => row.open);
  }

  add(events) {
    if (events.length === 0) return;
    for (const event of events) this.pending.push(event);
    if (this.pending.length > MAX_ROWS) this.pending.splice(0, this.pending.length - MAX_ROWS);
    this.schedule();
  }

  setPaused(paused) {
    this.paused = paused;
    this.schedule();
  }

  clear() {
    this.pending = [];
    this.events = [];
    for (const row of this.rows) this.close(row);
    this.draw();
    this.schedule();
  }

  /** Notes the sampling: `matched` events this tick, `shown` of them sent to the page. */
  sampled(matched, shown, filter) {
    const what = filter ? `events matching ${filter}` : "events";
    const text = matched > shown
      ? `Showing a sample: ${shown} of ${matched} ${what} in the last interval.`
      : matched > 0 ? `Showing every ${what.replace(/^events/, "event")}.` : "";
    if (text) this.lastNote = text;
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.render());
  }

  render() {
    this.frame = 0;
    if (this.holding) {
      const waiting = this.pending.length;
      const why = this.paused ? "Paused" : "Held while you read";
      this.note.textContent = waiting ? `${why}: ${waiting} new events not shown yet.` : `${why}.`;
      return;
    }
    this.note.textContent = this.lastNote || "\u00a0";
    if (this.pending.length === 0) return;
    this.events = this.pending.reverse().concat(this.events).slice(0, MAX_ROWS);
    this.pending = [];
    this.draw();
  }

  draw() {
    this.empty.hidden = this.events.length > 0;
    this.rows.forEach((row, index) => this.fill(row, this.events[index]));
  }

  makeRow(index) {
    const element = document.createElement("div");
    element.className = "stream-row";
    element.setAttribute("role", "listitem");
    element.hidden = true;
    const line = document.createElement("button");
    line.type = "button";
    line.className = "line";
    line.setAttribute("aria-expanded", "false");
    const seq = document.createElement("span");
    seq.className = "seq";
    const at = document.createElement("span");
    at.className = "time";
    const name = document.createElement("span");
    name.className = "name";
    const badge = document.createElement("span");
    line.append(seq, at, name, badge);
    element.appendChild(line);
    const row = { element, line, seq, at, name, badge, event: null, open: false };
    line.addEventListener("click", () => {
      if (row.open) this.close(row);
      else this.open(row);
      this.schedule();
    });
    return row;
  }

  fill(row, event) {
    if (row.event === event) return;
    row.event = event || null;
    row.element.hidden = !event;
    if (!event) {
      delete row.element.dataset.seq;
      delete row.element.dataset.name;
      return;
    }
    row.element.dataset.seq = String(event.seq);
    row.element.dataset.name = event.name;
    row.seq.textContent = `#${event.seq}`;
    row.at.textContent = clock(event.t);
    row.name.textContent = event.name;
    const fault = describeFault(event.fault);
    row.badge.className = fault ? "badge bad" : "hint";
    row.badge.textContent = fault || `${event.bytes} B`;
    row.line.setAttribute("aria-label", `#${event.seq} ${event.name} at ${row.at.textContent}${fault ? `, ${fault} fault` : ""}: show the payload`);
  }

  open(row) {
    const event = row.event;
    if (!event) return;
    row.open = true;
    row.line.setAttribute("aria-expanded", "true");
    const pre = document.createElement("pre");
    pre.className = "payload";
    if (event.payload === null && event.bytes > 0) {
      pre.textContent = `A payload of ${event.bytes} bytes: too large to show here (tablecast journal show --payloads has it).`;
    } else {
      pre.textContent = typeof event.payload === "string" ? event.payload : JSON.stringify(event.payload, null, 2);
    }
    if (event.fault != null) pre.textContent += `\n\nfault: ${JSON.stringify(event.fault)}`;
    row.element.appendChild(pre);
  }

  close(row) {
    row.open = false;
    row.line.setAttribute("aria-expanded", "false");
    row.element.querySelector("pre")?.remove();
  }
}
