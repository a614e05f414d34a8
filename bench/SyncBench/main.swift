// Sync server figures (docs/PERFORMANCE.md, bench/sync/run.sh):
//   SyncBench [OPS] [BOOTSTRAP_OPS] [--postgres URL [--servers N]]
// 1. ingest: OPS operations pushed over loopback HTTP in batches of 1,000 by 4 devices at once
//    into the SQLite backend, or into PostgreSQL through N server instances (each with its own
//    connection pool, devices spread over them) (operations per second, wall clock);
// 2. bytes per operation: push body on the wire, pull body on the wire, the database at rest;
// 3. bootstrap: a new device (a fresh library on disk) pulls and merges BOOTSTRAP_OPS operations.
import Foundation
import LocalStore
import Logging
import OmniModel
import Sync

/// Takes `--name VALUE` out of `arguments`.
func option(_ name: String, in arguments: inout [String]) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    defer { arguments.removeSubrange(index...(index + 1)) }
    return arguments[index + 1]
}
var arguments = Array(CommandLine.arguments.dropFirst())
let postgresURL = option("--postgres", in: &arguments)
let serverCount = max(1, Int(option("--servers", in: &arguments) ?? "1") ?? 1)
let total = arguments.count > 0 ? Int(arguments[0]) ?? 200_000 : 200_000
let bootstrapCount = arguments.count > 1 ? Int(arguments[1]) ?? 100_000 : 100_000
let backend = postgresURL == nil ? "SQLite" : "PostgreSQL, \(serverCount) server\(serverCount == 1 ? "" : "s")"
let batch = 1000
let devices = 4

/// A realistic mix: playlist item adds and moves, renames, overrides, ratings, plays, favorites.
func operations(device: String, count: Int, start: Int64) -> [UserOperation] {
    var rng = SystemRandomNumberGenerator()
    let uids = (0..<2000).map { String(format: "%016llx%016llx", UInt64($0) &* 0x9E37_79B9_7F4A_7C15, UInt64($0)) }
    return (0..<count).map { i in
        let hlc = HLCTimestamp(wallMs: start + Int64(i / 4), counter: UInt32(i % 4), device: device)
        let uid = uids[Int.random(in: 0..<uids.count, using: &rng)]
        let playlist = "pl\(device)\(i % 50)"
        let payload: UserOperation.Payload
        switch i % 10 {
        case 0, 1, 2: payload = .playlistItemAdd(itemId: "\(device)-\(i)", uid: TrackUID(rawValue: uid), position: "a\(i % 9)V")
        case 3: payload = .playlistItemMove(itemId: "\(device)-\(i - 1)", position: "a\(i % 7)k")
        case 4: payload = .playlistRename(name: "Playlist \(i % 97)")
        case 5: payload = .trackOverride(field: .title, value: .text("Edited title \(i % 1000)"))
        case 6: payload = .rating(i % 6)
        case 7: payload = .played(count: i % 40 + 1, lastPlayedMs: start + Int64(i))
        case 8: payload = .favoriteAdd(itemId: "\(device)-f\(i)")
        default: payload = .playlistCreate(name: "Created \(i % 31)")
        }
        let target: String = switch payload {
        case .playlistItemAdd, .playlistItemMove, .playlistRename, .playlistCreate: playlist
        default: uid
        }
        return UserOperation(hlc: hlc, target: target, payload: payload)
    }
}

func folderSize(_ path: String) -> Int {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    return files.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: path + "/" + $1)[.size] as? Int) ?? 0) }
}

let folder = NSTemporaryDirectory() + "syncbench-\(UUID().uuidString.prefix(8))"
try FileManager.default.createDirectory(atPath: folder + "/server", withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: folder) }
/// A server on a free port over `storage`, without rate limits.
func startServer(_ storage: any SyncStorage) async -> (URL, Task<Void, any Error>) {
    var configuration = SyncServerConfiguration(host: "127.0.0.1", port: 0, storage: storage)
    configuration.logger.logLevel = .critical
    configuration.requestsPerSecond = 100_000
    configuration.requestBurst = 100_000
    let server = SyncServer(configuration: configuration)
    let task = Task { try await server.run() }
    return (URL(string: "http://127.0.0.1:\(await server.port())")!, task)
}

var quiet = Logger(label: "bench")
quiet.logLevel = .critical
let storages: [any SyncStorage] = try postgresURL.map { url in
    try (0..<serverCount).map { _ in try PostgresSyncStorage(url: url, logger: quiet) }
} ?? [SQLiteSyncStorage(path: folder + "/server/sync.sqlite")]
let storage = storages[0]
var servers: [(url: URL, task: Task<Void, any Error>)] = []
for each in storages { servers.append(await startServer(each)) }

var tokens: [String] = []
for _ in 0..<(devices + 1) {
    let token = DeviceToken.generate()
    _ = try await storage.addDevice(user: "bench", name: "d", tokenHash: DeviceToken.hash(token), now: 0)
    tokens.append(token)
}

// 1. Ingest.
let perDevice = total / devices
let prepared = (0..<devices).map { operations(device: "dev\($0)", count: perDevice, start: 1_760_000_000_000) }
let wireBytes = try prepared[0].prefix(batch).count > 0
    ? JSONEncoder().encode(PushRequest(ops: Array(prepared[0].prefix(batch)))).count : 0
let started = Date()
try await withThrowingTaskGroup(of: Void.self) { group in
    for device in 0..<devices {
        let client = SyncClient(baseURL: servers[device % servers.count].url, token: tokens[device])
        let ops = prepared[device]
        group.addTask {
            var index = 0
            while index < ops.count {
                let answer = try await client.push(Array(ops[index..<min(index + batch, ops.count)]))
                precondition(answer.duplicates == 0)
                index += batch
            }
        }
    }
    try await group.waitForAll()
}
let ingestSeconds = Date().timeIntervalSince(started)
let stored = try await storage.totals().operations
print(String(format: "ingest: %d operations in %.2f s = %.0f ops/s (batches of %d, %d devices, %@)",
             stored, ingestSeconds, Double(stored) / ingestSeconds, batch, devices, backend))

// 2. Bytes.
let atRest: Int
if let postgresURL {
    // The operation table with its indexes and TOAST, as PostgreSQL counts it.
    let psql = Process()
    psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
    psql.arguments = [postgresURL, "-At", "-c", "VACUUM sync_op", "-c", "SELECT pg_total_relation_size('sync_op')"]
    let out = Pipe()
    psql.standardOutput = out
    try psql.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    psql.waitUntilExit()
    atRest = Int(text.split(separator: "\n").last.map(String.init) ?? "") ?? 0
} else {
    try (storage as! SQLiteSyncStorage).checkpoint()
    atRest = folderSize(folder + "/server")
}
let pullClient = SyncClient(baseURL: servers[0].url, token: tokens[devices])
let page = try await pullClient.pull(after: 0, limit: 1000)
let pullBytes = try JSONEncoder().encode(page).count
print(String(format: "bytes per operation: push %.0f B on the wire (JSON body), pull %.0f B, at rest %.0f B (%@ incl. indexes)",
             Double(wireBytes) / Double(batch), Double(pullBytes) / Double(page.ops.count), Double(atRest) / Double(stored),
             postgresURL == nil ? "SQLite files" : "sync_op"))

// 3. Bootstrap: a new device pulls BOOTSTRAP_OPS operations of one stream and merges them.
// SQLite: a database of its own; PostgreSQL: another user in the same database.
let bootStorage: any SyncStorage = postgresURL == nil ? try SQLiteSyncStorage(path: folder + "/server/boot.sqlite") : storage
let (bootURL, bootTask) = postgresURL == nil ? await startServer(bootStorage) : servers[0]
let bootToken = DeviceToken.generate()
_ = try await bootStorage.addDevice(user: "boot", name: "d", tokenHash: DeviceToken.hash(bootToken), now: 0)
let bootClient = SyncClient(baseURL: bootURL, token: bootToken)
let history = operations(device: "old", count: bootstrapCount, start: 1_760_000_000_000)
var pushed = 0
while pushed < history.count {
    _ = try await bootClient.push(Array(history[pushed..<min(pushed + 5000, history.count)]))
    pushed += 5000
}
let library = try Library(path: folder + "/new-device.sqlite")
let bootStarted = Date()
var cursor: Int64 = 0
var merged = 0
while true {
    let answer = try await bootClient.pull(after: cursor, limit: 5000)
    let ops = answer.ops, next = answer.cursor
    merged += try await Task.detached { try library.applyPulled(ops, cursor: next).count }.value
    cursor = next
    if !answer.more { break }
}
let bootSeconds = Date().timeIntervalSince(bootStarted)
print(String(format: "bootstrap: %d operations pulled and merged into a new library in %.2f s (%.0f ops/s)",
             merged, bootSeconds, Double(merged) / bootSeconds))

for server in servers { server.task.cancel() }
bootTask.cancel()
