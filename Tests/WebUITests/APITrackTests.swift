import Foundation
import OmniModel
import Testing
@testable import WebUI

@Suite("Track JSON")
struct APITrackTests {
    func parsed(_ bytes: [UInt8]) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary)
    }

    @Test("Given library tracks and awkward values, when written by hand and by JSONEncoder, then the JSON objects are equal")
    func writerMatchesEncoder() throws {
        let fixture = try LibraryFixture.shared.get()
        var tracks = try fixture.allTracks().map(APITrack.init(record:))
        var odd = try #require(tracks.first)
        odd.document.title = "Quote \" backslash \\ newline \n tab \t bell \u{7} é 漢字 🎵"
        odd.document.artist = nil
        odd.document.genres = ["a\"b", ""]
        odd.document.bpm = 128.5
        odd.document.replayGain = ReplayGain(trackGain: -6.5, trackPeak: 0.98)
        odd.rating = 3
        odd.lastPlayed = Date(timeIntervalSince1970: 1_763_000_000.25)
        odd.favorite = true
        tracks.append(odd)
        for track in tracks {
            var writer = JSONWriter()
            track.write(to: &writer)
            let byHand = try parsed(writer.bytes)
            let byFoundation = try parsed(Array(try JSONEncoder().encode(track)))
            #expect(byHand == byFoundation, "\(String(decoding: writer.bytes, as: UTF8.self))")
        }
    }
}
