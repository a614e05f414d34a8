import ArgumentParser

/// `omnisonicd`: the command-line entry point.
@main
struct Omnisonicd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "omnisonicd",
        abstract: "A local-first music daemon: library, search, playback and sync.",
        version: "0.1.0",
        subcommands: [])
}
