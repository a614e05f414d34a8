import Foundation
import OmniModel

/// A transcoded stream for an async consumer (an HTTP response): a `Transcoder` runs on a
/// thread of its own and hands its bytes over in chunks through a bounded buffer, so a slow
/// client slows the encoder down instead of filling memory, and a client that leaves stops it.
///
/// With a `TranscodeCache`, a whole stream from offset 0 is also written to the cache and
/// published there when its last byte is encoded (before the sequence ends); a stream that
/// ends early leaves nothing behind. Look the cache up first (`TranscodeCache.lookup`): this
/// type always encodes.
///
/// `Sendable`: iterate it from one task; `cancel()` from anywhere.
public final class TranscodeStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    /// The variant produced.
    public let request: TranscodeRequest
    /// The output's length in seconds, when the file says it.
    public let durationSeconds: Double?
    private let channel: ChunkChannel

    private init(request: TranscodeRequest, durationSeconds: Double?, channel: ChunkChannel) {
        self.request = request
        self.durationSeconds = durationSeconds
        self.channel = channel
    }

    /// Opens `path` and starts encoding on a new thread. Returns once the encoder is ready, so
    /// a file that cannot be read fails here, before any byte is sent.
    ///
    /// - Parameters:
    ///   - cache: where a whole stream from offset 0 is kept; nil keeps nothing.
    ///   - bufferedChunks: how many chunks (of about `chunkBytes`) may wait for the consumer.
    ///   - holding: descriptors of the process's budget (`DescriptorBudget`) for the files the
    ///     encoding thread opens; released when that thread ends, with its files.
    /// - Throws: `MediaError` from `Transcoder.init`.
    public static func start(path: RawPath, request: TranscodeRequest, cache: TranscodeCache? = nil,
                             chunkBytes: Int = 16 << 10, bufferedChunks: Int = 8,
                             holding grant: DescriptorBudget.Grant? = nil) async throws(MediaError) -> TranscodeStream {
        let channel = ChunkChannel(limit: Swift.max(1, bufferedChunks))
        let opened: Result<Double?, MediaError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                defer { withExtendedLifetime(grant) {} }
                let transcoder: Transcoder
                switch Result(catching: { () throws(MediaError) in try Transcoder(path: path, request: request) }) {
                case .success(let made): transcoder = made
                case .failure(let error):
                    continuation.resume(returning: .failure(error))
                    return
                }
                continuation.resume(returning: .success(transcoder.durationSeconds))
                Self.produce(transcoder, into: channel, writer: cache.flatMap { c in c.key(path: path, request: request).flatMap { c.begin($0) } },
                             cache: cache, chunkBytes: chunkBytes)
            }
            thread.name = "omnisonic-transcode"
            thread.start()
        }
        switch opened {
        case .success(let duration): return TranscodeStream(request: request, durationSeconds: duration, channel: channel)
        case .failure(let error): throw error
        }
    }

    /// The transcoding thread's loop: the first bytes (the container's header) go at once,
    /// later ones in chunks of about `chunkBytes`.
    private static func produce(_ transcoder: Transcoder, into channel: ChunkChannel, writer: TranscodeCache.Writer?,
                                cache: TranscodeCache?, chunkBytes: Int) {
        var first = true
        var chunk: [UInt8] = []
        do {
            while true {
                chunk.removeAll(keepingCapacity: true)
                var ended = false
                while chunk.count < (first ? 1 : chunkBytes) {
                    if try transcoder.read(into: &chunk) == 0 { ended = true; break }
                }
                first = false
                if !chunk.isEmpty {
                    writer?.write(chunk)
                    guard channel.put(chunk) else {
                        writer?.discard()
                        return
                    }
                }
                if ended { break }
            }
            if let writer, writer.commit() { cache?.trim() }
            channel.end(nil)
        } catch {
            writer?.discard()
            channel.end(error)
        }
    }

    /// Stops the encoder (the consumer is gone); the iteration ends with `CancellationError`.
    public func cancel() { channel.cancel() }

    /// A stream dropped without being read to its end (a response never sent) stops its
    /// thread too: the thread holds only the channel, never the stream.
    deinit { channel.cancel() }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(channel: channel) }

    /// Yields the chunks in order; throws the `MediaError` that stopped the encoder.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let channel: ChunkChannel
        public mutating func next() async throws -> [UInt8]? { try await channel.next() }
    }
}

/// A bounded hand-over from one producer thread to one async consumer. The producer blocks
/// (on a condition variable, on its own thread) while `limit` chunks wait; the consumer
/// suspends (a continuation) while none does.
final class ChunkChannel: @unchecked Sendable {
    // Every field below is guarded by `condition`.
    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    private var ended = false
    private var failure: MediaError?
    private var cancelled = false
    private var waiter: CheckedContinuation<[UInt8]?, any Error>?
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Producer: hands `chunk` over, waiting while the buffer is full. False when the consumer
    /// cancelled (the producer stops).
    func put(_ chunk: [UInt8]) -> Bool {
        condition.lock()
        while chunks.count >= limit && !cancelled { condition.wait() }
        if cancelled {
            condition.unlock()
            return false
        }
        if let waiter {
            self.waiter = nil
            condition.unlock()
            waiter.resume(returning: chunk)
            return true
        }
        chunks.append(chunk)
        condition.unlock()
        return true
    }

    /// Producer: no more chunks (`error` when the stream failed).
    func end(_ error: MediaError?) {
        condition.lock()
        ended = true
        failure = error
        let waiter = self.waiter
        self.waiter = nil
        condition.unlock()
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
    }

    /// Consumer: gone; wakes the producer so it stops.
    func cancel() {
        condition.lock()
        cancelled = true
        chunks.removeAll()
        let waiter = self.waiter
        self.waiter = nil
        condition.broadcast()
        condition.unlock()
        waiter?.resume(throwing: CancellationError())
    }

    /// Consumer: the next chunk, nil at the end.
    func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                condition.lock()
                if !chunks.isEmpty {
                    let chunk = chunks.removeFirst()
                    condition.signal()
                    condition.unlock()
                    continuation.resume(returning: chunk)
                } else if cancelled {
                    condition.unlock()
                    continuation.resume(throwing: CancellationError())
                } else if ended {
                    let failure = self.failure
                    condition.unlock()
                    if let failure { continuation.resume(throwing: failure) } else { continuation.resume(returning: nil) }
                } else {
                    waiter = continuation
                    condition.unlock()
                }
            }
        } onCancel: {
            cancel()
        }
    }
}
