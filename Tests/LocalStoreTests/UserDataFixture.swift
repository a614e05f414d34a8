import Foundation
import GRDB
@testable import LocalStore
import OmniModel

/// Tracks written through the real scan path (`ScanBatch` + `Library.apply`), for user-data tests.
struct ScannedTrack {
    var uid: String
    var title: String
    var artist: String? = "Artist"
    var album: String? = "Album"
    var year: Int? = 2001
    var genres: [String] = ["Rock"]
    var trackNumber: Int? = 1
    var durationMs = 180_000
    var file: String? = nil

    var probeResult: ProbeResult {
        var tags = TrackTags(title: title)
        tags.artist = artist
        tags.artists = artist.map { [$0] } ?? []
        tags.album = album
        tags.albumArtist = artist
        tags.albumArtists = artist.map { [$0] } ?? []
        tags.year = year
        tags.genres = genres
        tags.trackNumber = trackNumber
        return ProbeResult(uid: TrackUID(rawValue: uid), tags: tags,
                           audio: AudioProperties(codec: "flac", container: "flac", durationMs: durationMs), artwork: nil)
    }
}

extension Library {
    /// Scans `tracks` into the library (one file each, under one root) and finishes the scan.
    @discardableResult
    func scan(_ tracks: [ScannedTrack], inode start: UInt64 = 1, finish: Bool = true) throws -> MusicRoot {
        let root = try ensureRoot(RawPath("/music"))
        var batch = ScanBatch()
        for (offset, track) in tracks.enumerated() {
            let entry = FileEntry(relativePath: RawPath(track.file ?? "\(track.album ?? "none")/\(track.uid).flac"), size: 1000,
                                  mtimeNs: 1, ctimeNs: 1, inode: start + UInt64(offset), device: 1)
            batch.probed.append(ScanBatch.Probed(rootID: root.id, entry: entry,
                                                 outcome: .track(track.probeResult, artwork: nil, folderArtwork: nil)))
        }
        try apply(batch)
        if finish { try finishScan() }
        return root
    }

    /// Gives the library a fixed device id (tests only: ids are otherwise random).
    func setDeviceID(_ id: String) throws {
        try writer.write { db in try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'device'", arguments: [id]) }
    }
}

/// Milliseconds since 1970 as a `Date`.
func at(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

extension TrackUID {
    static func t(_ raw: String) -> TrackUID { TrackUID(rawValue: raw) }
}
