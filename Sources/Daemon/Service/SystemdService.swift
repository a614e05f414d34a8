import Foundation
import OmniModel
import ServiceLifecycle
import Synchronization

/// The daemon's side of the systemd conversation, as a `Service` of the daemon's group:
/// `WATCHDOG=1` at the interval systemd asked for while it runs, `STOPPING=1` as soon as a
/// graceful shutdown starts, and `STATUS=` lines from scan events (`record(_:)`).
///
/// `READY=1` is not sent here: the HTTP service announces it once its socket is bound (the
/// daemon is ready when the API answers, not when services are merely started).
///
/// Put it last in the group: services stop in reverse order, so it is the first to hear of a
/// shutdown and says so at once.
///
/// Thread safety: `record(_:)` may be called from any thread (the scan thread); it never blocks.
public final class SystemdService: Service, Sendable {
    private let notifier: SystemdNotifier?
    private let statusInterval: Double
    private let lastStatus = Mutex<Double>(-.infinity)

    /// - Parameters:
    ///   - notifier: nil when not started by systemd (then this service only waits for shutdown).
    ///   - statusInterval: the least time between two scan progress `STATUS=` lines, in seconds
    ///     (phase changes and the end of a scan are always sent).
    public init(notifier: SystemdNotifier?, statusInterval: Double = 1) {
        self.notifier = notifier
        self.statusInterval = statusInterval
    }

    public func run() async throws {
        let notifier = self.notifier
        await withGracefulShutdownHandler {
            guard let interval = notifier?.watchdogInterval else {
                // Nothing to do until shutdown.
                try? await gracefulShutdown()
                return
            }
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                notifier?.watchdog()
                // A shutdown must not wait for the rest of an interval (up to 15 s under WatchdogSec=30).
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            }
        } onGracefulShutdown: {
            notifier?.stopping()
        }
    }

    /// Turns a scan event into a `STATUS=` line, at most every `statusInterval` for progress.
    public func record(_ event: LibraryEvent) {
        guard let notifier, let text = Self.statusText(for: event) else { return }
        if case .scan(let phase, _, _, _) = event, phase == "probing" {
            let now = ProcessInfo.processInfo.systemUptime
            let due = lastStatus.withLock { last in
                guard now - last >= statusInterval else { return false }
                last = now
                return true
            }
            guard due else { return }
        } else {
            lastStatus.withLock { $0 = -.infinity }
        }
        notifier.status(text)
    }

    /// The `STATUS=` text for an event, nil for events that are not about scans.
    public static func statusText(for event: LibraryEvent) -> String? {
        switch event {
        case let .scan(phase, done, total, _):
            switch phase {
            case "walking": return "Scanning music folders"
            case "probing": return "Indexed \(grouped(done)) of \(grouped(total)) files"
            case "finishing": return "Finishing the scan"
            default: return "Idle"
            }
        case let .scanFinished(added, updated, _, removed, failed, seconds):
            var text = "Idle; last scan: \(grouped(added)) added, \(grouped(updated)) updated, \(grouped(removed)) removed"
            if failed > 0 { text += ", \(grouped(failed)) unreadable" }
            return text + String(format: " in %.1f s", seconds)
        default:
            return nil
        }
    }

    /// `10000` → `10,000` (no locale: journald lines and `omnisonicd status` look the same everywhere).
    public static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return number < 0 ? "-" + out : out
    }
}
