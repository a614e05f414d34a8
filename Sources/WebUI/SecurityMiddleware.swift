import Foundation
import HTTPTypes
import Hummingbird
import OmniModel

/// Refuses requests a page on another site could make the browser send (DNS rebinding,
/// cross-site form posts) and, when a token is configured, requests without it.
///
/// - `Host` must name this server: the bound address, `localhost`, `127.0.0.1`, `[::1]` or a
///   configured name, with no port or the bound port → else 421 `bad_host`.
/// - A mutating request (POST, PUT, PATCH, DELETE) with an `Origin` must come from one of
///   those hosts on the bound port → else 403 `bad_origin`.
/// - With an access token, every request but `GET /healthz` must carry it → else 401 `unauthorized`.
struct SecurityMiddleware<Context: RequestContext>: RouterMiddleware {
    let hosts: Set<String>
    let token: String?
    let address: ListenAddress.Bound
    /// Path prefixes of mounts (`HTTPMount`): they authenticate their own requests.
    let mountPrefixes: [String]

    init(configuration: APIServerConfiguration, address: ListenAddress.Bound) {
        var hosts: Set<String> = ["localhost", "127.0.0.1", "[::1]"]
        let bound = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        if bound != "0.0.0.0", bound != "[::]" { hosts.insert(bound.lowercased()) }
        for name in configuration.allowedHosts { hosts.insert(name.lowercased()) }
        self.hosts = hosts
        self.token = configuration.accessToken
        self.address = address
        self.mountPrefixes = configuration.mounts.map(\.pathPrefix)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let port = address.port
        guard let authority = request.head.authority, isOwn(authority: authority, port: port) else {
            throw APIError(.misdirectedRequest, "bad_host", "this server does not answer for that Host")
        }
        // A mount (the OpenSubsonic API) checks its own credentials, sent in every request:
        // a page on another site cannot forge them, so its forms need no Origin check.
        let path = request.uri.path
        if mountPrefixes.contains(where: { path.hasPrefix($0) }) { return try await next(request, context) }
        switch request.method {
        case .post, .put, .patch, .delete:
            if let origin = request.headers[.origin], !isOwn(origin: origin, port: port) {
                throw APIError(.forbidden, "bad_origin", "requests that change data must come from this server's own pages")
            }
        default:
            break
        }
        if let token, !(request.method == .get && request.uri.path == "/healthz") {
            guard Self.presented(token: token, in: request) else {
                throw APIError(.unauthorized, "unauthorized", "an access token is required",
                               headers: [.wwwAuthenticate: "Bearer"])
            }
        }
        return try await next(request, context)
    }

    /// `host` or `host:port` (IPv6 in brackets).
    func isOwn(authority: String, port: Int?) -> Bool {
        let lower = authority.lowercased()
        var host = lower
        var given: Substring?
        if let colon = lower.lastIndex(of: ":"), !lower[colon...].contains("]") {
            host = String(lower[..<colon])
            given = lower[lower.index(after: colon)...]
        }
        guard hosts.contains(host) else { return false }
        guard let given else { return true }
        return port.map { String($0) == given } ?? false
    }

    /// `http://host:port` exactly (an Origin never has a path).
    func isOwn(origin: String, port: Int?) -> Bool {
        guard origin.lowercased().hasPrefix("http://") else { return false }
        let authority = String(origin.dropFirst("http://".count))
        guard !authority.contains("/"), let port else { return false }
        return authority.hasSuffix(":\(port)") && isOwn(authority: authority, port: port)
    }

    static func presented(token: String, in request: Request) -> Bool {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            return constantTimeEqual(String(header.dropFirst(7)), token)
        }
        if let query = request.uri.queryParameters.get("token") {
            return constantTimeEqual(query, token)
        }
        return false
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<min(x.count, y.count) { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}

/// Headers on every response (errors included) that keep the browser from using the pages in
/// ways they were not written for.
///
/// - `Content-Security-Policy`: scripts, styles, images, audio and connections only from this
///   server (`web/` is plain ES modules, no inline script or style), no plugins, no `<base>`,
///   forms post only here, and `frame-ancestors 'none'`: no other site can frame the UI
///   (clickjacking).
/// - `X-Frame-Options: DENY` for browsers without `frame-ancestors`, `X-Content-Type-Options:
///   nosniff`, `Referrer-Policy: no-referrer` (an address may carry `?token=`),
///   `Cross-Origin-Opener-Policy: same-origin`.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var contentSecurityPolicy: String {
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
            + "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    }

    static var xFrameOptions: HTTPField.Name { HTTPField.Name("X-Frame-Options")! }
    static var referrerPolicy: HTTPField.Name { HTTPField.Name("Referrer-Policy")! }
    static var crossOriginOpenerPolicy: HTTPField.Name { HTTPField.Name("Cross-Origin-Opener-Policy")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.xFrameOptions] = "DENY"
        response.headers[Self.referrerPolicy] = "no-referrer"
        response.headers[Self.crossOriginOpenerPolicy] = "same-origin"
        return response
    }
}
