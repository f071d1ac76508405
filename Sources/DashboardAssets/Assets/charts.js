// Small SVG charts drawn in place: a fixed set of elements per chart, updated rather than rebuilt, so that nothing on
// the page moves as figures change.

const SVG = "http://www.w3.org/2000/svg";

function element(name, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (parent) parent.appendChild(node);
  return node;
}

/** A "nice" upper bound and tick step (1, 2 or 5 × 10^n) for values up to `max`, in about `count` ticks. */
export function niceScale(max, count = 4) {
  if (!(max > count)) return { top: count, step: 1 };
  const rough = max / count;
  const power = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= rough);
  return { top: Math.ceil(max / step) * step, step };
}

const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });
export const formatCompact = (value) => compact.format(value);

/**
 * A line chart of one series over a fixed time window ending now: `update(points, now)` with points
 * `[timeMillis, value]`. The SVG's viewBox is 600 × `height`.
 */
export function lineChart(svg, { windowMillis = 300_000, seriesClass = "s1", label = "" } = {}) {
  const height = svg.viewBox.baseVal.height || 140;
  const width = 600;
  const left = 44;
  const bottom = height - 20;
  const top = 8;
  const grid = element("g", {}, svg);
  const area = element("path", { class: `area ${seriesClass}` }, svg);
  const line = element("path", { class: `line ${seriesClass}`, "data-series": label }, svg);
  const title = element("title", {}, svg);
  const axis = element("g", {}, svg);
  for (let minute = 0; minute <= windowMillis / 60_000; minute++) {
    const x = left + (width - left) * (1 - (minute * 60_000) / windowMillis);
    const text = element("text", { class: "axis-label", x, y: height - 4, "text-anchor": minute === 0 ? "end" : "middle" }, axis);
    text.textContent = minute === 0 ? "now" : `−${minute} min`;
  }
  let lastTop = -1;

  return {
    update(points, now) {
      const from = now - windowMillis;
      const visible = points.filter(([t]) => t >= from);
      const max = visible.reduce((m, [, v]) => Math.max(m, v), 0);
      const scale = niceScale(max);
      if (scale.top !== lastTop) {
        lastTop = scale.top;
        grid.replaceChildren();
        for (let value = 0; value <= scale.top + scale.step / 2; value += scale.step) {
          const y = bottom - ((bottom - top) * value) / scale.top;
          element("line", { class: "grid-line", x1: left, x2: width, y1: y, y2: y }, grid);
          const text = element("text", { class: "axis-label", x: left - 6, y: y + 4, "text-anchor": "end" }, grid);
          text.textContent = formatCompact(value);
        }
      }
      const x = (t) => left + ((width - left) * (t - from)) / windowMillis;
      const y = (v) => bottom - ((bottom - top) * v) / scale.top;
      if (visible.length === 0) {
        line.setAttribute("d", "");
        area.setAttribute("d", "");
        return;
      }
      const d = visible.map(([t, v], i) => `${i ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join("");
      line.setAttribute("d", d);
      line.dataset.last = String(visible[visible.length - 1][1]);
      area.setAttribute("d", `${d}L${x(visible[visible.length - 1][0]).toFixed(1)},${bottom}L${x(visible[0][0]).toFixed(1)},${bottom}Z`);
      title.textContent = `${label}: now ${formatCompact(visible[visible.length - 1][1])}/s, peak ${formatCompact(max)}/s`;
    },
  };
}

/**
 * The replay's timeline: one bar per bucket of the source run's recorded time, the part already played shaded, a
 * line at the position. `onSeek(bucketIndex)` is called when the chart is clicked.
 */
export function timelineChart(svg, timeline, onSeek) {
  svg.replaceChildren();
  const height = svg.viewBox.baseVal.height || 120;
  const width = 600;
  const left = 44;
  const bottom = height - 20;
  const top = 8;
  const counts = timeline.counts;
  const perSecond = counts.map((c) => (c * 1000) / timeline.bucketMillis);
  const scale = niceScale(Math.max(0, ...perSecond), 3);
  for (let value = 0; value <= scale.top + scale.step / 2; value += scale.step) {
    const y = bottom - ((bottom - top) * value) / scale.top;
    element("line", { class: "grid-line", x1: left, x2: width, y1: y, y2: y }, svg);
    element("text", { class: "axis-label", x: left - 6, y: y + 4, "text-anchor": "end" }, svg).textContent = formatCompact(value);
  }
  const barWidth = (width - left) / counts.length;
  const bars = counts.map((count, index) => {
    const h = ((bottom - top) * perSecond[index]) / scale.top;
    const bar = element("rect", {
      class: "bar",
      x: (left + index * barWidth).toFixed(2),
      y: (bottom - h).toFixed(2),
      width: Math.max(0.5, barWidth - (barWidth > 3 ? 1 : 0)).toFixed(2),
      height: Math.max(0, h).toFixed(2),
      "data-count": count,
      "data-index": index,
    }, svg);
    element("title", {}, bar).textContent =
      `${new Date(timeline.origin + index * timeline.bucketMillis).toISOString().slice(11, 19)}: ${count} events`;
    if (timeline.faulted[index] > 0) {
      // A short tick above the bar: faults are frequent in some runs, and full-height lines would hide the bars.
      element("line", { class: "marker-fault tick", x1: left + (index + 0.5) * barWidth, x2: left + (index + 0.5) * barWidth, y1: 0, y2: top, "data-faulted": timeline.faulted[index] }, svg);
    }
    return bar;
  });
  const spanMillis = counts.length * timeline.bucketMillis;
  for (let i = 0; i <= 4; i++) {
    const x = left + ((width - left) * i) / 4;
    const offset = Math.round((spanMillis * i) / 4 / 1000);
    const label = `+${Math.floor(offset / 60)}:${String(offset % 60).padStart(2, "0")}`;
    element("text", { class: "axis-label", x, y: height - 4, "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" }, svg).textContent = label;
  }
  const position = element("line", { class: "position", x1: left, x2: left, y1: top - 4, y2: bottom, visibility: "hidden" }, svg);
  const hit = element("rect", { x: left, y: 0, width: width - left, height: bottom, fill: "transparent", cursor: "pointer" }, svg);
  hit.addEventListener("click", (event) => {
    const box = svg.getBoundingClientRect();
    const fraction = ((event.clientX - box.left) / box.width) * width;
    const index = Math.floor((fraction - left) / barWidth);
    if (index >= 0 && index < counts.length) onSeek(index);
  });
  let playedUpTo = -1;
  return {
    /** Moves the position to `millis` of recorded time (or hides it). */
    position(millis) {
      if (millis == null) {
        position.setAttribute("visibility", "hidden");
        return;
      }
      const fraction = Math.min(1, Math.max(0, (millis - timeline.origin) / spanMillis));
      const x = (left + (width - left) * fraction).toFixed(1);
      position.setAttribute("x1", x);
      position.setAttribute("x2", x);
      position.setAttribute("visibility", "visible");
      position.dataset.millis = String(millis);
      const played = Math.floor((millis - timeline.origin) / timeline.bucketMillis);
      if (played !== playedUpTo) {
        playedUpTo = played;
        bars.forEach((bar, index) => bar.classList.toggle("played", index <= played));
      }
    },
  };
}
