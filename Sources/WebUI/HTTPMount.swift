import Foundation
import HTTPTypes
import Hummingbird
import LocalStore
import MediaIO
import NIOCore
import NIOHTTPTypes
import OmniModel

/// Another front door served by this HTTP server under its own path prefix (the OpenSubsonic
/// API under `/rest/`), so WebUI does not depend on it.
///
/// A mount has its own authentication: the web API's access token and its cross-origin write
/// check (`SecurityMiddleware`) are not asked of requests under `pathPrefix`, but the `Host`
/// check (DNS rebinding) and every connection limit of decision 0016 still apply. A mount must
/// answer its own errors: anything it throws becomes a web API error. Routes a mount adds
/// outside its prefix (its settings under `/api/`) are the web API's: token, origin and all.
public protocol HTTPMount: Sendable {
    /// The prefix of every path the mount answers, with a leading and trailing slash (`/rest/`).
    var pathPrefix: String { get }
    /// Adds the mount's routes. Called once, when the server builds its router.
    func register(on router: Router<BasicRequestContext>, media: MediaResponder)
}

/// The web door's streaming and artwork answers, for mounts that serve the same files
/// (HTTP Range, confinement to the music roots, ETags): one copy of that code.
public struct MediaResponder: Sendable {
    let handlers: Handlers

    /// The primary file of `uid`, whole or one byte range (the client's `Range` header in
    /// `request`), or the variant `options` ask for (encoded as it streams, or from the cache);
    /// `head` answers the headers only. Nothing else of `request` is read: the mount decides
    /// what its parameters mean and says so in `options`.
    ///
    /// - Throws: `APIError` (`not_found` when the track or its file is missing, `bad_range`;
    ///   MediaIO's code when the file cannot be transcoded).
    public func stream(uid: TrackUID, options: StreamOptions = .originalFile, request: Request, context: BasicRequestContext,
                       head: Bool = false) async throws -> Response {
        try await handlers.stream(uid: uid, options: options, request, context, head: head)
    }

    /// The MIME type the web door sends for a file of this container and codec.
    public static func mimeType(container: String, codec: String, path: String) -> String {
        Handlers.mimeType(container: container, codec: codec, path: path)
    }

    /// An artwork image with its ETag (304 when the client's `If-None-Match` in `request` has
    /// it), scaled so its longer side is `size` (within `ArtworkScaler.sizes`; nil: as stored).
    ///
    /// - Throws: `APIError.notFound` when the image file is gone, `badRequest` for a size outside
    ///   the range.
    public func artwork(_ artwork: ArtworkReference, size: Int? = nil, request: Request, context: BasicRequestContext) async throws -> Response {
        if let size, !ArtworkScaler.sizes.contains(size) {
            throw APIError.badRequest("size must be an integer in \(ArtworkScaler.sizes.lowerBound)...\(ArtworkScaler.sizes.upperBound)")
        }
        return try await handlers.artworkResponse(artwork, size: size, request, context)
    }

    /// Every set of lyrics of `uid` (its tags, and an `.lrc` file beside it), as
    /// `GET /api/tracks/{uid}/lyrics` finds them.
    ///
    /// - Throws: `APIError.notFound` when the track or its file is missing.
    public func lyrics(uid: TrackUID) async throws -> [Lyrics] {
        try await handlers.lyricsFound(uid)
    }
}

/// What a stream should be, as the caller decided it (a mount reads its own protocol's
/// parameters; the web API reads `format`, `maxBitRate`, `timeOffset` from its query).
public struct StreamOptions: Sendable, Equatable {
    /// The codec to encode to; nil: the original file, or MP3 when `maxBitRate` is below the
    /// file's bit rate.
    public var format: TranscodeFormat?
    /// The original file whatever else is asked (`format=raw`, a download).
    public var original: Bool
    /// The highest bit rate in kbit/s (0: none; clamped to the format's range when encoding).
    public var maxBitRate: Int
    /// Where an encoded stream starts, in seconds (ignored for the original file).
    public var timeOffset: Double

    public init(format: TranscodeFormat? = nil, original: Bool = false, maxBitRate: Int = 0, timeOffset: Double = 0) {
        self.format = format
        self.original = original
        self.maxBitRate = maxBitRate
        self.timeOffset = timeOffset
    }

    /// The original file, byte for byte.
    public static let originalFile = StreamOptions(original: true)
}

/// The address of the client that sent a request, as the connection saw it (not a header a
/// client could set: `PeerAddressHandler` replaces any such header before routing). Mounts
/// use it to rate-limit wrong credentials per client.
public enum PeerAddress {
    static let field = HTTPField.Name("X-Omnisonic-Peer")!

    /// The client's IP address, or "unknown".
    public static func of(_ request: Request) -> String { request.headers[field] ?? "unknown" }
}

/// Writes the connection's remote address into each request head (`PeerAddress`), after
/// removing whatever a client sent under that name. Hummingbird's `BasicRequestContext` does
/// not carry the address, and this keeps the router's context type unchanged.
final class PeerAddressHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard case .head(var head) = part else {
            context.fireChannelRead(data)
            return
        }
        head.headerFields[PeerAddress.field] = nil
        head.headerFields[PeerAddress.field] = context.channel.remoteAddress?.ipAddress ?? "unknown"
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }
}
