import NIOCore

/// The lifecycle rules of one plain HTTP/1.1 connection: when it must send its next request, when it is idle for too
/// long, and when it may close. Pure: the driver (``HTTPConnectionGuard``) feeds it what happens on the connection
/// and performs the actions it returns.
///
/// A connection is in one of three phases:
/// - **waiting for a request head**: on the first request it has `requestHeadTimeout` from the accept (a connection
///   that sends nothing, or drips its head a byte at a time, is answered `408` and closed); between requests it has
///   `idleTimeout` (a keep-alive connection nobody uses is closed quietly);
/// - **reading a request**: the head arrived; the rest (the body) must arrive within `requestHeadTimeout` of it;
/// - **answering**: the request is complete and the server is working on it. No timer runs: a held long-polling GET
///   lasts as long as Engine.IO's own rules say.
///
/// The peer closing its side (`inputClosed`, what a TCP probe does at once) and the server asking connections to
/// quiesce (graceful shutdown) close an idle connection at once, and a busy one once its last response is written.
struct HTTPConnectionStateMachine {
    struct Timeouts: Sendable, Equatable {
        var requestHead: TimeAmount
        var idle: TimeAmount
    }

    enum Action: Equatable {
        case none
        /// (Re)arm the connection's one timer; `nil` cancels it.
        case setTimer(TimeAmount?)
        /// Answer `408 Request Timeout` and close.
        case timeOut
        /// Close the connection now.
        case close
    }

    private enum Phase: Equatable {
        case waitingForHead(first: Bool)
        case readingRequest
        case answering
        case closed
    }

    let timeouts: Timeouts
    private var phase: Phase = .waitingForHead(first: true)
    /// Requests whose response has not ended yet (more than one when a client pipelines).
    private var unanswered = 0
    /// The peer closed its side, or the server is shutting down: close once nothing is unanswered.
    private var closeWhenIdle = false

    init(timeouts: Timeouts) {
        self.timeouts = timeouts
    }

    /// The connection was accepted.
    mutating func connectionActive() -> Action {
        .setTimer(self.timeouts.requestHead)
    }

    /// A request head arrived.
    mutating func headReceived() -> Action {
        guard self.phase != .closed else { return .none }
        self.unanswered += 1
        self.phase = .readingRequest
        return .setTimer(self.timeouts.requestHead)
    }

    /// The request's end arrived.
    mutating func requestEndReceived() -> Action {
        guard self.phase == .readingRequest else { return .none }
        self.phase = .answering
        return .setTimer(nil)
    }

    /// A response's end was written.
    mutating func responseEndWritten() -> Action {
        guard self.phase != .closed else { return .none }
        self.unanswered = max(0, self.unanswered - 1)
        guard self.unanswered == 0, self.phase == .answering else { return .none }
        if self.closeWhenIdle {
            self.phase = .closed
            return .close
        }
        self.phase = .waitingForHead(first: false)
        return .setTimer(self.timeouts.idle)
    }

    /// The peer closed its side of the connection: it sends no more requests, and a request it was sending will
    /// never be complete.
    mutating func inputClosed() -> Action {
        if self.phase == .readingRequest {
            self.phase = .closed
            return .close
        }
        return self.closeIfIdle()
    }

    /// The server is shutting down and asks every connection to finish.
    mutating func quiesce() -> Action {
        self.closeIfIdle()
    }

    /// The connection's timer fired.
    mutating func timerFired() -> Action {
        switch self.phase {
        case .waitingForHead(first: true), .readingRequest:
            self.phase = .closed
            return .timeOut
        case .waitingForHead(first: false):
            self.phase = .closed
            return .close
        case .answering, .closed:
            return .none
        }
    }

    /// The connection closed.
    mutating func connectionInactive() -> Action {
        guard self.phase != .closed else { return .none }
        self.phase = .closed
        return .setTimer(nil)
    }

    private mutating func closeIfIdle() -> Action {
        switch self.phase {
        case .waitingForHead:
            self.phase = .closed
            return .close
        case .readingRequest, .answering:
            self.closeWhenIdle = true
            return .none
        case .closed:
            return .none
        }
    }
}
