import HTTPTypes
import Hummingbird
import Journal

/// Answers a write (REST, emit, faults) only once the events it caused are committed to the journal, so that an
/// acknowledged event is never lost: not to a full disk, nor to a `kill -9` right after the answer.
///
/// It waits for the pipeline's last seq as the answer is ready, which covers the request's own events (and perhaps a few
/// simulated ones after them: the wait is one journal transaction at most). If the journal fails before that, the
/// answer becomes `503` with the journal's error: the events were not kept, so they are not acknowledged.
struct CommitBeforeAnswerMiddleware<Context: RequestContext>: RouterMiddleware {
    let pipeline: EmissionPipeline

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let response = try await next(request, context)
        guard request.method != .get, request.method != .head, request.method != .options,
            (200..<300).contains(response.status.code)
        else { return response }
        do throws(JournalError) {
            try await self.pipeline.journal.waitForCommit(through: self.pipeline.lastSeq)
        } catch {
            return .jsonError(.serviceUnavailable, "the journal failed before the events were committed: \(error)")
        }
        return response
    }
}
