import NIOCore
import SocketIOProtocol
import Testing

struct EngineIOSessionStateMachineTests {
    private let message = EngineIOFrame.text(.message, "2[\"x\"]")

    @Test func pollingAnswersQueuedFramesAtOnce() {
        var machine = EngineIOSessionStateMachine(transport: .polling)
        #expect(machine.send([self.message]) == .queued)
        #expect(machine.pollRequested(id: 1) == .respond([self.message]))
        #expect(machine.queuedFrames == 0)
    }

    @Test func pollingHoldsAnEmptyPollUntilSomethingIsSent() {
        var machine = EngineIOSessionStateMachine(transport: .polling)
        #expect(machine.pollRequested(id: 1) == .hold)
        #expect(machine.send([self.message]) == .completePoll(1, [self.message]))
        #expect(machine.send([self.message]) == .queued)
    }

    @Test func aSecondConcurrentPollClosesTheSession() {
        var machine = EngineIOSessionStateMachine(transport: .polling)
        #expect(machine.pollRequested(id: 1) == .hold)
        #expect(machine.pollRequested(id: 2) == .rejectAndClose(.badRequest, .overlappingPoll))
        #expect(machine.close() == .closePolling(completePoll: 1))
        #expect(machine.isClosed)
    }

    @Test func anAbortedHeldPollClosesTheSessionButAStaleOneDoesNot() {
        var machine = EngineIOSessionStateMachine(transport: .polling)
        #expect(machine.pollRequested(id: 1) == .hold)
        _ = machine.send([self.message])
        #expect(machine.pollAborted(id: 1) == false)
        #expect(machine.pollRequested(id: 2) == .hold)
        #expect(machine.pollAborted(id: 2) == true)
    }

    @Test func overlappingPostsCloseTheSession() {
        var machine = EngineIOSessionStateMachine(transport: .polling)
        #expect(machine.postStarted() == .accept)
        #expect(machine.postStarted() == .rejectAndClose(.badRequest, .overlappingPost))
        machine.postFinished()
        #expect(machine.postStarted() == .accept)
    }

    @Test func heartbeatClosesWithoutPongAndKeepsGoingWithOne() {
        var machine = EngineIOSessionStateMachine(transport: .websocket)
        #expect(machine.pingDue() == .write([.ping]))
        #expect(machine.pingTimeoutElapsed())
        let answered = machine.pongReceived()
        #expect(answered)
        #expect(!machine.pingTimeoutElapsed())
        let unexpected = machine.pongReceived()
        #expect(!unexpected)
    }

    @Test func pollingPingAnswersTheHeldPoll() {
        var machine = EngineIOSessionStateMachine(transport: .polling)
        #expect(machine.pollRequested(id: 7) == .hold)
        #expect(machine.pingDue() == .completePoll(7, [.ping]))
    }

    @Test func upgradeFollowsProbeNoopUpgrade() {
        var machine = EngineIOSessionStateMachine(transport: .polling)
        #expect(machine.pollRequested(id: 1) == .hold)
        // 2probe: answer 3probe, and the held GET with a noop.
        #expect(machine.probeReceived() == .acceptProbe(completePoll: 1))
        // Frames sent during the upgrade wait for the WebSocket.
        #expect(machine.send([self.message]) == .queued)
        // 5: the queue moves to the WebSocket.
        #expect(machine.upgradeReceived() == .upgrade(flush: [self.message], completePoll: nil))
        #expect(machine.transport == .websocket)
        #expect(machine.send([self.message]) == .write([self.message]))
        // After the upgrade, polling requests are refused without closing the session.
        #expect(machine.pollRequested(id: 2) == .reject(.badRequest))
        #expect(machine.postStarted() == .reject(.badRequest))
        #expect(!machine.isClosed)
    }

    @Test func aPollDuringTheProbeGetsANoop() {
        var machine = EngineIOSessionStateMachine(transport: .polling)
        #expect(machine.probeReceived() == .acceptProbe(completePoll: nil))
        #expect(machine.pollRequested(id: 1) == .respond([.noop]))
    }

    @Test func upgradeWithoutProbeAndSecondProbeAreRefused() {
        var machine = EngineIOSessionStateMachine(transport: .polling)
        #expect(machine.upgradeReceived() == .refuse)
        #expect(machine.probeReceived() == .acceptProbe(completePoll: nil))
        #expect(machine.probeReceived() == .refuse)
        machine.upgradeAbandoned()
        #expect(machine.transport == .polling)
        #expect(machine.probeReceived() == .acceptProbe(completePoll: nil))
    }

    @Test func webSocketSessionsCannotBeProbed() {
        var machine = EngineIOSessionStateMachine(transport: .websocket)
        #expect(machine.probeReceived() == .refuse)
        #expect(machine.pollRequested(id: 1) == .reject(.badRequest))
        #expect(machine.close() == .closeWebSocket)
        #expect(machine.close() == EngineIOSessionStateMachine.CloseAction.none)
        #expect(machine.send([self.message]) == .dropped)
        #expect(machine.pollRequested(id: 2) == .reject(.unknownSession))
    }

    @Test func pollingResponsesCarryAtMostTheConfiguredNumberOfFrames() {
        var machine = EngineIOSessionStateMachine(transport: .polling, maxFramesPerPoll: 16)
        let frames = (0..<40).map { EngineIOFrame.text(.message, "2[\"e\",\($0)]") }
        #expect(machine.send(frames) == .queued)
        #expect(machine.queuedBytes == frames.reduce(0) { $0 + $1.bytes.readableBytes })
        #expect(machine.pollRequested(id: 1) == .respond(Array(frames[0..<16])))
        #expect(machine.pollRequested(id: 2) == .respond(Array(frames[16..<32])))
        #expect(machine.pollRequested(id: 3) == .respond(Array(frames[32..<40])))
        #expect(machine.queuedBytes == 0)
        #expect(machine.pollRequested(id: 4) == .hold)
        #expect(machine.send(frames) == .completePoll(4, Array(frames[0..<16])))
        #expect(machine.queuedFrames == 24)
    }
}
