import Foundation
import Hummingbird
import OmniModel
import QRCode
import WebUI

// The web UI's Subsonic settings (decision 0026): the user, a new password, API keys made and
// revoked, and the address to type into a phone app with a QR code of it. These routes are
// under `/api/`, not `/rest/`, so the web API's rules apply to them (its token when one is set,
// same-origin writes, JSON bodies): they change credentials, which a Subsonic login must not.
// The file writes (`CredentialFile`, a rename under a lock, fsync) run on a thread of their own.
extension SubsonicAPI {
    /// The most a password may be (bytes): the CLI reads one line; a phone app's field is short.
    static let maxPasswordBytes = 1024

    func registerSettings(on router: Router<BasicRequestContext>) {
        router.get("/api/subsonic") { request, _ in try JSONBody.response(try await self.settings(request)) }
        router.put("/api/subsonic/password") { request, _ in
            struct Body: Decodable { var password: String }
            let body = try await JSONBody.decode(Body.self, from: request, limit: 16 * 1024)
            guard !body.password.isEmpty, body.password.utf8.count <= Self.maxPasswordBytes else {
                throw APIError(.badRequest, "bad_password", "a password is 1 to \(Self.maxPasswordBytes) bytes")
            }
            guard !body.password.contains(where: { $0.isNewline }) else {
                throw APIError(.badRequest, "bad_password", "a password is one line")
            }
            try await self.credentialWrite { file, user throws(SubsonicSetupError) in try file.setPassword(body.password, user: user) }
            return try JSONBody.response(try await self.settings(request))
        }
        router.post("/api/subsonic/api-keys") { request, _ in
            struct Body: Decodable { var name: String? }
            // `{"name": null}` is refused like any null the API document does not allow.
            let body = try await JSONBody.decode(Body.self, from: request, limit: 16 * 1024, nonNull: ["name"])
            let name = body.name?.trimmingCharacters(in: .whitespacesAndNewlines)
            if let name, name.count > 100 || name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                throw APIError(.badRequest, "bad_name", "a key's name is at most 100 characters, without control characters")
            }
            let made = try await self.credentialWrite { file, user throws(SubsonicSetupError) in
                try file.newAPIKey(user: user, name: name?.isEmpty == false ? name : nil)
            }
            // The key itself is in this answer only: the file keeps its SHA-256.
            struct Made: Encodable { var id: String; var key: String; var name: String? }
            return try JSONBody.response(Made(id: made.id, key: made.key, name: name?.isEmpty == false ? name : nil), status: .created)
        }
        router.delete("/api/subsonic/api-keys/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            let found = try await self.credentialWrite { file, _ throws(SubsonicSetupError) in try file.revokeAPIKey(id: id) }
            guard found else { throw APIError(.notFound, "not_found", "API key not found") }
            return Response(status: .noContent)
        }
        router.get("/api/subsonic/address.svg") { request, _ in
            let svg: String
            do {
                svg = try QRCode.svg(text: Self.address(request).url)
            } catch {
                throw APIError(.internalServerError, "qr_failed", "the QR code could not be made")
            }
            return Response(status: .ok, headers: [.contentType: "image/svg+xml; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: svg)))
        }
    }

    /// `GET /api/subsonic`: the user, their password state and keys, and the address.
    struct Settings: Encodable {
        var user: String
        var passwordSet: Bool
        var apiKeys: [SubsonicAccountSummary.APIKeySummary]
        /// What to type into a phone app as the server (this page's own address).
        var address: String
        /// False when that address is loopback: a phone cannot reach it (`--listen` a LAN address).
        var reachableFromOtherDevices: Bool
    }

    func settings(_ request: Request) async throws -> Settings {
        let file = environment.credentials, user = environment.user
        let summary = try await DedicatedThread.run(named: "omnisonic-subsonic-settings") {
            Result { () throws(SubsonicSetupError) in try file.summary(user: user) }
        }.get()
        let address = Self.address(request)
        return Settings(user: user, passwordSet: summary.passwordSet, apiKeys: summary.apiKeys, address: address.url,
                        reachableFromOtherDevices: !address.loopback)
    }

    /// Runs a change of the credential file on a thread of its own (it writes, fsyncs and renames).
    func credentialWrite<T: Sendable>(_ change: @escaping @Sendable (CredentialFile, String) throws(SubsonicSetupError) -> T) async throws -> T {
        let file = environment.credentials, user = environment.user
        let result = await DedicatedThread.run(named: "omnisonic-subsonic-settings") {
            Result { () throws(SubsonicSetupError) in try change(file, user) }
        }
        do {
            return try result.get()
        } catch {
            environment.logger.error("Subsonic credentials not written", metadata: ["error": "\(error)"])
            throw APIError(.internalServerError, "credentials_not_written", error.description)
        }
    }

    /// The address the browser used for this page (its `Host`, which the server already checked
    /// against the bound address), as a phone app takes it; loopback when only this computer
    /// can reach it.
    static func address(_ request: Request) -> (url: String, loopback: Bool) {
        let authority = request.head.authority ?? "127.0.0.1"
        let host: Substring
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<end]
        } else {
            host = authority.split(separator: ":", maxSplits: 1).first ?? ""
        }
        let loopback = host == "localhost" || host.hasPrefix("127.") || host == "::1"
        return ("http://" + authority, loopback)
    }
}
