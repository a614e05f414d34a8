import Foundation
import Hummingbird
import LocalStore
import MediaIO
import OmniModel

/// Transcoded streams (`GET /api/tracks/{uid}/stream?format=`), scaled artwork (`?size=`) and
/// lyrics (`GET /api/tracks/{uid}/lyrics`): the media side of issue 13, on MediaIO.
extension Handlers {
    /// What a web API stream request's query asks: `format` (mp3, opus, aac; `raw` or none is
    /// the original) with `maxBitRate` (kbit/s) and `timeOffset` (seconds).
    ///
    /// - Throws: `APIError.badRequest` for a value out of range or an unknown format.
    static func streamOptions(_ request: Request) throws -> StreamOptions {
        let query = QueryParameters(request)
        let bitRate = try query.int("maxBitRate", default: 0, range: 0...10_000)
        let offsetText = query.string("timeOffset")
        let offset = try offsetText.map { text -> Double in
            guard let value = Double(text), value.isFinite, value >= 0, value <= 366 * 86_400 else {
                throw APIError.badRequest("timeOffset must be a number of seconds, 0 or more")
            }
            return value
        } ?? 0
        switch query.string("format") {
        case nil, "": return StreamOptions(maxBitRate: bitRate, timeOffset: offset)
        case "raw": return .originalFile
        case let name?:
            guard let known = TranscodeFormat(rawValue: name) else {
                throw APIError.badRequest("format must be raw, mp3, opus or aac")
            }
            return StreamOptions(format: known, maxBitRate: bitRate, timeOffset: offset)
        }
    }

    /// The variant `options` ask of a file of `fileBitRate` (bit/s), or nil for the original
    /// file. `maxBitRate` alone asks for MP3 when the file's bit rate is above it, as Subsonic
    /// clients mean it.
    static func transcodeRequest(_ options: StreamOptions, fileBitRate: Int?) -> TranscodeRequest? {
        if options.original { return nil }
        let format: TranscodeFormat
        if let asked = options.format {
            format = asked
        } else {
            guard options.maxBitRate > 0, let fileBitRate, fileBitRate > options.maxBitRate * 1000 else { return nil }
            format = .mp3
        }
        return TranscodeRequest(format: format, bitRate: options.maxBitRate, timeOffset: options.timeOffset)
    }

    /// Where finished transcodes are kept: `<cache>/transcode`, beside the artwork folder.
    var transcodeCache: TranscodeCache {
        TranscodeCache(directory: (configuration.artwork.directory as NSString).deletingLastPathComponent + "/transcode")
    }

    /// A transcoded stream: from the cache when this variant was made before (a file read, with
    /// its exact length), else encoded while it is sent (chunked: its length is not known until
    /// the end; `X-Content-Duration` says how long it plays).
    func transcoded(_ variant: TranscodeRequest, path: RawPath, request: Request, context: BasicRequestContext,
                    head: Bool) async throws -> Response {
        let cache = transcodeCache
        var headers: HTTPFields = [.contentType: variant.format.mimeType, .cacheControl: "private, no-cache"]
        let key = cache.key(path: path, request: variant)
        if let key, let cached = cache.lookup(key) {
            var info = stat()
            guard stat(cached, &info) == 0 else { throw APIError.notFound("the transcoded stream") }
            headers[.contentLength] = String(info.st_size)
            headers[.transcodeCache] = "hit"
            if head { return Response(status: .ok, headers: headers, body: .init()) }
            // Held until the body is written, as a raw stream's file.
            let grant = try takeDescriptor()
            let body = try await fileIO.loadFile(path: cached, context: context)
            return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: Int(info.st_size)) { writer in
                defer { withExtendedLifetime(grant) {} }
                try await body.write(writer)
            })
        }
        headers[.transcodeCache] = "miss"
        if head { return Response(status: .ok, headers: headers, body: .init()) }
        // The encoder's thread holds the file it reads and the cache file it writes: two
        // descriptors, given back when that thread ends (not when the answer does).
        let grant = try takeDescriptor(key == nil ? 1 : 2)
        let stream: TranscodeStream
        do {
            stream = try await TranscodeStream.start(path: path, request: variant, cache: key == nil ? nil : cache, holding: grant)
        } catch {
            throw Self.mediaError(error)
        }
        if let duration = stream.durationSeconds {
            headers[.contentDuration] = String(format: "%.3f", duration)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { stream.cancel() }
            for try await chunk in stream {
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        })
    }

    /// A file MediaIO cannot read is the file's fault, not this machine's: 422 with MediaIO's
    /// code and message.
    static func mediaError(_ error: MediaError) -> APIError {
        switch error.reason {
        case .unreadable: APIError.notFound("the track's file")
        default: APIError(HTTPResponse.Status(code: 422, reasonPhrase: "Unprocessable Content"), error.code, error.description)
        }
    }

    // MARK: - Lyrics

    /// `GET /api/tracks/{uid}/lyrics`: every set of lyrics found in the track's tags and in an
    /// `.lrc` file beside it, each with its lines (times in ms when synced) and its plain text.
    func lyrics(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let uid = try uid(context)
        let found = try await lyricsFound(uid)
        return try JSONBody.response(LyricsBody(uid: uid.rawValue, lyrics: found.map(LyricsBody.Entry.init)))
    }

    /// The lyrics of `uid`'s primary file (confined to the music folders), read off the
    /// cooperative pool: what `/api/tracks/{uid}/lyrics` and the Subsonic door answer from.
    ///
    /// - Throws: `APIError.notFound` when the track or its file is missing.
    func lyricsFound(_ uid: TrackUID) async throws -> [Lyrics] {
        guard let file = try library.mediaFile(uid: uid) else { throw APIError.notFound("track") }
        guard let real = try confinedPath(file) else { throw APIError.notFound("the track's file") }
        return await DedicatedThread.run(named: "omnisonic-lyrics") { LyricsReader.read(path: real) }
    }

    struct LyricsBody: Encodable {
        struct Entry: Encodable {
            var source: String
            var language: String?
            var artist: String?
            var title: String?
            var synced: Bool
            var offsetMs: Int
            var text: String
            var lines: [LyricLine]

            init(_ lyrics: Lyrics) {
                source = lyrics.source
                language = lyrics.language
                artist = lyrics.artist
                title = lyrics.title
                synced = lyrics.synced
                offsetMs = lyrics.offsetMs
                text = lyrics.plainText
                lines = lyrics.lines
            }
        }

        var uid: String
        var lyrics: [Entry]
    }
}

/// The headers of transcoded streams (HTTPTypes' `HTTPField.Name`, reached through Hummingbird's
/// `HTTPFields`).
extension HTTPFields.Element.Name {
    /// `hit` when a transcoded stream is read from the cache, `miss` when it is encoded now.
    static let transcodeCache = Self("X-Transcode-Cache")!
    /// How many seconds a transcoded stream plays (its length in bytes is not known before the end).
    static let contentDuration = Self("X-Content-Duration")!
}
