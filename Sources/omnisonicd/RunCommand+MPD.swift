import Daemon
import Foundation
import Logging
import MPDProtocol
import OmniModel
import ServiceLifecycle

/// The one place where the MPD front door (the MPDProtocol module) is wired to the daemon.
///
/// - Returns: nil when `mpd-listen` is `off`.
///   - events: a subscription to the daemon's event hub (everything any door or service publishes).
///   - publish: where MPD clients' changes are announced (the daemon's event pipe).
func makeMPDService(context: DaemonContext, events: AsyncStream<LibraryEvent>, publish: @escaping @Sendable (LibraryEvent) -> Void,
                    logger: Logger, descriptors: DescriptorBudget? = nil, startedAt: Date, lock: InstanceLock) -> MPDService? {
    let configuration = context.configuration
    guard !configuration.mpdListen.isEmpty else { return nil }
    let scans = context.scans
    let door = MPDFrontDoor(environment: MPDEnvironment(
        library: context.library, player: context.player, artwork: context.artwork,
        musicRoots: { scans.roots },
        requestScan: { _ = scans.requestScan() },
        scanState: { let s = scans.status(); return (s.running || s.queued, s.finishedAt) },
        password: configuration.mpdPassword, logger: logger, startedAt: startedAt, publish: publish))
    let endpoints = configuration.mpdListen.map { address -> MPDEndpoint in
        switch address {
        case .tcp(let a): .tcp(host: a.host, port: a.port, loopback: a.isLoopback)
        case .unix(let path): .unix(path)
        }
    }
    return MPDService(server: MPDServer(door: door, logger: logger, descriptors: descriptors), endpoints: endpoints,
                      optional: configuration.mpdListenIsDefault, events: events) { addresses in
        // Tests read this line to learn the port when --mpd-listen asks for port 0.
        for address in addresses { FileHandle.standardOutput.write(Data("mpd listening on \(address)\n".utf8)) }
        lock.update(mpd: addresses)
    }
}
