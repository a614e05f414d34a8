import ArgumentParser
import Daemon
import Foundation
import Subsonic

/// `omnisonicd subsonic ...`: sets up the OpenSubsonic API's credentials (decision 0026). Both
/// work while the daemon runs: it reads the credentials again when they change.
struct SubsonicCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subsonic",
        abstract: "Set the OpenSubsonic password or make API keys for phone and desktop apps.",
        subcommands: [SetPassword.self, NewAPIKey.self, RevokeAPIKey.self])

    /// The settings these commands need: the library folder and the Subsonic user.
    struct Options: ParsableArguments {
        @OptionGroup var service: ServiceOptions

        @Option(help: "The Subsonic user (default: [subsonic] user from the config, else your login name).")
        var user: String?

        /// The credentials file of the resolved library folder, and the user.
        func resolve() throws -> (CredentialFile, String) {
            let configuration: Configuration
            do {
                configuration = try service.sources().resolve()
            } catch {
                FileHandle.standardError.write(Data("omnisonicd: \(error.description)\n".utf8))
                throw ExitCode(2)
            }
            let name = user ?? configuration.subsonicUser ?? Configuration.defaultSubsonicUser
            guard !name.isEmpty, name.utf8.count <= 64, !name.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
                FileHandle.standardError.write(Data("omnisonicd: --user must be 1 to 64 characters without spaces\n".utf8))
                throw ExitCode(2)
            }
            return (CredentialFile(data: configuration.data), name)
        }
    }

    struct SetPassword: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Set the Subsonic password, read as one line from standard input (never from the command line).",
            discussion: """
                Example: omnisonicd subsonic set-password --user alice < password.txt. The password is \
                stored encrypted in the library folder (subsonic/credentials.json), with a key only \
                you can read (subsonic/key): Subsonic's token login needs the password itself.
                """)

        @OptionGroup var options: Options

        func run() throws {
            let (file, user) = try options.resolve()
            if isatty(STDIN_FILENO) != 0 { FileHandle.standardError.write(Data("Password for \(user): ".utf8)) }
            guard var line = readLine(strippingNewline: true) else {
                FileHandle.standardError.write(Data("omnisonicd: no password on standard input\n".utf8))
                throw ExitCode(2)
            }
            if line.hasSuffix("\r") { line.removeLast() }
            guard !line.isEmpty, line.utf8.count <= 1024 else {
                FileHandle.standardError.write(Data("omnisonicd: the password must be 1 to 1024 bytes\n".utf8))
                throw ExitCode(2)
            }
            do {
                try file.setPassword(line, user: user)
            } catch {
                FileHandle.standardError.write(Data("omnisonicd: \(error.description)\n".utf8))
                throw ExitCode(1)
            }
            print("Subsonic password set for \(user).")
        }
    }

    struct NewAPIKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new-api-key",
            abstract: "Make an API key (OpenSubsonic apiKeyAuthentication); the key is the last line printed, shown only once.")

        @OptionGroup var options: Options

        @Option(help: "A name to remember the key by (the device it is for).")
        var name: String?

        func run() throws {
            let (file, user) = try options.resolve()
            do {
                let (id, key) = try file.newAPIKey(user: user, name: name)
                print("New API key for \(user) (id \(id); revoke it with: omnisonicd subsonic revoke-api-key \(id)):")
                print(key)
            } catch {
                FileHandle.standardError.write(Data("omnisonicd: \(error.description)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct RevokeAPIKey: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke-api-key", abstract: "Remove an API key by its id.")

        @OptionGroup var options: Options

        @Argument(help: "The key's id (printed when it was made).")
        var id: String

        func run() throws {
            let (file, _) = try options.resolve()
            do {
                guard try file.revokeAPIKey(id: id) else {
                    FileHandle.standardError.write(Data("omnisonicd: no API key with id \(id)\n".utf8))
                    throw ExitCode(1)
                }
            } catch let error as SubsonicSetupError {
                FileHandle.standardError.write(Data("omnisonicd: \(error.description)\n".utf8))
                throw ExitCode(1)
            }
            print("API key \(id) revoked.")
        }
    }
}
