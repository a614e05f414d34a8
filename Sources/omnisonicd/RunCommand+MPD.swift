import Daemon
import Foundation
import Logging
import MPDProtocol
import OmniModel
import ServiceLifecycle
import Synchronization

/// The one place where the MPD front door (the MPDProtocol module) is wired to the daemon.
///
/// - Returns: nil when `mpd-listen` is `off`.
func makeMPDService(context: DaemonContext, slot: MPDDoorSlot, logger: Logger, startedAt: Date, lock: InstanceLock) -> MPDService? {
    let configuration = context.configuration
    guard !configuration.mpdListen.isEmpty else { return nil }
    let scans = context.scans
    let door = MPDFrontDoor(environment: MPDEnvironment(
        library: context.library, player: context.player, artwork: context.artwork,
        musicRoots: { scans.roots },
        requestScan: { _ = scans.requestScan() },
        scanState: { let s = scans.status(); return (s.running, s.finishedAt) },
        password: configuration.mpdPassword, logger: logger, startedAt: startedAt))
    slot.set(door)
    let endpoints = configuration.mpdListen.map { address -> MPDEndpoint in
        switch address {
        case .tcp(let a): .tcp(host: a.host, port: a.port, loopback: a.isLoopback)
        case .unix(let path): .unix(path)
        }
    }
    return MPDService(server: MPDServer(door: door, logger: logger), endpoints: endpoints,
                      optional: configuration.mpdListenIsDefault) { addresses in
        // Tests read this line to learn the port when --mpd-listen asks for port 0.
        for address in addresses { FileHandle.standardOutput.write(Data("mpd listening on \(address)\n".utf8)) }
        lock.update(mpd: addresses)
    }
}

/// Holds the MPD front door once it exists, for the event pipe that starts before it.
final class MPDDoorSlot: Sendable {
    private let door = Mutex<MPDFrontDoor?>(nil)

    func set(_ value: MPDFrontDoor) { door.withLock { $0 = value } }

    /// Passes an event to the front door (idle wake-ups, the song index's invalidation).
    func handle(_ event: LibraryEvent) { door.withLock { $0 }?.handle(event) }
}
