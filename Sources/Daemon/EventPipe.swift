import OmniModel
import ServiceLifecycle

/// Carries `LibraryEvent`s from synchronous producers (the scan thread, import and trash
/// threads) to an async consumer (the web layer's event hub), in order.
///
/// `publish` never blocks and may be called from any thread: it appends to an unbounded
/// `AsyncStream` buffer (events are small and the consumer only fans them out). `run()`
/// delivers them one at a time, so a progress event never overtakes the scan's finish, as it
/// could with a `Task {}` per event. A `Service`: start it before the producers so it stops
/// after them.
public final class EventPipe: Service, Sendable {
    private let stream: AsyncStream<LibraryEvent>
    private let continuation: AsyncStream<LibraryEvent>.Continuation
    private let deliver: @Sendable (LibraryEvent) async -> Void

    /// - Parameter deliver: called from `run()` for each event, in publication order.
    public init(deliver: @escaping @Sendable (LibraryEvent) async -> Void) {
        (stream, continuation) = AsyncStream.makeStream(of: LibraryEvent.self)
        self.deliver = deliver
    }

    /// Queues `event` for delivery. Any thread; never blocks.
    @Sendable public func publish(_ event: LibraryEvent) {
        continuation.yield(event)
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            for await event in self.stream { await self.deliver(event) }
        }
    }
}
