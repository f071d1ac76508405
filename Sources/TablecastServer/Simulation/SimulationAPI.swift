import Hummingbird
import NIOCore
import Restaurant
import Simulator
import SocketIOProtocol

/// `GET /_tablecast/simulation` (what runs, and how fast) and `POST /_tablecast/simulation` (pause, resume, pace).
struct SimulationAPI {
    let runner: SimulationRunner?

    struct Change: RequestInput {
        var paused: Bool?
        var rate: Double?
        var timeScale: Double?
        var scenario: String?
        /// With `rampSeconds`: ramp from `rate` (or the current target) to this rate, then hold it.
        var rampTo: Double?
        var rampSeconds: Double?
        static let fieldNames: Set<String> = ["paused", "rate", "timeScale", "scenario", "rampTo", "rampSeconds"]
        static let numberFieldNames: Set<String> = ["rate", "timeScale", "rampTo", "rampSeconds"]
    }

    func register(on router: Router<TablecastRequestContext>) {
        router.get("/_tablecast/simulation") { _, _ in
            self.status()
        }
        router.post("/_tablecast/simulation") { request, _ in
            guard let runner = self.runner else {
                return Response.jsonError(.conflict, "no simulation runs: the server was started with --idle")
            }
            let change = try await RequestBody.decode(Change.self, from: request)
            if let rate = change.rate, !(rate > 0 && rate.isFinite) {
                throw HTTPFailure.badField("rate", "rate must be a positive number of events per second")
            }
            if let timeScale = change.timeScale, !(timeScale > 0 && timeScale.isFinite) {
                throw HTTPFailure.badField("timeScale", "timeScale must be a positive factor")
            }
            if change.rate != nil, change.timeScale != nil {
                throw HTTPFailure.badField("rate", "give either rate or timeScale, not both")
            }
            if let rampTo = change.rampTo, !(rampTo >= 0 && rampTo.isFinite) {
                throw HTTPFailure.badField("rampTo", "rampTo must be a number of events per second, 0 or more")
            }
            if let seconds = change.rampSeconds, !(seconds > 0 && seconds.isFinite) {
                throw HTTPFailure.badField("rampSeconds", "rampSeconds must be a positive number of seconds")
            }
            if (change.rampTo == nil) != (change.rampSeconds == nil) {
                throw HTTPFailure.badField(change.rampTo == nil ? "rampTo" : "rampSeconds",
                                           "a ramp needs both rampTo and rampSeconds")
            }
            if change.rampTo != nil, change.timeScale != nil {
                throw HTTPFailure.badField("rampTo", "a ramp is of the event rate: give rate, not timeScale")
            }
            if let name = change.scenario {
                // Shipped scenarios only: a path would let any client read the server's files.
                guard let scenario = ScenarioLibrary.named(name) else {
                    throw HTTPFailure.badField(
                        "scenario",
                        "unknown scenario \"\(name)\"; shipped: \(ScenarioLibrary.names.joined(separator: ", "))"
                    )
                }
                runner.switchScenario(scenario)
            }
            if let paused = change.paused {
                runner.setPaused(paused)
                // The answer to a pause comes once no event is on its way out.
                await runner.settle()
            }
            if let rampTo = change.rampTo, let seconds = change.rampSeconds {
                guard let from = change.rate ?? runner.status.targetRate else {
                    throw HTTPFailure.badField("rate", "the simulation runs on a time scale: give the rate to ramp from")
                }
                runner.setPace(.rate(.ramp(from: from, to: rampTo, over: seconds)))
            } else if let rate = change.rate {
                runner.setPace(.rate(.constant(rate)))
            } else if let timeScale = change.timeScale {
                runner.setPace(.timeScale(timeScale))
            }
            return self.status()
        }
    }

    private func status() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: Self.statusJSON(self.runner)))
    }

    /// What `GET /_tablecast/simulation` answers (the dashboard's feed carries it too).
    static func statusJSON(_ runner: SimulationRunner?) -> ByteBuffer {
        guard let runner else {
            return ByteBuffer(string: #"{"running":false}"#)
        }
        let status = runner.status
        var body = ByteBuffer()
        body.writeString("{\"running\":true,\"scenario\":")
        body.writeJSONString(status.scenario)
        body.writeString(",\"phase\":")
        body.writeJSONString(status.phase)
        body.writeString(",\"paused\":\(status.paused)")
        if let rate = status.targetRate {
            body.writeString(",\"pacing\":\"rate\",\"targetRate\":\((rate * 10).rounded() / 10),\"timeScale\":null")
        } else {
            body.writeString(",\"pacing\":\"timeScale\",\"targetRate\":null,\"timeScale\":\(status.timeScale)")
        }
        body.writeString(",\"rateStage\":")
        if let stage = status.rateStage {
            body.writeJSONString(stage)
        } else {
            body.writeString("null")
        }
        body.writeString(",\"achievedRate\":\((status.achievedRate * 10).rounded() / 10),\"events\":\(status.events)")
        body.writeString(",\"scenarios\":[")
        for (index, name) in ScenarioLibrary.names.enumerated() {
            if index > 0 { body.writeString(",") }
            body.writeJSONString(name)
        }
        body.writeString("]}")
        return body
    }
}
