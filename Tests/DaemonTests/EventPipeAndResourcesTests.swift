import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport
@testable import Daemon
import OmniModel

@Suite("Event pipe and resources")
struct EventPipeAndResourcesTests {
    @Test("events published from a thread arrive in order, and the pipe stops on graceful shutdown")
    func ordered() async throws {
        let received = Mutex<[Int]>([])
        let pipe = EventPipe { event in
            if case .scan(_, let done, _, _) = event { received.withLock { $0.append(done) } }
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [pipe], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            Thread.detachNewThread {
                for i in 0..<2000 { pipe.publish(.scan(phase: "probing", done: i, total: 2000, rate: 0)) }
            }
            _ = await eventually { received.withLock { $0.count } >= 2000 }
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        #expect(received.withLock { $0 } == Array(0..<2000))
    }

    @Test("web/ and the OpenAPI document are found from a checkout's build folder and from an installed prefix")
    func resources() throws {
        let dir = try TemporaryDirectory("resources")
        let files = FileManager.default
        // A checkout: <repo>/.build/x86_64-unknown-linux-gnu/debug/omnisonicd
        try files.createDirectory(atPath: dir.appending("repo/web"), withIntermediateDirectories: true)
        try files.createDirectory(atPath: dir.appending("repo/docs/api"), withIntermediateDirectories: true)
        try files.createDirectory(atPath: dir.appending("repo/.build/x86_64-unknown-linux-gnu/debug"), withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: dir.appending("repo/web/index.html")))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.appending("repo/docs/api/openapi.json")))
        let checkout = Resources.locate(executable: dir.appending("repo/.build/x86_64-unknown-linux-gnu/debug/omnisonicd"))
        #expect(checkout.web == dir.appending("repo/web"))
        #expect(checkout.openAPI == dir.appending("repo/docs/api/openapi.json"))
        // Installed: <prefix>/bin/omnisonicd, <prefix>/share/omnisonicd/...
        try files.createDirectory(atPath: dir.appending("usr/share/omnisonicd/web"), withIntermediateDirectories: true)
        try files.createDirectory(atPath: dir.appending("usr/bin"), withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: dir.appending("usr/share/omnisonicd/web/index.html")))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.appending("usr/share/omnisonicd/openapi.json")))
        let installed = Resources.locate(executable: dir.appending("usr/bin/omnisonicd"))
        #expect(installed.web == dir.appending("usr/share/omnisonicd/web"))
        #expect(installed.openAPI == dir.appending("usr/share/omnisonicd/openapi.json"))
    }
}
