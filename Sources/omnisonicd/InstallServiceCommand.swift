import ArgumentParser
import Daemon
import Foundation

/// `omnisonicd install-service`: writes the systemd user unit for this executable.
struct InstallServiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-service",
        abstract: "Write the systemd user unit that runs this omnisonicd.",
        discussion: """
            Writes omnisonicd.service to $XDG_CONFIG_HOME/systemd/user (~/.config/systemd/user) with \
            ExecStart set to this executable, then: systemctl --user enable --now omnisonicd
            """)

    @Flag(name: .customLong("print"), help: "Print the unit to standard output instead of writing it.")
    var printOnly = false

    @Option(help: "The executable ExecStart runs (default: this one).", completion: .file())
    var executable: String?

    @Flag(name: .customLong("no-sandbox"),
          help: "Leave out PrivateTmp/ProtectSystem/ReadWritePaths (for kernels without unprivileged user namespaces).")
    var noSandbox = false

    func run() throws {
        let path = executable.map(LibraryPaths.absolute) ?? Self.currentExecutable()
        let unit = ServiceUnit.userUnit(executable: path, sandbox: !noSandbox)
        if printOnly {
            FileHandle.standardOutput.write(Data(unit.utf8))
            return
        }
        let environment = ConfigurationEnvironment.current
        let folder = environment.userUnitFolder
        let file = folder + "/omnisonicd.service"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(unit.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            FileHandle.standardError.write(Data("omnisonicd: cannot write \(file): \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
        print("wrote \(file) (ExecStart=\(path) run)")
        print("start it now and at each login: systemctl --user enable --now omnisonicd")
    }

    /// The running executable, symlinks resolved (what ExecStart must name).
    static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
