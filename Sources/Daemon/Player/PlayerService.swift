import Logging
import Player
import ServiceLifecycle

/// Runs the player for as long as the daemon runs: starts its output thread, and at graceful
/// shutdown (or cancellation) stops it, which releases the ALSA device and saves the queue and
/// position (restored, paused, at the next start).
///
/// The device itself is opened only while playing and released on stop, so other programs can
/// use it while the daemon idles.
///
/// Also runs the scheduler (planned plays of a playlist or saved search) while the daemon runs.
public struct PlayerService: Service {
    public let player: Player
    public let scheduler: PlayerScheduler

    public init(player: Player, scheduler: PlayerScheduler) {
        self.player = player
        self.scheduler = scheduler
    }

    public func run() async throws {
        player.start()
        let scheduler = self.scheduler
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await scheduler.run() }
            // Returns at graceful shutdown, or throws when cancelled: either way, stop.
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await player.shutdown()
    }
}
