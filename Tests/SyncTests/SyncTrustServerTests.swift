import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LocalStore
import OmniModel
@testable import Sync
import Testing
import TestSupport

/// What one device of a user can do to the others through the server (issue 18, decision 0017).
@Suite("Sync server: a device cannot hurt its siblings")
struct SyncTrustServerTests {
    static var now: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    @Test("Given a device that pushed under its id, when another device of the user pushes under that id (a new operation, or one with the same id first), then nothing of it is stored; once the owner is revoked its next token takes the id over",
          arguments: Backend.allCases)
    func deviceIdsBelongToTheirPusher(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        defer { Task { await fixture.stop() } }
        let ownerToken = try await fixture.device("alice")
        let owner = fixture.client(ownerToken), thief = fixture.client(try await fixture.device("alice"))
        let real = ops("dev-owner", 3)
        #expect(try await owner.push(Array(real.prefix(2))).accepted == 2)

        // The third operation's id, pushed first by the thief with other content: refused.
        var forged = real[2]
        forged.payload = .playlistRename(name: "forged")
        let answer = try await thief.push([forged] + ops("dev-owner", 2, from: 1_740_000_000_000) + ops("dev-thief", 1))
        #expect(answer.accepted == 1 && answer.rejected == 3)
        // The owner's real one is not shadowed.
        #expect(try await owner.push([real[2]]).accepted == 1)
        let stored = try await owner.pull(after: 0)
        #expect(stored.ops == Array(real.prefix(2)) + ops("dev-thief", 1) + [real[2]])
        #expect(!stored.ops.contains(forged))

        // A library given a new token after its old one was revoked goes on syncing.
        let ownerID = try #require(try await fixture.storage.listDevices().first?.id)
        #expect(try await fixture.storage.revokeDevice(id: ownerID))
        let successor = fixture.client(try await fixture.device("alice"))
        #expect(try await successor.push(ops("dev-owner", 1, from: 1_741_000_000_000)).accepted == 1)
        #expect(try await thief.push(ops("dev-owner", 1, from: 1_742_000_000_000)).accepted == 0)
    }

    @Test("Given a quota of 30 operations, when pushes would pass it, then 507 with sync.quota_exceeded, nothing of that push is stored, a retry of what is stored still passes, and compaction frees room",
          arguments: Backend.allCases)
    func quota(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend) { configuration in
            configuration.quota = StreamQuota(operations: 30, bytes: 1 << 20)
            configuration.metricsToken = "m"
        }
        defer { Task { await fixture.stop() } }
        let client = fixture.client(try await fixture.device("alice"))
        let first = ops("dev-a", 25)
        #expect(try await client.push(first).accepted == 25)
        do {
            _ = try await client.push(ops("dev-a", 10, from: 1_750_000_000_000))
            Issue.record("a push past the quota was accepted")
        } catch {
            #expect(error.reason == .quotaExceeded)
        }
        let usage = try await fixture.storage.usage(userID: 1)
        let stored = try await fixture.storage.read(userID: 1, after: 0, limit: 100).ops
        #expect(usage.operations == 25 && usage.bytes == Int64(stored.reduce(0) { $0 + $1.body.count }))
        #expect(try await client.push(first).duplicates == 25) // a retry adds nothing: allowed
        let (status, body) = try await raw(fixture.url.appendingPathComponent("v1/push"), method: "POST", token: nil, body: nil)
        #expect(status == 401 && !body.isEmpty)
        // 25 renames of one playlist compact to one: room again.
        try await SyncServer.compactAll(fixture.storage, keepTail: 0, logger: .init(label: "test"))
        #expect(try await fixture.storage.usage(userID: 1).operations == 1)
        #expect(try await client.push(ops("dev-a", 10, from: 1_750_000_000_000)).accepted == 10)
        // The refusal is counted, for the token holder only.
        var request = URLRequest(url: fixture.url.appendingPathComponent("metrics"))
        request.setValue("Bearer m", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self).contains("omnisonic_sync_rejected_total{reason=\"sync.quota_exceeded\"} 1"))
        #expect(try await raw(fixture.url.appendingPathComponent("metrics")).0 == 401)
        #expect(try await raw(fixture.url.appendingPathComponent("metrics"), token: "wrong").0 == 401)
    }

    @Test("Given a server without a metrics token, /metrics answers 403 to everyone, device tokens included")
    func metricsOffWithoutToken() async throws {
        let fixture = try await ServerFixture(.sqlite)
        defer { Task { await fixture.stop() } }
        let token = try await fixture.device("alice")
        #expect(try await raw(fixture.url.appendingPathComponent("metrics")).0 == 403)
        #expect(try await raw(fixture.url.appendingPathComponent("metrics"), token: token).0 == 403)
    }

    @Test("Given large operations, when a device pulls, then every page stays within the byte bound (one operation at least), the pages together hold the stream, and a client's smaller bound is kept",
          arguments: Backend.allCases)
    func pullsAreBoundedInBytes(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend) { $0.maxPullBytes = 64 << 10 }
        defer { Task { await fixture.stop() } }
        let client = fixture.client(try await fixture.device("alice"))
        // Saved searches with a 1,000-character query: about 4 KB each.
        let query = String(repeating: "\u{00E9}", count: 1000)
        let big = (0..<60).map { i in
            UserOperation(hlc: HLCTimestamp(wallMs: 1_700_000_000_000 + Int64(i), counter: 0, device: "dev-a"), target: "s\(i)",
                          payload: .searchSave(SavedSearchDefinition(name: "s\(i)", query: query)))
        }
        #expect(try await client.push(big).accepted == 60)
        for bound in [SyncClient.maxPullBytes, 8 << 10] {
            var cursor: Int64 = 0, pulled: [UserOperation] = [], pages = 0
            while true {
                let page = try await client.pull(after: cursor, limit: 1000, maxBytes: bound)
                let bytes = try page.ops.reduce(0) { $0 + (try JSONEncoder().encode($1).count) }
                #expect(!page.ops.isEmpty && (page.ops.count == 1 || bytes <= min(bound, 64 << 10)))
                pulled += page.ops
                cursor = page.cursor
                pages += 1
                if !page.more { break }
            }
            #expect(pulled == big)
            #expect(pages >= 60 * 2000 / min(bound, 64 << 10))
        }
    }

    @Test("Given a device waiting in a long poll, when it is revoked, then the poll ends with 401 at once and receives nothing pushed after",
          arguments: Backend.allCases)
    func revocationEndsWaitingPolls(backend: Backend) async throws {
        // A 10-minute poll: ended at once it is far inside the bound below, ended at its end far
        // outside, and a busy two-thread pool that resumes this task late is neither (decision 0041).
        let fixture = try await ServerFixture(backend) {
            $0.revocationCheck = .milliseconds(200)
            $0.maxWaitSeconds = 600
        }
        defer { Task { await fixture.stop() } }
        let waiter = fixture.client(try await fixture.device("alice"))
        let pusher = fixture.client(try await fixture.device("alice"))
        let waiting = Task { try await waiter.pull(after: 0, wait: 600) }
        try await Task.sleep(for: .milliseconds(400))
        let id = try #require(try await fixture.storage.listDevices().first?.id)
        #expect(try await fixture.storage.revokeDevice(id: id))
        let started = ContinuousClock.now // the poll would otherwise wait 600 s
        _ = try await pusher.push(ops("dev-b", 2))
        do {
            let answer = try await waiting.value
            Issue.record("a revoked device's poll received \(answer.ops.count) operations")
        } catch {
            #expect((error as? SyncError)?.reason == .unauthorized)
        }
        // Well before its 600 s (at once on an idle machine; a full parallel test run took 8 s).
        #expect(ContinuousClock.now - started < .seconds(300))
    }

    @Test("Given the server's clock, when a device pushes an operation 10 minutes ahead, then the push is refused naming the clock; 2 minutes ahead is accepted",
          arguments: [Backend.sqlite])
    func clockSkew(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        defer { Task { await fixture.stop() } }
        let client = fixture.client(try await fixture.device("alice"))
        let ahead = ops("dev-a", 1, from: Self.now + 10 * 60_000)
        do {
            _ = try await client.push(ahead)
            Issue.record("an operation 10 minutes ahead was accepted")
        } catch {
            #expect(error.reason == .invalid && error.message.contains("clock"))
        }
        #expect(try await client.push(ops("dev-a", 1, from: Self.now + 2 * 60_000)).accepted == 1)
    }

    @Test("Given a play count of 2^63-1, a 1.9 M combining-mark title and an operation over the size bound, when pushed, then each is dropped as invalid and the rest stored",
          arguments: [Backend.sqlite])
    func hostileValuesAreDropped(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend) { configuration in
            configuration.maxBodyBytes = 8 << 20
            configuration.maxOpBytes = 256 << 10
        }
        defer { Task { await fixture.stop() } }
        let client = fixture.client(try await fixture.device("alice"))
        func stamp(_ i: Int64) -> HLCTimestamp { HLCTimestamp(wallMs: 1_700_000_000_000 + i, counter: 0, device: "dev-a") }
        let hostile = [
            UserOperation(hlc: stamp(1), target: "t", payload: .played(count: Int.max, lastPlayedMs: 1)),
            UserOperation(hlc: stamp(2), target: "t", payload: .trackOverride(field: .title, value: .text("e" + String(repeating: "\u{301}", count: 1_900_000)))),
            UserOperation(hlc: stamp(3), target: "t", payload: .favoriteRemove(itemIds: (0..<10_000).map { String(repeating: "\($0 % 10)", count: 64) })),
            UserOperation(hlc: stamp(4), target: "t", payload: .played(count: 1_000_000, lastPlayedMs: 1)),
        ]
        let answer = try await client.push(hostile)
        #expect(answer.accepted == 1 && answer.rejected == 3, "\(answer)")
    }
}

/// Issue 18's remainder (decision 0017): one library device id per token, per-device quotas.
@Suite("Sync server: a token writes under one device id, within its device's quota")
struct SyncDeviceBindingTests {
    @Test("Given a hostile device bound to its id, when it pushes under fresh ids (to multiply its play counts) or declares another id, then nothing of it is stored and a declared change is refused with 403",
          arguments: Backend.allCases)
    func oneDeviceIDPerToken(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        defer { Task { await fixture.stop() } }
        let hostile = fixture.client(try await fixture.device("alice"))
        #expect(try await hostile.push(ops("dev-h", 2), device: "dev-h").accepted == 2)
        // Fresh ids nobody owns: before, each became the token's; now none is stored.
        let spread = (0..<20).flatMap { ops("dev-h\($0)", 1, from: 1_750_000_000_000 + Int64($0)) }
        let answer = try await hostile.push(spread)
        #expect(answer.accepted == 0 && answer.rejected == 20, "\(answer)")
        // Declaring another id (the header) is refused as a whole: the library changed, or a lie.
        do {
            _ = try await hostile.push(ops("dev-h99", 1, from: 1_760_000_000_000), device: "dev-h99")
            Issue.record("a token changed its device id")
        } catch {
            #expect(error.reason == .forbidden && error.message.contains("dev-h"))
        }
        // A retry of its own stored operations is still a duplicate, not a refusal.
        #expect(try await hostile.push(ops("dev-h", 2), device: "dev-h").duplicates == 2)
        let stored = try await fixture.storage.read(userID: 1, after: 0, limit: 100).ops
        #expect(stored.count == 2)
        let devices = try await fixture.storage.listDevices()
        #expect(devices.map(\.library) == ["dev-h"])

        // A second device may not declare the first one's id; its own is free.
        let other = fixture.client(try await fixture.device("alice"))
        do {
            _ = try await other.push(ops("dev-h", 1, from: 1_770_000_000_000), device: "dev-h")
            Issue.record("a token took another active device's id")
        } catch {
            #expect(error.reason == .forbidden)
        }
        #expect(try await other.push(ops("dev-o", 1), device: "dev-o").accepted == 1)
    }

    @Test("Given a per-device quota of 20 operations, when one device passes it, then 507 sync.device_quota_exceeded, nothing of that push is stored, the user's other device still pushes, compaction gives room back, and /metrics counts it",
          arguments: Backend.allCases)
    func perDeviceQuota(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend) { configuration in
            configuration.quota = StreamQuota(operations: 100, bytes: 1 << 20, deviceOperations: 20, deviceBytes: 1 << 20)
            configuration.metricsToken = "m"
        }
        defer { Task { await fixture.stop() } }
        let greedy = fixture.client(try await fixture.device("alice"))
        let modest = fixture.client(try await fixture.device("alice"))
        #expect(try await greedy.push(ops("dev-g", 20), device: "dev-g").accepted == 20)
        do {
            _ = try await greedy.push(ops("dev-g", 1, from: 1_750_000_000_000), device: "dev-g")
            Issue.record("a push past the device quota was accepted")
        } catch {
            #expect(error.reason == .deviceQuotaExceeded, "\(error)")
            #expect(error.message.contains("device"))
        }
        #expect(try await fixture.storage.usage(userID: 1).operations == 20)
        #expect(try await modest.push(ops("dev-m", 5), device: "dev-m").accepted == 5)
        let shares = try await fixture.storage.listDevices().map(\.operations)
        #expect(shares == [20, 5])
        // 20 renames of one playlist compact to one: the greedy device has room again.
        try await SyncServer.compactAll(fixture.storage, keepTail: 0, logger: .init(label: "test"))
        #expect(try await fixture.storage.listDevices().first?.operations == 1)
        #expect(try await greedy.push(ops("dev-g", 1, from: 1_750_000_000_000), device: "dev-g").accepted == 1)
        let metrics = try await raw(fixture.url.appendingPathComponent("metrics"), token: "m").1
        #expect(metrics.contains("omnisonic_sync_rejected_total{reason=\"sync.device_quota_exceeded\"} 1"), "\(metrics)")
    }
}
