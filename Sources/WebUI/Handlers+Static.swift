import Foundation
import Synchronization
import Glibc
import Hummingbird
import OmniModel
import ServiceLifecycle

/// Static files from `web/`, and Server-Sent Events.
extension Handlers {
    /// `GET /` and `GET /<path>`: a file inside `web/` (`index.html` for `/`). Paths with `..`
    /// or `.` segments, NUL, backslashes or invalid percent-encoding are refused, and the file's
    /// real path (symlinks resolved) must still be inside the real `web/` folder.
    func staticFile(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let raw = request.uri.path
        if raw.hasPrefix("/api/") || raw == "/api" { throw APIError.notFound("endpoint") }
        guard let web = configuration.webDirectory, let realWeb = Self.realPath(web) else {
            throw APIError.notFound("file")
        }
        guard let decoded = raw.removingPercentEncoding, !decoded.contains("\0"), !decoded.contains("\\") else {
            throw APIError.badRequest("bad path")
        }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: true)
        if segments.contains(where: { $0 == ".." || $0 == "." }) { throw APIError.badRequest("bad path") }
        var relative = segments.joined(separator: "/")
        if relative.isEmpty || decoded.hasSuffix("/") { relative += (relative.isEmpty ? "" : "/") + "index.html" }
        guard let real = Self.realPath(realWeb + "/" + relative), real.hasPrefix(realWeb + "/") else {
            throw APIError.notFound("file")
        }
        var info = stat()
        guard stat(real, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw APIError.notFound("file") }
        let type = MediaType.getMediaType(forExtension: (real as NSString).pathExtension.lowercased())?.description ?? "application/octet-stream"
        return Response(status: .ok,
                        headers: [.contentType: type, .contentLength: String(info.st_size), .cacheControl: "no-cache",
                                  .xContentTypeOptions: "nosniff"],
                        body: try await fileIO.loadFile(path: real, context: context))
    }

    /// `GET /api/events`: a `text/event-stream` of `LibraryEvent`s (`event: <name>`, `data: <json>`),
    /// with a `: keep-alive` comment every `heartbeat`. The first bytes, `: connected`, are sent
    /// once the subscription exists, so a client that has read them sees every later event.
    /// `GET /api/events`. At most `maxEventStreams` at once: past that, 503 with `Retry-After`
    /// (EventSource reconnects by itself), so that thousands of open streams cannot take the
    /// daemon's memory (4,000 took it from 88 to 250 MB before the cap).
    func events() throws -> Response {
        guard let slot = eventStreams.take(limit: configuration.maxEventStreams) else {
            throw APIError(.serviceUnavailable, "too_many_event_streams",
                           "too many event streams are open (at most \(configuration.maxEventStreams)); try again later",
                           headers: [.retryAfter: "10"])
        }
        let hub = configuration.events
        let heartbeat = configuration.heartbeat
        let body = ResponseBody { writer in
            // The slot is given back when the stream ends, however it ends.
            defer { withExtendedLifetime(slot) {} }
            let events = await hub.subscribe()
            let (frames, output) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(512))
            let pump = Task {
                for await event in events {
                    output.yield(Self.frame(event))
                }
                output.finish()
            }
            let beat = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: heartbeat)
                    output.yield(": keep-alive\n\n")
                }
            }
            defer {
                pump.cancel()
                beat.cancel()
            }
            try await writer.write(ByteBuffer(string: ": connected\n\n"))
            for await frame in frames.cancelOnGracefulShutdown() {
                try await writer.write(ByteBuffer(string: frame))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok,
                        headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                        body: body)
    }

    static func frame(_ event: LibraryEvent) -> String {
        let data = (try? JSONBody.encoder.encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "event: \(event.name)\ndata: \(data)\n\n"
    }
}

/// Counts open event streams. A taken slot is given back when its `Slot` is released (the
/// response body that holds it ends or is dropped), so a stream that never starts writing
/// still frees its place.
final class EventStreamSlots: Sendable {
    private let streams = Mutex(0)

    final class Slot: Sendable {
        let owner: EventStreamSlots
        init(owner: EventStreamSlots) { self.owner = owner }
        deinit { owner.streams.withLock { $0 -= 1 } }
    }

    /// A slot, or nil when `limit` streams are open.
    func take(limit: Int) -> Slot? {
        let taken = streams.withLock { count -> Bool in
            guard count < limit else { return false }
            count += 1
            return true
        }
        return taken ? Slot(owner: self) : nil
    }
}
