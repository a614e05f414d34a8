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
