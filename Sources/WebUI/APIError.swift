import Foundation
import Hummingbird
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
    /// 409: the daemon runs without background analysis (`analysis = false`).
    public static let analysisOff = APIError(.conflict, "analysis_off", "the music analysis is switched off (analysis = false)")

    /// The web API's one table from an error's kind to an HTTP status (decision 0025).
    ///
    /// A client's mistake is 4xx; 5xx is a failure of this machine or of something it needs.
    /// No status is derived from the text of a code.
    static func status(for kind: ErrorKind) -> HTTPResponse.Status {
        switch kind {
        case .notFound: .notFound
        case .invalid: .badRequest
        case .conflict: .conflict
        case .denied: .forbidden
        case .unavailable, .busy: .serviceUnavailable
        case .full: insufficientStorage
        case .internal: .internalServerError
        }
    }

    /// The code a client sees for a module's error: `not_found` for every missing thing (as the
    /// web UI and the tests have always matched), the reason without its module for the other
    /// client mistakes (`player.device_refused` is `device_refused`), and the full module code
    /// for failures of this machine, which are for the log more than for the client.
    static func wireCode(for error: any OmniError) -> String {
        switch error.kind {
        case .notFound: "not_found"
        case .invalid, .conflict, .denied: String(error.code.split(separator: ".", maxSplits: 1).last ?? Substring(error.code))
        case .unavailable, .busy, .full, .internal: error.code
        }
    }

    /// Converts any error thrown by a handler.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
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
        case let error as any OmniError:
            return APIError(status(for: error.kind), wireCode(for: error), error.description)
        default:
            return APIError(.internalServerError, "internal", "internal error")
        }
    }

    /// What an HTTP status says of a failure, for the `OmniError` conformance.
    public var kind: ErrorKind {
        switch status.code {
        case 404, 410: .notFound
        case 401, 403: .denied
        case 409: .conflict
        case 429: .busy
        case 503: .unavailable
        case 507: .full
        case 400..<500: .invalid
        default: .internal
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
            // The web layer's own 503 is a limit doing its job (too many event streams, no
            // descriptors left): one log line per refused request would let any client fill the
            // journal, so only at debug. A 503 from an error's kind (a busy device) is logged.
            if apiError.status == .serviceUnavailable, error is APIError || apiError.code == "descriptors_exhausted" {
                context.logger.debug("\(request.method) \(request.uri.path): \(apiError.message)")
            } else if apiError.status.code >= 500 {
                context.logger.error("\(request.method) \(request.uri.path): \((error as? any OmniError)?.expandedDescription ?? String(describing: error))")
            }
            return try apiError.response(from: request, context: context)
        }
    }
}
