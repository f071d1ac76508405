import Foundation
import SocketIOClient
import TablecastJSON

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `tablecast load`: the load client (``LoadRun``) against a server, with the server's last seq read from its health
/// endpoint, a progress line and a summary, as text or JSON.
public enum LoadTest {
    /// What a run found, ready to print.
    public struct Outcome: Sendable {
        /// The summary, one line each.
        public var lines: [String]
        /// The same figures as one JSON object.
        public var json: String
        /// Whether every client connected and received everything, once and in order.
        public var isClean: Bool
        /// The figures, second by second too.
        public var report: LoadRun.Report
        /// How the run was asked for, and when it started: for the HTML report.
        var parameters: LoadReport.Parameters

        /// Writes the HTML report (``LoadReport``) to `path`.
        /// - Throws: a problem naming `path` when it cannot be written.
        public func writeReport(to path: String) throws {
            try HTMLReport.save(LoadReport.html(report: self.report, parameters: self.parameters, clean: self.isClean),
                                to: path)
        }
    }

    /// Why a report could not be written at `path`, checked before a run so that its figures are not lost at the
    /// end: `nil` when it looks writable.
    public static func reportProblem(_ path: String) -> String? {
        HTMLReport.unwritableReason(path).map { "cannot write the report to '\(path)': \($0)" }
    }

    /// The transports `load` offers.
    public static let transports = LoadRun.Transport.allCases.map(\.rawValue)

    /// Runs `clients` clients against `url` (`http://host:port/namespace`) for `duration` seconds.
    /// - Parameter progress: one line about every second (for a terminal).
    /// - Parameter transport: `websocket` or `polling`.
    public static func run(url: String, clients: Int, ramp: Double, duration: Double, transport: String = "websocket",
                           progress: @escaping @Sendable (String) -> Void) async throws -> Outcome {
        let options = LoadRun.Options(url: url, clients: clients, ramp: ramp, duration: duration,
                                      transport: LoadRun.Transport(rawValue: transport) ?? .websocket)
        let health = Self.healthURL(url)
        let parameters = LoadReport.Parameters(url: url, clients: clients, ramp: ramp, duration: duration,
                                               transport: options.transport.rawValue,
                                               startedAtMillis: Int64(Date().timeIntervalSince1970 * 1000),
                                               tablecastVersion: tablecastVersion)
        let report = try await LoadRun.run(
            options: options,
            lastSeq: { await Self.lastSeq(health) },
            progress: { step in
                progress(String(format: "%5.1f s  %d/%d clients  %d events  %.0f deliveries/s", step.elapsed,
                                step.connected, clients, step.events, step.rate))
            }
        )
        return Outcome(lines: Self.lines(report), json: Self.json(report), isClean: Self.isClean(report),
                       report: report, parameters: parameters)
    }

    static func isClean(_ report: LoadRun.Report) -> Bool {
        report.connected == report.clients && report.lost == 0 && report.duplicates == 0 && report.reordered == 0
    }

    static func lines(_ report: LoadRun.Report) -> [String] {
        let latency = report.latency
        var lines = [
            "load \(report.url): \(report.connected)/\(report.clients) clients connected, "
                + "\(String(format: "%.1f", report.seconds)) s measured",
            "deliveries: \(report.deliveries) (\(Self.rate(report.deliveriesPerSecond))/s), "
                + "\(Self.rate(report.bytesPerSecond))B/s",
            "delivered/expected: \(report.delivered)/\(report.expected); lost \(report.lost), duplicates "
                + "\(report.duplicates), out of order \(report.reordered)"
                + (report.serverLastSeq.map { " (server's last seq \($0))" } ?? " (the server's last seq was not known)"),
            "latency (emit to receive, µs): p50 \(latency.p50), p90 \(latency.p90), p99 \(latency.p99), "
                + "p99.9 \(latency.p999), max \(latency.max) over \(latency.count) events",
        ]
        if report.untraced > 0 {
            lines.append("untraced events: \(report.untraced) (the server does not trace them: counted, not checked)")
        }
        if report.failed > 0 || !report.failures.isEmpty {
            lines.append("failed or disconnected clients: \(report.failed); first reasons: "
                + report.failures.prefix(3).joined(separator: "; "))
        }
        return lines
    }

    static func json(_ report: LoadRun.Report) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(report) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    private static func rate(_ value: Double) -> String {
        switch value {
        case 1e6...: String(format: "%.2f M", value / 1e6)
        case 1e3...: String(format: "%.1f K", value / 1e3)
        default: String(format: "%.0f ", value)
        }
    }

    /// `http://host:port/_tablecast/health` for a namespace URL.
    static func healthURL(_ url: String) -> URL? {
        guard var components = URLComponents(string: url) else { return nil }
        components.path = "/_tablecast/health"
        components.query = nil
        return components.url
    }

    /// The server's last seq, from its health endpoint; `nil` when it has none (another server) or does not answer.
    ///
    /// A server saturated by the load may take seconds to answer, and without this figure loss at the end of the run
    /// goes unseen, so a request that fails gets two more tries, each with 15 s to answer. Any answer ends the
    /// tries: with a `lastSeq` (tablecast answers 503 with one when its journal failed), or without (another server).
    static func lastSeq(_ url: URL?) async -> Int64? {
        guard let url else { return nil }
        for attempt in 1...3 {
            var request = URLRequest(url: url)
            request.timeoutInterval = 15
            do {
                let (data, _) = try await URLSession.shared.data(for: request)
                guard let health = try? JSONParser.parse([UInt8](data)).value,
                    let lastSeq = health["lastSeq"]?.integerValue
                else { return nil }
                return Int64(lastSeq)
            } catch {
                if attempt < 3 {
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
        }
        return nil
    }
}
