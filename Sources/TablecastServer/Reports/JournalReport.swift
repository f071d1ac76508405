import Foundation
import Journal
import Restaurant
import TablecastJSON

/// `tablecast journal report JOURNAL [--run N] --out FILE.html`: a run's timeline as one self-contained page: its
/// events per time bucket stacked by name, its gaps and faults over them, its busiest seconds and its summary.
///
/// Hooks for browser tests: `body[data-report="journal"]`; `svg#chart-timeline` (`data-chart="timeline"`,
/// `data-bucket-ms`, `data-origin-ms`, `data-first-bucket`), whose `path[data-series]` areas (the top names by
/// count, then `other`) hold each bucket's count in `data-values`, whose `rect.hit[data-bucket]` columns hold each
/// bucket's `data-total`, and whose `rect.marker-gap` and `line.marker-fault` marks carry `data-kind` and
/// `data-wall-ms`; `#faults-table`, `#busiest-table` and `#names-table` (rows with `data-name`, `data-count`);
/// `#run-summary` (`dd[data-field]`); and `#report-data`.
public enum JournalReport {
    /// Names with a colour of their own; the rest are summed as `other`.
    static let namedSeries = 7
    /// Disconnects and delays drawn across the chart at most; more go in the strip above it.
    static let crossingFaults = 50
    /// Rows of the faults table at most; the report says how many more there were.
    static let listedFaults = 500

    /// Writes the report of a run (the latest by default) of the journal at `path` to `output`. Everything is read
    /// and built before the file is opened, so a journal, a run or a run without events that is not there writes
    /// nothing.
    /// - Returns: The run's id and its event count.
    /// - Throws: ``JournalError`` for a file that is missing or not a journal, ``JournalTools/Problem`` for a run
    ///   that is missing or has no events, or for an output that cannot be written.
    @discardableResult
    public static func write(journal path: String, runID: Int64?, to output: String) throws
        -> (runID: Int64, events: Int)
    {
        if Self.sameFile(path, output) {
            throw JournalTools.Problem(description: "the report would overwrite the journal '\(path)'")
        }
        let timeline = try Timeline(path: path, runID: runID)
        try HTMLReport.save(Self.html(timeline), to: output)
        return (timeline.run.id, timeline.span.count)
    }

    /// The page of a run.
    static func html(path: String, runID: Int64?) throws -> String {
        try Self.html(Timeline(path: path, runID: runID))
    }

    private static func sameFile(_ first: String, _ second: String) -> Bool {
        func resolved(_ path: String) -> String {
            URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
        return resolved(first) == resolved(second)
    }

    // MARK: What the page shows

    /// A run's figures, read in a few queries: its buckets by name, its busiest seconds, its faults.
    struct Timeline {
        var path: String
        var run: JournalRun
        var span: JournalReader.Span
        var bucketMillis: Int64
        /// Bucket 0 starts here: the first event's second.
        var originMillis: Int64
        /// The buckets drawn: from the earliest to the latest that has events.
        var buckets: ClosedRange<Int64>
        /// Each name's count per bucket (index `bucket - buckets.lowerBound`), and its total.
        var counts: [String: [Int]]
        var totals: [(name: String, count: Int, faulted: Int)]
        /// Events a fault sent or marked, per bucket.
        var faulted: [Int]
        var faults: [JournalFault]
        var faultedEvents: [JournalReader.FaultedEvent]
        var faultedTotal: Int
        /// The ten busiest one-second buckets, busiest first: their start, count and counts by name.
        var busiest: [BusySecond]

        /// One second of the run: its start, its count, and its counts by name, largest first.
        struct BusySecond {
            var startMillis: Int64
            var count: Int
            var names: [(name: String, count: Int)]
        }

        init(path: String, runID: Int64?) throws {
            let reader = try JournalReader(path: path)
            guard let id = try runID ?? reader.latestRunID() else {
                throw JournalTools.Problem(description: "journal '\(path)' has no runs")
            }
            guard let run = try reader.run(id: id) else {
                throw JournalTools.Problem(description: "journal '\(path)' has no run \(id)")
            }
            guard let span = try reader.span(runID: id) else {
                throw JournalTools.Problem(description: "run \(id) of '\(path)' has no events")
            }
            self.path = path
            self.run = run
            self.span = span
            self.originMillis = Self.floor(span.firstWallMillis, 1000)
            let spanMillis = max(0, span.lastWallMillis - self.originMillis)
            self.bucketMillis = TimelineBuckets.width(spanMillis: spanMillis)
            let width = self.bucketMillis / 1000
            let cells = try reader.timeline(runID: id, origin: self.originMillis, bucketMillis: self.bucketMillis)
            let first = cells.map(\.bucket).min() ?? 0
            let last = cells.map(\.bucket).max() ?? 0
            self.buckets = first...last
            let count = Int(last - first + 1)
            var counts: [String: [Int]] = [:]
            var faulted = [Int](repeating: 0, count: count)
            var totals: [String: (count: Int, faulted: Int)] = [:]
            for cell in cells {
                let index = Int(cell.bucket - first)
                counts[cell.name, default: [Int](repeating: 0, count: count)][index] += cell.count
                faulted[index] += cell.faulted
                totals[cell.name, default: (0, 0)].count += cell.count
                totals[cell.name, default: (0, 0)].faulted += cell.faulted
            }
            self.counts = counts
            self.faulted = faulted
            self.faultedTotal = faulted.reduce(0, +)
            self.totals = totals.map { (name: $0.key, count: $0.value.count, faulted: $0.value.faulted) }
                .sorted { $0.count == $1.count ? $0.name < $1.name : $0.count > $1.count }

            // The busiest seconds: the same cells when the buckets are seconds, one more pass otherwise.
            let seconds = width == 1
                ? cells : try reader.timeline(runID: id, origin: self.originMillis, bucketMillis: 1000)
            var bySecond: [Int64: [(name: String, count: Int)]] = [:]
            for cell in seconds {
                bySecond[cell.bucket, default: []].append((cell.name, cell.count))
            }
            let origin = self.originMillis
            var busiest: [BusySecond] = bySecond.map { second, names in
                let sorted = names.sorted { $0.count == $1.count ? $0.name < $1.name : $0.count > $1.count }
                let count = names.reduce(0) { $0 + $1.count }
                return BusySecond(startMillis: origin + second * 1000, count: count, names: sorted)
            }
            busiest.sort { $0.count == $1.count ? $0.startMillis < $1.startMillis : $0.count > $1.count }
            self.busiest = Array(busiest.prefix(10))
            self.faults = try reader.faults(runID: id)
            self.faultedEvents = try reader.faultedEvents(runID: id, limit: JournalReport.listedFaults)
        }

        private static func floor(_ value: Int64, _ unit: Int64) -> Int64 {
            value >= 0 ? value / unit * unit : -((-value + unit - 1) / unit * unit)
        }

        /// Seconds from the origin to a wall-clock time: the chart's x.
        func x(_ wallMillis: Int64) -> Double {
            Double(wallMillis - self.originMillis) / 1000
        }

        /// The start of a bucket (an index into the counts), in wall-clock milliseconds.
        func start(_ index: Int) -> Int64 {
            self.originMillis + (self.buckets.lowerBound + Int64(index)) * self.bucketMillis
        }

        /// `12:00:05 (+0:05)`: a wall-clock time and its offset from the origin.
        func when(_ wallMillis: Int64) -> String {
            "\(HTMLReport.clock(wallMillis)) (+\(HTMLReport.offset(self.x(wallMillis))))"
        }

        /// The gap faults' spans, from their spec's `from` and `to`; `nil` for a gap that does not say.
        func gapSpan(_ fault: JournalFault) -> (from: Int64, to: Int64)? {
            guard let spec = try? JSONParser.parse(Array(fault.spec.utf8)).value else { return nil }
            func time(_ key: String) -> Int64? {
                switch spec[key] {
                case .string(let text)?: Timestamp(iso8601: text)?.millisecondsSince1970
                case let value?: value.integerValue.map(Int64.init)
                case nil: nil
                }
            }
            guard let from = time("from"), let to = time("to") else { return nil }
            return (from, max(from, to))
        }
    }

    static func html(_ timeline: Timeline) -> String {
        let run = timeline.run
        var page = HTMLReport(
            title: "journal report",
            kind: "journal",
            meta: "run \(run.id) of \(timeline.path) · \(Timestamp(millisecondsSince1970: timeline.span.firstWallMillis).iso8601)",
            dataJSON: Self.dataJSON(timeline)
        )
        // The story first (figures, then the chart), the detail after.
        page.sections.append(Self.figures(timeline))
        page.sections.append(Self.chart(timeline))
        page.sections.append("<section class=\"grid columns\">\n\(Self.busiestTable(timeline))\n\(Self.namesTable(timeline))\n</section>")
        page.sections.append(Self.faultsTable(timeline))
        page.sections.append(Self.summary(timeline))
        return page.render()
    }

    /// The series drawn: the top names, then `other` when more names are left.
    static func series(_ timeline: Timeline) -> [SVGChart.Series] {
        let count = timeline.buckets.count
        var series = timeline.totals.prefix(Self.namedSeries).enumerated().map { index, total in
            SVGChart.Series(key: total.name, label: total.name, colour: "s\(index + 1)",
                            values: (timeline.counts[total.name] ?? []).map { Double($0) })
        }
        let rest = timeline.totals.dropFirst(Self.namedSeries)
        if !rest.isEmpty {
            var other = [Double](repeating: 0, count: count)
            for total in rest {
                for (index, value) in (timeline.counts[total.name] ?? []).enumerated() {
                    other[index] += Double(value)
                }
            }
            series.append(SVGChart.Series(key: "other", label: "other (\(rest.count) names)", colour: "s8",
                                          values: other))
        }
        return series
    }

    /// `1 s`, `10 s`, `5 min`, `1 h`.
    static func width(_ millis: Int64) -> String {
        let seconds = millis / 1000
        if seconds % 3600 == 0 { return "\(seconds / 3600) h" }
        if seconds % 60 == 0 && seconds >= 60 { return "\(seconds / 60) min" }
        return "\(seconds) s"
    }

    /// The run at a glance: events, span, average and peak rates, faults, gaps.
    private static func figures(_ timeline: Timeline) -> HTML {
        let span = timeline.span
        let seconds = Double(span.lastMonoNanos - span.firstMonoNanos) / 1e9
        let gaps = timeline.faults.filter { $0.kind == "gap" }.count
        let peak = timeline.busiest.first
        let average = seconds > 0 ? Double(span.count) / seconds : 0
        let stats: [HTML] = [
            HTMLReport.stat(id: "events", label: "Events", value: HTMLReport.count(span.count), data: "\(span.count)",
                            sub: "seq \(span.firstSeq) to \(span.lastSeq)"),
            HTMLReport.stat(id: "span", label: "Span", value: JournalTools.duration(seconds), data: "\(seconds)",
                            sub: Timestamp(millisecondsSince1970: span.firstWallMillis).iso8601),
            HTMLReport.stat(id: "average-rate", label: "Events per second", value: HTMLReport.decimal(average, digits: 1),
                            data: "\(average)", sub: "on average"),
            HTMLReport.stat(id: "peak-rate", label: "Busiest second", value: HTMLReport.count(peak?.count ?? 0),
                            data: "\(peak?.count ?? 0)",
                            sub: peak.map { "at +" + HTMLReport.offset(Double(max(0, $0.startMillis - span.firstWallMillis)) / 1000) }),
            HTMLReport.stat(id: "faults", label: "Faults", value: HTMLReport.count(timeline.faults.count - gaps),
                            data: "\(timeline.faults.count - gaps)",
                            sub: "\(HTMLReport.count(timeline.faultedTotal)) events sent or marked by one",
                            tone: timeline.faults.count - gaps > 0 ? "bad" : nil),
            HTMLReport.stat(id: "gaps", label: "Gaps", value: HTMLReport.count(gaps), data: "\(gaps)",
                            sub: gaps > 0 ? "the recording lost its connection" : "none", tone: gaps > 0 ? "bad" : nil),
        ]
        return "<section class=\"grid stats\" id=\"figures\">\n\(stats)\n</section>"
    }

    private static func summary(_ timeline: Timeline) -> HTML {
        let run = timeline.run
        let span = timeline.span
        let gaps = timeline.faults.filter { $0.kind == "gap" }.count
        let pairs = HTMLReport.pairs(id: "run-summary", wide: true, [
            ("run", "Run", String(run.id)),
            ("source", "Source", run.source),
            ("scenario", "Scenario", run.scenario ?? "–"),
            ("seed", "Seed", run.seed.map { String($0) } ?? "–"),
            ("started", "Started", Timestamp(millisecondsSince1970: run.startedAtMillis).iso8601),
            ("first-event", "First event", Timestamp(millisecondsSince1970: span.firstWallMillis).iso8601),
            ("last-event", "Last event", Timestamp(millisecondsSince1970: span.lastWallMillis).iso8601),
            ("span", "Span", JournalTools.duration(Double(span.lastMonoNanos - span.firstMonoNanos) / 1e9)),
            ("events", "Events", HTMLReport.count(span.count)),
            ("seqs", "Seqs", "\(span.firstSeq)..\(span.lastSeq)"),
            ("names", "Names", HTMLReport.count(timeline.totals.count)),
            ("faults", "Faults", "\(HTMLReport.count(timeline.faults.count - gaps)) disconnect/delay, "
                + "\(HTMLReport.count(timeline.faultedTotal)) events sent or marked by a fault"),
            ("gaps", "Gaps", HTMLReport.count(gaps)),
            ("tablecast-version", "Written by", "tablecast \(run.tablecastVersion)"),
            ("journal", "Journal", timeline.path),
        ])
        return """
            <section class="card" id="summary-card"><h2>Run \(run.id): \(run.source)\
            \(run.scenario.map { ", scenario \($0)" } ?? "")</h2>
            \(pairs)
            </section>
            """
    }

    private static func chart(_ timeline: Timeline) -> HTML {
        let series = Self.series(timeline)
        let bucketSeconds = Double(timeline.bucketMillis) / 1000
        let starts = (0..<timeline.buckets.count).map { Double(timeline.buckets.lowerBound + Int64($0)) * bucketSeconds }
        var totals = [Int](repeating: 0, count: starts.count)
        for name in timeline.counts.values {
            for (index, count) in name.enumerated() {
                totals[index] += count
            }
        }
        let lower = min(0, starts.first ?? 0)
        let upper = (starts.last ?? 0) + bucketSeconds
        let x = SVGChart.Axis(domain: lower...max(upper, lower + 1), ticks: SVGChart.timeTicks(span: upper - lower)
            .map { $0 + lower }, label: { HTMLReport.offset($0) })
        let width = Self.width(timeline.bucketMillis)
        let chart = SVGChart(
            id: "chart-timeline", key: "timeline",
            label: "events per \(width) by name, with gaps and faults",
            x: x, y: .values(upTo: Double(totals.max() ?? 0), minimumStep: 1), width: 1200, height: 320,
            attributes: """
                data-bucket-ms="\(timeline.bucketMillis)" data-origin-ms="\(timeline.originMillis)" \
                data-first-bucket="\(timeline.buckets.lowerBound)"
                """
        )

        // A few faults cross the chart; many would hide it, so they go in the strip above it, with the events that
        // faults sent or marked.
        var overlays: [SVGChart.Overlay] = []
        let crossing = timeline.faults.filter { $0.kind != "gap" }.count <= Self.crossingFaults
        for fault in timeline.faults {
            let attributes: HTML = "data-kind=\"\(fault.kind)\" data-wall-ms=\"\(fault.wallMillis)\" data-after-seq=\"\(fault.afterSeq)\""
            if fault.kind == "gap", let gap = timeline.gapSpan(fault) {
                overlays.append(SVGChart.Overlay(
                    shape: .span(from: timeline.x(gap.from), to: timeline.x(gap.to)), cssClass: "marker-gap",
                    title: "gap \(timeline.when(gap.from)) to \(HTMLReport.clock(gap.to)): \(fault.spec)",
                    attributes: attributes + " data-from-ms=\"\(gap.from)\" data-to-ms=\"\(gap.to)\""))
            } else {
                let at = timeline.x(fault.wallMillis)
                overlays.append(SVGChart.Overlay(
                    shape: crossing ? .mark(at: at) : .tick(at: at), cssClass: "marker-fault",
                    title: "\(fault.kind) \(timeline.when(fault.wallMillis)): \(fault.spec)", attributes: attributes))
            }
        }
        for (index, count) in timeline.faulted.enumerated() where count > 0 {
            let start = timeline.start(index)
            overlays.append(SVGChart.Overlay(
                shape: .tick(at: timeline.x(start) + bucketSeconds / 2), cssClass: "marker-fault",
                title: "\(timeline.when(start)): \(HTMLReport.count(count)) events sent or marked by a fault",
                attributes: "data-kind=\"event\" data-wall-ms=\"\(start)\" data-count=\"\(count)\""))
        }

        let svg = chart.stackedAreas(series, starts: starts, width: bucketSeconds, overlays: overlays) { index in
            let parts = series.compactMap { series -> String? in
                let value = Int(series.values[index] ?? 0)
                return value > 0 ? "\(series.key) \(HTMLReport.count(value))" : nil
            }
            let events = totals[index] == 1 ? "1 event" : "\(HTMLReport.count(totals[index])) events"
            return "\(timeline.when(timeline.start(index))) — \(events)"
                + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
        }
        let extra: [HTML] = [
            "<span data-series=\"gap\"><span class=\"swatch gap\"></span>gap</span>",
            "<span data-series=\"fault\"><span class=\"swatch fault\"></span>fault</span>",
        ]
        return """
            <section class="card" id="timeline-card"><header><h2>Events per \(width) by name</h2>\
            <span class="spacer"></span><span class="chart-note" id="bucket-width">buckets of \(width), \
            offsets from \(HTMLReport.clock(timeline.originMillis)) UTC</span></header>
            \(svg)
            \(SVGChart.legend(for: "timeline", series, extra: extra))
            </section>
            """
    }

    private static func faultsTable(_ timeline: Timeline) -> HTML {
        struct Row {
            var wallMillis: Int64
            var monoNanos: Int64
            var kind: String
            var seq: String
            var spec: String
        }
        var rows = timeline.faults.map { fault in
            Row(wallMillis: fault.wallMillis, monoNanos: fault.monoNanos, kind: fault.kind,
                seq: "after \(fault.afterSeq)", spec: fault.spec)
        }
        rows += timeline.faultedEvents.map { event in
            Row(wallMillis: event.wallMillis, monoNanos: event.monoNanos, kind: "event \(event.name)",
                seq: String(event.seq), spec: event.fault)
        }
        rows.sort { $0.monoNanos < $1.monoNanos }
        let shown = rows.prefix(Self.listedFaults)
        let first = timeline.span.firstMonoNanos
        let table = HTMLReport.table(
            id: "faults-table", headers: ["Time", "Offset", "Kind", "#Seq", "Spec"],
            rows: shown.map { row in
                [.text(Timestamp(millisecondsSince1970: row.wallMillis).iso8601),
                 .text(JournalTools.offset(row.monoNanos - first)), .text(row.kind), .number(row.seq),
                 .code(row.spec)]
            },
            rowData: shown.map { row in "data-kind=\"\(row.kind)\" data-wall-ms=\"\(row.wallMillis)\"" }
        )
        let listed = timeline.faults.count + timeline.faultedTotal
        let note: HTML = listed > shown.count
            ? "<p class=\"hint\" id=\"faults-more\">\(HTMLReport.count(listed - shown.count)) more not listed.</p>" : ""
        let body: HTML = rows.isEmpty ? "<p class=\"empty\" id=\"faults-none\">no gaps or faults in this run</p>" : table
        return """
            <section class="card" id="faults-card"><h2>Gaps and faults</h2>
            \(body)\(note)
            </section>
            """
    }

    private static func busiestTable(_ timeline: Timeline) -> HTML {
        let first = timeline.span.firstWallMillis
        let table = HTMLReport.table(
            id: "busiest-table", headers: ["Second (UTC)", "Offset", "#Events", "Top names"],
            rows: timeline.busiest.map { second in
                [.text(HTMLReport.clock(second.startMillis)),
                 .text("+" + HTMLReport.offset(Double(max(0, second.startMillis - first)) / 1000)),
                 .number(HTMLReport.count(second.count)),
                 .text(second.names.prefix(3).map { "\($0.name) \(HTMLReport.count($0.count))" }
                    .joined(separator: ", ") + (second.names.count > 3 ? ", …" : ""))]
            },
            rowData: timeline.busiest.map { "data-start-ms=\"\($0.startMillis)\" data-count=\"\($0.count)\"" }
        )
        return "<div class=\"card\" id=\"busiest-card\"><h2>Busiest seconds</h2>\n\(table)\n</div>"
    }

    private static func namesTable(_ timeline: Timeline) -> HTML {
        let total = max(1, timeline.span.count)
        let table = HTMLReport.table(
            id: "names-table", headers: ["Name", "#Events", "#Share", "#Faulted"],
            rows: timeline.totals.enumerated().map { index, name in
                let swatch: HTML = index < Self.namedSeries
                    ? "<span class=\"swatch s\(index + 1)\"></span>" : "<span class=\"swatch s8\"></span>"
                return [.markup("\(swatch)\(name.name)"),
                        .number(HTMLReport.count(name.count)),
                        .number(HTMLReport.decimal(Double(name.count) * 100 / Double(total), digits: 1) + " %"),
                        .number(HTMLReport.count(name.faulted))]
            },
            rowData: timeline.totals.map { "data-name=\"\($0.name)\" data-count=\"\($0.count)\"" }
        )
        return "<div class=\"card\" id=\"names-card\"><h2>Events per name</h2>\n\(table)\n</div>"
    }

    // MARK: Data

    static func dataJSON(_ timeline: Timeline) -> String {
        let run = timeline.run
        let span = timeline.span
        var json = JSONWriter()
        json.beginObject()
        json.key("kind"); json.value("journal")
        json.key("journal"); json.value(timeline.path)
        json.key("run")
        json.beginObject()
        json.key("id"); json.value(Int(run.id))
        json.key("source"); json.value(run.source)
        json.key("scenario"); json.value(run.scenario)
        json.key("seed"); json.value(run.seed.map(Int.init))
        json.key("startedAt"); json.value(Int(run.startedAtMillis))
        json.key("tablecastVersion"); json.value(run.tablecastVersion)
        json.endObject()
        json.key("span")
        json.beginObject()
        json.key("events"); json.value(span.count)
        json.key("firstSeq"); json.value(Int(span.firstSeq))
        json.key("lastSeq"); json.value(Int(span.lastSeq))
        json.key("firstWallMs"); json.value(Int(span.firstWallMillis))
        json.key("lastWallMs"); json.value(Int(span.lastWallMillis))
        json.endObject()
        json.key("bucketMs"); json.value(Int(timeline.bucketMillis))
        json.key("originMs"); json.value(Int(timeline.originMillis))
        json.key("firstBucket"); json.value(Int(timeline.buckets.lowerBound))
        json.key("series")
        json.beginArray()
        for series in Self.series(timeline) {
            json.beginObject()
            json.key("key"); json.value(series.key)
            json.key("counts")
            json.beginArray()
            for value in series.values {
                json.value(Int(value ?? 0))
            }
            json.endArray()
            json.endObject()
        }
        json.endArray()
        json.key("names")
        json.beginArray()
        for name in timeline.totals {
            json.beginObject()
            json.key("name"); json.value(name.name)
            json.key("count"); json.value(name.count)
            json.key("faulted"); json.value(name.faulted)
            json.endObject()
        }
        json.endArray()
        json.key("faults")
        json.beginArray()
        for fault in timeline.faults {
            json.beginObject()
            json.key("kind"); json.value(fault.kind)
            json.key("afterSeq"); json.value(Int(fault.afterSeq))
            json.key("wallMs"); json.value(Int(fault.wallMillis))
            json.key("spec"); json.value(fault.spec)
            json.endObject()
        }
        json.endArray()
        json.key("faultedEvents"); json.value(timeline.faultedTotal)
        json.key("busiest")
        json.beginArray()
        for second in timeline.busiest {
            json.beginObject()
            json.key("startMs"); json.value(Int(second.startMillis))
            json.key("count"); json.value(second.count)
            json.key("names")
            json.beginObject()
            for name in second.names {
                json.key(string: name.name); json.value(name.count)
            }
            json.endObject()
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.text
    }
}
