import DashboardAssets
import Foundation
import HTTPTypes
import Hummingbird
import Journal
import Logging
import NIOCore
import NIOPosix
import Restaurant
import ServiceLifecycle
import Simulator
import SocketIOServer
import Synchronization
import TablecastJSON

/// The browser dashboard: the page at `/` with its files under `/dashboard/`, and what the page reads besides the
/// control API it drives:
/// - `GET /_tablecast/dashboard/feed`: a stream of server-sent events (`text/event-stream`), first a `hello` with
///   the last minutes' history, then a `tick` every `interval` ms (250 by default) with the figures and a sample of
///   the events emitted since the last one (``DashboardTap``);
/// - `GET /_tablecast/contract`: the catalog's names, summaries and examples with the contract's JSON Schema;
/// - `GET /_tablecast/replay/timeline`: a replay's source run as events per bucket of recorded time.
///
/// The page itself is static and holds no secret, so it is served to anyone (with a token set, it asks for the token
/// and sends it with every call); everything it reads lives under `/_tablecast/`, behind ``ControlAccessMiddleware``.
struct DashboardAPI {
    let feed: DashboardFeed
    let replay: ReplayRunner?

    func register(on router: Router<TablecastRequestContext>) {
        // HEAD as GET without the body (`curl -I`, a proxy's or a monitor's check).
        router.get("/") { request, _ in Self.serve(DashboardAssets.index, request) }
        router.head("/") { request, _ in Self.serve(DashboardAssets.index, request, head: true) }
        router.get("/dashboard/{name}") { request, context in Self.file(request, context) }
        router.head("/dashboard/{name}") { request, context in Self.file(request, context, head: true) }
        router.get("/_tablecast/dashboard/feed") { request, _ in
            try self.feed.response(to: request)
        }
        router.get("/_tablecast/contract") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: Self.contract)))
        }
        router.get("/_tablecast/replay/timeline") { _, _ in
            guard let replay = self.replay else {
                return Response.jsonError(.conflict, "no replay runs: start the server with `tablecast replay FILE`")
            }
            let timeline = try await ReplayTimeline.shared.timeline(of: replay.source)
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: timeline)))
        }
    }

    /// `/dashboard/{name}`: one of the page's files, or `404`.
    static func file(_ request: Request, _ context: TablecastRequestContext, head: Bool = false) -> Response {
        guard let name = context.parameters.get("name"), let asset = DashboardAssets.all[name] else {
            return Response.jsonError(.notFound, "no dashboard file \(request.uri.path)")
        }
        return Self.serve(asset, request, head: head)
    }

    /// A dashboard file, revalidated on every load (`no-cache` with its ETag), never framed by another site.
    static func serve(_ asset: DashboardAssets.Asset, _ request: Request, head: Bool = false) -> Response {
        var headers: HTTPFields = [
            .contentType: asset.contentType,
            .eTag: asset.etag,
            .cacheControl: "no-cache",
            .xContentTypeOptions: "nosniff",
            .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                + "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ]
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        // If-None-Match compares weakly (RFC 9110, 13.1.2): a proxy that compressed the file sends `W/"…"` back.
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            return tag == "*" || (tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag) == asset.etag
        }) {
            return Response(status: .notModified, headers: headers)
        }
        if head {
            headers[.contentLength] = String(asset.bytes.count)
            return Response(status: .ok, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }

    /// `{"events":[{"name","summary","example"}…],"schema":<the JSON Schema document>}`: what the page's event form
    /// offers and checks a payload against before sending it.
    static let contract: [UInt8] = {
        var body = JSONWriter()
        body.beginObject()
        body.key("events")
        body.beginArray()
        for event in EventCatalog.events {
            body.beginObject()
            body.key("name"); body.value(event.name.rawValue)
            body.key("summary"); body.value(event.summary)
            body.key("type"); body.value(event.payload.name)
            body.key("example"); body.rawValue(event.example.payload)
            body.endObject()
        }
        body.endArray()
        body.key("schema"); body.rawValue(Array(JSONSchemaExporter.render().utf8))
        body.endObject()
        return body.bytes
    }()
}

/// Computes a replay source's timeline once, off the event loops, and keeps it: the source run does not change.
actor ReplayTimeline {
    static let shared = ReplayTimeline()

    private var cache: [String: [UInt8]] = [:]

    func timeline(of source: ReplaySource) async throws -> [UInt8] {
        let key = "\(source.path)#\(source.run.id)#\(source.fromSeq)-\(source.toSeq)"
        if let cached = self.cache[key] { return cached }
        let computed = try await NIOThreadPool.singleton.runIfActive { try Self.compute(source) }
        self.cache[key] = computed
        return computed
    }

    /// `{"origin":ms,"bucketMillis":N,"firstSeq","lastSeq","from":ms,"to":ms,"counts":[…],"faulted":[…],
    /// "firstSeqs":[…]}`: per bucket of recorded wall time from `origin`, its events, those a fault sent, and the
    /// first seq in it (or null).
    static func compute(_ source: ReplaySource) throws -> [UInt8] {
        let reader = try JournalReader(path: source.path)
        let origin = try reader.wallMillis(runID: source.run.id, seq: source.fromSeq) ?? source.span.firstWallMillis
        let last = max(origin, try reader.wallMillis(runID: source.run.id, seq: source.toSeq) ?? origin)
        let width = TimelineBuckets.width(spanMillis: last - origin)
        let cells = try reader.timeline(runID: source.run.id, seqs: source.fromSeq...source.toSeq, origin: origin,
                                        bucketMillis: width)
        let buckets = Int(max(0, (last - origin) / width)) + 1
        var counts = [Int](repeating: 0, count: buckets)
        var faulted = [Int](repeating: 0, count: buckets)
        var firstSeqs = [Int64?](repeating: nil, count: buckets)
        for cell in cells {
            let index = Int(min(max(0, cell.bucket), Int64(buckets - 1)))
            counts[index] += cell.count
            faulted[index] += cell.faulted
            firstSeqs[index] = min(firstSeqs[index] ?? .max, cell.firstSeq)
        }
        var body = JSONWriter()
        body.beginObject()
        body.key("origin"); body.value(Int(origin))
        body.key("bucketMillis"); body.value(Int(width))
        body.key("from"); body.value(Int(origin))
        body.key("to"); body.value(Int(last))
        body.key("firstSeq"); body.value(Int(source.fromSeq))
        body.key("lastSeq"); body.value(Int(source.toSeq))
        body.key("counts"); body.beginArray(); counts.forEach { body.value($0) }; body.endArray()
        body.key("faulted"); body.beginArray(); faulted.forEach { body.value($0) }; body.endArray()
        body.key("firstSeqs"); body.beginArray(); firstSeqs.forEach { body.value($0.map(Int.init)) }; body.endArray()
        body.endObject()
        return body.bytes
    }
}
