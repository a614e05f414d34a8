import Foundation
import Indexer
import Testing

/// `ScanStatus` is one type for the scan service and the API (decision 0025): its JSON is the
/// API document's shape, whatever the service keeps besides.
@Suite("Scan status")
struct ScanStatusTests {
    @Test("Given a finished scan's status, when encoded, then the API's keys are there with times in seconds since 1970 and the service's bookkeeping is not")
    func encodesTheAPIShape() throws {
        var status = ScanStatus()
        status.finishedAt = Date(timeIntervalSince1970: 1_700_000_000.5)
        status.lastChangeAt = Date(timeIntervalSince1970: 1_700_000_100)
        status.changesApplied = 3
        status.queued = true
        status.lastError = ScanStatus.Failure(code: "index.cancelled", message: "cancelled")
        status.watching = [WatchedFolder(path: "/music", mode: "watching", watchedFolders: 12)]
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(status)) as? [String: Any])
        #expect(Set(json.keys) == ["running", "phase", "done", "total", "rate", "lastFinishedAt", "watching", "changesApplied", "lastChangeAt"])
        #expect(json["lastFinishedAt"] as? Double == 1_700_000_000.5)
        #expect(json["lastChangeAt"] as? Double == 1_700_000_100)
        #expect(json["phase"] as? String == "idle")
        #expect((json["watching"] as? [[String: Any]])?.first?["watchedFolders"] as? Int == 12)
        let idle = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(ScanStatus())) as? [String: Any])
        #expect(idle["lastFinishedAt"] == nil)
    }
}
