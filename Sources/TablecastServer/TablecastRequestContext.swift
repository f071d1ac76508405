import Hummingbird
import NIOCore
import SocketIOServer

/// The request context of tablecast's router: Hummingbird's core storage plus the connection's channel, which
/// Engine.IO long-polling needs.
public struct TablecastRequestContext: RequestContext, EngineIORequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
