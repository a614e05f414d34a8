import Dispatch
import Foundation
import MediaIO
import OmniModel
import Testing
import TestSupport

@Suite("Artwork choice and concurrent probing")
struct ArtworkAndConcurrencyTests {
    init() { TestLog.install() }

    @Test("With a larger back cover and a smaller front cover, the front cover is returned")
    func frontCoverWins() throws {
        // Given a FLAC with a 64 px PNG back cover and a 16 px JPEG front cover
        let dir = try TemporaryDirectory("art")
        let audio = dir.appending("a.flac"), back = dir.appending("back.png"), front = dir.appending("front.jpg")
        try Fixtures.tone(audio)
        try Shell.ffmpeg(["-f", "lavfi", "-i", "testsrc=s=64x64:d=0.1", "-frames:v", "1", back])
        try Shell.ffmpeg(["-f", "lavfi", "-i", "color=c=blue:s=16x16:d=0.1", "-frames:v", "1", front])
        let path = dir.appending("covers.flac")
        try Shell.ffmpeg(["-i", audio, "-i", back, "-i", front, "-map", "0", "-map", "1", "-map", "2", "-c", "copy",
                          "-disposition:v", "attached_pic",
                          "-metadata:s:v:0", "comment=Cover (back)", "-metadata:s:v:1", "comment=Cover (front)", path])
        // When probed with and without artwork
        let reader = TagReader()
        let result = try reader.probe(RawPath(path))
        // Then the front cover (a JPEG) is chosen, and no bytes are copied when not asked for
        #expect(result.artwork?.mimeType == "image/jpeg")
        #expect(try reader.probe(RawPath(path), withArtwork: false).artwork == nil)
    }

    @Test("Probing the same files from several threads at once gives the sequential results")
    func concurrentProbes() throws {
        // Given the corpus and its results probed on one thread
        let corpus = try Corpus.shared(tracks: 300)
        let paths = corpus.visibleTracks.prefix(120).map { RawPath("\(corpus.root)/\($0.path)") }
        let reader = TagReader()
        let sequential = paths.map { try? reader.probe($0) }
        // When four threads probe them all concurrently (interleaved)
        let results = ResultBox(count: paths.count)
        onThreads(4, name: "concurrent probes") { worker in
            for index in stride(from: worker, to: paths.count, by: 4) {
                results.set(index, try? reader.probe(paths[index]))
            }
        }
        // Then every result is identical
        #expect(results.values == sequential)
    }
}

/// Results written by several threads, each to its own slot, under a lock.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [ProbeResult?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: ProbeResult?) { lock.withLock { storage[index] = value } }
    var values: [ProbeResult?] { lock.withLock { storage } }
}
