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

    @Test("Given a track without BPM and key tags but analysed, when sent, then bpm and key are the analysed ones (0.1 BPM, standard notation) with camelot; tags win")
    func analysedBpmAndKey() throws {
        let fixture = try LibraryFixture.shared.get()
        var record = try #require(try fixture.allTracks().first)
        (record.bpm, record.musicalKey, record.analysedBpm, record.analysedCamelot) = (nil, nil, 127.64, "8A")
        var track = APITrack(record: record)
        #expect(track.document.bpm == 127.6 && track.bpmSource == "analysis")
        #expect(track.document.key == "A minor" && track.camelot == "8A" && track.keySource == "analysis")
        (record.bpm, record.musicalKey) = (128, "F#m")
        track = APITrack(record: record)
        #expect(track.document.bpm == 128 && track.bpmSource == "tag")
        #expect(track.document.key == "F#m" && track.camelot == "11A" && track.keySource == "tag", "the tag as written, its code from any notation")
        (record.musicalKey, record.analysedBpm, record.analysedCamelot) = ("not a key", nil, nil)
        record.bpm = nil
        track = APITrack(record: record)
        #expect(track.document.bpm == nil && track.bpmSource == nil)
        #expect(track.document.key == "not a key" && track.camelot == nil)
        var writer = JSONWriter()
        track.write(to: &writer)
        let json = try parsed(writer.bytes)
        #expect(json["camelot"] is NSNull && json["bpmSource"] is NSNull && json["keySource"] as? String == "tag")
    }
}
