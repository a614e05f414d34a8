import Foundation
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
    func events() -> Response {
        let hub = configuration.events
        let heartbeat = configuration.heartbeat
        let body = ResponseBody { writer in
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
