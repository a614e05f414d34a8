import Foundation
import LocalStore
import OmniModel
import Testing
import TestSupport

/// The sync server and every library refuse the same operations: one check, in OmniModel
/// (decision 0025), where the server once reached into the library for it.
@Suite("One validation for the sync server and the library")
struct ValidationAgreementTests {
    static func op(_ n: UInt32, _ target: String, _ payload: UserOperation.Payload) -> UserOperation {
        UserOperation(hlc: HLCTimestamp(wallMs: 1_700_000_000_000, counter: n, device: "dev-b"), target: target, payload: payload)
    }

    @Test("Given valid and invalid operations, when the server checks them and a library merges them, then exactly the same ones are kept")
    func serverAndLibraryAgree() throws {
        let valid: [UserOperation] = [
            Self.op(1, "p1", .playlistCreate(name: "  Mix  ")),
            Self.op(2, "u1", .rating(5)),
            Self.op(3, "u1", .trackOverride(field: .genres, value: .list(["Rock", "rock"]))),
            Self.op(4, "s1", .searchSave(SavedSearchDefinition(name: "Loud", query: "a", sort: "year"))),
        ]
        let invalid: [UserOperation] = [
            Self.op(5, "p2", .playlistCreate(name: " \t ")),
            Self.op(6, "u1", .rating(9)),
            Self.op(7, "u1", .trackOverride(field: .year, value: .integer(12_345))),
            Self.op(8, "s2", .searchSave(SavedSearchDefinition(name: "Odd", query: "a", sort: "loudness"))),
            Self.op(9, "p1", .playlistItemAdd(itemId: "i1", uid: TrackUID(rawValue: "u1"), position: "!!")),
            Self.op(10, "", .rating(1)),
        ]
        let kept = (valid + invalid).filter { $0.isValidForMerge }
        #expect(kept == valid)
        let folder = try TemporaryDirectory("validation")
        let library = try Library(path: folder.appending("library.sqlite"))
        #expect(try library.apply(remote: valid + invalid) == valid.count)
        #expect(try library.playlist(id: "p1") != nil)
        #expect(try library.playlist(id: "p2") == nil)
    }
}
