import Foundation

/// The one deadline the shared waits give a condition by default, in seconds. A deadline, not a
/// timing assertion: generous because a loaded machine (seven builds on two cores) can hold a
/// test's threads for long, and because the in-process phase starts every test at once on a
/// pool two threads wide: its quickest tests (QR codes, configuration parsing) waited 52 s for a
/// thread in a warm checkout and 69 s in a fresh clone (decision 0041). A condition that holds
/// returns at once, and no test waits for one that must stay false.
public let eventuallyTimeout: Double = 180

/// Waits until `condition` holds or `seconds` pass, polling every 20 ms with `Task.sleep` (the
/// thread is free meanwhile); returns whether it held. For async tests.
///
/// A separate name from `eventuallyBlocking`: one function for both let a synchronous poll
/// sleep on the cooperative pool, starving the tasks that were to make the condition true.
public func eventually(_ seconds: Double = eventuallyTimeout, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// Waits until `condition` holds or `seconds` pass, polling every 20 ms and sleeping the calling
/// thread in between; returns whether it held. For synchronous tests only (those that drive a
/// child process): in an async test use `eventually`.
public func eventuallyBlocking(_ seconds: Double = eventuallyTimeout, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}
