import NIOCore
import Simulator
import SocketIOProtocol
import Synchronization
import TablecastJSON

/// The dashboard's view of the emission path: an output that keeps, for each open feed, a bounded sample of the
/// events since the feed last looked, so that the page shows what is emitted at any rate without being sent every
/// event.
///
/// With no feed open (the usual case under load) ``deliver(_:)`` costs one relaxed atomic load per batch. With feeds
/// open it takes one lock per batch and keeps a reference to each sampled frame (no copy): a feed keeps the newest
/// ``sampleCapacity`` events matching its filter and counts the rest.
public final class DashboardTap: EmissionOutput {
    /// The most events one feed keeps between two looks.
    static let sampleCapacity = 40

    /// One event as a feed sees it.
    struct Sample: Sendable {
        var seq: Int64
        var frame: EngineIOFrame
        var emittedAtNanos: Int64
        var fault: String?
    }

    /// What a feed took since it last looked.
    struct Batch: Sendable {
        /// Oldest first.
        var samples: [Sample]
        /// Events that matched the filter (kept or not).
        var matched: Int
        /// Every event emitted.
        var seen: Int
    }

    fileprivate struct Feed {
        var filter: EventFilter
        /// The filter's answer by name: the names emitted are few, so after the first of each, a filtering feed
        /// costs one lookup per event rather than a glob match per pattern.
        var admitted: [String: Bool] = [:]
        var samples: [Sample] = []
        /// Where the next sample goes once `samples` is full (a ring).
        var next = 0
        var matched = 0
        var seen = 0
    }

    private let open = Atomic<Int>(0)
    private let feeds = Mutex<(nextID: Int, feeds: [Int: Feed])>((0, [:]))

    public init() {}

    public func deliver(_ deliveries: [EventDelivery]) {
        guard self.open.load(ordering: .relaxed) > 0 else { return }
        self.feeds.withLock { state in
            // Each name is read once, however many feeds filter on it, and only when one does.
            let filtering = state.feeds.values.contains { !$0.filter.isEmpty }
            for delivery in deliveries {
                let name = filtering ? EventFrame.name(of: delivery.frame) : nil
                for index in state.feeds.values.indices {
                    state.feeds.values[index].take(delivery, name: name)
                }
            }
        }
    }

    /// The most feeds open at once: each costs a little on the emission path, so a page reloaded in a loop or a
    /// script that opens feeds and never reads them cannot slow emission without bound.
    static let maxFeeds = 32

    /// Opens a feed; events matching `filter` are sampled for it until ``close(_:)``. `nil` when ``maxFeeds`` are
    /// open already.
    func openFeed(filter: EventFilter) -> Int? {
        let id = self.feeds.withLock { state -> Int? in
            guard state.feeds.count < Self.maxFeeds else { return nil }
            state.nextID += 1
            state.feeds[state.nextID] = Feed(filter: filter)
            return state.nextID
        }
        if id != nil {
            self.open.add(1, ordering: .relaxed)
        }
        return id
    }

    func close(_ id: Int) {
        let removed = self.feeds.withLock { $0.feeds.removeValue(forKey: id) != nil }
        if removed {
            self.open.subtract(1, ordering: .relaxed)
        }
    }

    /// What the feed sampled since the last call, and starts it afresh.
    func take(_ id: Int) -> Batch {
        self.feeds.withLock { state in
            guard var feed = state.feeds[id] else { return Batch(samples: [], matched: 0, seen: 0) }
            let samples = Array(feed.samples[feed.next...] + feed.samples[..<feed.next])
            let batch = Batch(samples: samples, matched: feed.matched, seen: feed.seen)
            feed.samples.removeAll(keepingCapacity: true)
            feed.next = 0
            feed.matched = 0
            feed.seen = 0
            state.feeds[id] = feed
            return batch
        }
    }

    /// How many feeds are open (`tablecast_dashboard_feeds` in `/metrics`).
    var openFeeds: Int { self.open.load(ordering: .relaxed) }
}

extension DashboardTap.Feed {
    /// Takes one event; `name` is the event's name, read when some feed filters.
    fileprivate mutating func take(_ delivery: EventDelivery, name: String?) {
        self.seen += 1
        if !self.filter.isEmpty {
            guard let name, self.admits(name) else { return }
        }
        self.matched += 1
        let sample = DashboardTap.Sample(seq: delivery.seq, frame: delivery.frame,
                                         emittedAtNanos: delivery.emittedAtNanos, fault: delivery.fault)
        if self.samples.count < DashboardTap.sampleCapacity {
            self.samples.append(sample)
        } else {
            self.samples[self.next] = sample
            self.next = (self.next + 1) % DashboardTap.sampleCapacity
        }
    }
}

extension DashboardTap.Feed {
    /// The most names a feed remembers its answer for (the server bounds the names it counts by the same figure).
    static let admittedCapacity = EmissionCounts.maxCountedNames

    fileprivate mutating func admits(_ name: String) -> Bool {
        if let known = self.admitted[name] {
            return known
        }
        let admits = self.filter.admits(name)
        if self.admitted.count < Self.admittedCapacity {
            self.admitted[name] = admits
        }
        return admits
    }
}

/// Reads an event packet `42/events,["name",<payload>]` back into its name and payload bytes.
enum EventFrame {
    /// The event's name, from the first element of the packet's array; `nil` for a frame that is not an event.
    static func name(of frame: EngineIOFrame) -> String? {
        guard !frame.isBinary else { return nil }
        return frame.bytes.withUnsafeReadableBytes { bytes -> String? in
            guard let open = bytes.firstIndex(of: UInt8(ascii: "[")), open + 1 < bytes.count,
                bytes[open + 1] == UInt8(ascii: "\"")
            else { return nil }
            var index = open + 2
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\\"): index += 2
                case UInt8(ascii: "\""):
                    return try? JSONScanner.decodeString(UnsafeRawBufferPointer(rebasing: bytes[(open + 1)...index]))
                default: index += 1
                }
            }
            return nil
        }
    }

    /// The name and the payload's exact bytes (`nil` when the event has no payload).
    static func parts(of frame: EngineIOFrame) -> (name: String, payload: [UInt8]?)? {
        guard !frame.isBinary else { return nil }
        return frame.bytes.withUnsafeReadableBytes { bytes -> (String, [UInt8]?)? in
            guard let open = bytes.firstIndex(of: UInt8(ascii: "[")) else { return nil }
            let array = UnsafeRawBufferPointer(rebasing: bytes[open...])
            guard let elements = try? JSONScanner.arrayElements(array), let first = elements.first,
                first.kind == .string,
                let name = try? JSONScanner.decodeString(UnsafeRawBufferPointer(rebasing: array[first.span]))
            else { return nil }
            return (name, elements.count > 1 ? Array(array[elements[1].span]) : nil)
        }
    }
}
