import Hummingbird
import LocalStore
import OmniModel
import Player
import Testing
@testable import WebUI

/// The web API's one table from an error's kind to a status (decision 0025).
@Suite("Error kinds over HTTP")
struct ErrorKindTests {
    @Test("Given a player error that is the caller's mistake (player.bad_request), when converted, then it is 400 bad_request, not the 404 its code's suffix once gave")
    func playerBadRequestIsA400() {
        let error = APIError.from(PlayerError(.badRequest, message: "a schedule plays a playlist or a saved search"))
        #expect(error.status == .badRequest)
        #expect(error.code == "bad_request")
        #expect(error.message == "a schedule plays a playlist or a saved search")
    }

    @Test("Given errors of each kind from different modules, when converted, then the status follows the kind and the client's codes stay as documented")
    func statusFollowsKind() {
        let cases: [(any OmniError, Int, String)] = [
            (PlayerError(.trackMissing, message: "no track x"), 404, "not_found"),
            (PlayerError(.entryMissing, message: "no queue entry at index 7"), 404, "not_found"),
            (PlayerError(.deviceRefused, message: "refused"), 400, "device_refused"),
            (PlayerError(.deviceBusy, message: "busy"), 503, "player.device_busy"),
            (StoreError(.notFound, message: "no playlist"), 404, "not_found"),
            (StoreError(.invalid, message: "rating 0 to 5"), 400, "invalid"),
            (StoreError(.diskFull, message: "full"), 507, "store.disk_full"),
            (StoreError(.database, message: "damaged"), 500, "store.database"),
        ]
        for (error, status, code) in cases {
            let converted = APIError.from(error)
            #expect(converted.status.code == status, "\(error.code)")
            #expect(converted.code == code, "\(error.code)")
        }
        // The web layer's own errors say their kind from their status.
        #expect(APIError.notFound("track").kind == .notFound)
        #expect(APIError.badRequest("no").kind == .invalid)
    }
}
