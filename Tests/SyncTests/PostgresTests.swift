import Foundation
import OmniModel
@testable import Sync
import Testing
import TestSupport

@Suite("Sync server on PostgreSQL: several server processes over one database")
struct PostgresTests {
    @Test("Given three sync servers over one PostgreSQL database, when devices push to all of them at once, then the user's stream is numbered 1…n without gaps, holds every operation once, and a pull waiting on one server sees a push to another")
    func severalServers() async throws {
        let url = try PostgresServer.shared().database()
        var started: [ServerFixture] = []
        for _ in 0..<3 { started.append(try await ServerFixture(.postgres, postgresURL: url)) }
        let servers = started
        defer { for server in servers { Task { await server.stop() } } }

        var clients: [SyncClient] = []
        for index in 0..<9 { clients.append(servers[index % 3].client(try await servers[0].device("alice"))) }
        // A pull waiting on server 2 for what a device pushes through server 0.
        let waiter = servers[2].client(try await servers[0].device("alice"))
        let waiting = Task { try await waiter.pull(after: 0, wait: 20) }
        try await Task.sleep(for: .milliseconds(300))

        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, client) in clients.enumerated() {
                group.addTask {
                    for round in 0..<4 {
                        let batch = ops("dev-\(index)", 50, from: 1_700_000_000_000 + Int64(round) * 1000)
                        _ = try await client.push(batch)
                        _ = try await client.push(Array(batch.suffix(9))) // a retry through the same server
                    }
                }
            }
            try await group.waitForAll()
        }
        let woken = try await waiting.value
        #expect(!woken.ops.isEmpty)

        let total = 9 * 4 * 50
        let stored = try await servers[1].storage.read(userID: 1, after: 0, limit: 10_000)
        #expect(stored.head == Int64(total))
        #expect(stored.ops.map(\.seq) == Array(1...Int64(total)))
        #expect(Set(stored.ops.map(\.body)).count == total)
    }
}

extension PostgresTests {
    @Test("Given two servers over one database, when one server's notification connection is killed, then it listens again, and a pull waiting on it still sees a push made through the other")
    func notificationConnectionLost() async throws {
        let postgres = try PostgresServer.shared()
        let url = try postgres.database()
        let first = try await ServerFixture(.postgres, postgresURL: url)
        let second = try await ServerFixture(.postgres, postgresURL: url)
        defer { Task { await first.stop(); await second.stop() } }
        let pusher = first.client(try await first.device("alice"))
        let waiter = second.client(try await first.device("alice"))
        _ = try await second.storage.totals() // both servers have their tables and pools going

        let listening = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'"
        func listeners() throws -> Int { Int(try postgres.psql(url, listening).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }
        #expect(try await eventually { try listeners() == 2 })

        // A pull waits on the second server; its notification connection is killed; a push
        // goes through the first server at once, before the second can listen again.
        let waiting = Task { try await waiter.pull(after: 0, wait: 25) }
        try await Task.sleep(for: .milliseconds(300))
        _ = try postgres.psql(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'")
        _ = try await pusher.push(ops("dev-a", 3))
        let woken = try await waiting.value
        #expect(woken.ops.count == 3)
        #expect(try await eventually { try listeners() == 2 })

        // And later pushes wake its pulls as before.
        let again = Task { try await waiter.pull(after: woken.cursor, wait: 25) }
        try await Task.sleep(for: .milliseconds(300))
        _ = try await pusher.push(ops("dev-a", 2, from: 1_760_000_000_000))
        #expect(try await again.value.ops.count == 2)
    }

    @Test("A PostgreSQL URL is checked before anything connects, the password never shows in messages, and an unreachable server is a storage error naming it")
    func urlsAndErrors() async throws {
        for bad in ["mysql://u@h/db", "postgres://h/db", "postgres://u@/db", "postgres://u@h/db?sslmode=allow"] {
            #expect(throws: SyncError.self, "\(bad)") { try PostgresSyncStorage(url: bad) }
        }
        #expect(PostgresSyncStorage.redacted("postgres://u:secret@h/db") == "postgres://u:***@h/db")
        let socket = try PostgresSyncStorage(url: "postgres://u@/music?host=/run/postgresql")
        #expect(socket.description == "postgres u@/run/postgresql/.s.PGSQL.5432/music")
        let remote = try PostgresSyncStorage(url: "postgres://u:pw@db.example:6432/music")
        #expect(remote.description == "postgres u@db.example:6432/music")
        #expect(!remote.description.contains("pw"))

        // Port 1 on loopback: nothing listens there.
        let unreachable = try PostgresSyncStorage(url: "postgres://u:pw@127.0.0.1:1/music", leaseTimeout: .seconds(1))
        do {
            _ = try await unreachable.using { try await $0.totals() }
            Issue.record("a refused connection did not fail")
        } catch let error as SyncError {
            #expect(error.reason == .unavailable)
            #expect(error.message.contains("127.0.0.1:1"))
            #expect(!error.message.contains("pw"))
        }
    }
}
