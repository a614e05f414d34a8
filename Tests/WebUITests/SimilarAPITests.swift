import Analysis
import Daemon
import Foundation
import LocalStore
import MediaIO
import Logging
import OmniModel
import Player
import Subsonic
import Synchronization
import Testing
import TestSupport
@testable import WebUI

/// A library of the similarity families (TestSupport's `SimilarityFamilies`, 15 pieces of 20 s)
/// as tagged FLAC files, scanned and really analysed (decoded from the files, as the daemon's
/// workers do), beside two corpus tracks that are not analysed. Made once per test process,
/// off the cooperative pool.
final class SimilarLibrary: Sendable {
    let fixture: LibraryFixture
    /// The members' tracks, in `SimilarityFamilies.members` order.
    let uids: [TrackUID]
    /// A track of the library without an analysis.
    let unanalysed: TrackUID

    static let genres = ["house": "House", "fast": "Drum and Bass", "swing": "Jazz", "half time": "Trap", "pads": "Ambient"]
    /// The member left without a genre tag (the third swing piece).
    static let untagged = 8
    /// The house family's first two members share an album, its first and third an artist;
    /// every other member has its own album and artist.
    static func album(_ i: Int) -> String { i < 2 ? "House One" : "Album \(i)" }
    static func artist(_ i: Int) -> String { i == 0 || i == 2 ? "Artist house" : "Artist \(i)" }

    static let shared = OffPool("similar-api-library") { Result { try SimilarLibrary() } }
    static var value: SimilarLibrary { get async throws { try await shared.value.get() } }

    private init() throws {
        fixture = try LibraryFixture(tracks: 2)
        let folder = fixture.music + "/Generated"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let members = SimilarityFamilies.members
        for (i, member) in members.enumerated() {
            let wav = fixture.dir.appending("member\(i).wav")
            try FloatWAV.write(member.music.render(), sampleRate: Int(member.music.sampleRate), channels: 2, to: wav)
            var tags = ["title=Piece \(i)", "artist=\(Self.artist(i))", "album=\(Self.album(i))"]
            if i != Self.untagged { tags.append("genre=\(Self.genres[member.family]!)") }
            try Shell.ffmpeg(["-i", wav] + tags.flatMap { ["-metadata", $0] } + ["-c:a", "flac", "-sample_fmt", "s16", folder + "/piece\(i).flac"])
            try FileManager.default.removeItem(atPath: wav)
        }
        try fixture.scan()
        let library = fixture.library
        uids = try members.indices.map { i in
            guard let uid = try library.files(named: RawPath("piece\(i).flac")).first?.trackUID else { throw RawHTTP.Failure(description: "piece\(i) not scanned") }
            return uid
        }
        let members15 = Set(uids)
        // Decoded and analysed from the files, two at a time (the machine's two cores), on
        // threads of their own: not on the pool the other tests' tasks need (`onThreads`).
        let work = try library.pendingAnalysis(version: TrackAnalyzer.version).filter { members15.contains($0.uid) }
        let results = Mutex<[Int: Result<TrackAnalysis?, MediaError>]>([:])
        onThreads(2, name: "similar-library analysis") { lane in
            for i in stride(from: lane, to: work.count, by: 2) {
                let result = Result { () throws(MediaError) in try FileAnalysis.analyze(work[i].path) }
                results.withLock { $0[i] = result }
            }
        }
        for (i, item) in work.enumerated() {
            guard let analysis = try results.withLock({ $0[i] })?.get() else { throw RawHTTP.Failure(description: "no analysis") }
            try library.recordAnalysis(StoredAnalysis(item, analysis: analysis, seconds: 0))
        }
        guard let other = try fixture.allTracks().first(where: { !members15.contains($0.uid) })?.uid else {
            throw RawHTTP.Failure(description: "no corpus track")
        }
        unanalysed = other
    }

    func family(_ uid: String) -> String? {
        uids.firstIndex(of: TrackUID(rawValue: uid)).map { SimilarityFamilies.members[$0].family }
    }
}

/// Similar tracks, paths, the mix helper, `compatible:`, genre suggestions, the radio and the
/// Subsonic similarity endpoints against a real server on port 0 (decision 0035).
@Suite("Similar tracks API")
struct SimilarAPITests {
    static func uids(_ reply: RawHTTP.Reply, _ key: String = "tracks") throws -> [String] {
        (try reply.json()[key] as? [[String: Any]] ?? []).compactMap { $0["uid"] as? String }
    }

    @Test("similar ranks a family's own members first, keeps the seed's album-mate out (one per album) and scores nearest first; an unanalysed seed answers analysed false; 404, 400")
    func similar() async throws {
        let lib = try await SimilarLibrary.value
        let server = try await RunningServer.start(lib.fixture)
        let http = server.http
        let house0 = lib.uids[0].rawValue
        let reply = try await http.get("/api/tracks/\(house0)/similar?limit=4")
        let wrongLimit = try await http.get("/api/tracks/\(house0)/similar?limit=101")
        let unknown = try await http.get("/api/tracks/nosuchtrack/similar")
        let unanalysed = try await http.get("/api/tracks/\(lib.unanalysed.rawValue)/similar")
        await server.stop()

        #expect(reply.status == 200)
        let json = try reply.json()
        #expect(json["seed"] as? String == house0)
        let tracks = try #require(json["tracks"] as? [[String: Any]])
        let found = tracks.compactMap { $0["uid"] as? String }
        let scores = tracks.compactMap { $0["score"] as? Double }
        // The nearest is the house piece on another album; its album-mate (uids[1]) is held back.
        #expect(found.count == 4 && scores.count == 4)
        #expect(found.first == lib.uids[2].rawValue, "\(found.map { lib.family($0) ?? "?" })")
        #expect(!found.contains(lib.uids[1].rawValue) && !found.contains(house0))
        // At most one more track of the seed's artist (the seed counts as one of two).
        #expect(found.filter { lib.family($0) == "house" }.count == 1)
        #expect(scores == scores.sorted(by: >) && scores.allSatisfy { $0 > 0 && $0 <= 1 })
        // T's fields are there.
        #expect(tracks.first?["title"] as? String == "Piece 2" && tracks.first?["artist"] as? String == "Artist house")
        #expect(wrongLimit.status == 400)
        #expect(unknown.status == 404)
        // A track not analysed yet is a state, not an error: 200, analysed false, no tracks.
        #expect(unanalysed.status == 200)
        let state = try unanalysed.json()
        #expect(state["analysed"] as? Bool == false && (state["tracks"] as? [Any])?.isEmpty == true)
        #expect(json["analysed"] as? Bool == true)
    }

    @Test("a path starts at a, ends at b, has the steps asked, repeats nothing and scores each step against the one before")
    func path() async throws {
        let lib = try await SimilarLibrary.value
        let server = try await RunningServer.start(lib.fixture)
        let a = lib.uids[0].rawValue, b = lib.uids[12].rawValue  // house → pads
        let reply = try await server.http.get("/api/tracks/\(a)/path/\(b)?steps=5")
        let tooFew = try await server.http.get("/api/tracks/\(a)/path/\(b)?steps=1")
        let unanalysed = try await server.http.get("/api/tracks/\(a)/path/\(lib.unanalysed.rawValue)")
        await server.stop()
        #expect(reply.status == 200)
        let json = try reply.json()
        #expect(json["from"] as? String == a && json["to"] as? String == b)
        let tracks = try #require(json["tracks"] as? [[String: Any]])
        let path = tracks.compactMap { $0["uid"] as? String }
        #expect(path.count == 5 && path.first == a && path.last == b && Set(path).count == 5)
        #expect((tracks.first?["score"] as? Double) == 1)
        #expect(tracks.dropFirst().allSatisfy { (($0["score"] as? Double) ?? 0) > 0 && (($0["score"] as? Double) ?? 2) < 1 })
        #expect(tooFew.status == 400)
        #expect(unanalysed.status == 409 && unanalysed.errorCode == "not_analysed")
    }

    @Test("mix: from a 124 BPM G minor piece to a 172 BPM C major one, B slows 27.9 % at its 172 BPM level and the keys clash; 400 and 404")
    func mix() async throws {
        let lib = try await SimilarLibrary.value
        let server = try await RunningServer.start(lib.fixture)
        // house #1: 124 BPM, tonic 7 minor (G minor, 6A); fast #1 (member 4): 172 BPM, tonic 0 major (C major, 8B).
        let a = lib.uids[1].rawValue, b = lib.uids[4].rawValue
        let reply = try await server.http.get("/api/mix?from=\(a)&to=\(b)")
        let standard = try await server.http.get("/api/mix?from=\(a)&to=\(b)&notation=standard")
        let badNotation = try await server.http.get("/api/mix?from=\(a)&to=\(b)&notation=solfege")
        let missing = try await server.http.get("/api/mix?from=\(a)")
        let unknown = try await server.http.get("/api/mix?from=\(a)&to=nosuchtrack")
        await server.stop()
        #expect(reply.status == 200)
        let json = try reply.json()
        let from = try #require(json["from"] as? [String: Any]), to = try #require(json["to"] as? [String: Any])
        let advice = try #require(json["advice"] as? [String: Any])
        #expect(from["uid"] as? String == a && from["title"] as? String == "Piece 1" && from["artist"] as? String == "Artist 1")
        #expect(from["key"] as? String == "G minor" && from["camelot"] as? String == "6A" && from["openKey"] as? String == "11m")
        #expect(to["key"] as? String == "C major" && to["camelot"] as? String == "8B")
        #expect(from["bpmSource"] as? String == "analysis" && abs((from["bpm"] as? Double ?? 0) - 124) < 0.3)
        // B's tempo may be analysed as 172 or, folded into 78–156, as 86 counted in double time.
        #expect(["same", "double"].contains(advice["tempoLevel"] as? String ?? ""))
        #expect(abs((advice["matchedBpm"] as? Double ?? 0) - 172) < 0.5)
        #expect(abs((advice["tempoChangePercent"] as? Double ?? 0) - (124.0 / 172 - 1) * 100) < 0.4)
        #expect(abs((advice["pitchShiftSemitones"] as? Double ?? 0) - 12 * log2(124.0 / 172)) < 0.1)
        #expect(advice["relation"] as? String == "incompatible")
        // −5.66 semitones round to −6: C major moves to F♯ major (2B), still a clash with 6A.
        #expect((advice["shiftedKey"] as? [String: Any])?["camelot"] as? String == "2B")
        #expect(advice["shiftedRelation"] as? String == "incompatible")
        // Only the relative major of 6A is a major key compatible with it: B♭ major (6B), 2 semitones down.
        #expect((advice["compatibleKey"] as? [String: Any])?["camelot"] as? String == "6B")
        #expect(advice["compatibleShiftSemitones"] as? Int == -2)
        #expect((advice["suggestion"] as? String ?? "").hasPrefix("Slow B down 27.9 %"), "\(advice["suggestion"] ?? "")")
        // notation=standard names the keys so: "… and its key moves to F♯ major, which clashes with A's G minor."
        let standardSuggestion = (try standard.json()["advice"] as? [String: Any])?["suggestion"] as? String ?? ""
        #expect(standardSuggestion.contains("F♯ major") && standardSuggestion.contains("A's G minor"), "\(standardSuggestion)")
        #expect(badNotation.status == 400)
        #expect(missing.status == 400)
        #expect(unknown.status == 404)
    }

    @Test("compatible:KEY finds the same Camelot code, one step either way and the relative key, in any notation")
    func compatible() async throws {
        let lib = try await SimilarLibrary.value
        let server = try await RunningServer.start(lib.fixture)
        var analysed: [String: String] = [:]
        for uid in lib.uids { analysed[uid.rawValue] = try lib.fixture.library.analysis(of: uid)?.camelot }
        // house #1 is G minor = 6A: 6A, 5A, 7A and 6B are compatible.
        let camelot = try await server.http.get("/api/search?q=compatible:6A&limit=100")
        let standard = try await server.http.get("/api/search?q=compatible:Gm&limit=100")
        let openKey = try await server.http.get("/api/search?q=compatible:11m&limit=100")
        await server.stop()
        let found = Set(try Self.uids(camelot))
        let expected = Set(analysed.filter { ["6A", "5A", "7A", "6B"].contains($0.value) }.keys)
        #expect(!expected.isEmpty && expected.count < analysed.count)
        #expect(found == expected, "found \(found.map { analysed[$0] ?? "?" })")
        #expect(try Set(Self.uids(standard)) == expected && Set(Self.uids(openKey)) == expected)
    }

    @Test("genre suggestion: the untagged swing piece gets Jazz from its tagged neighbours; a tagged or unanalysed track gets null")
    func genre() async throws {
        let lib = try await SimilarLibrary.value
        let server = try await RunningServer.start(lib.fixture)
        let untagged = lib.uids[SimilarLibrary.untagged].rawValue
        let suggestion = try await server.http.get("/api/tracks/\(untagged)/genre-suggestion")
        let tagged = try await server.http.get("/api/tracks/\(lib.uids[0].rawValue)/genre-suggestion")
        let unanalysed = try await server.http.get("/api/tracks/\(lib.unanalysed.rawValue)/genre-suggestion")
        let unknown = try await server.http.get("/api/tracks/nosuchtrack/genre-suggestion")
        await server.stop()
        #expect(suggestion.status == 200)
        let json = try suggestion.json()
        #expect(json["genre"] as? String == "Jazz", "\(json)")
        let confidence = try #require(json["confidence"] as? Double)
        #expect(confidence > 0.3 && confidence <= 1)
        let basis = try #require(json["basis"] as? [String])
        #expect(basis.count == SimilarTracks.Snapshot.genreVoters && !basis.contains(untagged))
        // The two other swing pieces are the nearest voters.
        #expect(basis.prefix(2).allSatisfy { lib.family($0) == "swing" }, "\(basis.map { lib.family($0) ?? "?" })")
        let taggedJSON = try tagged.json()
        #expect(tagged.status == 200 && taggedJSON["genre"] is NSNull && taggedJSON["confidence"] as? Double == 0)
        #expect((taggedJSON["basis"] as? [Any])?.isEmpty == true)
        #expect(try unanalysed.status == 200 && unanalysed.json()["genre"] is NSNull)
        #expect(unknown.status == 404)
    }

    @Test("""
        the radio plays the seed and tops a real player's queue up as it advances, never repeating a track; a `radio` event \
        is sent; replacing the queue stops it; DELETE stops it; 409 for an unanalysed seed, 404 for an unknown one
        """)
    func radio() async throws {
        let lib = try await SimilarLibrary.value
        let capture = lib.fixture.dir.appending("radio-\(UUID().uuidString).raw")
        let events = EventHub()
        let similar = SimilarTracks(library: lib.fixture.library)
        let radio = PlayerRadio(similar: similar, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
                                publish: { event in Task { await events.publish(event) } })
        let player = Player(library: lib.fixture.library, configuration: PlayerConfiguration(
            output: "capture", alsaConfiguration: """
                pcm.capture { type file slave.pcm { type null } file "\(capture)" format "raw" }
                """), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            publish: { event in
                radio.noticed(event)
                Task { await events.publish(event) }
            })
        radio.attach(player)
        player.start()
        let server = try await RunningServer.start(lib.fixture, events: events, player: player, radio: radio) { $0.similar = similar }
        let http = server.http
        let seed = lib.uids[6].rawValue  // swing #0
        let analysed = Set(lib.uids.map(\.rawValue))

        let before = try await http.get("/api/player/radio")
        let stream = try await http.open("/api/events")
        _ = try await stream.read(until: ": connected")
        let started = try await http.json("POST", "/api/player/radio", ["seed": seed])
        let event = try await stream.read(until: "event: radio")
        var state = try await http.get("/api/player").json()
        // Skip forward: each skip leaves fewer tracks after the current one, and the radio adds
        // five more when fewer than three remain, until the library's 15 analysed tracks are in.
        var added = 0
        for _ in 0..<12 {
            _ = try await http.json("POST", "/api/player/next", [:] as [String: Any])
            _ = try await eventually {
                state = try await http.get("/api/player").json()
                let queue = state["queue"] as? [Any] ?? [], index = state["index"] as? Int ?? -1
                added = (state["radio"] as? [String: Any])?["added"] as? Int ?? 0
                return queue.count - 1 - index >= PlayerRadio.lowWater || added == analysed.count || index < 0
            }
        }
        let queue = (state["queue"] as? [[String: Any]] ?? []).compactMap { $0["uid"] as? String }
        let active = (state["radio"] as? [String: Any])?["active"] as? Bool
        // The user replaces the queue: the radio stops, the queue stays the user's.
        _ = try await http.json("POST", "/api/player/queue", ["uids": [lib.unanalysed.rawValue], "replace": true])
        let stopped = try await eventually { (try await http.get("/api/player/radio").json())["active"] as? Bool == false }
        let afterReplace = try await http.get("/api/player").json()
        // Started again without replacing: appended after the current queue; DELETE stops it.
        let appended = try await http.json("POST", "/api/player/radio", ["seed": seed, "replace": false])
        let appendedQueue = try Self.uids(try await http.get("/api/player"), "queue")
        let deleted = try await http.send("DELETE", "/api/player/radio")
        let unanalysed = try await http.json("POST", "/api/player/radio", ["seed": lib.unanalysed.rawValue])
        let unknown = try await http.json("POST", "/api/player/radio", ["seed": "nosuchtrack"])
        await server.stop()
        await player.shutdown()

        #expect(before.status == 200)
        #expect(try before.json()["active"] as? Bool == false && before.json()["window"] as? Int == 50)
        #expect(started.status == 200)
        let r = try started.json()
        #expect(r["active"] as? Bool == true && r["seed"] as? String == seed && r["window"] as? Int == 50
                && r["added"] as? Int == 1 + PlayerRadio.topUp)
        #expect(event.contains("\"type\":\"radio\"") && event.contains("\"active\":true"))
        // The queue began with the seed, holds only analysed tracks, none twice (15 < the window of 50).
        #expect(queue.first == seed)
        #expect(queue.count == added && added > 1 + PlayerRadio.topUp, "queue \(queue.count), added \(added)")
        #expect(Set(queue).count == queue.count && queue.allSatisfy(analysed.contains))
        #expect(active == true)
        // The radio's first picks are the seed's own family.
        #expect(queue.dropFirst().prefix(2).allSatisfy { lib.family($0) == "swing" }, "\(queue.map { lib.family($0) ?? "?" })")
        #expect(stopped)
        #expect((afterReplace["queue"] as? [Any])?.count == 1)
        #expect(try appended.status == 200 && appended.json()["active"] as? Bool == true)
        #expect(appendedQueue.first == lib.unanalysed.rawValue && appendedQueue.dropFirst().first == seed
                && appendedQueue.count == 2 + PlayerRadio.topUp)
        #expect(try deleted.status == 200 && deleted.json()["active"] as? Bool == false)
        #expect(unanalysed.status == 409 && unanalysed.errorCode == "not_analysed")
        #expect(unknown.status == 404)
    }

    @Test("Subsonic: getSimilarSongs2 of an artist returns analysed tracks of other artists; getSonicSimilarTracks and findSonicPath answer; the extension is listed")
    func subsonic() async throws {
        let lib = try await SimilarLibrary.value
        let data = lib.fixture.dir.appending("subsonic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let credentials = CredentialFile(data: data)
        try credentials.setPassword("sesame", user: "listener")
        let similar = SimilarTracks(library: lib.fixture.library)
        let server = try await RunningServer.start(lib.fixture) { configuration in
            var environment = SubsonicEnvironment(library: lib.fixture.library, actions: TestActions(fixture: lib.fixture, events: EventHub()),
                                                  user: "listener", credentials: credentials, serverVersion: "test",
                                                  musicRoots: { [RawPath(lib.fixture.music)] }, publish: { _ in },
                                                  logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            environment.similar = similar
            configuration.mounts = [SubsonicAPI(environment: environment)]
            configuration.similar = similar
        }
        func call(_ method: String, _ query: String) async throws -> [String: Any] {
            let reply = try await server.http.get("/rest/\(method)?u=listener&p=sesame&v=1.16.1&c=test&f=json&\(query)")
            return (try reply.json()["subsonic-response"] as? [String: Any]) ?? [:]
        }
        let swing0 = lib.uids[6].rawValue
        let song = try await call("getSong", "id=tr-\(swing0)")
        let artistId = try #require((song["song"] as? [String: Any])?["artistId"] as? String)
        let similar2 = try await call("getSimilarSongs2", "id=\(artistId)&count=5")
        let similar1 = try await call("getSimilarSongs", "id=tr-\(swing0)&count=3")
        let sonic = try await call("getSonicSimilarTracks", "id=tr-\(swing0)&count=2")
        let path = try await call("findSonicPath", "startSongId=tr-\(lib.uids[0].rawValue)&endSongId=tr-\(lib.uids[12].rawValue)&count=4")
        let extensions = try await call("getOpenSubsonicExtensions", "")
        await server.stop()

        let songs2 = (similar2["similarSongs2"] as? [String: Any])?["song"] as? [[String: Any]] ?? []
        #expect(similar2["status"] as? String == "ok")
        #expect(songs2.count == 5 && songs2.allSatisfy { $0["artist"] as? String != "Artist 6" }, "\(songs2.map { $0["artist"] ?? "" })")
        #expect(songs2.allSatisfy { lib.family(String(($0["id"] as? String ?? "").dropFirst(3))) != nil })
        let songs1 = (similar1["similarSongs"] as? [String: Any])?["song"] as? [[String: Any]] ?? []
        #expect(songs1.count == 3 && songs1.prefix(2).allSatisfy { lib.family(String(($0["id"] as? String ?? "").dropFirst(3))) == "swing" })
        let matches = sonic["sonicMatch"] as? [[String: Any]] ?? []
        #expect(matches.count == 2)
        #expect(matches.allSatisfy { m in
            let id = ((m["entry"] as? [String: Any])?["id"] as? String ?? "").dropFirst(3)
            return lib.family(String(id)) == "swing" && ((m["similarity"] as? Double) ?? 0) > 0
        })
        let steps = (path["sonicMatch"] as? [[String: Any]] ?? []).compactMap { ($0["entry"] as? [String: Any])?["id"] as? String }
        #expect(steps.count == 4 && steps.first == "tr-\(lib.uids[0].rawValue)" && steps.last == "tr-\(lib.uids[12].rawValue)")
        #expect((path["sonicMatch"] as? [[String: Any]])?.first?["similarity"] as? Double == 1)
        let names = (extensions["openSubsonicExtensions"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(names.contains("sonicSimilarity"))
    }
}
