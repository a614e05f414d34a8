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
    public let scheduler: PlayerScheduler?

    public init(player: Player, scheduler: PlayerScheduler? = nil) {
        self.player = player
        self.scheduler = scheduler
    }

    public func run() async throws {
        player.start()
        let (ended, end) = AsyncStream.makeStream(of: Void.self)
        let scheduler = self.scheduler
        await withTaskGroup(of: Void.self) { group in
            if let scheduler { group.addTask { await scheduler.run() } }
            await withGracefulShutdownHandler {
                await withTaskCancellationHandler {
                    for await _ in ended {}
                } onCancel: {
                    end.finish()
                }
            } onGracefulShutdown: {
                end.finish()
            }
            group.cancelAll()
        }
        await player.shutdown()
    }
}
