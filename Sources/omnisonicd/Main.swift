import ArgumentParser
import Glibc

/// `omnisonicd`: the command-line entry point.
@main
struct Omnisonicd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "omnisonicd",
        abstract: "A local-first music daemon: library, search, playback and sync.",
        version: "0.1.0",
        subcommands: [RunCommand.self, ProbeCommand.self, AnalyzeCommand.self, ScanCommand.self, SearchCommand.self,
                      StatusCommand.self, DoctorCommand.self, InstallServiceCommand.self, SyncServerCommand.self,
                      SubsonicCommand.self])

    static func main() async {
        // A file-size limit or a closed pipe must become an error we report, not a silent death.
        signal(SIGXFSZ, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        await main(nil)
    }
}
