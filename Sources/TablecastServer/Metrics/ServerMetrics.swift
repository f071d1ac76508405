import CoreMetrics
import Hummingbird
import Journal
import Restaurant
import NIOCore
import Prometheus
import Redis
import Simulator
import SocketIOProtocol
import SocketIOServer
import Synchronization

/// The server's metrics in the Prometheus text format, at `GET /metrics`: swift-metrics instruments over a
/// swift-prometheus registry of this server's own (so that several servers in one process never share one).
///
/// The hot paths keep plain running totals (the hub counts events by name under the lock it already holds, the
/// transports add to atomics once per write or batch); a scrape reads them and moves the instruments, counters by
/// the difference since the last scrape. Nothing on the broadcast path touches a metrics object.
final class ServerMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let pipeline: EmissionPipeline
    private let engine: EngineServer
    private let simulation: SimulationRunner?
    private let replay: ReplayRunner?
    private let connections: ConnectionRegistry?
    private let redisEmitter: RedisPublisher?
    private let streamPublisher: RedisPublisher?
    private let streamReader: StreamReader?
    private let tap: DashboardTap?
    private let state = Mutex(State())

    private struct State {
        var counters: [String: (counter: CoreMetrics.Counter, reported: Int)] = [:]
        var gauges: [String: CoreMetrics.Gauge] = [:]
    }

    init(pipeline: EmissionPipeline, engine: EngineServer, simulation: SimulationRunner?, replay: ReplayRunner?,
         connections: ConnectionRegistry? = nil, redisEmitter: RedisPublisher? = nil,
         streamPublisher: RedisPublisher? = nil, streamReader: StreamReader? = nil, tap: DashboardTap? = nil) {
        self.factory = PrometheusMetricsFactory(registry: self.registry)
        self.pipeline = pipeline
        self.engine = engine
        self.simulation = simulation
        self.replay = replay
        self.connections = connections
        self.redisEmitter = redisEmitter
        self.streamPublisher = streamPublisher
        self.streamReader = streamReader
        self.tap = tap
    }

    func register(on router: Router<TablecastRequestContext>) {
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.scrape())))
        }
    }

    /// Brings every instrument up to date, then renders the registry.
    func scrape() -> [UInt8] {
        let counts = self.engine.sessionCounts()
        for transport in [EngineIOSessionStateMachine.Transport.websocket, .polling] {
            let name = transport == .websocket ? "websocket" : "polling"
            self.gauge("tablecast_clients", ["namespace": "/events", "transport": name],
                       Double(counts.subscribed[transport] ?? 0))
            self.gauge("tablecast_engineio_sessions", ["transport": name], Double(counts.sessions[transport] ?? 0))
        }
        let snapshot = self.pipeline.snapshot
        for (name, count) in snapshot.emittedByName {
            self.counter("tablecast_events_emitted_total", ["name": name], count)
        }
        if let statistics = self.engine.broadcaster?.statistics {
            self.counter("tablecast_deliveries_total", [:], statistics.deliveries)
            self.counter("tablecast_bytes_sent_total", [:], statistics.bytesSent)
            self.counter("tablecast_slow_consumer_disconnects_total", [:], statistics.slowConsumerDisconnects)
        }
        if let connections = self.connections {
            let totals = connections.totals
            self.gauge("tablecast_connections_open", [:], Double(connections.openCount))
            self.counter("tablecast_connections_accepted_total", [:], totals.accepted)
            self.counter("tablecast_connections_refused_total", [:], totals.refused)
        }
        if let tap = self.tap {
            self.gauge("tablecast_dashboard_feeds", [:], Double(tap.openFeeds))
        }
        let journal = self.pipeline.journal.statistics
        self.gauge("tablecast_journal_backlog_events", [:], Double(journal.backlog))
        self.gauge("tablecast_journal_backlog_bytes", [:], Double(self.pipeline.journal.backlogBytes))
        self.counter("tablecast_journal_committed_events_total", [:], journal.committed)
        self.counter("tablecast_journal_lost_events_total", [:], journal.lost)
        self.gauge("tablecast_journal_last_commit_seconds", [:], Double(journal.lastCommitNanos) / 1e9)
        self.gauge("tablecast_journal_failed", [:], journal.failure == nil ? 0 : 1)
        for (kind, count) in snapshot.faultsInjected {
            self.counter("tablecast_faults_injected_total", ["kind": kind.rawValue], count)
        }
        if let simulation = self.simulation {
            let status = simulation.status
            self.counter("tablecast_simulation_events_total", [:], status.events)
            self.gauge("tablecast_simulation_target_rate", [:], status.targetRate ?? 0)
            self.gauge("tablecast_simulation_achieved_rate", [:], status.achievedRate)
            self.gauge("tablecast_simulation_paused", [:], status.paused ? 1 : 0)
        }
        if let replay = self.replay {
            let status = replay.status
            self.gauge("tablecast_replay_position_seq", [:], Double(status.seq ?? 0))
            self.gauge("tablecast_replay_events_left", [:], Double(status.eventsLeft))
            self.counter("tablecast_replay_sent_total", [:], status.sent)
            self.gauge("tablecast_replay_paused", [:], status.state == .paused ? 1 : 0)
        }
        if let emitter = self.redisEmitter {
            let statistics = emitter.statistics
            let role = ["role": "emit"]
            self.gauge("tablecast_redis_connected", role, statistics.link.connected ? 1 : 0)
            self.counter("tablecast_redis_reconnects_total", role, statistics.link.reconnects)
            self.counter("tablecast_redis_emit_published_total", [:], statistics.published)
            self.counter("tablecast_redis_emit_dropped_total", [:], statistics.dropped)
            self.counter("tablecast_redis_emit_skipped_total", [:], statistics.skipped)
            self.gauge("tablecast_redis_emit_backlog_events", [:], Double(statistics.backlog))
        }
        if let publisher = self.streamPublisher {
            let statistics = publisher.statistics
            let role = ["role": "stream-publish"]
            self.gauge("tablecast_redis_connected", role, statistics.link.connected ? 1 : 0)
            self.counter("tablecast_redis_reconnects_total", role, statistics.link.reconnects)
            self.counter("tablecast_redis_stream_published_total", [:], statistics.published)
            self.gauge("tablecast_redis_stream_backlog_events", [:], Double(statistics.backlog))
        }
        if let reader = self.streamReader {
            let status = reader.status
            let role = ["role": "stream-read"]
            self.gauge("tablecast_redis_connected", role, status.link.connected ? 1 : 0)
            self.counter("tablecast_redis_reconnects_total", role, status.link.reconnects)
            self.counter("tablecast_redis_stream_read_total", [:], status.read)
            self.counter("tablecast_redis_stream_skipped_total", [:], status.skipped)
            self.gauge("tablecast_redis_stream_lag_seconds", [:], status.lagSeconds)
            self.counter("tablecast_redis_stream_trimmed_total", [:], status.trimmed)
        }
        var buffer: [UInt8] = []
        self.registry.emit(into: &buffer)
        return buffer
    }

    /// Moves a counter to `total`: by the difference since the last scrape.
    private func counter(_ label: String, _ dimensions: [String: String], _ total: Int) {
        let key = Self.key(label, dimensions)
        self.state.withLock { state in
            var entry = state.counters[key] ?? (
                CoreMetrics.Counter(label: label, dimensions: dimensions.sorted { $0.key < $1.key },
                                    factory: self.factory),
                0
            )
            if total > entry.reported {
                entry.counter.increment(by: total - entry.reported)
                entry.reported = total
            }
            state.counters[key] = entry
        }
    }

    private func gauge(_ label: String, _ dimensions: [String: String], _ value: Double) {
        let key = Self.key(label, dimensions)
        self.state.withLock { state in
            let gauge = state.gauges[key] ?? CoreMetrics.Gauge(
                label: label, dimensions: dimensions.sorted { $0.key < $1.key }, factory: self.factory
            )
            gauge.record(value)
            state.gauges[key] = gauge
        }
    }

    private static func key(_ label: String, _ dimensions: [String: String]) -> String {
        label + dimensions.sorted { $0.key < $1.key }.map { "|\($0.key)=\($0.value)" }.joined()
    }
}
