import Daemon
import Foundation
import Logging
import OmniModel
import Subsonic
import WebUI

/// The one place where the OpenSubsonic door (the Subsonic module) is wired to the daemon: a
/// mount of the HTTP server under `/rest/`, on the same library, actions (scan, player) and
/// event pipe as the web API and the MPD door.
///
/// - Parameters:
///   - actions: the web API's `DaemonActions` (the same scans and player).
///   - publish: where Subsonic clients' changes are announced (the daemon's event pipe).
func makeSubsonicAPI(context: DaemonContext, actions: any DaemonActions, publish: @escaping @Sendable (LibraryEvent) -> Void,
                     logger: Logger, startedAt: Date) -> SubsonicAPI {
    let configuration = context.configuration
    let scans = context.scans
    var environment = SubsonicEnvironment(
        library: context.library, actions: actions,
        user: configuration.subsonicUser ?? Configuration.defaultSubsonicUser,
        credentials: CredentialFile(data: configuration.data),
        serverVersion: Omnisonicd.configuration.version,
        musicRoots: { scans.roots }, publish: publish, startedAt: startedAt, logger: logger)
    // The same index as the web API's similar tracks and the radio (decision 0035).
    environment.similar = context.similar
    return SubsonicAPI(environment: environment)
}
