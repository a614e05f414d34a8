import Foundation
import Glibc
import Hummingbird
import Indexer
import LocalStore
import MediaIO
import OmniModel

/// Audio streaming with HTTP Range, and artwork with ETags.
extension Handlers {
    /// `GET /api/tracks/{uid}/stream`: the primary file, whole (200) or one byte range (206),
    /// read from disk in 128 KiB chunks on NIO's thread pool (constant memory at any size).
    func stream(_ request: Request, _ context: BasicRequestContext, head: Bool = false) async throws -> Response {
        try await stream(uid: try uid(context), options: try Self.streamOptions(request), request, context, head: head)
    }

    /// The same for a track and options named by the caller (`MediaResponder`); `request` gives
    /// only the `Range` header.
    func stream(uid: TrackUID, options: StreamOptions, _ request: Request, _ context: BasicRequestContext,
                head: Bool = false) async throws -> Response {
        guard let file = try library.mediaFile(uid: uid), let record = try library.track(uid: uid) else {
            throw APIError.notFound("track")
        }
        guard let real = try confinedPath(file) else { throw APIError.notFound("the track's file") }
        if let variant = Self.transcodeRequest(options, fileBitRate: record.bitrate) {
            return try await transcoded(variant, path: real, request: request, context: context, head: head)
        }
        // Held until the body is written: an unread stream keeps its file open.
        let grant = try takeDescriptor()
        // A name that is not UTF-8 cannot be a Swift String: open it by its bytes and serve the
        // open file through /proc/self/fd, which names it with ASCII only.
        var descriptor: Int32 = -1
        let path: String
        if let text = String(validating: real.bytes, as: UTF8.self) {
            path = text
        } else {
            descriptor = real.withCString { open($0, O_RDONLY | O_CLOEXEC) }
            guard descriptor >= 0 else { throw APIError.notFound("the track's file") }
            path = "/proc/self/fd/\(descriptor)"
        }
        let openDescriptor = descriptor
        var handedOver = false
        defer { if openDescriptor >= 0 && !handedOver { close(openDescriptor) } }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw APIError.notFound("the track's file")
        }
        let size = Int(info.st_size)
        var headers: HTTPFields = [
            .contentType: Self.mimeType(container: record.container, codec: record.codec, path: real.displayString),
            .acceptRanges: "bytes",
            .cacheControl: "private, no-cache",
        ]
        let range: ClosedRange<Int>?
        if let header = request.headers[.range] {
            switch ByteRange.parse(header, size: size) {
            case .satisfiable(let bytes): range = bytes
            case .ignored: range = nil
            case .unsatisfiable:
                throw APIError(.rangeNotSatisfiable, "bad_range", "the range is outside the file (\(size) bytes)",
                               headers: [.contentRange: "bytes */\(size)"])
            }
        } else {
            range = nil
        }
        let bytes = range ?? (0...max(size - 1, 0))
        let length = size == 0 ? 0 : bytes.count
        headers[.contentLength] = String(length)
        if let range { headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)" }
        let status: HTTPResponse.Status = range == nil ? .ok : .partialContent
        if head || length == 0 { return Response(status: status, headers: headers, body: .init()) }
        let body = try await fileIO.loadFile(path: path, range: bytes, context: context)
        // The body reopens /proc/self/fd/N while it is written: keep N open until then.
        handedOver = true
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: length) { writer in
            defer {
                if openDescriptor >= 0 { close(openDescriptor) }
                withExtendedLifetime(grant) {}
            }
            try await body.write(writer)
        })
    }

    /// `count` descriptors of the process's budget for files this answer holds open while it
    /// is written, or nil without a budget.
    ///
    /// - Throws: `APIError` 503 `descriptors_exhausted` with `Retry-After` when it is spent.
    func takeDescriptor(_ count: Int = 1) throws -> DescriptorBudget.Grant? {
        guard let budget = configuration.descriptors else { return nil }
        guard let grant = budget.take(count) else { throw Self.descriptorsExhausted(budget) }
        return grant
    }

    /// The 503 for a spent budget (streams, artwork, transcodes, uploads).
    static func descriptorsExhausted(_ budget: DescriptorBudget) -> APIError {
        APIError(.serviceUnavailable, "descriptors_exhausted",
                 "the daemon has too many files open for other clients (\(budget.capacity)); try again shortly",
                 headers: [.retryAfter: String(Descriptors.retryAfterSeconds)])
    }

    /// The absolute path of `file` after resolving symlinks, as bytes, or nil when it is not
    /// inside one of the configured music roots (a symlink pointing out of the roots, an unknown
    /// root): the same rule as the walker's (`RawPath.resolves(within:)`, decision 0009).
    /// Compared as bytes, so names that are not UTF-8 are checked exactly.
    func confinedPath(_ file: MediaFile) throws -> RawPath? {
        guard file.rootOnline, let real = file.absolutePath.resolvingLinks else { return nil }
        for root in configuration.musicRoots() {
            guard let realRoot = root.resolvingLinks, realRoot != real else { continue }
            if real.isWithin(realRoot) { return real }
        }
        return nil
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The MIME type browsers expect for a container (libavformat's names), else by extension.
    static func mimeType(container: String, codec: String, path: String) -> String {
        switch container {
        case "mp3": return "audio/mpeg"
        case "flac": return "audio/flac"
        case "ogg": return codec == "opus" ? "audio/ogg; codecs=opus" : "audio/ogg"
        case "wav": return "audio/wav"
        case "aiff": return "audio/aiff"
        case "matroska,webm", "webm": return "audio/webm"
        case "asf": return "audio/x-ms-wma"
        case "ape": return "audio/x-ape"
        case "wv": return "audio/x-wavpack"
        case let name where name.hasPrefix("mov,mp4"): return "audio/mp4"
        default: break
        }
        switch (path as NSString).pathExtension.lowercased() {
        case "mp3": return "audio/mpeg"
        case "flac": return "audio/flac"
        case "ogg", "oga", "opus": return "audio/ogg"
        case "m4a", "mp4", "aac", "alac": return "audio/mp4"
        case "wav": return "audio/wav"
        default: return "application/octet-stream"
        }
    }

    // MARK: - Artwork

    func trackArtwork(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let uid = try uid(context)
        guard let artwork = try library.trackArtwork(uid: uid) else { throw APIError.notFound("artwork") }
        return try await artworkResponse(artwork, request, context)
    }

    func albumArtwork(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw APIError.notFound("album") }
        guard let artwork = try library.albumArtwork(albumID: id) else { throw APIError.notFound("artwork") }
        return try await artworkResponse(artwork, request, context)
    }

    /// The image, or 304 when the client already has it (its hash is a strong ETag). With
    /// `?size=N` (16...2048), the image scaled so its longer side is N (made once, then read
    /// from `<artwork>/sizes/N/`; one no larger is sent as it is); its ETag is `hash-N`.
    func artworkResponse(_ artwork: ArtworkReference, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await artworkResponse(artwork, size: try Self.artworkSize(request), request, context)
    }

    /// The same at a size named by the caller (`MediaResponder`; nil: the original image);
    /// `request` gives only the `If-None-Match` header.
    func artworkResponse(_ artwork: ArtworkReference, size: Int?, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let etag = size.map { "\"\(artwork.hash)-\($0)\"" } ?? "\"\(artwork.hash)\""
        var headers: HTTPFields = [.eTag: etag, .cacheControl: "private, max-age=86400"]
        if let match = request.headers[.ifNoneMatch],
           match == "*" || match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "") == etag }) {
            return Response(status: .notModified, headers: headers)
        }
        var path = configuration.artwork.path(forHash: artwork.hash)
        var mimeType = artwork.mimeType
        if let size {
            let cache = configuration.artwork
            var sized = cache.sizedIfCached(hash: artwork.hash, mimeType: artwork.mimeType, size: size)
            if sized == nil {
                // Decoding, scaling and encoding block: not on the cooperative pool.
                let made = await DedicatedThread.run(named: "omnisonic-artwork") {
                    Result { () throws(IndexError) in try cache.sized(hash: artwork.hash, mimeType: artwork.mimeType, size: size) }
                }
                do {
                    sized = try made.get()
                } catch {
                    throw APIError(HTTPResponse.Status(code: 422, reasonPhrase: "Unprocessable Content"), error.code, error.description)
                }
            }
            guard let sized else { throw APIError.notFound("artwork") }
            path = sized.path
            mimeType = sized.mimeType
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw APIError.notFound("artwork") }
        headers[.contentType] = mimeType
        headers[.contentLength] = String(info.st_size)
        let grant = try takeDescriptor()
        let body = try await fileIO.loadFile(path: path, context: context)
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: Int(info.st_size)) { writer in
            defer { withExtendedLifetime(grant) {} }
            try await body.write(writer)
        })
    }

    /// `?size=N`, or nil; 400 outside `ArtworkScaler.sizes`.
    static func artworkSize(_ request: Request) throws -> Int? {
        guard let text = request.uri.queryParameters.get("size") else { return nil }
        guard let size = Int(text), ArtworkScaler.sizes.contains(size) else {
            throw APIError.badRequest("size must be an integer in \(ArtworkScaler.sizes.lowerBound)...\(ArtworkScaler.sizes.upperBound)")
        }
        return size
    }
}

/// One byte range of a `Range` header (RFC 9110 §14.1.2). A header this server does not take
/// is ignored and the whole file sent (§14.2: another unit MUST be ignored; an invalid ranges
/// specifier or several ranges MAY be): another unit, bad syntax, a last position before the
/// first, several ranges. Only a valid range outside the file is refused (416).
enum ByteRange: Equatable {
    case satisfiable(ClosedRange<Int>)
    case unsatisfiable
    case ignored

    static func parse(_ header: String, size: Int) -> ByteRange {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("bytes=") else { return .ignored }
        let spec = text.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .ignored }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        let digits = { (s: String) in !s.isEmpty && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        if first.isEmpty {
            // Suffix: the last N bytes.
            guard digits(last), let count = Int(last) else { return .ignored }
            guard count > 0, size > 0 else { return .unsatisfiable }
            return .satisfiable(max(size - count, 0)...(size - 1))
        }
        guard digits(first), let start = Int(first) else { return .ignored }
        if !last.isEmpty {
            guard digits(last), let end = Int(last), end >= start else { return .ignored }
        }
        guard start < size else { return .unsatisfiable }
        if last.isEmpty { return .satisfiable(start...(size - 1)) }
        return .satisfiable(start...min(Int(last) ?? size - 1, size - 1))
    }
}
