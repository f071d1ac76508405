import Restaurant
import Simulator

/// The simulator's way into the live restaurant: every synthesized command goes through the store, so the same
/// lifecycle rules and the same ``EmissionPipeline`` serve simulated traffic and REST calls alike.
struct PipelineSink: CommandSink {
    let pipeline: EmissionPipeline
    /// A failure that is not the command's: the journal refused an event. The runner stops on it.
    private(set) var failure: EmissionPipeline.Failure?

    init(pipeline: EmissionPipeline) {
        self.pipeline = pipeline
    }

    mutating func perform(
        _ command: (borrowing RestaurantState) throws(CommandError) -> [RestaurantEvent]
    ) -> Result<[RestaurantEvent], CommandError> {
        do throws(EmissionPipeline.Failure) {
            // The runner admitted the whole step: its commands are not refused one by one.
            return .success(try self.pipeline.perform(admitted: true, command).map(\.event))
        } catch {
            switch error {
            case .command(let refused):
                return .failure(refused)
            case .journal(let journalError):
                self.failure = error
                return .failure(.conflict("the journal refused the event: \(journalError)"))
            case .backpressure:
                preconditionFailure("an admitted command is not refused for backpressure")
            }
        }
    }

    mutating func inject(_ fault: Fault) {
        do throws(EmissionPipeline.FaultFailure) {
            _ = try self.pipeline.inject(fault)
        } catch {
            switch error {
            case .refused:
                // Nothing to duplicate or replay yet: the fault has nothing to act on, like a dropped intent.
                break
            case .journal(let journalError):
                self.failure = .journal(journalError)
            case .backpressure:
                preconditionFailure("an admitted fault is not refused for backpressure")
            }
        }
    }
}
