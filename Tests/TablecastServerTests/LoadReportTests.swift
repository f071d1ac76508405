import Foundation
import SocketIOClient
import Testing

@testable import TablecastServer

struct LoadReportTests {
    /// A report as `--json` prints it (its memberwise initializer is the client module's own).
    static func report(lost: Int, timeline: [LoadRun.Report.Second]) throws -> LoadRun.Report {
        let seconds = try JSONSerialization.jsonObject(with: JSONEncoder().encode(timeline))
        let json: [String: Any] = [
            "url": "http://127.0.0.1:4000/<events>", "clients": 2, "connected": 2, "failed": 0, "disconnected": 0,
            "seconds": 2, "windowOffset": 0.5, "deliveries": 300, "deliveriesPerSecond": 150, "bytesPerSecond": 1000,
            "expected": 310, "delivered": 310 - lost, "lost": lost, "duplicates": 0, "reordered": 0, "untraced": 0,
            "received": 310, "serverLastSeq": 155,
            "latency": ["count": 310, "p50": 1200, "p90": 2000, "p99": 4000, "p999": 5000, "max": 6000, "mean": 1300],
            "failures": [String](), "timeline": seconds,
        ]
        return try JSONDecoder().decode(LoadRun.Report.self, from: JSONSerialization.data(withJSONObject: json))
    }

    @Test func aRunThatLostEventsFailsAndItsSecondsAreCharted() throws {
        let timeline = [
            LoadRun.Report.Second(elapsed: 1, deliveries: 300, deliveriesPerSecond: 300, connected: 2, traced: 300,
                                  p50: 1200, p90: 2000, p99: 4000, max: 6000),
            LoadRun.Report.Second(elapsed: 2, deliveries: 0, deliveriesPerSecond: 0, connected: 2, traced: 0,
                                  p50: 0, p90: 0, p99: 0, max: 0),
        ]
        let report = try Self.report(lost: 10, timeline: timeline)
        let parameters = LoadReport.Parameters(url: report.url, clients: 2, ramp: 0, duration: 2, transport: "websocket",
                                               startedAtMillis: 1_795_694_400_000, tablecastVersion: "test")
        let page = LoadReport.html(report: report, parameters: parameters, clean: LoadTest.isClean(report))
        #expect(page.contains("class=\"badge verdict bad\" id=\"verdict\" data-clean=\"false\">FAIL</span>"))
        #expect(page.contains("10 lost"))
        #expect(page.contains("class=\"stat-value bad\" id=\"stat-lost\" data-value=\"10\">10</div>"))
        #expect(page.contains("data-series=\"deliveries\" data-values=\"300,0\""))
        // A second without traced events has no latency: the lines break there.
        #expect(page.contains("data-series=\"p99\" data-values=\"4,\""))
        #expect(page.contains("data-series=\"max\" data-values=\"6,\""))
        #expect(page.contains("<title>12:00:01 (+0:01) — 300 deliveries/s, 300 deliveries, 2 clients</title>"))
        #expect(page.contains("http://127.0.0.1:4000/&lt;events&gt;"))
        #expect(!page.contains("/<events>"))
        let json = try #require(page.components(separatedBy: "id=\"report-data\">").last?
            .components(separatedBy: "</script>").first)
        #expect(json.contains("\\u003cevents\\u003e"))
        let data = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let decoded = try #require(data["report"] as? [String: Any])
        #expect(decoded["url"] as? String == "http://127.0.0.1:4000/<events>")
        #expect((decoded["timeline"] as? [Any])?.count == 2)
    }
}
