import Foundation
import OmniModel

/// Fans library events out to live clients (`GET /api/events`).
///
/// Producers (the daemon's scan service, the write path for user changes) call `publish`;
/// each SSE connection holds one subscription. A slow client never blocks a producer: each
/// subscription buffers the newest 256 events and drops older ones.
public actor EventHub {
    private var subscribers: [UUID: AsyncStream<LibraryEvent>.Continuation] = [:]

    public init() {}

    /// Sends `event` to every current subscriber.
    public func publish(_ event: LibraryEvent) {
        for continuation in subscribers.values { continuation.yield(event) }
    }

    /// A stream of the events published from now on. It ends when `finishAll()` is called;
    /// cancelling its iteration (or dropping it) unsubscribes.
    public func subscribe() -> AsyncStream<LibraryEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: LibraryEvent.self, bufferingPolicy: .bufferingNewest(256))
        let id = UUID()
        subscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.remove(id) }
        }
        return stream
    }

    /// The number of live subscriptions.
    public var subscriberCount: Int { subscribers.count }

    /// Ends every subscription (at shutdown).
    public func finishAll() {
        for continuation in subscribers.values { continuation.finish() }
        subscribers.removeAll()
    }

    private func remove(_ id: UUID) {
        subscribers[id] = nil
    }
}
