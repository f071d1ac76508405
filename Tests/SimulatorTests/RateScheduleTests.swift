import Simulator
import Testing

struct RateScheduleTests {
    @Test func aConstantRateDuesTheNthEventAtNOverRate() {
        let schedule = RateSchedule.constant(4000)
        #expect(schedule.time(ofEvent: 0) == 0)
        #expect(schedule.time(ofEvent: 4000) == 1)
        #expect(schedule.rate(at: 12).rate == 4000 && schedule.rate(at: 12).stage == nil)
    }

    /// A ramp dues its events where the area under the rate reaches them: the count at any time is the integral.
    @Test func aRampSpreadsItsEventsAlongTheIntegral() throws {
        let schedule = RateSchedule.ramp(from: 100, to: 1000, over: 10)
        // Area after t seconds: 100·t + 45·t².
        for t in stride(from: 0.5, through: 10, by: 0.5) {
            let events = 100 * t + 45 * t * t
            let due = try #require(schedule.time(ofEvent: events))
            #expect(abs(due - t) < 1e-9, "event \(events) due at \(due), expected \(t)")
        }
        // Then the rate holds where the ramp ended.
        #expect(abs(try #require(schedule.time(ofEvent: 5500 + 1000)) - 11) < 1e-9)
        #expect(schedule.rate(at: 5).rate == 550 && schedule.rate(at: 5).stage == "ramp")
        #expect(schedule.rate(at: 30).rate == 1000)
    }

    @Test func aRampDownToZeroEndsTheEvents() throws {
        let schedule = RateSchedule.ramp(from: 1000, to: 0, over: 2)
        #expect(abs(try #require(schedule.time(ofEvent: 1000)) - 2) < 1e-6)
        #expect(schedule.time(ofEvent: 1001) == nil)
    }

    @Test func stagesFollowEachOtherAndAZeroStageIsAPause() throws {
        let schedule = RateSchedule(stages: [
            .init(name: "warm-up", duration: 2, rate: 0, rampTo: 200),
            .init(name: "hold", duration: 3, rate: 200),
            .init(name: "quiet", duration: 4, rate: 0),
            .init(name: "spike", duration: 1, rate: 1000),
        ])
        #expect(abs(try #require(schedule.time(ofEvent: 200)) - 2) < 1e-9)
        #expect(abs(try #require(schedule.time(ofEvent: 800)) - 5) < 1e-9)
        // The first event after the pause is due when the spike begins.
        #expect(abs(try #require(schedule.time(ofEvent: 800.5)) - 9.0005) < 1e-9)
        #expect(schedule.rate(at: 6).stage == "quiet")
        #expect(schedule.rate(at: 20).rate == 1000)
    }

    @Test func aScenarioReadsAStagedRate() throws {
        let scenario = try Scenario.make("""
            name: ramped
            rate:
              - { name: warm-up, duration: 1m, rate: 100/s, rampTo: 5000/s }
              - { name: hold, duration: 5m, rate: 5000/s }
            phases:
              - { name: all, duration: 1h, arrivalRate: 1/s }
            """)
        #expect(scenario.pacing == .rate(RateSchedule(stages: [
            .init(name: "warm-up", duration: 60, rate: 100, rampTo: 5000),
            .init(name: "hold", duration: 300, rate: 5000),
        ])))
    }

    @Test(arguments: [
        ("rate: []", 2, "rate", "at least one stage"),
        ("rate:\n  - { name: a, rate: 5/s }", 3, "rate[0].duration", "missing field"),
        ("rate:\n  - { name: a, duration: 0s, rate: 5/s }", 3, "rate[0].duration", "longer than 0s"),
        ("rate:\n  - { name: a, duration: 5s, rate: 0/s }", 3, "rate", "no event would ever be emitted"),
        ("rate:\n  - { name: a, duration: 5s, rate: 5/s, rampTo: lots }", 3, "rate[0].rampTo", "expected a rate"),
        ("rate:\n  - { name: a, duration: 5s, rate: 5/s, hold: 3 }", 3, "rate[0].hold", "unknown field"),
    ])
    func badStagesNameTheirField(text: String, line: Int, field: String, fragment: String) {
        let file = "name: x\n" + text + "\nphases:\n  - { name: p, duration: 10m, arrivalRate: 1/min }\n"
        do {
            _ = try Scenario.parse(file, path: "bad.yaml")
            Issue.record("accepted:\n\(file)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.field == field, "\(error)")
            #expect(error.description.contains(fragment), "\(error)")
        }
    }
}
