import Foundation
import Journal
import Testing

@testable import TablecastServer

struct JournalReportTests {
    /// 2026-11-26T12:00:00.000Z.
    static let noon: Int64 = 1_795_694_400_000

    /// A run of four seconds: names that need escaping, a gap from 12:00:01.500 to 12:00:02.500, a disconnect, and a
    /// duplicate that a fault sent.
    static func writeJournal(_ journal: TemporaryJournal, names: [String]? = nil) throws {
        let writer = try JournalWriter(
            path: journal.path,
            run: RunDescriptor(source: "test", scenario: "<b>scenario</b>", seed: 7, tablecastVersion: "test",
                               startedAtMillis: Self.noon))
        // Second 0: 3 × order:created, 1 × <script>; second 1: 2 × a&b; second 3: 1 × order:created (a duplicate).
        let plan: [(offset: Int64, name: String, fault: String?)] = names.map { names in
            names.enumerated().map { (Int64($0.offset) * 10, $0.element, nil) }
        } ?? [
            (0, "order:created", nil), (100, "order:created", nil), (200, "<script>alert(1)</script>", nil),
            (300, "order:created", nil), (1100, "a&b", nil), (1200, "a&b", nil),
            (3100, "order:created", #"{"kind":"duplicate","of":1}"#),
        ]
        var seq: Int64 = 0
        for step in plan {
            seq += 1
            try writer.append(JournalEvent(
                seq: seq, monoNanos: 1_000_000_000 + step.offset * 1_000_000, wallMillis: Self.noon + step.offset,
                namespace: "/events", name: step.name, payload: Array("{}".utf8), fault: step.fault))
            if seq == 4 && names == nil {
                try writer.append(fault: JournalFault(afterSeq: 4, monoNanos: 1_400_000_000, wallMillis: Self.noon + 400,
                                                      kind: "disconnect", spec: #"{"clients":2}"#))
            }
            if seq == 6 && names == nil {
                try writer.append(fault: JournalFault(
                    afterSeq: 6, monoNanos: 2_500_000_000, wallMillis: Self.noon + 1500, kind: "gap",
                    spec: #"{"from":"2026-11-26T12:00:01.500Z","to":"2026-11-26T12:00:02.500Z","reason":"<gone>"}"#))
            }
        }
        try writer.close()
    }

    /// The JSON in `#report-data`.
    static func reportData(_ page: String) throws -> [String: Any] {
        let start = try #require(page.range(of: "<script type=\"application/json\" id=\"report-data\">"))
        let end = try #require(page.range(of: "</script>", range: start.upperBound..<page.endIndex))
        let json = String(page[start.upperBound..<end.lowerBound])
        return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    @Test func theReportHoldsTheRunsCountsGapsAndFaultsWithNamesEscaped() throws {
        let journal = TemporaryJournal()
        defer { journal.cleanUp() }
        try Self.writeJournal(journal)
        let page = try JournalReport.html(path: journal.path, runID: nil)

        // Names are text everywhere: the only <script> is the data block.
        #expect(page.components(separatedBy: "<script").count - 1 == 1)
        #expect(!page.contains("<b>scenario</b>"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("data-series=\"a&amp;b\""))

        // One bucket a second, 12:00:00 to 12:00:03; each series' counts in data-values.
        #expect(page.contains("id=\"chart-timeline\" data-chart=\"timeline\""))
        #expect(page.contains("data-bucket-ms=\"1000\" data-origin-ms=\"\(Self.noon)\" data-first-bucket=\"0\""))
        #expect(page.contains("data-series=\"order:created\" data-values=\"3,0,0,1\""))
        #expect(page.contains("data-series=\"a&amp;b\" data-values=\"0,2,0,0\""))
        #expect(page.contains("data-series=\"&lt;script&gt;alert(1)&lt;/script&gt;\" data-values=\"1,0,0,0\""))
        #expect(page.contains("data-bucket=\"0\" data-total=\"4\""))
        #expect(page.contains("data-bucket=\"2\" data-total=\"0\""))
        #expect(page.contains("<title>12:00:00 (+0:00) — 4 events: order:created 3, &lt;script&gt;alert(1)&lt;/script&gt; 1</title>"))

        // The gap as a span, the disconnect and the faulted event as marks, all listed.
        #expect(page.contains("<rect class=\"marker-gap\""))
        #expect(page.contains("data-from-ms=\"\(Self.noon + 1500)\" data-to-ms=\"\(Self.noon + 2500)\""))
        #expect(page.contains("<line class=\"marker-fault\"") && page.contains("data-kind=\"disconnect\""))
        #expect(page.contains("data-kind=\"event\" data-wall-ms=\"\(Self.noon + 3000)\" data-count=\"1\""))
        #expect(page.contains("<tr data-kind=\"event order:created\" data-wall-ms=\"\(Self.noon + 3100)\">"))
        #expect(page.contains("<tr data-kind=\"gap\""))
        #expect(page.contains("&quot;reason&quot;:&quot;&lt;gone&gt;&quot;"))

        // The busiest second first; the names with their counts and shares.
        #expect(page.contains("<tr data-start-ms=\"\(Self.noon)\" data-count=\"4\">"))
        #expect(page.contains("<tr data-name=\"order:created\" data-count=\"4\">"))
        #expect(page.contains("57.1 %"))

        let data = try Self.reportData(page)
        #expect(data["kind"] as? String == "journal")
        #expect(data["bucketMs"] as? Int == 1000)
        let series = try #require(data["series"] as? [[String: Any]])
        #expect(series.map { $0["key"] as? String } == ["order:created", "a&b", "<script>alert(1)</script>"])
        #expect(series.first?["counts"] as? [Int] == [3, 0, 0, 1])
        let faults = try #require(data["faults"] as? [[String: Any]])
        #expect(faults.map { $0["kind"] as? String } == ["disconnect", "gap"])
        #expect(data["faultedEvents"] as? Int == 1)
        let span = try #require(data["span"] as? [String: Any])
        #expect(span["events"] as? Int == 7)
    }

    @Test func namesPastTheSeventhAreSummedAsOther() throws {
        let journal = TemporaryJournal()
        defer { journal.cleanUp() }
        // Ten names, name-k k+1 times.
        let names = (0..<10).flatMap { k in Array(repeating: "name-\(k)", count: k + 1) }
        try Self.writeJournal(journal, names: names)
        let page = try JournalReport.html(path: journal.path, runID: 1)
        let data = try Self.reportData(page)
        let series = try #require(data["series"] as? [[String: Any]])
        #expect(series.count == 8)
        #expect(series.map { $0["key"] as? String }.prefix(2) == ["name-9", "name-8"])
        #expect(series.last?["key"] as? String == "other")
        #expect((series.last?["counts"] as? [Int])?.reduce(0, +) == 1 + 2 + 3)
        #expect(page.contains("class=\"area stacked s8\" data-series=\"other\""))
        #expect(page.components(separatedBy: "<tr data-name=").count - 1 == 10)
    }

    @Test func aMissingRunOrARunWithoutEventsWritesNothing() throws {
        let journal = TemporaryJournal()
        defer { journal.cleanUp() }
        try Self.writeJournal(journal)
        let empty = try JournalWriter(path: journal.path,
                                      run: RunDescriptor(source: "idle", tablecastVersion: "test", startedAtMillis: 0))
        try empty.close()
        let output = journal.path + ".html"
        defer { try? FileManager.default.removeItem(atPath: output) }

        #expect(throws: JournalTools.Problem.self) { try JournalReport.write(journal: journal.path, runID: 9, to: output) }
        #expect(throws: JournalTools.Problem.self) { try JournalReport.write(journal: journal.path, runID: nil, to: output) }
        #expect(throws: JournalError.self) { try JournalReport.write(journal: journal.path + ".missing", runID: nil, to: output) }
        #expect(!FileManager.default.fileExists(atPath: output))

        let written = try JournalReport.write(journal: journal.path, runID: 1, to: output)
        #expect(written.runID == 1 && written.events == 7)
        #expect(FileManager.default.fileExists(atPath: output))

        do {
            try JournalReport.write(journal: journal.path, runID: 1, to: "/nonexistent-directory/report.html")
            Issue.record("wrote to a directory that does not exist")
        } catch {
            #expect("\(error)".contains("'/nonexistent-directory/report.html'"))
        }
        #expect(throws: JournalTools.Problem.self) { try JournalReport.write(journal: journal.path, runID: 1, to: journal.path) }
    }
}
