import NIOCore
import SocketIOProtocol

/// The write side of one WebSocket connection, usable from any thread.
///
/// Frames are written as raw bytes through a handler at the front of the pipeline (``RawFrameWriter``), already
/// framed: the broadcast path writes one coalesced buffer of many frames with a single write and flush, which no
/// frame-by-frame writer can match.
final class WebSocketTransport: Sendable {
    let channel: any Channel
    private let writer: NIOLoopBound<ChannelHandlerContext>
    private let maxBacklogBytes: Int
    private let statistics: TransportStatistics?

    init(channel: any Channel, writer: ChannelHandlerContext, maxBacklogBytes: Int, statistics: TransportStatistics?) {
        self.statistics = statistics
        self.channel = channel
        self.writer = NIOLoopBound(writer, eventLoop: channel.eventLoop)
        self.maxBacklogBytes = maxBacklogBytes
    }

    /// Writes Engine.IO frames, one WebSocket frame each, and flushes.
    func write(_ frames: [EngineIOFrame]) {
        guard !frames.isEmpty else { return }
        if self.channel.eventLoop.inEventLoop {
            self.writeOnLoop(frames)
        } else {
            self.channel.eventLoop.execute { self.writeOnLoop(frames) }
        }
    }

    private func writeOnLoop(_ frames: [EngineIOFrame]) {
        var size = 0
        for frame in frames {
            size += frame.bytes.readableBytes + 10
        }
        var buffer = self.channel.allocator.buffer(capacity: size)
        for frame in frames {
            buffer.writeWebSocketFrame(frame)
        }
        self.writeRaw(buffer)
    }

    /// Writes already-framed bytes and flushes. On the channel's loop.
    func writeRaw(_ buffer: ByteBuffer) {
        self.statistics?.sent(bytes: buffer.readableBytes)
        let context = self.writer.value
        context.writeAndFlush(NIOAny(buffer), promise: nil)
    }

    /// Writes a WebSocket control frame. On the channel's loop.
    func writeControl(_ opcode: WebSocketFrameOpcode, payload: ByteBuffer) {
        var buffer = self.channel.allocator.buffer(capacity: payload.readableBytes + 4)
        buffer.writeWebSocketFrame(opcode: opcode, payload: payload)
        self.writeRaw(buffer)
    }

    /// Sends a normal-closure close frame and closes the connection.
    func close() {
        let work: @Sendable () -> Void = {
            guard self.channel.isActive else { return }
            var payload = self.channel.allocator.buffer(capacity: 2)
            payload.writeInteger(UInt16(1000))
            self.writeControl(.close, payload: payload)
            self.channel.close(promise: nil)
        }
        if self.channel.eventLoop.inEventLoop {
            work()
        } else {
            self.channel.eventLoop.execute(work)
        }
    }

    /// Subscribes to broadcasts on this channel's loop.
    /// - Returns: `false` when events after `after` were no longer available (only when called on the loop).
    func subscribe(to broadcaster: Broadcaster, after: Int64, traced: Bool) -> Bool {
        let loop = broadcaster.loopBroadcaster(for: self.channel.eventLoop)
        if self.channel.eventLoop.inEventLoop, loop.eventLoop === self.channel.eventLoop {
            return loop.subscribe(self, after: after, traced: traced, broadcaster: broadcaster)
        }
        loop.eventLoop.execute {
            if !loop.subscribe(self, after: after, traced: traced, broadcaster: broadcaster) {
                self.close()
            }
        }
        return true
    }

    /// Unsubscribes on the broadcaster's loop: at once when called there, otherwise ahead of any write submitted to
    /// the channel after this call (the same loop runs both in order), so that nothing broadcast follows a forced
    /// DISCONNECT.
    func unsubscribe(from broadcaster: Broadcaster) {
        let loop = broadcaster.loopBroadcaster(for: self.channel.eventLoop)
        if loop.eventLoop.inEventLoop {
            loop.unsubscribe(self, broadcaster: broadcaster)
        } else {
            loop.eventLoop.execute { loop.unsubscribe(self, broadcaster: broadcaster) }
        }
    }
}

extension WebSocketTransport: BroadcastSubscriber {
    /// One write and one flush per batch; a connection whose unsent backlog passes the bound is closed.
    func deliver(_ batch: BroadcastBatch, from index: Int, traced: Bool) {
        let bytes = batch.webSocketBytes(from: index, traced: traced)
        if self.channel.eventLoop.inEventLoop {
            self.writeRaw(bytes)
            self.checkBacklog()
        } else {
            // Only when a test subscribes from a loop outside the group.
            self.channel.eventLoop.execute {
                self.writeRaw(bytes)
                self.checkBacklog()
            }
        }
    }

    private func checkBacklog() {
        guard !self.channel.isWritable,
            let buffered = try? self.channel.syncOptions?.getOption(.bufferedWritableBytes),
            buffered > self.maxBacklogBytes
        else { return }
        self.statistics?.slowConsumerDisconnected()
        self.channel.close(promise: nil)
    }
}

/// A pass-through handler at the front of a WebSocket pipeline: its context writes raw bytes to the socket.
final class RawFrameWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
}
