import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OmniModel
import Synchronization

/// The HTTP side of the sync client: push and (long-poll) pull against a sync server.
///
/// Built on Foundation's `URLSession` (FoundationNetworking, libcurl on Linux): HTTP/1.1 with
/// keep-alive and TLS through the system's libcurl, no extra package to build (async-http-client
/// would add minutes to every clean build for two request shapes; decision 0013). Requests are
/// cancellable: cancelling the awaiting task cancels the transfer, so a long poll never holds a
/// shutdown. Safe from any task.
public final class SyncClient: Sendable {
    public let baseURL: URL
    private let token: String
    private let session: URLSession

    /// - Parameters:
    ///   - baseURL: the server, e.g. `http://127.0.0.1:7700` (`/v1/...` is appended).
    ///   - token: the device token printed by `omnisonicd sync-server add-device`.
    public init(baseURL: URL, token: String) {
        self.baseURL = baseURL
        self.token = token
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 4
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    deinit { session.finishTasksAndInvalidate() }

    /// Sends a batch. Idempotent: sending the same operations again appends nothing.
    ///
    /// - Throws: `SyncError` (`unauthorized`, `tooLarge`, `rateLimited`, `invalid` from the
    ///   server's answer; `unavailable` when it cannot be reached or answers garbage).
    public func push(_ ops: [UserOperation]) async throws(SyncError) -> PushResponse {
        let body: Data
        do {
            body = try JSONEncoder().encode(PushRequest(ops: ops))
        } catch {
            throw SyncError(.invalid, message: "operations cannot be encoded", detail: "\(error)")
        }
        var request = URLRequest(url: baseURL.appendingPathComponent("v1/push"))
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.timeoutInterval = 30
        return try await send(request, as: PushResponse.self)
    }

    /// The operations after `cursor`; with `wait` > 0 the server holds the request until some
    /// arrive or `wait` seconds pass. `acknowledge`: this device has applied everything through
    /// `cursor` and nothing it sent awaits an acknowledgement (lets the server collect tombstones).
    ///
    /// The answer is bounded (decision 0017): the server is asked for at most `maxBytes` of
    /// operations (`bytes=`); an answer longer than that plus one operation of
    /// `maxOperationBytes` is refused (`unavailable`) before it is decoded, and nothing of it is applied.
    public func pull(after cursor: Int64, limit: Int = 1000, wait: Double = 0, acknowledge: Bool = false,
                     maxBytes: Int = SyncClient.maxPullBytes) async throws(SyncError) -> PullResponse {
        guard var components = URLComponents(url: baseURL.appendingPathComponent("v1/pull"), resolvingAgainstBaseURL: false) else {
            throw SyncError(.invalid, message: "not a URL: \(baseURL)")
        }
        components.queryItems = [URLQueryItem(name: "after", value: String(cursor)), URLQueryItem(name: "limit", value: String(limit)),
                                 URLQueryItem(name: "wait", value: String(Int(wait))), URLQueryItem(name: "bytes", value: String(maxBytes))]
            + (acknowledge ? [URLQueryItem(name: "ack", value: String(cursor))] : [])
        guard let url = components.url else { throw SyncError(.invalid, message: "not a URL: \(baseURL)") }
        var request = URLRequest(url: url)
        request.timeoutInterval = wait + 15
        // The server fills a page up to `maxBytes` and may pass it by one operation (a page
        // always moves the cursor); anything longer is refused before it is decoded. Checking
        // each operation's size again would cost a re-encoding per operation (it doubled the
        // catch-up time of a debug daemon in bench/sync/big_pull.py).
        return try await send(request, as: PullResponse.self, maxBytes: maxBytes + Self.maxOperationBytes + 4096)
    }

    /// The most bytes of operations a pull asks for.
    public static let maxPullBytes = 4 << 20
    /// The largest operation accepted from the server (the server's own bound, `maxOpBytes`).
    public static let maxOperationBytes = 1 << 20

    private func send<T: Decodable>(_ request: URLRequest, as type: T.Type, maxBytes: Int = 1 << 20) async throws(SyncError) -> T {
        var request = request
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, status, retryAfter) = try await transfer(request)
        guard data.count <= maxBytes else {
            throw SyncError(.unavailable, message: "the sync server's answer is larger than \(maxBytes) bytes; it was not applied")
        }
        guard status == 200 else {
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error.message ?? "HTTP \(status)"
            let reason: SyncError.Reason = switch status {
            case 401: .unauthorized
            case 413: .tooLarge
            case 429: .rateLimited
            case 400: .invalid
            case 507: .quotaExceeded
            case 403: .forbidden
            default: .unavailable
            }
            throw SyncError(reason, message: "the sync server refused: \(message)", detail: retryAfter ?? "")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw SyncError(.unavailable, message: "the sync server's answer cannot be read", detail: "\(error)")
        }
    }

    private struct ErrorBody: Decodable {
        struct Inner: Decodable { var code: String; var message: String }
        var error: Inner
    }

    /// One request, cancellable, as (body, status, Retry-After).
    private func transfer(_ request: URLRequest) async throws(SyncError) -> (Data, Int, String?) {
        let taskBox = Mutex<URLSessionDataTask?>(nil)
        let result: Result<(Data, Int, String?), SyncError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let task = session.dataTask(with: request) { data, response, error in
                    if let error {
                        continuation.resume(returning: .failure(SyncError(.unavailable, message: "the sync server cannot be reached",
                                                                          detail: error.localizedDescription)))
                        return
                    }
                    guard let http = response as? HTTPURLResponse else {
                        continuation.resume(returning: .failure(SyncError(.unavailable, message: "no HTTP answer from the sync server")))
                        return
                    }
                    continuation.resume(returning: .success((data ?? Data(), http.statusCode,
                                                             http.value(forHTTPHeaderField: "Retry-After"))))
                }
                taskBox.withLock { $0 = task }
                task.resume()
                if Task.isCancelled { task.cancel() }
            }
        } onCancel: {
            taskBox.withLock { $0 }?.cancel()
        }
        return try result.get()
    }
}
