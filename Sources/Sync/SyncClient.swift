import Foundation
import NIOHTTP1
import OmniModel
import Synchronization

/// The HTTP side of the sync client: push and (long-poll) pull against a sync server.
///
/// HTTP/1.1 over its own small transport on SwiftNIO (`HTTPConnector`, decision 0030): one
/// connection per request, `http` or `https` (NIOSSL, the system's trust roots). Requests are
/// cancellable: cancelling the awaiting task closes the connection, so a long poll never holds a
/// shutdown. Safe from any task.
///
/// Answers are read from the socket one read at a time, and the next read is asked for only
/// after the last one was taken in (decision 0017): a pull answer is parsed one operation at a
/// time (`PullStreamParser`) and the connection is closed as soon as the answer passes this
/// client's byte bound (at its head already, when an announced `Content-Length` does), so a
/// hostile or broken server cannot make this process read more than the bound plus one read.
public final class SyncClient: Sendable {
    public let baseURL: URL
    private let token: String
    private let connector: HTTPConnector

    /// - Parameters:
    ///   - baseURL: the server, e.g. `http://127.0.0.1:7700` (`/v1/...` is appended).
    ///   - token: the device token printed by `omnisonicd sync-server add-device`.
    ///   - trustedCertificates: a PEM file of certificates trusted beside the system's roots,
    ///     for an `https` server whose certificate they sign.
    public init(baseURL: URL, token: String, trustedCertificates: String? = nil) {
        self.baseURL = baseURL
        self.token = token
        connector = HTTPConnector(secure: baseURL.scheme?.lowercased() == "https", trustedCertificates: trustedCertificates)
    }

    /// Bytes this client has read from its connections (before TLS): what its bounds let in.
    var socketBytesRead: Int { connector.socketBytesRead.load(ordering: .relaxed) }

    /// Sends a batch. Idempotent: sending the same operations again appends nothing.
    ///
    /// - Parameter device: this library's device id (`Library.deviceID()`), sent as
    ///   `Omnisonic-Device`: the server binds the token to it at the first push and refuses a
    ///   token whose library's id changed (decision 0017). Nil lets the server take the id of the
    ///   batch's last operation.
    /// - Throws: `SyncError` (`unauthorized`, `tooLarge`, `rateLimited`, `invalid`, `forbidden`,
    ///   `quotaExceeded`, `deviceQuotaExceeded` from the server's answer; `unavailable` when it
    ///   cannot be reached or answers garbage).
    public func push(_ ops: [UserOperation], device: String? = nil) async throws(SyncError) -> PushResponse {
        let body: Data
        do {
            body = try JSONEncoder().encode(PushRequest(ops: ops))
        } catch {
            throw SyncError(.invalid, message: "operations cannot be encoded", detail: "\(error)")
        }
        var headers = [("Content-Type", "application/json")]
        if let device { headers.append(("Omnisonic-Device", device)) }
        let request = HTTPConnector.Request(method: .POST, url: baseURL.appendingPathComponent("v1/push"), headers: headers,
                                            body: Array(body), timeout: 30)
        let answer = try await send(request, mode: .collect(maxBytes: 64 << 10))
        guard case .body(let data) = answer else { throw SyncError(.unavailable, message: "no push answer") }
        do {
            return try JSONDecoder().decode(PushResponse.self, from: Data(data))
        } catch {
            throw SyncError(.unavailable, message: "the sync server's answer cannot be read", detail: "\(error)")
        }
    }

    /// The operations after `cursor`; with `wait` > 0 the server holds the request until some
    /// arrive or `wait` seconds pass. `acknowledge`: this device has applied everything through
    /// `cursor` and nothing it sent awaits an acknowledgement (lets the server collect tombstones).
    ///
    /// The answer is bounded (decision 0017): the server is asked for at most `maxBytes` of
    /// operations (`bytes=`); the answer is read as it arrives, one operation at a time, and the
    /// transfer is cancelled once it passes `maxBytes` plus one operation of `maxOperationBytes`
    /// (`tooLarge`), or when one operation is longer than `maxOperationBytes` (`tooLarge`).
    /// Nothing of a refused answer is returned, so nothing of it is applied and the caller's
    /// cursor stays where it was; asking again with a smaller `limit` gets a smaller answer.
    public func pull(after cursor: Int64, limit: Int = 1000, wait: Double = 0, acknowledge: Bool = false,
                     maxBytes: Int = SyncClient.maxPullBytes) async throws(SyncError) -> PullResponse {
        guard var components = URLComponents(url: baseURL.appendingPathComponent("v1/pull"), resolvingAgainstBaseURL: false) else {
            throw SyncError(.invalid, message: "not a URL: \(baseURL)")
        }
        components.queryItems = [URLQueryItem(name: "after", value: String(cursor)), URLQueryItem(name: "limit", value: String(limit)),
                                 URLQueryItem(name: "wait", value: String(Int(wait))), URLQueryItem(name: "bytes", value: String(maxBytes))]
            + (acknowledge ? [URLQueryItem(name: "ack", value: String(cursor))] : [])
        guard let url = components.url else { throw SyncError(.invalid, message: "not a URL: \(baseURL)") }
        let request = HTTPConnector.Request(method: .GET, url: url, headers: [], body: nil, timeout: wait + 15)
        // The server fills a page up to `maxBytes` and may pass it by one operation (a page
        // always moves the cursor); the envelope is a few dozen bytes more.
        let answer = try await send(request, mode: .pull(maxBytes: maxBytes + Self.maxOperationBytes + 4096,
                                                         maxOperationBytes: Self.maxOperationBytes))
        guard case .pull(let response) = answer else { throw SyncError(.unavailable, message: "no pull answer") }
        return response
    }

    /// The most bytes of operations a pull asks for.
    public static let maxPullBytes = 4 << 20
    /// The largest operation accepted from the server (the server's own bound, `maxOpBytes`).
    public static let maxOperationBytes = 1 << 20

    private func send(_ request: HTTPConnector.Request, mode: Transfer.Mode) async throws(SyncError) -> Transfer.Outcome {
        var request = request
        request.headers.append(("Authorization", "Bearer \(token)"))
        let result = await connector.exchange(request, into: Transfer(mode: mode))
        let outcome = try result.get()
        guard case .refused(let status, let body, let retryAfter) = outcome else { return outcome }
        let message = (try? JSONDecoder().decode(ErrorBody.self, from: Data(body)))?.error
        let reason: SyncError.Reason = switch (status, message?.code) {
        case (401, _): .unauthorized
        case (413, _): .tooLarge
        case (429, _): .rateLimited
        case (400, _): .invalid
        case (507, SyncError.Reason.deviceQuotaExceeded.rawValue): .deviceQuotaExceeded
        case (507, _): .quotaExceeded
        case (403, _): .forbidden
        default: .unavailable
        }
        throw SyncError(reason, message: "the sync server refused: \(message?.message ?? "HTTP \(status)")", detail: retryAfter ?? "")
    }

    private struct ErrorBody: Decodable {
        struct Inner: Decodable { var code: String; var message: String }
        var error: Inner
    }
}

/// One request's answer as it arrives, within its bounds (`SyncClient.send`). Fed in order by
/// its connection's event loop (`HTTPConnector`); resumes its continuation exactly once, at
/// completion or refusal.
final class Transfer: Sendable {
    enum Mode: Sendable {
        /// Keep the body, at most `maxBytes` (a push answer).
        case collect(maxBytes: Int)
        /// Parse a pull answer as it arrives: at most `maxBytes` in all, `maxOperationBytes` per operation.
        case pull(maxBytes: Int, maxOperationBytes: Int)
    }

    enum Outcome: Sendable {
        case body([UInt8])
        case pull(PullResponse)
        /// Any status but 200: the status, the start of the body (an error message), `Retry-After`.
        case refused(status: Int, body: [UInt8], retryAfter: String?)
    }

    /// The most of an error answer kept (its message is a few hundred bytes).
    static let maxErrorBytes = 64 << 10

    private struct State: ~Copyable {
        var continuation: CheckedContinuation<Result<Outcome, SyncError>, Never>?
        var status = 0
        var retryAfter: String?
        var received = 0
        var body: [UInt8] = []
        var parser: PullStreamParser?
        var failure: SyncError?
        /// `begin` was called; before it, a completion is kept in `early` (a request cancelled
        /// before it started).
        var begun = false
        var early: Result<Outcome, SyncError>?
    }

    let mode: Mode
    private let state = Mutex(State())

    init(mode: Mode) { self.mode = mode }

    func begin(_ continuation: CheckedContinuation<Result<Outcome, SyncError>, Never>) {
        let early = state.withLock { state -> Result<Outcome, SyncError>? in
            state.begun = true
            if state.early == nil { state.continuation = continuation }
            return state.early
        }
        if let early { continuation.resume(returning: early) }
    }

    /// The head arrived: false refuses the body (a 200 whose announced length is past the bound).
    func received(status: Int, retryAfter: String?, expectedLength: Int64) -> Bool {
        state.withLock { state in
            state.status = status
            state.retryAfter = retryAfter
            guard status == 200 else { return true }
            switch mode {
            case .collect(let maxBytes):
                if expectedLength > Int64(maxBytes) { state.failure = Self.tooLarge(maxBytes); return false }
            case .pull(let maxBytes, let maxOperationBytes):
                if expectedLength > Int64(maxBytes) { state.failure = Self.tooLarge(maxBytes); return false }
                state.parser = PullStreamParser(maxOperationBytes: maxOperationBytes)
            }
            return true
        }
    }

    /// A chunk of the body arrived: false ends the transfer (a bound passed, or not a pull answer).
    func received(_ data: some Collection<UInt8>) -> Bool {
        state.withLock { state in
            guard state.failure == nil else { return false }
            state.received += data.count
            guard state.status == 200 else {
                // An error's message: keep its start, stop reading a flood.
                if state.body.count < Self.maxErrorBytes { state.body += data.prefix(Self.maxErrorBytes - state.body.count) }
                return state.received <= Self.maxErrorBytes
            }
            switch mode {
            case .collect(let maxBytes):
                guard state.received <= maxBytes else { state.failure = Self.tooLarge(maxBytes); return false }
                state.body += data
            case .pull(let maxBytes, _):
                guard state.received <= maxBytes else { state.failure = Self.tooLarge(maxBytes); return false }
                do {
                    try state.parser?.feed(data)
                } catch PullStreamParser.Failure.operationTooLarge(let bound) {
                    state.failure = SyncError(.tooLarge, message: "the sync server sent an operation larger than \(bound) bytes; nothing of its answer was applied")
                    return false
                } catch {
                    state.failure = SyncError(.unavailable, message: "the sync server's answer cannot be read; nothing of it was applied", detail: "\(error)")
                    return false
                }
            }
            return true
        }
    }

    /// The transfer ended (`error` nil: the whole body arrived, or it was refused with its
    /// failure recorded). Later calls find nobody to resume.
    func completed(_ error: (any Error)?) {
        let (continuation, result) = state.withLock { state -> (CheckedContinuation<Result<Outcome, SyncError>, Never>?, Result<Outcome, SyncError>) in
            let continuation = state.continuation
            state.continuation = nil
            if !state.begun, state.early == nil {
                state.early = .failure(SyncError(.unavailable, message: "the sync server cannot be reached",
                                                 detail: error.map { "\($0)" } ?? "ended before it began"))
            }
            if let failure = state.failure { return (continuation, .failure(failure)) }
            if let error {
                return (continuation, .failure(SyncError(.unavailable, message: "the sync server cannot be reached", detail: "\(error)")))
            }
            guard state.status == 200 else {
                return (continuation, .success(.refused(status: state.status, body: state.body, retryAfter: state.retryAfter)))
            }
            if let parser = state.parser {
                do {
                    return (continuation, .success(.pull(try parser.finish())))
                } catch {
                    return (continuation, .failure(SyncError(.unavailable, message: "the sync server's answer cannot be read; nothing of it was applied",
                                                             detail: "\(error)")))
                }
            }
            return (continuation, .success(.body(state.body)))
        }
        continuation?.resume(returning: result)
    }

    private static func tooLarge(_ bound: Int) -> SyncError {
        SyncError(.tooLarge, message: "the sync server's answer is larger than \(bound) bytes, this device's bound; nothing of it was applied")
    }
}
