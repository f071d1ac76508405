import DashboardAssets
import Foundation
import NIOCore
import Simulator
import SocketIOProtocol
import Testing

@testable import TablecastServer

@Suite struct DashboardTests {
    /// Every file of `Sources/DashboardAssets/Assets` is served, byte for byte, and nothing else is.
    @Test func everyAssetIsEmbeddedAsWritten() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/DashboardAssets/Assets").standardizedFileURL
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == DashboardAssets.all.keys.sorted())
        for name in names {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(name))
            #expect(DashboardAssets.all[name]?.bytes == Array(bytes), "\(name)")
        }
        #expect(DashboardAssets.all["app.js"]?.contentType == "text/javascript; charset=utf-8")
        #expect(DashboardAssets.stylesheet.contains("prefers-color-scheme: dark"))
        #expect(Set(DashboardAssets.all.values.map(\.etag)).count == names.count)
    }

    private func frame(_ text: String) -> EngineIOFrame {
        EngineIOFrame(bytes: ByteBuffer(string: text))
    }

    private func delivery(_ seq: Int64, _ name: String) -> EventDelivery {
        EventDelivery(seq: seq, frame: self.frame(#"42/events,["\#(name)",{"n":\#(seq)}]"#), emittedAtNanos: seq)
    }

    @Test func framesAreReadBackIntoNameAndPayload() {
        let parts = EventFrame.parts(of: self.frame(#"42/events,["order:\"x\"",{"a":[1, 2]} ]"#))
        #expect(parts?.name == #"order:"x""#)
        #expect(parts?.payload.map { String(decoding: $0, as: UTF8.self) } == #"{"a":[1, 2]}"#)
        #expect(EventFrame.name(of: self.frame(#"42/events,["table:activated",{}]"#)) == "table:activated")
        #expect(EventFrame.parts(of: self.frame(#"42/events,["allMessagesDeleted"]"#))?.payload == nil)
        #expect(EventFrame.parts(of: self.frame("42/events,garbage")) == nil)
        #expect(EventFrame.name(of: self.frame(#"42/events,[12]"#)) == nil)
    }

    @Test func aFeedKeepsTheNewestMatchingEventsAndCountsTheRest() throws {
        let tap = DashboardTap()
        tap.deliver([self.delivery(1, "before")])  // no feed open: nothing kept
        let all = try #require(tap.openFeed(filter: EventFilter()))
        let orders = try #require(tap.openFeed(filter: EventFilter(only: ["order:*"])))
        #expect(tap.openFeeds == 2)
        let deliveries = (2...101).map { self.delivery(Int64($0), $0 % 10 == 0 ? "order:created" : "table:activated") }
        tap.deliver(Array(deliveries[..<50]))
        tap.deliver(Array(deliveries[50...]))

        let batch = tap.take(all)
        #expect(batch.seen == 100 && batch.matched == 100)
        #expect(batch.samples.map(\.seq) == Array(62...101), "the newest \(DashboardTap.sampleCapacity), oldest first")
        let filtered = tap.take(orders)
        #expect(filtered.seen == 100 && filtered.matched == 10)
        #expect(filtered.samples.map(\.seq) == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100])

        #expect(tap.take(all).samples.isEmpty, "a take starts the feed afresh")
        tap.close(all)
        tap.close(orders)
        tap.close(orders)
        #expect(tap.openFeeds == 0)
    }

    @Test func feedsAreCappedAndAClosedOneFreesItsPlace() throws {
        let tap = DashboardTap()
        let ids = (0..<DashboardTap.maxFeeds).compactMap { _ in tap.openFeed(filter: EventFilter()) }
        #expect(ids.count == DashboardTap.maxFeeds && Set(ids).count == ids.count)
        #expect(tap.openFeed(filter: EventFilter()) == nil, "no feed past the cap")
        #expect(tap.openFeeds == DashboardTap.maxFeeds)
        tap.close(ids[0])
        let again = try #require(tap.openFeed(filter: EventFilter(only: ["order:*"])))
        tap.deliver([self.delivery(1, "order:created"), self.delivery(2, "table:activated")])
        #expect(tap.take(again).samples.map(\.seq) == [1])
        #expect(tap.take(ids[1]).samples.map(\.seq) == [1, 2])
        for id in ids.dropFirst() + [again] { tap.close(id) }
        #expect(tap.openFeeds == 0)
    }

    @Test func aFilteringFeedAnswersAlikeForNamesPastWhatItRemembers() throws {
        let tap = DashboardTap()
        let orders = try #require(tap.openFeed(filter: EventFilter(only: ["order:*"], except: ["*:9*"])))
        // Three rounds over more names than a feed remembers answers for: the answers never change.
        let names = (0..<(EmissionCounts.maxCountedNames + 200)).map { $0 % 2 == 0 ? "order:\($0)" : "table:\($0)" }
        let expected = names.filter { $0.hasPrefix("order:") && !$0.hasPrefix("order:9") }.count
        for _ in 0..<3 {
            tap.deliver(names.enumerated().map { self.delivery(Int64($0.offset + 1), $0.element) })
            let batch = tap.take(orders)
            #expect(batch.seen == names.count && batch.matched == expected)
        }
        tap.close(orders)
    }

    @Test func serverSentEventsSplitLineBreaksIntoDataLines() {
        let event = DashboardFeed.event(Array("{\"a\":\r\n1,\n\"b\":\r2}".utf8))
        #expect(String(buffer: event) == "data: {\"a\":\ndata: 1,\ndata: \"b\":\ndata: 2}\n\n")
    }

    @Test func timelineBucketsStayWithinSixHundred() {
        #expect(TimelineBuckets.width(spanMillis: 0) == 1000)
        #expect(TimelineBuckets.width(spanMillis: 599_999) == 1000)
        #expect(TimelineBuckets.width(spanMillis: 600_000) == 2000)
        #expect(TimelineBuckets.width(spanMillis: 3_600_000) == 10_000)
        for span in stride(from: Int64(0), to: 400 * 86_400_000, by: 7_777_777) {
            #expect(span / TimelineBuckets.width(spanMillis: span) < TimelineBuckets.maxBuckets)
        }
    }

    @Test func theContractNamesEveryEventWithItsExampleAndTheSchema() throws {
        let document = try JSONSerialization.jsonObject(with: Data(DashboardAPI.contract)) as? [String: Any]
        let events = try #require(document?["events"] as? [[String: Any]])
        #expect(events.count == 20)
        #expect(events.first?["name"] as? String == "order:created")
        let schema = try #require(document?["schema"] as? [String: Any])
        let byName = try #require(schema["events"] as? [String: Any])
        #expect(Set(events.compactMap { $0["name"] as? String }) == Set(byName.keys))
    }
}
