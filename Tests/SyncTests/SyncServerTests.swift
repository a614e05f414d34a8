import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LocalStore
import Logging
import OmniModel
import ServiceLifecycle
@testable import Sync
import Testing
import TestSupport

/// The storage backends every server test runs against.
enum Backend: String, CaseIterable, Sendable {
    case sqlite, postgres
}

/// A sync server on a free loopback port with SQLite storage in a temporary folder, or a fresh
/// database on the test PostgreSQL server.
final class ServerFixture: Sendable {
    let folder: TemporaryDirectory
    let storage: any SyncStorage
    let server: SyncServer
    let task: Task<Void, any Error>
    let port: Int

    init(_ backend: Backend = .sqlite, configure: (inout SyncServerConfiguration) -> Void = { _ in }, folder: TemporaryDirectory? = nil,
         port: Int = 0, postgresURL: String? = nil) async throws {
        self.folder = try folder ?? TemporaryDirectory("sync-server")
        switch backend {
        case .sqlite:
            storage = try SQLiteSyncStorage(path: self.folder.appending("sync.sqlite"))
        case .postgres:
            var quiet = Logger(label: "test.sync.postgres")
            quiet.logLevel = .critical
            // A generous wait for a connection: the tests open many pools at once, sometimes on a busy machine.
            storage = try PostgresSyncStorage(url: try postgresURL ?? PostgresServer.shared().database(), leaseTimeout: .seconds(60),
                                              logger: quiet)
        }
        var configuration = SyncServerConfiguration(host: "127.0.0.1", port: port, storage: storage)
        configuration.logger.logLevel = .critical
        configure(&configuration)
        let server = SyncServer(configuration: configuration)
        self.server = server
        task = Task { try await server.run() }
        self.port = await server.port()
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// A new device of `user`; returns its token.
    func device(_ user: String) async throws -> String {
        let token = DeviceToken.generate()
        _ = try await storage.addDevice(user: user, name: "test", tokenHash: DeviceToken.hash(token), now: 0)
        return token
    }

    func client(_ token: String) -> SyncClient { SyncClient(baseURL: url, token: token) }

    func stop() async {
        // Connections a client closed at once (a cancelled long poll) may still wait in the
        // accept queue: a Hummingbird server that accepts one while shutting down traps
        // ("Deinited NIOAsyncWriter without calling finish()"), taking the test process with it.
        try? await Task.sleep(for: .milliseconds(300))
        task.cancel()
        _ = await task.result
    }
}

/// Operations made by a device id, with increasing timestamps.
func ops(_ device: String, _ count: Int, from start: Int64 = 1_700_000_000_000, target: String = "p1") -> [UserOperation] {
    (0..<count).map { i in
        UserOperation(hlc: HLCTimestamp(wallMs: start + Int64(i), counter: 0, device: device), target: target,
                      payload: .playlistRename(name: "name \(i)"))
    }
}

/// A raw request (status and body), for what `SyncClient` never sends.
func raw(_ url: URL, method: String = "GET", token: String? = nil, body: Data? = nil) async throws -> (Int, String) {
    var request = URLRequest(url: url)
    request.httpMethod = method
    request.httpBody = body
    if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
}

@Suite("Sync server: streams, auth, isolation, limits")
struct SyncServerTests {
    @Test("Given a push retried, when a second device pulls, then every operation arrives once, in order, numbered 1…n", arguments: Backend.allCases)
    func idempotentPush(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        defer { Task { await fixture.stop() } }
        let a = fixture.client(try await fixture.device("alice")), b = fixture.client(try await fixture.device("alice"))
        let batch = ops("dev-a", 50)
        let first = try await a.push(batch)
        #expect(first == PushResponse(accepted: 50, duplicates: 0, head: 50))
        // A retry (the answer was lost) and an overlapping batch.
        let again = try await a.push(batch)
        #expect(again == PushResponse(accepted: 0, duplicates: 50, head: 50))
        let overlap = try await a.push(Array(batch.suffix(10)) + ops("dev-a", 5, from: 1_760_000_000_000))
        #expect(overlap == PushResponse(accepted: 5, duplicates: 10, head: 55))

        var pulled: [UserOperation] = []
        var cursor: Int64 = 0
        while true {
            let page = try await b.pull(after: cursor, limit: 20)
            pulled += page.ops
            cursor = page.cursor
            if !page.more { break }
        }
        #expect(cursor == 55)
        #expect(pulled == batch + ops("dev-a", 5, from: 1_760_000_000_000))
    }

    @Test("Given two users, when each pushes, then neither can read the other's stream, and the same operation id lives in both", arguments: Backend.allCases)
    func usersAreIsolated(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        defer { Task { await fixture.stop() } }
        let alice = fixture.client(try await fixture.device("alice"))
        let bob = fixture.client(try await fixture.device("bob"))
        let shared = ops("dev-x", 3)
        _ = try await alice.push(shared + ops("dev-x", 2, from: 1_750_000_000_000))
        let bobPush = try await bob.push(shared)
        #expect(bobPush.accepted == 3) // not a duplicate: another user's stream
        let bobView = try await bob.pull(after: 0)
        #expect(bobView.ops == shared)
        #expect(bobView.head == 3)
        let aliceView = try await alice.pull(after: 0)
        #expect(aliceView.ops.count == 5)
        // A cursor beyond the user's own head never reveals another stream.
        let probe = try await bob.pull(after: 3)
        #expect(probe.ops.isEmpty)
    }

    @Test("Given no token, a wrong token or a revoked one, when a device pushes or pulls, then 401 and nothing is stored", arguments: Backend.allCases)
    func authentication(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        defer { Task { await fixture.stop() } }
        let token = try await fixture.device("alice")
        let body = try JSONEncoder().encode(PushRequest(ops: ops("d", 1)))
        #expect(try await raw(fixture.url.appendingPathComponent("v1/push"), method: "POST", body: body).0 == 401)
        #expect(try await raw(fixture.url.appendingPathComponent("v1/pull"), token: "nope").0 == 401)
        #expect(try await raw(fixture.url.appendingPathComponent("v1/pull"), token: token).0 == 200)
        let device = try #require(try await fixture.storage.listDevices().first)
        #expect(try await fixture.storage.revokeDevice(id: device.id))
        await #expect(throws: SyncError.self) { _ = try await fixture.client(token).push(ops("d", 1)) }
        #expect(try await raw(fixture.url.appendingPathComponent("v1/pull"), token: token).0 == 401)
        #expect(try await fixture.storage.totals().operations == 0)
    }

    @Test("Given a pull waiting on an empty stream, when another device pushes, then the pull answers with the operation", arguments: Backend.allCases)
    func longPoll(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        defer { Task { await fixture.stop() } }
        let a = fixture.client(try await fixture.device("alice")), b = fixture.client(try await fixture.device("alice"))
        let waiting = Task { try await b.pull(after: 0, wait: 20) }
        // Let the pull reach the server and wait (it would also see the push if it came first).
        try await Task.sleep(for: .milliseconds(300))
        _ = try await a.push(ops("dev-a", 1))
        let answer = try await waiting.value
        #expect(answer.ops == ops("dev-a", 1))
        #expect(answer.cursor == 1)
    }

    @Test("Given strict limits, when a device sends too much or too often, then 413 and 429, and nothing oversize is stored",
          arguments: Backend.allCases)
    func limits(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend) { configuration in
            configuration.maxBodyBytes = 4096
            configuration.maxOpsPerPush = 20
            configuration.requestBurst = 6
            configuration.requestsPerSecond = 0.01
            configuration.metricsToken = "metrics"
        }
        defer { Task { await fixture.stop() } }
        let token = try await fixture.device("alice")
        let client = fixture.client(token)
        await #expect(throws: SyncError.self) { _ = try await client.push(ops("dev-a", 200)) } // > 4096 bytes
        await #expect(throws: SyncError.self) { _ = try await client.push(ops("dev-a", 21, target: "x")) } // > 20 ops? (size ok?)
        let future = [UserOperation(hlc: HLCTimestamp(wallMs: Int64(Date().timeIntervalSince1970 * 1000) + 3 * 86_400_000, counter: 0,
                                                      device: "dev-a"), target: "p", payload: .playlistDelete)]
        await #expect(throws: SyncError.self) { _ = try await client.push(future) }
        _ = try await client.push(ops("dev-a", 1))
        // The burst is spent: the next requests are refused with Retry-After.
        var refused = 0
        for _ in 0..<4 {
            do { _ = try await client.pull(after: 0) } catch { if error.reason == .rateLimited { refused += 1 } }
        }
        #expect(refused >= 2)
        #expect(try await fixture.storage.totals().operations == 1)
        let metrics = try await raw(fixture.url.appendingPathComponent("metrics"), token: "metrics")
        #expect(metrics.1.contains("omnisonic_sync_rejected_total{reason=\"sync.rate_limited\"}"))
        #expect(try await raw(fixture.url.appendingPathComponent("healthz")).0 == 200)
    }

    @Test("Given many devices pushing concurrently, then the stream is numbered 1…n without gaps and holds every operation once", arguments: Backend.allCases)
    func concurrentPushes(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        defer { Task { await fixture.stop() } }
        var clients: [SyncClient] = []
        for _ in 0..<8 { clients.append(fixture.client(try await fixture.device("alice"))) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, client) in clients.enumerated() {
                group.addTask {
                    for round in 0..<5 {
                        let batch = ops("dev-\(index)", 40, from: 1_700_000_000_000 + Int64(round) * 1000)
                        _ = try await client.push(batch)
                        _ = try await client.push(Array(batch.prefix(7))) // retried part
                    }
                }
            }
            try await group.waitForAll()
        }
        let all = try await fixture.storage.read(userID: 1, after: 0, limit: 10_000)
        #expect(all.head == 8 * 5 * 40)
        #expect(all.ops.map(\.seq) == Array(1...Int64(8 * 5 * 40)))
        #expect(Set(all.ops.map(\.body)).count == 8 * 5 * 40)
    }
}

extension SyncServerTests {
    @Test("Given pulls with ack, then the device's acknowledged cursor rises and never falls, and an ack past the pull's cursor is refused", arguments: Backend.allCases)
    func acknowledgements(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        defer { Task { await fixture.stop() } }
        let token = try await fixture.device("alice")
        let client = fixture.client(token)
        _ = try await client.push(ops("dev-a", 10))
        func seen() async throws -> Int64? { try await fixture.storage.listDevices().first?.seen }
        _ = try await client.pull(after: 6)
        #expect(try await seen() == 0) // a pull without ack says nothing
        _ = try await client.pull(after: 6, acknowledge: true)
        #expect(try await seen() == 6)
        _ = try await client.pull(after: 3, acknowledge: true)
        #expect(try await seen() == 6)
        let (status, body) = try await raw(fixture.url.appendingPathComponent("v1/pull").appending(queryItems: [
            URLQueryItem(name: "after", value: "2"), URLQueryItem(name: "ack", value: "9")]), token: token)
        #expect(status == 400 && body.contains("ack"))
        #expect(try await seen() == 6)
    }
}
