import Foundation
import GRDB
import Glibc
import Testing
import TestSupport

/// The corpus used by the command-line tests (shared, read-only).
private func corpus() throws -> Corpus { try Corpus.shared(tracks: 120) }

/// What a library holds, to compare two libraries: uid → primary path, and failed paths.
private func snapshot(_ database: String) throws -> (tracks: [String: String], failed: Set<String>, integrity: String) {
    let queue = try DatabaseQueue(path: database)
    return try queue.read { db in
        let rows = try Row.fetchAll(db, sql: """
            SELECT t.uid, (SELECT relPath FROM file WHERE trackId = t.id ORDER BY id LIMIT 1) FROM track t
            """)
        var tracks: [String: String] = [:]
        for row in rows { tracks[row[0]] = String(decoding: row[1] as Data, as: UTF8.self) }
        let failed = Set(try Data.fetchAll(db, sql: "SELECT relPath FROM file WHERE trackId IS NULL").map { String(decoding: $0, as: UTF8.self) })
        let integrity = try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? ""
        return (tracks, failed, integrity)
    }
}

@Suite("The omnisonicd command line", .serialized)
struct CommandLineTests {
    @Test("probe --json prints one object per file with the documented keys, and an error object for a broken file")
    func probeJSON() throws {
        let corpus = try corpus()
        let mp3 = corpus.visibleTracks.first { $0.format == "mp3" && $0.tag_style == "full" }!
        let good = corpus.root + "/" + mp3.path
        let broken = corpus.root + "/Broken/garbage.mp3"

        let output = try Binary.run(["probe", "--json", good, broken])

        #expect(output.status == 1)
        let lines = output.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let track = try Binary.object(lines[0])
        for key in ["path", "title", "artist", "artists", "album", "albumArtist", "trackNumber", "trackTotal", "discNumber",
                    "discTotal", "year", "genres", "composer", "durationMs", "codec", "sampleRate", "channels", "bitrate",
                    "hasArtwork", "uid"] where key != "composer" && key != "discNumber" && key != "discTotal" {
            #expect(track[key] != nil, "missing \(key)")
        }
        #expect(track["title"] as? String == mp3.expected_title.trimmingCharacters(in: .whitespaces))
        #expect(track["path"] as? String == good)
        let failure = try Binary.object(lines[1])
        #expect(failure["path"] as? String == broken)
        #expect((failure["error"] as? [String: Any])?["code"] as? String != nil)
    }

    @Test("scan --json prints the summary; search --json finds, pages and suggests")
    func scanAndSearch() throws {
        let corpus = try corpus()
        let dir = try TemporaryDirectory("cli")
        let data = dir.appending("data")

        let scan = try Binary.run(["scan", "--music", corpus.root, "--data", data, "--json"])
        #expect(scan.status == 0, "\(scan.stderr)")
        let summary = try Binary.object(scan.stdout)
        for key in ["files", "added", "updated", "removed", "failed", "seconds"] { #expect(summary[key] != nil, "missing \(key)") }
        #expect(summary["added"] as? Int == corpus.visibleTracks.count)
        #expect(summary["failed"] as? Int == 3)

        let again = try Binary.object(try Binary.run(["scan", "--music", corpus.root, "--data", data, "--json"]).stdout)
        #expect(again["added"] as? Int == 0)
        #expect(again["updated"] as? Int == 0)

        let all = try Binary.object(try Binary.run(["search", "--data", data, "--json", "--limit", "10", ""]).stdout)
        #expect(all["total"] as? Int == corpus.visibleTracks.count)
        #expect((all["tracks"] as? [Any])?.count == 10)
        #expect(all.keys.contains("suggestion"))

        let target = corpus.visibleTracks.first { $0.tag_style == "full" && $0.kind == "album" }!
        let found = try Binary.object(try Binary.run(["search", "--data", data, "--json", target.expected_title]).stdout)
        let tracks = try #require(found["tracks"] as? [[String: Any]])
        #expect(tracks.first?["title"] as? String == target.expected_title)
        #expect(tracks.first?["path"] as? String == target.path)
        #expect(tracks.first?["uid"] as? String != nil)

        let misspelt = String(target.expected_title.split(separator: " ").max { $0.count < $1.count }!)
        if misspelt.count >= 6 {
            var letters = Array(misspelt)
            letters.remove(at: 2)
            let result = try Binary.object(try Binary.run(["search", "--data", data, "--json", String(letters)]).stdout)
            if (result["total"] as? Int) == 0 {
                #expect(result["suggestion"] as? String != nil)
            }
        }
    }

    @Test("A scan killed with SIGKILL at any moment leaves a library that the next scan completes correctly")
    func killedScan() throws {
        let corpus = try corpus()
        let dir = try TemporaryDirectory("kill")
        let reference = dir.appending("reference")
        #expect(try Binary.run(["scan", "--music", corpus.root, "--data", reference, "--json"]).status == 0)
        let expected = try snapshot(reference + "/library.sqlite")

        for (index, delay) in [30_000, 120_000, 250_000, 500_000].enumerated() {
            let data = dir.appending("killed-\(index)")
            let process = try Binary.start(["scan", "--music", corpus.root, "--data", data, "--batch-size", "8"])
            usleep(useconds_t(delay))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()

            let rerun = try Binary.run(["scan", "--music", corpus.root, "--data", data, "--json"])
            #expect(rerun.status == 0, "\(rerun.stderr)")
            let actual = try snapshot(data + "/library.sqlite")
            #expect(actual.integrity == "ok")
            #expect(actual.tracks == expected.tracks, "after a kill at \(delay / 1000) ms")
            #expect(actual.failed == expected.failed)
        }
    }

    @Test("A full disk stops the scan with a clear error; nothing is corrupted and the next scan finishes")
    func fullDisk() throws {
        let corpus = try corpus()
        let dir = try TemporaryDirectory("full")
        let reference = dir.appending("reference")
        #expect(try Binary.run(["scan", "--music", corpus.root, "--data", reference]).status == 0)
        let expected = try snapshot(reference + "/library.sqlite")
        let data = dir.appending("data")
        // The library is created (migrated) first, without the limit: the limit is about scan
        // writes, and the schema's size must not decide whether the test can start (each new
        // migration adds pages to the first run's write-ahead log).
        let empty = dir.appending("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(try Binary.run(["scan", "--music", empty, "--data", data]).status == 0)

        // RLIMIT_FSIZE makes every write past 300 KiB fail with EFBIG, as a full disk would.
        // Several times: the failure must also stop the probe threads cleanly, whatever they
        // are doing at that moment (a thread left in libcrypto at exit once crashed the process).
        for _ in 0..<5 {
            let full = try Binary.run(["scan", "--music", corpus.root, "--data", data, "--batch-size", "8"],
                                      wrapper: ["/usr/bin/prlimit", "--fsize=307200"])
            #expect(full.status == 1)
            #expect(full.stderr.contains("disk is full"), "\(full.stderr)")
        }
        let partial = try snapshot(data + "/library.sqlite")
        #expect(partial.integrity == "ok")
        #expect(partial.tracks.count < expected.tracks.count)

        let rerun = try Binary.run(["scan", "--music", corpus.root, "--data", data])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try snapshot(data + "/library.sqlite").tracks == expected.tracks)
    }

    @Test("An unreadable folder is counted and skipped when scanning as an ordinary user", .enabled(if: geteuid() == 0, "needs root to switch to the nobody user"))
    func permissionDenied() throws {
        let corpus = try corpus()
        let dir = try TemporaryDirectory("perm")
        chmod(dir.path, 0o755)
        let music = dir.appending("Music")
        try corpus.copy(to: music)
        try FileManager.default.createDirectory(atPath: music + "/lost+found", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: corpus.root + "/" + corpus.visibleTracks[0].path, toPath: music + "/lost+found/x.flac")
        chmod(music + "/lost+found", 0o700)  // owned by root: nobody cannot read it
        let data = dir.appending("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        chown(data, 65534, 65534)

        let output = try Binary.run(["scan", "--music", music, "--data", data, "--json"],
                                    wrapper: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
                                    environment: ["HOME": data])

        #expect(output.status == 0, "\(output.stderr)")
        let summary = try Binary.object(output.stdout)
        #expect(summary["walkErrors"] as? Int == 1)
        #expect(summary["added"] as? Int == corpus.visibleTracks.count)
        #expect(output.stderr.contains("lost+found"))

        // Readable for a while: its file comes in. Unreadable again: it is kept, not deleted.
        let asNobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        chmod(music + "/lost+found", 0o755)
        let opened = try Binary.object(try Binary.run(["scan", "--music", music, "--data", data, "--json"],
                                                      wrapper: asNobody, environment: ["HOME": data]).stdout)
        #expect(opened["updated"] as? Int == 0)
        chmod(music + "/lost+found", 0o700)
        let closed = try Binary.object(try Binary.run(["scan", "--music", music, "--data", data, "--json"],
                                                      wrapper: asNobody, environment: ["HOME": data]).stdout)
        #expect(closed["walkErrors"] as? Int == 1)
        #expect(closed["removed"] as? Int == 0)
    }

    @Test("A missing music folder is reported with exit status 3 and its tracks are kept")
    func missingFolder() throws {
        let corpus = try corpus()
        let dir = try TemporaryDirectory("missing")
        let music = dir.appending("Music")
        try corpus.copy(to: music)
        let data = dir.appending("data")
        #expect(try Binary.run(["scan", "--music", music, "--data", data]).status == 0)
        let before = try snapshot(data + "/library.sqlite")

        try FileManager.default.moveItem(atPath: music, toPath: dir.appending("Elsewhere"))
        let output = try Binary.run(["scan", "--music", music, "--data", data])

        #expect(output.status == 3)
        #expect(output.stderr.contains("missing"))
        #expect(try snapshot(data + "/library.sqlite").tracks == before.tracks)
    }
}
