import Foundation
import LocalStore
import OmniModel
import Player

/// One client connection's protocol state and its dispatcher: quoting (through `Tokenizer`),
/// permissions, command lists and idle. Commands themselves are small functions in
/// `Commands.table`.
///
/// Not thread-safe: one connection thread owns it (`MPDServer`).
public final class Session {
    /// What the connection does after a line.
    public enum Next: Equatable, Sendable {
        /// Read the next line.
        case proceed
        /// Wait in `idle` until a change or `noidle` (`idleReply`).
        case idle
        /// Close the connection (`close`, or a client MPD would drop).
        case close
    }

    let door: MPDFrontDoor
    /// True on a loopback address or the Unix socket: no password is needed there.
    public let local: Bool
    /// False until `password` succeeds, on a non-local connection when a password is set.
    var authenticated: Bool
    /// The tags `tagtypes` leaves enabled.
    var tags = Set(Tag.allCases)
    /// The largest binary chunk (`binarylimit`).
    var binaryLimit = 8192
    /// The command list being collected (`command_list_begin`), with `ok` for `list_OK`s.
    private var list: (ok: Bool, lines: [[UInt8]])?
    /// The subsystems waited for while idling (empty: all).
    private(set) var idling: Set<Subsystem>?
    let subscriber: IdleHub.Subscriber
    /// Channels this client subscribed to.
    var channels = Set<String>()
    /// True on the Unix socket (`config` answers only there).
    public let isUnixSocket: Bool

    /// The most commands one command list may hold (MPD limits by memory; this keeps one client
    /// from queueing unbounded work).
    static let maxListCommands = 100_000

    public init(door: MPDFrontDoor, local: Bool, isUnixSocket: Bool = false) {
        self.door = door
        self.local = local
        self.isUnixSocket = isUnixSocket
        self.authenticated = local || door.environment.password == nil
        self.subscriber = door.hub.subscribe()
    }

    deinit {
        door.hub.unsubscribe(subscriber)
        for channel in channels { door.unsubscribe(self, from: channel) }
        // Unread messages go with the client (a later client may get the same identifier).
        _ = door.takeMessages(for: self)
    }

    /// The descriptor that becomes readable when a change is posted (poll it while idling).
    public var wakeDescriptor: Int32 { subscriber.wake }

    /// The greeting sent on connect.
    public static let greeting = "OK MPD 0.23.5\n"

    /// Handles one request line (without its newline). Returns the bytes to send and what to
    /// do next. Blocking: commands read the library and may write through the one write path.
    public func process(_ line: [UInt8]) -> (bytes: [UInt8], next: Next) {
        let trimmed = line.last == 0x0D ? Array(line.dropLast()) : line
        if idling != nil {
            // In idle only noidle is allowed; MPD drops a client that sends anything else.
            if trimmed == Array("noidle".utf8) { return (idleReply(force: true) ?? [], .proceed) }
            return ([], .close)
        }
        if var current = list {
            if trimmed == Array("command_list_end".utf8) {
                list = nil
                return (runList(current.lines, ok: current.ok), .proceed)
            }
            guard current.lines.count < Self.maxListCommands else {
                list = nil
                return (Array(MPDError(.arg, "command list too long").ack(index: current.lines.count, command: "").utf8), .proceed)
            }
            current.lines.append(trimmed)
            list = current
            return ([], .proceed)
        }
        let command: String, arguments: [String]
        do {
            (command, arguments) = try Tokenizer.split(trimmed)
        } catch {
            return (Array(error.ack(index: 0, command: "").utf8), .proceed)
        }
        switch command {
        case "command_list_begin", "command_list_ok_begin":
            list = (command == "command_list_ok_begin", [])
            return ([], .proceed)
        case "noidle":
            // Not idling: MPD ignores it.
            return ([], .proceed)
        case "close":
            return ([], .close)
        case "idle":
            var wanted = Set<Subsystem>()
            for name in arguments {
                guard let s = Subsystem(rawValue: name.lowercased()) else {
                    return (Array(MPDError.arg("Unrecognized idle event: \(name)").ack(index: 0, command: "idle").utf8), .proceed)
                }
                wanted.insert(s)
            }
            guard authenticated else {
                return (Array(MPDError(.permission, "you don't have permission for \"idle\"").ack(index: 0, command: "idle").utf8), .proceed)
            }
            idling = wanted
            if let reply = idleReply(force: false) { return (reply, .proceed) }
            return ([], .idle)
        default:
            var response = Response()
            do {
                try execute(command, arguments, into: &response)
            } catch {
                return (Array(error.ack(index: 0, command: Commands.table[command] == nil ? "" : command).utf8), .proceed)
            }
            response.appendRaw("OK\n")
            return (response.bytes, .proceed)
        }
    }

    /// While idling: the `changed:` lines and `OK` when a waited-for subsystem changed (or
    /// `force`, for `noidle`), which ends the idle; nil when nothing relevant changed yet.
    public func idleReply(force: Bool) -> [UInt8]? {
        guard let wanted = idling else { return nil }
        subscriber.drain()
        let changed = subscriber.take(wanted)
        guard !changed.isEmpty || force else { return nil }
        idling = nil
        var response = Response()
        for s in Subsystem.allCases where changed.contains(s) { response.add("changed", s.rawValue) }
        response.appendRaw("OK\n")
        return response.bytes
    }

    private func runList(_ lines: [[UInt8]], ok: Bool) -> [UInt8] {
        var response = Response()
        for (index, line) in lines.enumerated() {
            var command = ""
            do throws(MPDError) {
                let (name, arguments) = try Tokenizer.split(line)
                command = name
                guard !["idle", "noidle", "close", "command_list_begin", "command_list_ok_begin"].contains(name) else {
                    throw MPDError(.arg, "\(name) is not allowed in a command list")
                }
                try execute(name, arguments, into: &response)
            } catch {
                response.appendRaw(error.ack(index: index, command: Commands.table[command] == nil ? "" : command))
                return response.bytes
            }
            if ok { response.appendRaw("list_OK\n") }
        }
        response.appendRaw("OK\n")
        return response.bytes
    }

    /// Runs one command into `response`.
    ///
    /// - Throws: `MPDError` with MPD's code and wording.
    func execute(_ name: String, _ arguments: [String], into response: inout Response) throws(MPDError) {
        guard let command = Commands.table[name] else { throw MPDError(.unknown, "unknown command \"\(name)\"") }
        guard authenticated || command.open else { throw MPDError(.permission, "you don't have permission for \"\(name)\"") }
        guard (command.min...command.max).contains(arguments.count) else {
            throw MPDError.arg("wrong number of arguments for \"\(name)\"")
        }
        let call = Call(session: self, arguments: arguments)
        do {
            try command.run(call)
        } catch let error as MPDError {
            throw error
        } catch let error as PlayerError where error.reason == .entryMissing {
            // A queue index outside the queue is notFound to the player, but MPD answers a
            // position argument it cannot use with `[2] Bad song index`.
            throw MPDError(.arg, error.message)
        } catch let error as any OmniError {
            if [.unavailable, .full, .internal].contains(error.kind) {
                door.environment.logger.error("MPD command failed", metadata: ["command": "\(name)", "error": "\(error.expandedDescription)"])
            }
            throw MPDError(MPDError.ack(for: error.kind), error.description)
        } catch {
            throw MPDError.system("\(error)")
        }
        response.append(call.response)
    }

    /// Whether `name` may be run now (`commands` / `notcommands`).
    func allowed(_ command: Commands.Command) -> Bool {
        (authenticated || command.open) && (command.name != "config" || isUnixSocket)
    }
}

/// One command's invocation: its arguments, typed converters for them, and its response.
final class Call {
    let session: Session
    let arguments: [String]
    var response = Response()

    init(session: Session, arguments: [String]) {
        self.session = session
        self.arguments = arguments
    }

    var door: MPDFrontDoor { session.door }
    var library: Library { door.environment.library }
    var player: Player { door.environment.player }

    /// The argument at `i`, if given.
    func text(_ i: Int) -> String? { i < arguments.count ? arguments[i] : nil }

    /// An integer argument.
    func int(_ i: Int) throws(MPDError) -> Int {
        guard let t = text(i), let v = Int(t) else { throw MPDError.arg("Integer expected: \(text(i) ?? "")") }
        return v
    }

    /// A non-negative integer argument.
    func unsigned(_ i: Int) throws(MPDError) -> Int {
        let v = try int(i)
        guard v >= 0 else { throw MPDError.arg("Number too large: \(v)") }
        return v
    }

    /// A `0`/`1` argument.
    func bool(_ i: Int) throws(MPDError) -> Bool {
        switch text(i) {
        case "0": return false
        case "1": return true
        default: throw MPDError.arg("Boolean (0/1) expected: \(text(i) ?? "")")
        }
    }

    /// A number of seconds (`12`, `12.5`).
    func seconds(_ i: Int) throws(MPDError) -> Double {
        guard let t = text(i), let v = Double(t), v.isFinite else { throw MPDError.arg("Float expected: \(text(i) ?? "")") }
        return v
    }

    /// `N` (one position), `N:M` (M excluded) or `N:` (to the end).
    func range(_ i: Int) throws(MPDError) -> Range<Int> {
        guard let t = text(i) else { throw MPDError.arg("Range expected") }
        return try Self.range(t)
    }

    /// Parses `N`, `N:M` or `N:`.
    static func range(_ t: String) throws(MPDError) -> Range<Int> {
        let parts = t.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let start = Int(parts[0]), start >= 0 else { throw MPDError.arg("Integer expected: \(t)") }
        if parts.count == 1 { return start..<(start + 1) }
        if parts[1].isEmpty { return start..<Int.max }
        guard let end = Int(parts[1]), end >= start else { throw MPDError.arg("Bad range: \(t)") }
        return start..<end
    }

    /// Records a user change through the one write path and tells the daemon's clients.
    @discardableResult
    func record(_ mutation: UserMutation) throws -> [UserOperation] {
        let operations = try library.record(mutation)
        guard !operations.isEmpty else { return operations }
        switch mutation {
        case .rate(let uid, _), .favorite(let uid, _), .played(let uid), .completedPlay(let uid, _), .setSticker(let uid, _, _),
             .setOverrides(let uid, _):
            // The song index holds the tracks' ratings and tags: drop it now, so the next command
            // (on any connection) reads the change; the event arrives later, through the pipe.
            door.catalog.invalidate()
            door.environment.publish(.tracksChanged(uids: [uid]))
        case .deletePlaylist(let id): door.environment.publish(.playlistDeleted(id: id))
        case .renamePlaylist(let id, _), .addToPlaylist(let id, _, _), .movePlaylistItem(let id, _, _), .removePlaylistItem(let id, _):
            door.environment.publish(.playlistChanged(id: id))
        case .createPlaylist:
            if let id = operations.first?.target { door.environment.publish(.playlistChanged(id: id)) }
        case .saveSearch, .deleteSearch: door.environment.publish(.savedSearchesChanged)
        case .saveSchedule, .deleteSchedule, .recordScheduleRun: door.environment.publish(.schedulesChanged)
        case .importListens: door.environment.publish(.tracksChanged(uids: []))
        case .favoriteAlbum, .favoriteArtist: break // MPD has no album or artist stars
        }
        return operations
    }

    /// The song index of the library now.
    func songs() throws(MPDError) -> SongIndex { try door.catalog.current() }
}
