import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import OmniModel
import QRCode

// The administration page of the sync server (decision 0022): `/admin/` (plain HTML, CSS and
// ES modules from `SyncServerConfiguration.adminAssets`) and its JSON API under `/admin/api/`.
//
//   GET  /admin/api/overview                users, devices, storage, health, traffic, audit log
//   POST /admin/api/devices                 {"user","name","url"} → the new token (shown once), settings, QR code
//   POST /admin/api/devices/:id/rename      {"name"}
//   POST /admin/api/devices/:id/revoke
//   POST /admin/api/users/:id/compact
//   POST /admin/api/users/:id/delete        {"confirm": <the user's name>}
//
// Everything under /admin answers 404 until an administrator token exists (`sync-server
// admin-token`). Every API request needs `Authorization: Bearer <admin token>` — never a cookie,
// never the URL (a `token` query parameter is refused) — and is refused when the browser says it
// comes from another origin (`Sec-Fetch-Site`, `Origin`). Every response carries the web UI's
// security headers (CSP without inline script or style, `frame-ancestors 'none'`).

/// The administration page's files: a fixed list, so no path from a request reaches the disk.
enum AdminAssets {
    static let files: [String: String] = [
        "index.html": "text/html; charset=utf-8",
        "admin.css": "text/css; charset=utf-8",
        "main.js": "text/javascript; charset=utf-8",
        "api.js": "text/javascript; charset=utf-8",
        "views.js": "text/javascript; charset=utf-8",
    ]
}

/// The security headers of the daemon's web UI (`WebUI/SecurityMiddleware.swift`,
/// `SecurityHeadersMiddleware`), the same values: the page is plain ES modules, no inline script
/// or style; `data:` images for the QR code.
enum AdminHeaders {
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        + "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static func secure(_ response: Response) -> Response {
        var response = response
        response.headers[.contentSecurityPolicy] = contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

extension SyncServer {
    func addAdminRoutes(to router: Router<BasicRequestContext>) {
        // `/admin` and `/admin/` (one route: the router does not tell them apart); the page's
        // URLs are absolute (`/admin/…`), so either address works.
        router.get("/admin") { _, _ in await self.adminAsset("index.html") }
        router.get("/admin/{file}") { _, context in await self.adminAsset(context.parameters.get("file") ?? "") }
        router.get("/admin/api/overview") { request, _ in
            await self.admin(request) { (_: String) throws(SyncError) in try await self.overview() }
        }
        router.post("/admin/api/devices") { request, _ in
            await self.admin(request) { (actor: String) throws(SyncError) in try await self.addDevice(request, actor: actor) }
        }
        router.post("/admin/api/devices/{id}/rename") { request, context in
            let id = context.parameters.get("id").flatMap { Int64($0) }
            return await self.admin(request) { (actor: String) throws(SyncError) in try await self.renameDevice(id, request, actor: actor) }
        }
        router.post("/admin/api/devices/{id}/revoke") { request, context in
            let id = context.parameters.get("id").flatMap { Int64($0) }
            return await self.admin(request) { (actor: String) throws(SyncError) in try await self.revokeDevice(id, actor: actor) }
        }
        router.post("/admin/api/users/{id}/compact") { request, context in
            let id = context.parameters.get("id").flatMap { Int64($0) }
            return await self.admin(request) { (actor: String) throws(SyncError) in try await self.compactUser(id, actor: actor) }
        }
        router.post("/admin/api/users/{id}/delete") { request, context in
            let id = context.parameters.get("id").flatMap { Int64($0) }
            return await self.admin(request) { (actor: String) throws(SyncError) in try await self.deleteUser(id, request, actor: actor) }
        }
    }

    static let adminOff = SyncError(.notFound, message: "the administration page is off: create an administrator token with `omnisonicd sync-server admin-token`")

    /// The page is served only once an administrator token exists (and its files were found).
    func adminEnabled() async throws(SyncError) -> Bool {
        guard configuration.adminAssets != nil else { return false }
        return try await configuration.storage.adminTokenCount() > 0
    }

    private func adminAsset(_ name: String) async -> Response {
        guard let type = AdminAssets.files[name], let folder = configuration.adminAssets,
              (try? await adminEnabled()) == true,
              let data = FileManager.default.contents(atPath: folder + "/" + name) else {
            return AdminHeaders.secure(Self.json(Self.errorBody(Self.adminOff), status: .notFound))
        }
        return AdminHeaders.secure(Response(status: .ok, headers: [.contentType: type],
                                            body: .init(byteBuffer: ByteBuffer(bytes: data))))
    }

    /// Whether the browser says this request comes from a page of another origin.
    ///
    /// `Sec-Fetch-Site` is set by the browser and cannot be forged by a page; `Origin` must name
    /// the host the request was sent to (`Host`, or `X-Forwarded-Host` from a reverse proxy,
    /// which a page of another origin cannot set without a CORS preflight this server never
    /// approves). Requests without either (curl, scripts) are not from a browser page.
    static func isCrossOrigin(_ request: Request) -> Bool {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" { return true }
        guard let origin = request.headers[.origin] else { return false }
        guard let url = URL(string: origin), let scheme = url.scheme, let host = url.host else { return true }
        let defaultPort = scheme == "https" ? 443 : 80
        let originAuthority = host.lowercased() + ((url.port ?? defaultPort) == defaultPort ? "" : ":\(url.port!)")
        func normalized(_ authority: String) -> String {
            let lower = authority.lowercased()
            for suffix in [":\(defaultPort)"] where lower.hasSuffix(suffix) { return String(lower.dropLast(suffix.count)) }
            return lower
        }
        let forwarded = request.headers[HTTPField.Name("X-Forwarded-Host")!]?.split(separator: ",").first
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let candidates = [request.head.authority, forwarded].compactMap { $0 }.map(normalized)
        return !candidates.contains(originAuthority)
    }

    /// Runs an administration request: the page must be on, the request same-origin, the token
    /// in the `Authorization` header and known; `body` gets the token's name (the audit log's "who").
    private func admin(_ request: Request, _ body: (String) async throws(SyncError) -> Response) async -> Response {
        let response = await respond { () throws(SyncError) -> Response in
            guard try await adminEnabled() else { throw Self.adminOff }
            if Self.isCrossOrigin(request) {
                throw SyncError(.forbidden, message: "administration requests must come from the administration page itself (cross-origin request refused)")
            }
            if request.uri.queryParameters["token"] != nil || request.uri.queryParameters["access_token"] != nil {
                throw SyncError(.invalid, message: "the administrator token goes in the Authorization header, never in a URL")
            }
            guard let token = Self.bearer(request), let name = try await configuration.storage.adminName(tokenHash: DeviceToken.hash(token)) else {
                throw SyncError(.unauthorized, message: "an administrator token is required (Authorization: Bearer <token from sync-server admin-token>)")
            }
            if request.method == .post {
                let type = request.headers[.contentType] ?? ""
                guard type.lowercased().hasPrefix("application/json") else {
                    throw SyncError(.invalid, message: "administration requests send application/json")
                }
            }
            return try await body("admin \(name)")
        }
        return AdminHeaders.secure(response)
    }

    private func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws(SyncError) -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 16 << 10)
        } catch {
            throw SyncError(.tooLarge, message: "an administration request is at most 16 KiB")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw SyncError(.invalid, message: "the body is not the JSON this request takes", detail: "\(error)")
        }
    }

    private static func encode(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return json(Array((try? encoder.encode(value)) ?? Data("{}".utf8)))
    }

    private func record(_ actor: String, _ action: String, _ detail: String) async {
        let entry = AuditEntry(at: Int64(Date().timeIntervalSince1970), actor: actor, action: action, detail: detail)
        configuration.logger.notice("administration", metadata: ["who": "\(actor)", "what": "\(action)", "detail": "\(detail)"])
        do {
            try await configuration.storage.audit(entry)
        } catch {
            configuration.logger.error("the audit log could not be written", metadata: ["detail": "\(error.expandedDescription)"])
        }
    }

    /// A user or device name: 1 to 100 bytes, no control characters.
    public static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 100 && !name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    // MARK: - Handlers

    struct Overview: Encodable {
        struct Health: Encodable {
            var database: String
            var databaseError: String?
            var databaseMilliseconds: Double
            var compactionEveryMinutes: Double?
            var keepTail: Int64
            var lastCompactionAt: Int64?
            var lastCompactionRemoved: Int?
            var lastCompactionError: String?
            var startedAt: Int64
            var now: Int64
        }
        var users: [UserRecord]
        var devices: [DeviceRecord]
        var health: Health
        var traffic: SyncServerCounters.Snapshot
        var audit: [AuditEntry]
    }

    func overview() async throws(SyncError) -> Response {
        let started = ContinuousClock.now
        var databaseError: String?
        do {
            _ = try await configuration.storage.totals()
        } catch {
            databaseError = error.message
        }
        let elapsed = ContinuousClock.now - started
        let users = try await configuration.storage.users()
        let devices = try await configuration.storage.listDevices()
        let audit = try await configuration.storage.auditLog(limit: 100)
        let traffic = counters.snapshot()
        let health = Overview.Health(
            database: databaseError == nil ? "ok" : "failing", databaseError: databaseError,
            databaseMilliseconds: Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000,
            compactionEveryMinutes: configuration.compactionInterval.map { Double($0.components.seconds) / 60 },
            keepTail: configuration.keepTail,
            lastCompactionAt: traffic.lastCompactionAt, lastCompactionRemoved: traffic.lastCompactionRemoved,
            lastCompactionError: traffic.lastCompactionError,
            startedAt: traffic.startedAt, now: Int64(Date().timeIntervalSince1970))
        return Self.encode(Overview(users: users, devices: devices, health: health, traffic: traffic, audit: audit))
    }

    struct NewDevice: Decodable { var user: String; var name: String; var url: String }
    struct AddedDevice: Encodable {
        var id: Int64
        var user: String
        var name: String
        /// Shown once; only its SHA-256 is stored.
        var token: String
        /// The daemon's `config.toml` section for this device.
        var settings: String
        /// `settings` as a QR code (SVG).
        var qr: String
    }

    func addDevice(_ request: Request, actor: String) async throws(SyncError) -> Response {
        let asked = try await decode(NewDevice.self, from: request)
        guard Self.validName(asked.user), Self.validName(asked.name) else {
            throw SyncError(.invalid, message: "the user and the device name are 1 to 100 bytes without control characters")
        }
        guard let url = URL(string: asked.url), ["http", "https"].contains(url.scheme ?? ""), url.host != nil,
              asked.url.utf8.count <= 300, !asked.url.contains("\""), !asked.url.contains("\\") else {
            throw SyncError(.invalid, message: "url must be this server's http(s) address as devices reach it")
        }
        let token = DeviceToken.generate()
        let id = try await configuration.storage.addDevice(user: asked.user, name: asked.name, tokenHash: DeviceToken.hash(token),
                                                           now: Int64(Date().timeIntervalSince1970))
        await record(actor, "device.add", "device \(id) \"\(asked.name)\" of user \"\(asked.user)\"")
        // What the daemon reads from config.toml (README, "Settings"); TOML basic strings, the
        // URL checked above to need no escape, the token hex.
        let settings = "[sync]\nurl = \"\(asked.url)\"\ntoken = \"\(token)\"\n"
        let qr: String
        do {
            qr = try QRCode.svg(text: settings)
        } catch {
            throw SyncError(.invalid, message: (error as? QRCodeError)?.message ?? "the QR code could not be made", detail: "\(error)")
        }
        return Self.encode(AddedDevice(id: id, user: asked.user, name: asked.name, token: token, settings: settings, qr: qr))
    }

    struct Rename: Decodable { var name: String }

    func renameDevice(_ id: Int64?, _ request: Request, actor: String) async throws(SyncError) -> Response {
        guard let id else { throw SyncError(.invalid, message: "a device id is a number") }
        let asked = try await decode(Rename.self, from: request)
        guard Self.validName(asked.name) else { throw SyncError(.invalid, message: "a device name is 1 to 100 bytes without control characters") }
        guard try await configuration.storage.renameDevice(id: id, name: asked.name) else { throw SyncError(.notFound, message: "no device \(id)") }
        await record(actor, "device.rename", "device \(id) renamed \"\(asked.name)\"")
        return Self.json(Array("{\"renamed\":true}".utf8))
    }

    func revokeDevice(_ id: Int64?, actor: String) async throws(SyncError) -> Response {
        guard let id else { throw SyncError(.invalid, message: "a device id is a number") }
        let name = try await configuration.storage.listDevices().first { $0.id == id }.map { "\"\($0.name)\" of user \"\($0.user)\"" } ?? ""
        guard try await configuration.storage.revokeDevice(id: id) else { throw SyncError(.notFound, message: "no device \(id)") }
        // Its waiting pulls in this process wake, check their token and end at once.
        notifier.notifyAll()
        await record(actor, "device.revoke", "device \(id) \(name)")
        return Self.json(Array("{\"revoked\":true}".utf8))
    }

    func compactUser(_ id: Int64?, actor: String) async throws(SyncError) -> Response {
        guard let id, let stream = try await configuration.storage.streams().first(where: { $0.userID == id }) else {
            throw SyncError(.notFound, message: "no such user")
        }
        let through = stream.head - configuration.keepTail
        var result = (kept: 0, removed: 0)
        if through > 0 { result = try await configuration.storage.compact(userID: id, through: through) }
        counters.compacted(result.removed, manual: true)
        await record(actor, "user.compact", "user \"\(stream.user)\": kept \(result.kept), removed \(result.removed)")
        return Self.json(Array("{\"kept\":\(result.kept),\"removed\":\(result.removed)}".utf8))
    }

    struct Confirm: Decodable { var confirm: String }

    func deleteUser(_ id: Int64?, _ request: Request, actor: String) async throws(SyncError) -> Response {
        guard let id, let user = try await configuration.storage.users().first(where: { $0.id == id }) else {
            throw SyncError(.notFound, message: "no such user")
        }
        let asked = try await decode(Confirm.self, from: request)
        guard asked.confirm == user.name else {
            throw SyncError(.invalid, message: "type the user's name exactly to confirm: everything of \"\(user.name)\" is deleted")
        }
        guard try await configuration.storage.deleteUser(id: id) else { throw SyncError(.notFound, message: "no such user") }
        notifier.notifyAll()
        await record(actor, "user.delete", "user \"\(user.name)\": \(user.operations) operations, \(user.bytes) bytes, and every device")
        return Self.json(Array("{\"deleted\":true}".utf8))
    }
}
