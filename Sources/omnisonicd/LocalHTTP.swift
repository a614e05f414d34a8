import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small blocking HTTP client for the CLI's own needs (`status` asks the daemon, `doctor` asks
/// the sync server's `/healthz`): one GET through Foundation's `URLSession`, as the sync client
/// uses (decision 0013), with a timeout. Not for the daemon itself.
enum LocalHTTP {
    struct Response {
        var status: Int
        var body: Data
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// GETs `path` from `host:port` (an IP literal or a name) over plain HTTP.
    ///
    /// - Throws: `Failure` saying what failed (resolving, connecting, no answer in time).
    static func get(host: String, port: Int, path: String, headers: [String: String] = [:],
                    timeout: Double = 5) throws(Failure) -> Response {
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        guard let url = URL(string: "http://\(authority)\(path)") else {
            throw Failure(description: "not an address: \(authority)\(path)")
        }
        return try get(url, headers: headers, timeout: timeout)
    }

    /// GETs `url` (http or https).
    ///
    /// - Throws: `Failure` saying what failed (resolving, connecting, TLS, no answer in time).
    static func get(_ url: URL, headers: [String: String] = [:], timeout: Double = 5) throws(Failure) -> Response {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let session = URLSession(configuration: .ephemeral)
        defer { session.invalidateAndCancel() }
        let outcome = Outcome()
        session.dataTask(with: request) { data, response, error in
            if let error {
                outcome.finish(.failure(Failure(description: error.localizedDescription)))
            } else if let http = response as? HTTPURLResponse {
                outcome.finish(.success(Response(status: http.statusCode, body: data ?? Data())))
            } else {
                outcome.finish(.failure(Failure(description: "the answer is not HTTP")))
            }
        }.resume()
        return try outcome.wait().get()
    }

    /// The result of one transfer, handed from URLSession's queue to the waiting thread.
    private final class Outcome: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var result: Result<Response, Failure>?

        func finish(_ result: Result<Response, Failure>) {
            self.result = result
            done.signal()
        }

        /// Blocks until `finish` (the semaphore orders the write before this read).
        func wait() -> Result<Response, Failure> {
            done.wait()
            return result!
        }
    }

    /// The address to connect to for a listening address: a wildcard means this computer.
    static func connectHost(forListening host: String) -> String {
        switch host {
        case "0.0.0.0": "127.0.0.1"
        case "::", "[::]": "::1"
        default: host
        }
    }
}
