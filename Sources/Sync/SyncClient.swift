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
///
/// Answers are received through a session delegate, chunk by chunk as libcurl's write callback
/// hands them over, never collected by URLSession first (decision 0017): a pull answer is parsed
/// one operation at a time (`PullStreamParser`) and the transfer is cancelled as soon as it
/// passes this client's byte bound (its `Content-Length` already, when the server sends one), so
/// a hostile or broken server cannot make this process hold more than about the bound.
public final class SyncClient: Sendable {
    public let baseURL: URL
    private let token: String
    private let session: URLSession
    private let transfers: TransferDelegate

    /// - Parameters:
    ///   - baseURL: the server, e.g. `http://127.0.0.1:7700` (`/v1/...` is appended).
    ///   - token: the device token printed by `omnisonicd sync-server add-device`.
    public init(baseURL: URL, token: String) {
        self.baseURL = baseURL
        self.token = token
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 4
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        transfers = TransferDelegate()
        // A nil queue: URLSession makes a serial one, so each transfer's chunks arrive in order.
        session = URLSession(configuration: configuration, delegate: transfers, delegateQueue: nil)
    }

    deinit { session.finishTasksAndInvalidate() }

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
        var request = URLRequest(url: baseURL.appendingPathComponent("v1/push"))
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let device { request.setValue(device, forHTTPHeaderField: "Omnisonic-Device") }
        request.timeoutInterval = 30
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
        var request = URLRequest(url: url)
        request.timeoutInterval = wait + 15
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

    private func send(_ request: URLRequest, mode: Transfer.Mode) async throws(SyncError) -> Transfer.Outcome {
        var request = request
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let transfer = Transfer(mode: mode)
        let taskBox = Mutex<URLSessionDataTask?>(nil)
        let transfers = self.transfers, session = self.session
        let result: Result<Transfer.Outcome, SyncError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.begin(continuation)
                let task = session.dataTask(with: request)
                transfers.register(task, transfer)
                taskBox.withLock { $0 = task }
                task.resume()
                if Task.isCancelled { task.cancel() }
            }
        } onCancel: {
            taskBox.withLock { $0 }?.cancel()
        }
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
/// the session's serial delegate queue; resumes its continuation exactly once, at completion.
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
    }

    let mode: Mode
    private let state = Mutex(State())

    init(mode: Mode) { self.mode = mode }

    func begin(_ continuation: CheckedContinuation<Result<Outcome, SyncError>, Never>) {
        state.withLock { $0.continuation = continuation }
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

    /// A chunk of the body arrived: false cancels the transfer (a bound passed, or not a pull answer).
    func received(_ data: Data) -> Bool {
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

    /// The transfer ended (`error` nil: the whole body arrived).
    func completed(_ error: (any Error)?) {
        let (continuation, result) = state.withLock { state -> (CheckedContinuation<Result<Outcome, SyncError>, Never>?, Result<Outcome, SyncError>) in
            let continuation = state.continuation
            state.continuation = nil
            if let failure = state.failure { return (continuation, .failure(failure)) }
            if let error {
                return (continuation, .failure(SyncError(.unavailable, message: "the sync server cannot be reached", detail: error.localizedDescription)))
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

/// The session's delegate: hands each task's head, chunks and end to its `Transfer`.
final class TransferDelegate: NSObject, URLSessionDataDelegate, Sendable {
    private let transfers = Mutex<[Int: Transfer]>([:])

    func register(_ task: URLSessionTask, _ transfer: Transfer) {
        transfers.withLock { $0[task.taskIdentifier] = transfer }
    }

    private func transfer(_ task: URLSessionTask) -> Transfer? {
        transfers.withLock { $0[task.taskIdentifier] }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        guard let transfer = transfer(dataTask), let http = response as? HTTPURLResponse else {
            completionHandler(.cancel)
            return
        }
        let accepted = transfer.received(status: http.statusCode, retryAfter: http.value(forHTTPHeaderField: "Retry-After"),
                                         expectedLength: http.expectedContentLength)
        completionHandler(accepted ? .allow : .cancel)
        if !accepted { refuse(dataTask, transfer) }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        if let transfer = transfer(dataTask), !transfer.received(data) { refuse(dataTask, transfer) }
    }

    /// Stops a transfer that passed its bound and answers its caller now. libcurl goes on reading
    /// after a `.cancel` disposition, and FoundationNetworking's `cancel()` is sometimes lost
    /// after one: the whole announced body (900 MB in a test) was then read before the task
    /// completed. So the caller is not kept waiting for that completion: `completed(nil)` resumes
    /// it with the refusal already recorded, and the later completion finds nobody to resume.
    private func refuse(_ task: URLSessionDataTask, _ transfer: Transfer) {
        task.cancel()
        transfer.completed(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let transfer = transfers.withLock { $0.removeValue(forKey: task.taskIdentifier) }
        transfer?.completed(error)
    }
}
