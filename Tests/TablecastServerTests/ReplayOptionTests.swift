import Testing
@testable import TablecastServer

struct ReplayOptionTests {
    @Test func positionsAreASeqATimeOrAnOffset() {
        #expect(ReplaySource.Position("1200") == .seq(1200))
        #expect(ReplaySource.Position("2026-11-26T12:05:00.000Z") == .wallMillis(1_795_694_700_000))
        #expect(ReplaySource.Position("2026-11-26T12:05:00Z") == .wallMillis(1_795_694_700_000))
        #expect(ReplaySource.Position("+5m") == .offset(300))
        #expect(ReplaySource.Position("+1h30m") == .offset(5400))
        #expect(ReplaySource.Position("yesterday") == nil)
        #expect(ReplaySource.Position("-3") == nil)
        #expect(ReplaySource.Position("+soon") == nil)
    }

    @Test func speedsAreAFactorOrMax() {
        #expect(ReplayRunner.Speed("1") == .factor(1))
        #expect(ReplayRunner.Speed("0.5") == .factor(0.5))
        #expect(ReplayRunner.Speed("4x") == .factor(4))
        #expect(ReplayRunner.Speed("max") == .max)
        #expect(ReplayRunner.Speed("0") == nil)
        #expect(ReplayRunner.Speed("fast") == nil)
        #expect(ReplayRunner.Speed.factor(0.5).description == "0.5" && ReplayRunner.Speed.factor(4).description == "4")
    }
}
