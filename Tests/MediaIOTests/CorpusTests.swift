import Foundation
import MediaIO
import OmniModel
import Testing
import TestSupport

/// Every visible track of a generated all-formats corpus, checked field by field against the
/// corpus manifest (the truth the generator wrote).
@Suite("Reading a generated corpus")
struct CorpusTests {
    init() { TestLog.install() }

    @Test("Every visible corpus track's tags, properties and cover match the manifest")
    func everyTrackMatchesTheManifest() throws {
        // Given a 300-track corpus in all six formats
        let corpus = try Corpus.shared(tracks: 300)
        let reader = TagReader()
        var mismatches: [String] = []
        var uids: [TrackUID: String] = [:]

        for track in corpus.visibleTracks {
            // When each file is probed
            let result: ProbeResult
            do {
                result = try reader.probe(RawPath("\(corpus.root)/\(track.path)"))
            } catch {
                mismatches.append("\(track.path): threw \(error.expandedDescription)")
                continue
            }
            // Then every field the manifest records is what the reader found
            let tags = result.tags
            let expected = track.tags
            func check<T: Equatable>(_ name: String, _ actual: T, _ wanted: T) {
                if actual != wanted { mismatches.append("\(track.path) [\(track.format)] \(name): got \(actual), want \(wanted)") }
            }
            // The reader trims and NFC-normalizes every string (a tag "  Double  Spaces  Inside"
            // reads as "Double  Spaces  Inside"); the manifest keeps the bytes written.
            let trimmed = track.expected_title.trimmingCharacters(in: .whitespaces).precomposedStringWithCanonicalMapping
            check("title", tags.title, trimmed)
            check("titleFromFileName", tags.titleFromFileName, track.title_source != "tag")
            check("artist", tags.artist, expected.artist)
            check("album", tags.album, expected.album)
            check("albumartist", tags.albumArtist, expected.albumartist)
            check("track", tags.trackNumber, expected.track)
            check("tracktotal", tags.trackTotal, expected.tracktotal)
            check("disc", tags.discNumber, expected.disc)
            check("disctotal", tags.discTotal, expected.disctotal)
            check("year", tags.year, expected.year)
            check("date", tags.date, expected.date)
            check("genres", tags.genres, expected.genre ?? [])
            check("compilation", tags.compilation, expected.compilation == 1)
            check("codec", result.audio.codec, track.codec)
            check("sample_rate", result.audio.sampleRate, track.sample_rate)
            check("channels", result.audio.channels, track.channels)
            check("hasArtwork", result.artwork != nil, track.cover != nil)
            if let cover = track.cover, let artwork = result.artwork { check("cover mime", artwork.mimeType, cover.mime) }
            let seconds = Double(result.audio.durationMs ?? -100_000) / 1000
            if abs(seconds - track.duration) > 0.1 {
                mismatches.append("\(track.path) [\(track.format)] duration: got \(seconds), want \(track.duration)")
            }
            if let other = uids[result.uid] { mismatches.append("\(track.path): same uid as \(other)") }
            uids[result.uid] = track.path
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(60).joined(separator: "\n"))")
    }

    @Test("The corpus's corrupt files throw MediaError instead of crashing")
    func corruptFilesThrow() throws {
        // Given the empty, random-bytes and truncated files in Broken/
        let corpus = try Corpus.shared(tracks: 300)
        let broken = corpus.manifest.extra_files.filter { $0.kind == "corrupt_audio" }
        #expect(broken.count == 3)
        for file in broken {
            // When each is probed, then a MediaError is thrown
            #expect(throws: MediaError.self, "\(file.path)") {
                try TagReader().probe(RawPath("\(corpus.root)/\(file.path)"))
            }
        }
    }
}
