import NIOCore
import Testing

@testable import SocketIOServer

struct HTTPConnectionStateMachineTests {
    static let timeouts = HTTPConnectionStateMachine.Timeouts(requestHead: .seconds(10), idle: .seconds(60))

    @Test func aNewConnectionHasTheRequestHeadTimeToSendItsFirstRequest() {
        var machine = HTTPConnectionStateMachine(timeouts: Self.timeouts)
        #expect(machine.connectionActive() == .setTimer(.seconds(10)))
        #expect(machine.timerFired() == .timeOut)
        #expect(machine.timerFired() == .none)
    }

    @Test func aRequestThatStartedMustFinishWithinTheRequestHeadTime() {
        var machine = HTTPConnectionStateMachine(timeouts: Self.timeouts)
        _ = machine.connectionActive()
        #expect(machine.headReceived() == .setTimer(.seconds(10)))
        #expect(machine.timerFired() == .timeOut)
    }

    @Test func noTimerRunsWhileTheServerAnswers() {
        var machine = HTTPConnectionStateMachine(timeouts: Self.timeouts)
        _ = machine.connectionActive()
        _ = machine.headReceived()
        #expect(machine.requestEndReceived() == .setTimer(nil))
        // A timer that fired as it was cancelled changes nothing: a held long poll is not cut.
        #expect(machine.timerFired() == .none)
        #expect(machine.responseEndWritten() == .setTimer(.seconds(60)))
    }

    @Test func anIdleKeepAliveConnectionIsClosedQuietly() {
        var machine = HTTPConnectionStateMachine(timeouts: Self.timeouts)
        _ = machine.connectionActive()
        _ = machine.headReceived()
        _ = machine.requestEndReceived()
        _ = machine.responseEndWritten()
        #expect(machine.timerFired() == .close)
    }

    @Test func aProbeThatClosesItsSideIsClosedAtOnce() {
        var machine = HTTPConnectionStateMachine(timeouts: Self.timeouts)
        _ = machine.connectionActive()
        #expect(machine.inputClosed() == .close)
        #expect(machine.connectionInactive() == .none)
    }

    @Test func aHalfClosedClientStillGetsItsAnswerThenTheConnectionCloses() {
        var machine = HTTPConnectionStateMachine(timeouts: Self.timeouts)
        _ = machine.connectionActive()
        _ = machine.headReceived()
        _ = machine.requestEndReceived()
        #expect(machine.inputClosed() == .none)
        #expect(machine.responseEndWritten() == .close)
    }

    @Test func aHalfClosedClientInTheMiddleOfARequestIsClosed() {
        var machine = HTTPConnectionStateMachine(timeouts: Self.timeouts)
        _ = machine.connectionActive()
        _ = machine.headReceived()
        #expect(machine.inputClosed() == .close)
    }

    @Test func quiescingClosesIdleConnectionsAtOnceAndBusyOnesAfterTheirResponse() {
        var idle = HTTPConnectionStateMachine(timeouts: Self.timeouts)
        _ = idle.connectionActive()
        #expect(idle.quiesce() == .close)

        var busy = HTTPConnectionStateMachine(timeouts: Self.timeouts)
        _ = busy.connectionActive()
        _ = busy.headReceived()
        _ = busy.requestEndReceived()
        #expect(busy.quiesce() == .none)
        #expect(busy.responseEndWritten() == .close)
    }

    @Test func pipelinedRequestsAreAllAnsweredBeforeTheConnectionIdles() {
        var machine = HTTPConnectionStateMachine(timeouts: Self.timeouts)
        _ = machine.connectionActive()
        _ = machine.headReceived()
        _ = machine.requestEndReceived()
        _ = machine.headReceived()
        #expect(machine.requestEndReceived() == .setTimer(nil))
        #expect(machine.responseEndWritten() == .none)
        #expect(machine.responseEndWritten() == .setTimer(.seconds(60)))
    }
}
