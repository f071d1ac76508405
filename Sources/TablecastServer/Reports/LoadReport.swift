import Foundation
import Restaurant
import SocketIOClient

/// `tablecast load --report FILE.html`: a run's figures as one self-contained page, with its verdict, its
/// deliveries per second and its latency percentiles second by second.
///
/// Hooks for browser tests: `body[data-report="load"]`; `#verdict` (`data-clean="true|false"`, text PASS or FAIL);
/// `#stat-<name>` with the exact figure in `data-value` (`delivered`, `expected`, `lost`, `duplicates`, `reordered`,
/// `untraced`, `connected`, `failed`, `disconnected`, `deliveries`, `deliveries-per-second`, `latency-p50`,
/// `latency-p90`, `latency-p99`, `latency-p999`, `latency-max`, in µs for latencies); `svg#chart-deliveries`
/// (`data-chart="deliveries"`, one series `deliveries`, deliveries per second) and `svg#chart-latency`
/// (`data-chart="latency"`, series `p50`, `p90`, `p99`, `max`, in ms), each series a `[data-series]` element with
/// `data-values`, one figure per second of `report.timeline`; `#parameters` (`dd[data-field]`); and `#report-data`.
enum LoadReport {
    /// How the run was asked for, and when it started.
    struct Parameters: Sendable, Codable, Equatable {
        var url: String
        var clients: Int
        var ramp: Double
        var duration: Double
        var transport: String
        /// Wall-clock milliseconds when the first client opened.
        var startedAtMillis: Int64
        var tablecastVersion: String
    }

    /// What `#report-data` holds: the parameters, the verdict, and the report exactly as `--json` prints it.
    private struct Data: Encodable {
        var kind = "load"
        var parameters: Parameters
        var clean: Bool
        var report: LoadRun.Report
    }

    /// The page.
    static func html(report: LoadRun.Report, parameters: Parameters, clean: Bool) -> String {
        var page = HTMLReport(title: "load report", kind: "load",
                              meta: "\(report.url) · \(Timestamp(millisecondsSince1970: parameters.startedAtMillis).iso8601)",
                              dataJSON: Self.dataJSON(report: report, parameters: parameters, clean: clean))
        page.sections.append(Self.verdict(report, clean: clean))
        page.sections.append(Self.statistics(report))
        page.sections.append(Self.charts(report, parameters: parameters))
        page.sections.append(Self.details(report, parameters: parameters))
        return page.render()
    }

    static func dataJSON(report: LoadRun.Report, parameters: Parameters, clean: Bool) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(Data(parameters: parameters, clean: clean, report: report)) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Why a run is not clean, one phrase per reason; empty when it is.
    static func problems(_ report: LoadRun.Report) -> [String] {
        var problems: [String] = []
        if report.connected < report.clients {
            problems.append("\(HTMLReport.count(report.clients - report.connected)) of \(HTMLReport.count(report.clients)) clients never connected")
        }
        if report.lost > 0 { problems.append("\(HTMLReport.count(report.lost)) lost") }
        if report.duplicates > 0 { problems.append("\(HTMLReport.count(report.duplicates)) duplicates") }
        if report.reordered > 0 { problems.append("\(HTMLReport.count(report.reordered)) out of order") }
        return problems
    }

    private static func verdict(_ report: LoadRun.Report, clean: Bool) -> HTML {
        let problems = Self.problems(report)
        let reason = clean
            ? "every client connected; nothing lost, duplicated or out of order"
            : (problems.isEmpty ? "not clean" : problems.joined(separator: "; "))
        return """
            <section class="card" id="verdict-card"><header><h2>\(report.url)</h2><span class="spacer"></span>\
            <span class="badge verdict \(clean ? "good" : "bad")" id="verdict" data-clean="\(clean ? "true" : "false")">\
            \(clean ? "PASS" : "FAIL")</span></header>
            <p class="hint" id="verdict-reason">\(reason). \(HTMLReport.count(report.connected))/\
            \(HTMLReport.count(report.clients)) clients, \(HTMLReport.decimal(report.seconds, digits: 1)) s measured; \
            the exit status is 1 when a client failed or an event was lost, duplicated or out of order.</p>
            </section>
            """
    }

    private static func statistics(_ report: LoadRun.Report) -> HTML {
        func stat(_ id: String, _ label: String, _ value: Int, sub: String? = nil, badWhenPositive: Bool = false)
            -> HTML
        {
            HTMLReport.stat(id: id, label: label, value: HTMLReport.count(value), data: String(value), sub: sub,
                            tone: badWhenPositive && value > 0 ? "bad" : nil)
        }
        func latency(_ id: String, _ label: String, _ micros: Int) -> HTML {
            HTMLReport.stat(id: "latency-\(id)", label: label, value: HTMLReport.milliseconds(micros: micros),
                            data: String(micros), sub: "\(HTMLReport.count(micros)) µs")
        }
        let latencyFigures = report.latency
        let stats: [HTML] = [
            stat("delivered", "Delivered", report.delivered, sub: "of \(HTMLReport.count(report.expected)) expected"),
            stat("expected", "Expected", report.expected,
                 sub: report.serverLastSeq.map { "server's last seq \(HTMLReport.count(Int($0)))" }
                    ?? "server's last seq not known"),
            stat("lost", "Lost", report.lost, badWhenPositive: true),
            stat("duplicates", "Duplicates", report.duplicates, badWhenPositive: true),
            stat("reordered", "Out of order", report.reordered, badWhenPositive: true),
            stat("untraced", "Untraced", report.untraced, sub: "counted, not checked"),
            stat("connected", "Clients connected", report.connected, sub: "of \(HTMLReport.count(report.clients))"),
            stat("failed", "Clients failed", report.failed, badWhenPositive: true),
            stat("disconnected", "Clients disconnected", report.disconnected, badWhenPositive: true),
            stat("deliveries", "Deliveries", report.deliveries,
                 sub: "in the \(HTMLReport.decimal(report.seconds, digits: 1)) s window"),
            HTMLReport.stat(id: "deliveries-per-second", label: "Deliveries/s",
                            value: HTMLReport.decimal(report.deliveriesPerSecond, digits: 0),
                            data: SVGChart.dataValue(report.deliveriesPerSecond),
                            sub: "\(HTMLReport.decimal(report.bytesPerSecond / 1e6, digits: 2)) MB/s"),
            latency("p50", "Latency p50", latencyFigures.p50),
            latency("p90", "Latency p90", latencyFigures.p90),
            latency("p99", "Latency p99", latencyFigures.p99),
            latency("p999", "Latency p99.9", latencyFigures.p999),
            latency("max", "Latency max", latencyFigures.max),
        ]
        return "<section class=\"grid stats\" id=\"statistics\">\n\(stats.map { $0 + "\n" })</section>"
    }

    private static func charts(_ report: LoadRun.Report, parameters: Parameters) -> HTML {
        let timeline = report.timeline
        let xs = timeline.map(\.elapsed)
        let span = max(xs.last ?? 0, report.seconds, 1)
        let windowStart = parameters.startedAtMillis + Int64((report.windowOffset * 1000).rounded())
        func when(_ index: Int) -> String {
            let elapsed = timeline[index].elapsed
            return "\(HTMLReport.clock(windowStart + Int64((elapsed * 1000).rounded()))) (+\(HTMLReport.offset(elapsed)))"
        }

        let deliveries = [SVGChart.Series(key: "deliveries", label: "deliveries/s", colour: "s1",
                                          values: timeline.map(\.deliveriesPerSecond))]
        let deliveriesChart = SVGChart(
            id: "chart-deliveries", key: "deliveries", label: "deliveries per second over the measured window",
            x: .seconds(span: span), y: .values(upTo: timeline.map(\.deliveriesPerSecond).max() ?? 0, minimumStep: 1)
        )
        let deliveriesSVG = deliveriesChart.lines(deliveries, at: xs) { index, _ in
            let second = timeline[index]
            return "\(when(index)) — \(HTMLReport.decimal(second.deliveriesPerSecond, digits: 0)) deliveries/s, "
                + "\(HTMLReport.count(second.deliveries)) deliveries, \(HTMLReport.count(second.connected)) clients"
        }

        let percentiles: [(key: String, colour: String, value: (LoadRun.Report.Second) -> Int)] = [
            ("p50", "s1", \.p50), ("p90", "s2", \.p90), ("p99", "s3", \.p99), ("max", "s5", \.max),
        ]
        let latencySeries = percentiles.map { percentile in
            SVGChart.Series(key: percentile.key, label: percentile.key, colour: percentile.colour,
                            values: timeline.map { $0.traced > 0 ? Double(percentile.value($0)) / 1000 : nil })
        }
        let highest = timeline.filter { $0.traced > 0 }.map { Double($0.max) / 1000 }.max() ?? 0
        let latencyChart = SVGChart(
            id: "chart-latency", key: "latency", label: "latency percentiles per second, milliseconds",
            x: .seconds(span: span), y: .values(upTo: highest)
        )
        let latencySVG = latencyChart.lines(latencySeries, at: xs) { index, series in
            let second = timeline[index]
            let micros = percentiles.first { $0.key == series.key }.map { $0.value(second) } ?? 0
            return "\(when(index)) — \(series.key) \(HTMLReport.milliseconds(micros: micros)) "
                + "over \(HTMLReport.count(second.traced)) events"
        }
        let empty: HTML = timeline.isEmpty ? "<p class=\"empty\">no second was measured</p>" : ""
        return """
            <section class="grid charts" id="charts">
            <div class="card" id="deliveries-card"><h2>Deliveries per second</h2>
            \(deliveriesSVG)
            \(SVGChart.legend(for: "deliveries", deliveries))\(empty)
            </div>
            <div class="card" id="latency-card"><h2>Latency per second, emit to receive (ms)</h2>
            \(latencySVG)
            \(SVGChart.legend(for: "latency", latencySeries))\(empty)
            </div>
            </section>
            """
    }

    private static func details(_ report: LoadRun.Report, parameters: Parameters) -> HTML {
        let started = Timestamp(millisecondsSince1970: parameters.startedAtMillis).iso8601
        let pairs = HTMLReport.pairs(id: "parameters", [
            ("url", "URL", parameters.url),
            ("clients", "Clients", HTMLReport.count(parameters.clients)),
            ("ramp", "Ramp", HTMLReport.decimal(parameters.ramp, digits: 1) + " s"),
            ("duration", "Duration", HTMLReport.decimal(parameters.duration, digits: 1) + " s"),
            ("transport", "Transport", parameters.transport),
            ("started", "Started", started),
            ("window", "Measured", HTMLReport.decimal(report.seconds, digits: 1) + " s, from "
                + HTMLReport.decimal(report.windowOffset, digits: 1) + " s after the start"),
            ("received", "Received", HTMLReport.count(report.received) + " events from the first connection on"),
            ("server-last-seq", "Server's last seq", report.serverLastSeq.map { String($0) } ?? "not known"),
            ("tablecast-version", "tablecast", parameters.tablecastVersion),
        ])
        let failures: HTML = report.failures.isEmpty ? "" : """
            <div class="card" id="failures-card"><h2>First reasons clients failed or were disconnected</h2>
            <ul class="problems" id="failures">\(report.failures.map { "<li>\($0)</li>" as HTML })</ul></div>
            """
        return """
            <section class="grid columns" id="details">
            <div class="card" id="parameters-card"><h2>Run</h2>
            \(pairs)
            </div>
            \(failures)
            </section>
            """
    }
}
