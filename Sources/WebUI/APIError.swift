import Foundation
import Hummingbird
import LocalStore
import OmniModel

/// The one error type of the HTTP layer: a status, a stable code and a message, sent as
/// `{"error":{"code","message"}}`.
///
/// Every other error is converted to this once, in `ErrorMiddleware`, so handlers simply throw.
/// Client mistakes are 4xx; 5xx is reserved for failures of this machine (a full disk, a
/// damaged database), never caused by what a client sent.
public struct APIError: HTTPResponseError, OmniError {
    public var status: HTTPResponse.Status
    /// A stable code such as `"not_found"` or `"bad_range"`.
    public var code: String
    /// A message fit for the user.
    public var message: String
    /// Extra response headers (`Content-Range` on a 416, `WWW-Authenticate` on a 401).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { message }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = (try? JSONEncoder().encode(ErrorBody(error: .init(code: code, message: message)))) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private struct ErrorBody: Encodable {
        struct Inner: Encodable { var code: String; var message: String }
        var error: Inner
    }

    /// 507: the disk is full.
    static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")

    static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", "\(what) not found") }
    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }

    /// Converts any error thrown by a handler.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as StoreError:
            switch error.reason {
            case .badQuery, .invalid: return APIError(.badRequest, error.code, error.message)
            case .notFound: return APIError(.notFound, "not_found", error.message)
            case .diskFull: return APIError(Self.insufficientStorage, error.code, error.message)
            default: return APIError(.internalServerError, error.code, error.message)
            }
        case let error as HTTPError:
            let code = switch error.status.code {
            case 404: "not_found"
            case 405: "method_not_allowed"
            case 413: "body_too_large"
            case 400: "bad_request"
            default: "http_\(error.status.code)"
            }
            return APIError(error.status, code, error.body ?? error.status.reasonPhrase)
        case is DecodingError:
            return APIError(.badRequest, "bad_json", "the request body is not the JSON this endpoint expects")
        case let error as any OmniError where error.code == "player.device_refused":
            // An output device the user never named: refused before alsa-lib sees it.
            return APIError(.badRequest, "device_refused", error.description)
        case let error as any OmniError where error.code.hasSuffix(".track_missing") || error.code.hasSuffix(".bad_request"):
            // The player's "no such track, playlist, entry or index" is the client's 404.
            return APIError(.notFound, "not_found", error.description)
        case let error as any OmniError:
            return APIError(.internalServerError, error.code, error.description)
        default:
            return APIError(.internalServerError, "internal", "internal error")
        }
    }
}

/// Turns every error into `APIError`'s JSON (outermost middleware, so it also sees the router's
/// 404 and errors of the other middlewares).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var apiError = APIError.from(error)
            // Out of descriptors (SQLite, a file, a socket could not be opened): a 503 to retry,
            // not a 500 (issue 18; `Descriptors`).
            if apiError.status.code >= 500, apiError.status != .serviceUnavailable, Descriptors.exhausted() {
                context.logger.warning("out of file descriptors: \(request.method) \(request.uri.path) answered 503",
                                       metadata: ["detail": "\(apiError.message)"])
                apiError = APIError(.serviceUnavailable, "descriptors_exhausted",
                                    "the daemon has run out of file descriptors; try again shortly",
                                    headers: [.retryAfter: String(Descriptors.retryAfterSeconds)])
            }
            // A 503 is a limit doing its job (too many event streams): one log line per refused
            // request would let any client fill the journal, so only at debug.
            if apiError.status == .serviceUnavailable {
                context.logger.debug("\(request.method) \(request.uri.path): \(apiError.message)")
            } else if apiError.status.code >= 500 {
                context.logger.error("\(request.method) \(request.uri.path): \((error as? any OmniError)?.expandedDescription ?? String(describing: error))")
            }
            return try apiError.response(from: request, context: context)
        }
    }
}
