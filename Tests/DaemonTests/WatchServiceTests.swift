import Daemon
import Foundation
import Glibc
import Indexer
import LocalStore
import Logging
import OmniModel
import Synchronization
import TestSupport
import Testing
import Watcher

/// A daemon context that watches its music folder, running the scan and watch services until
/// `stop()`; the corpus is copied beside the music folder (`staging`), to be copied in by tests.
final class WatchFixture: @unchecked Sendable {
    let dir: TemporaryDirectory
    let music: String
    let staging: String
    let corpus: Corpus
    let events = EventLog()
    private(set) var context: DaemonContext
    private var runner: Task<Void, Error>?

    init(populated: Bool = false, maximumWatches: Int = .max, fallbackInterval: Duration = .seconds(300)) throws {
        corpus = try Corpus.shared(tracks: 120)
        dir = try TemporaryDirectory("watch")
        music = dir.appending("Music")
        staging = dir.appending("staging")
        try corpus.copy(to: staging)
        if populated {
            try corpus.copy(to: music)
        } else {
            try FileManager.default.createDirectory(atPath: music, withIntermediateDirectories: true)
        }
        options = WatchService.Options(offlinePollInterval: .milliseconds(100), fallbackInterval: fallbackInterval,
                                       maximumWatchesPerRoot: maximumWatches)
        context = try Self.open(dir: dir, music: music, events: events, options: options)
    }

    private let options: WatchService.Options

    private static func open(dir: TemporaryDirectory, music: String, events: EventLog,
                             options: WatchService.Options) throws -> DaemonContext {
        let configuration = Configuration(music: [music], data: dir.appending("data"), cache: dir.appending("data/cache"))
        return try DaemonContext.open(configuration, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
                                      environment: ["XDG_DATA_HOME": dir.appending("xdg")], watchOptions: options) { events.append($0) }
    }

    /// Starts the scan lane and a watcher (with the fixture's limits), and waits for the start
    /// reconcile to finish.
    func start() async throws {
        let watcher = try #require(context.watcher)
        let scans = context.scans
        let before = events.finished
        runner = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await scans.run() }
                group.addTask { try await watcher.run() }
                try await group.waitForAll()
            }
        }
        try await wait { self.events.finished > before }
    }

    var watcher: WatchService? { context.watcher }

    /// Stops both services and waits for them.
    func stop() async {
        runner?.cancel()
        _ = try? await runner?.value
        runner = nil
    }

    /// Stops, then opens a new context over the same folders (a daemon restart).
    func restart() async throws {
        await stop()
        context = try Self.open(dir: dir, music: music, events: events, options: options)
    }

    /// Waits until `condition` holds; throws after `eventuallyTimeout` seconds.
    func wait(_ condition: () throws -> Bool) async throws {
        let held = try await eventually { try condition() }
        if !held { throw CancellationError() }
    }

    /// Every track, by primary file path.
    func tracks() throws -> [String: TrackRecord] {
        let all = try context.library.search(SearchQuery(text: "", limit: 100_000)).tracks
        return Dictionary(all.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Every file's path in the library (copies of one recording are several files, one track).
    func paths() throws -> Set<String> {
        Set(try context.library.storedFiles(roots: context.library.roots().map(\.id)).map(\.relativePath.displayString))
    }

    func search(_ text: String) throws -> [TrackRecord] {
        try context.library.search(SearchQuery(text: text, limit: 1000)).tracks
    }

    /// Runs a shell command in the fixture's folder.
    func sh(_ script: String) throws {
        try Shell.run("/bin/sh", ["-c", "cd '\(dir.path)' && \(script)"])
    }

    /// Renames (rename(2)) inside the fixture's folder; creates the destination's parent.
    func move(_ from: String, _ to: String) throws {
        try FileManager.default.createDirectory(atPath: (dir.appending(to) as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: dir.appending(from), toPath: dir.appending(to))
    }

    /// Copies a file or folder inside the fixture's folder.
    func copy(_ from: String, _ to: String) throws {
        try FileManager.default.copyItem(atPath: dir.appending(from), toPath: dir.appending(to))
    }

    func remove(_ path: String) throws {
        try FileManager.default.removeItem(atPath: dir.appending(path))
    }

    /// A visible corpus track of a format, by its path relative to the corpus root.
    func source(_ format: String, _ n: Int = 0) -> Corpus.Track {
        corpus.visibleTracks.filter { $0.format == format && $0.path.split(separator: "/").count >= 3 }[n]
    }
}

@Suite("Live watching through the daemon's services")
struct WatchServiceTests {
    @Test("Given a watched empty library, when an album folder is copied in, then all its tracks become searchable and a tracksChanged event names them")
    func copyIn() async throws {
        let f = try WatchFixture()
        try await f.start()
        let album = "Björk"
        let expected = f.corpus.visibleTracks.filter { $0.path.hasPrefix(album + "/") }.count
        #expect(expected > 3)

        try f.copy("staging/" + album, "Music/" + album)

        try await f.wait { try f.tracks().count == expected }
        // Events follow the write; wait for the last one.
        func changed() -> [TrackUID] {
            f.events.all.flatMap { event -> [TrackUID] in
                if case .tracksChanged(let uids) = event { return uids }
                return []
            }
        }
        try await f.wait { Set(changed()).count >= expected }
        #expect(Set(changed()) == Set(try f.tracks().values.map(\.uid)))
        await f.stop()
    }

    @Test("Given watched tracks with user data, when a file and then a folder are renamed, then uids, favorites and playlist entries stay and nothing is re-probed")
    func renames() async throws {
        let f = try WatchFixture(populated: true)
        try await f.start()
        let before = try f.tracks()
        let path = f.source("flac").path
        let track = try #require(before[path])
        try f.context.library.record(.favorite(track.uid, true))
        let playlist = try f.context.library.record(.createPlaylist(name: "Keep"))[0].target
        try f.context.library.record(.addToPlaylist(id: playlist, uids: [track.uid], index: nil))
        let folder = (path as NSString).deletingLastPathComponent

        // A file renamed inside its folder.
        let renamed = folder + "/renamed by a tagger.flac"
        try f.move("Music/" + path, "Music/" + renamed)
        try await f.wait { try f.tracks()[renamed] != nil }
        #expect(try f.tracks()[renamed]?.uid == track.uid)
        #expect(try f.tracks()[path] == nil)

        // Its whole folder renamed (under a new parent).
        let movedFolder = "Moved here/" + (folder as NSString).lastPathComponent
        try f.move("Music/" + folder, "Music/" + movedFolder)
        let newPath = movedFolder + "/renamed by a tagger.flac"
        try await f.wait { try f.tracks()[newPath] != nil }
        let after = try f.tracks()
        #expect(after.count == before.count)
        #expect(after[newPath]?.uid == track.uid)
        #expect(after[newPath]?.favorite == true)
        #expect(try f.context.library.playlist(id: playlist)?.items.map(\.uid) == [track.uid])
        #expect(try f.context.library.playlist(id: playlist)?.items.first?.track?.path == newPath)
        // Every track of the old folder moved, none was re-read.
        let oldFolderUIDs = Set(before.filter { $0.key.hasPrefix(folder + "/") }.map(\.value.uid))
        #expect(Set(after.filter { $0.key.hasPrefix(movedFolder + "/") }.map(\.value.uid)) == oldFolderUIDs)
        try await f.wait { f.context.scans.status().changesApplied >= 2 }
        await f.stop()
    }

    @Test("Given watched tracks, when files are deleted, moved out, moved back in and rewritten in place, then the library and search follow each change")
    func deleteMoveOutInRewrite() async throws {
        let f = try WatchFixture(populated: true)
        try await f.start()
        let deleted = f.source("mp3", 0)
        let movedOut = f.source("ogg", 0)
        let total = try f.tracks().count
        let deletedUID = try #require(try f.tracks()[deleted.path]).uid

        try f.remove("Music/" + deleted.path)
        try await f.wait { try f.tracks()[deleted.path] == nil }
        #expect(try f.context.library.track(uid: deletedUID) == nil)
        try await f.wait { f.events.all.contains(.tracksRemoved(uids: [deletedUID])) }

        try f.move("Music/" + movedOut.path, "outside/x.ogg")
        try await f.wait { try f.tracks().count == total - 2 }

        try f.move("outside/x.ogg", "Music/back in.ogg")
        try await f.wait { try f.tracks()["back in.ogg"] != nil }

        // Rewritten in place with new tags: same audio, so the same uid, new title.
        let rewritten = f.source("flac", 1)
        let uid = try #require(try f.tracks()[rewritten.path]).uid
        try Shell.ffmpeg(["-i", f.dir.appending("staging/" + rewritten.path), "-map", "0:a", "-c", "copy",
                          "-metadata", "title=Zyzzyva Rewritten", f.dir.appending("retagged.flac")])
        // Rewritten through the same inode (open with O_TRUNC, write, close), like a tagger.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: f.dir.appending("retagged.flac")))
        let handle = try #require(FileHandle(forWritingAtPath: f.dir.appending("Music/" + rewritten.path)))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: bytes)
        try handle.close()
        try await f.wait { try f.search("Zyzzyva").count == 1 }
        #expect(try f.search("Zyzzyva").first?.uid == uid)
        #expect(try f.tracks().count == total - 1)
        await f.stop()
    }

    @Test("Given a watched library, when a nested folder tree is created as fast as a shell can, then every file in it is indexed")
    func nestedTree() async throws {
        let f = try WatchFixture()
        try await f.start()
        let source = f.source("opus").path
        try f.sh("""
            for a in 1 2 3 4 5; do for b in 1 2 3; do mkdir -p "Music/T$a/S$b/D"; \
            for n in 1 2 3 4; do cp "staging/\(source)" "Music/T$a/S$b/D/$n.opus"; done; done; done
            """)
        try await f.wait { try f.context.library.statistics().files == 60 }
        // One recording in 60 files: one track.
        #expect(try f.tracks().count == 1)
        await f.stop()
    }

    @Test("Given a watch budget too small for the library, when files change in an unwatched folder, then the periodic rescan still finds them")
    func unwatchedFoldersFallBack() async throws {
        let f = try WatchFixture(populated: true, maximumWatches: 3, fallbackInterval: .milliseconds(300))
        try await f.start()
        let status = try #require(f.watcher?.status().roots.first)
        #expect(status.mode == .partial)
        #expect(status.problem != nil)
        let files = try f.context.library.statistics().files
        // Deep folders are beyond the budget: a file added there is found by the fallback.
        let deep = try #require(f.corpus.visibleTracks.map { ($0.path as NSString).deletingLastPathComponent }
            .filter { $0.split(separator: "/").count >= 2 }.last)
        try f.copy("staging/" + f.source("m4a").path, "Music/\(deep)/fallback copy.m4a")
        // The same recording: one more file of an existing track.
        try await f.wait { try f.context.library.statistics().files == files + 1 }
        await f.stop()
    }

    @Test("Given a watched root, when it disappears and comes back, then its tracks are kept offline and return with the same uids")
    func offlineRootReturns() async throws {
        let f = try WatchFixture(populated: true)
        try await f.start()
        let before = try f.tracks()
        try f.move("Music", "Music.unplugged")
        try await f.wait { try f.context.library.roots().first?.online == false }
        let away = try f.tracks()
        #expect(away.mapValues(\.uid) == before.mapValues(\.uid))
        #expect(away.values.allSatisfy { !$0.available })
        try await f.wait { f.watcher?.status().roots.first?.mode == .offline }

        try f.move("Music.unplugged", "Music")
        try f.copy("staging/" + f.source("mp3").path, "Music/while away.mp3")
        try await f.wait { try f.context.library.roots().first?.online == true && f.paths().contains("while away.mp3") }
        let after = try f.tracks()
        for (path, track) in before {
            #expect(after[path]?.uid == track.uid, "\(path)")
        }
        #expect(after.values.allSatisfy { $0.available })
        #expect(f.watcher?.status().roots.first?.mode == .watching)
        await f.stop()
    }

    @Test("Given a stopped daemon, when files are added, renamed and deleted, then the next start reconciles every change")
    func restartCatchesUp() async throws {
        let f = try WatchFixture(populated: true)
        try await f.start()
        let before = try f.tracks()
        try await f.restart()
        let renamed = f.source("flac", 2)
        let deleted = f.source("ogg", 1)
        try f.move("Music/" + renamed.path, "Music/renamed while stopped.flac")
        try f.remove("Music/" + deleted.path)
        try f.copy("staging/Sigur Rós", "Music/Added while stopped")
        try await f.start()
        let after = try f.tracks()
        #expect(after["renamed while stopped.flac"]?.uid == before[renamed.path]?.uid)
        #expect(after[deleted.path] == nil)
        let added = f.corpus.visibleTracks.filter { $0.path.hasPrefix("Sigur Rós/") }
        #expect(!added.isEmpty)
        let paths = try f.paths()
        for track in added {
            #expect(paths.contains("Added while stopped/" + track.path.dropFirst("Sigur Rós/".count)), "\(track.path)")
        }
        await f.stop()
    }

    @Test("Given a running watcher, when the music folders are reloaded, then a new folder is watched live and a removed one is let go")
    func reloadRoots() async throws {
        let f = try WatchFixture()
        try await f.start()
        let second = f.dir.appending("Second")
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: true)
        let roots = [RawPath(f.music), RawPath(second)]
        f.watcher?.reload(roots: roots)
        f.context.scans.reload(roots: roots)
        try await f.wait { f.watcher?.status().roots.map(\.mode) == [.watching, .watching] }

        try f.copy("staging/" + f.source("wav").path, "Second/live.wav")
        try await f.wait { try f.tracks()["live.wav"] != nil }

        f.watcher?.reload(roots: [RawPath(f.music)])
        try await f.wait { f.watcher?.status().roots.map(\.path) == [f.music] }
        await f.stop()
    }
}
