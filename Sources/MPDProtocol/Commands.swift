import Foundation
import LocalStore
import OmniModel
import Player

/// The command table: one small function per MPD command, with its argument count and whether
/// it answers before `password` (Mopidy-MPD's shape: the dispatcher in `Session` owns quoting,
/// lists and idle; these only translate onto the library and the player).
enum Commands {
    struct Command: Sendable {
        let name: String
        /// Answers without a password (`password`, `ping`, `close`, `commands`).
        let open: Bool
        let min: Int
        let max: Int
        let run: @Sendable (Call) throws -> Void
    }

    static let table: [String: Command] = {
        var t: [String: Command] = [:]
        func add(_ name: String, _ min: Int = 0, _ max: Int = 0, open: Bool = false, _ run: @escaping @Sendable (Call) throws -> Void) {
            t[name] = Command(name: name, open: open, min: min, max: max, run: run)
        }
        let many = Int.max
        // Connection.
        add("ping", open: true) { _ in }
        add("password", 1, 1, open: true, password)
        add("commands", open: true) { c in
            for name in t_names() where c.session.allowed(table[name]!) { c.response.add("command", name) }
        }
        add("notcommands", open: true) { c in
            for name in t_names() where !c.session.allowed(table[name]!) { c.response.add("command", name) }
        }
        add("tagtypes", 0, many, tagtypes)
        add("binarylimit", 1, 1) { c in
            let n = try c.unsigned(0)
            guard n >= 64 else { throw MPDError.arg("Value too small") }
            c.session.binaryLimit = n
        }
        add("urlhandlers") { _ in }
        add("decoders") { c in
            c.response.add("plugin", "ffmpeg")
            for suffix in ["flac", "mp3", "ogg", "oga", "opus", "m4a", "mp4", "aac", "wav", "aif", "aiff", "wv", "ape", "mpc", "wma", "dsf"] {
                c.response.add("suffix", suffix)
            }
        }
        add("config") { c in
            guard c.session.isUnixSocket else { throw MPDError(.permission, "Command only permitted to local clients") }
            let roots = c.door.environment.musicRoots()
            if roots.count == 1 { c.response.add("music_directory", roots[0].displayString) }
        }
        add("partition", 1, 1) { c in
            guard c.text(0) == "default" else { throw MPDError.noExist("partition does not exist") }
        }
        add("listpartitions") { c in c.response.add("partition", "default") }
        // Status.
        add("status") { try status($0) }
        add("currentsong") { try currentSong($0) }
        add("stats") { try stats($0) }
        // Outputs are the ALSA devices the player may use (`Player.listOutputs`); it plays
        // through one at a time, so enabling one disables the others and the one in use
        // cannot be disabled (decision 0020).
        add("outputs") { c in
            let list = c.player.listOutputs()
            for (id, output) in list.outputs.enumerated() {
                c.response.add("outputid", id)
                c.response.add("outputname", output.name)
                c.response.add("plugin", "alsa")
                c.response.add("outputenabled", output.name == list.current ? 1 : 0)
            }
        }
        for name in ["enableoutput", "disableoutput", "toggleoutput"] {
            add(name, 1, 1) { c in
                let list = c.player.listOutputs()
                let id = try c.unsigned(0)
                guard id < list.outputs.count else { throw MPDError.noExist("No such audio output") }
                let device = list.outputs[id].name
                let enable = name == "enableoutput" || (name == "toggleoutput" && device != list.current)
                if enable {
                    try c.player.setOutput(device)
                } else if device == list.current {
                    throw MPDError(.system, "omnisonicd plays through one output: enable another one instead")
                }
            }
        }
        // Playback.
        add("play", 0, 1) { c in
            try c.player.play(index: try c.text(0).map { _ in try c.position(0) })
        }
        add("playid", 0, 1) { c in
            try c.player.play(index: try c.text(0).map { _ in try c.indexOfId(0) })
        }
        add("pause", 0, 1) { c in
            let state = c.player.status().state
            let pause = c.text(0) == nil ? state == .playing : try c.bool(0)
            if pause { c.player.pause() } else if state == .paused { try c.player.play() }
        }
        add("stop") { c in c.player.stop() }
        add("next") { c in c.player.next() }
        add("previous") { c in c.player.previous() }
        add("seek", 2, 2) { c in try c.seek(index: try c.position(0), to: try c.seconds(1)) }
        add("seekid", 2, 2) { c in try c.seek(index: try c.indexOfId(0), to: try c.seconds(1)) }
        add("seekcur", 1, 1) { c in
            let text = c.text(0) ?? ""
            let value = try c.seconds(0)
            let status = c.player.status()
            guard status.current != nil, status.state != .stopped else { throw MPDError(.playerSync, "Not playing") }
            let target = text.hasPrefix("+") || text.hasPrefix("-") ? Double(status.positionMs) / 1000 + value : value
            c.player.seek(toMs: Int(max(0, target) * 1000))
            c.door.hub.post([.player])
        }
        add("setvol", 1, 1) { c in
            let v = try c.int(0)
            guard (0...100).contains(v) else { throw MPDError.arg("Invalid volume value") }
            c.player.setVolume(v)
        }
        add("volume", 1, 1) { c in
            let delta = try c.int(0)
            c.player.setVolume(c.player.status().volume + delta)
        }
        add("getvol") { c in c.response.add("volume", c.player.status().volume) }
        add("random", 1, 1) { c in c.player.setShuffle(try c.bool(0)) }
        add("repeat", 1, 1) { c in
            let single = c.player.status().repeatMode == .one
            c.player.setRepeat(try c.bool(0) ? (single ? .one : .all) : .off)
        }
        add("single", 1, 1) { c in
            // The player repeats one track; MPD's single without repeat (stop after the song)
            // has no equivalent, so single only matters with repeat on (docs/decisions/0020).
            guard ["0", "1", "oneshot"].contains(c.text(0) ?? "") else { throw MPDError.arg("Boolean (0/1) expected: \(c.text(0) ?? "")") }
            let mode = c.player.status().repeatMode
            if c.text(0) == "1", mode != .off { c.player.setRepeat(.one) }
            if c.text(0) != "1", mode == .one { c.player.setRepeat(.all) }
        }
        // MPD 0.23 takes 0 and 1 only (`oneshot` came with 0.24).
        add("consume", 1, 1) { c in c.player.setConsume(try c.bool(0)) }
        add("crossfade", 1, 1) { c in _ = try c.unsigned(0) }
        add("mixrampdb", 1, 1) { c in _ = try c.seconds(0) }
        add("mixrampdelay", 1, 1) { c in _ = try c.seconds(0) }
        // ReplayGain is the daemon's `replaygain` setting, fixed while it runs: reported as it
        // is; a mode set over MPD is accepted and changes nothing (decision 0020).
        add("replay_gain_status") { c in c.response.add("replay_gain_mode", c.player.replayGain.rawValue) }
        add("replay_gain_mode", 1, 1) { c in
            guard ["off", "track", "album", "auto"].contains(c.text(0) ?? "") else { throw MPDError.arg("Unrecognized replay gain mode") }
        }
        // Messages (in memory, between the clients of this daemon).
        add("subscribe", 1, 1) { c in
            guard validChannel(c.arguments[0]) else { throw MPDError.arg("invalid channel name") }
            guard !c.session.channels.contains(c.arguments[0]) else { throw MPDError(.exist, "already subscribed to this channel") }
            guard c.session.channels.count < MPDFrontDoor.maxSubscriptions else { throw MPDError(.exist, "subscription list is full") }
            c.session.channels.insert(c.arguments[0])
            c.door.subscribe(c.session, to: c.arguments[0])
        }
        add("unsubscribe", 1, 1) { c in
            guard c.session.channels.remove(c.arguments[0]) != nil else { throw MPDError.noExist("not subscribed to this channel") }
            c.door.unsubscribe(c.session, from: c.arguments[0])
        }
        add("channels") { c in for name in c.door.channelNames() { c.response.add("channel", name) } }
        add("sendmessage", 2, 2) { c in
            guard validChannel(c.arguments[0]) else { throw MPDError.arg("invalid channel name") }
            guard c.door.send(c.arguments[1], to: c.arguments[0]) else { throw MPDError.noExist("nobody is subscribed to this channel") }
        }
        add("readmessages") { c in
            for m in c.door.takeMessages(for: c.session) {
                c.response.add("channel", m.channel)
                c.response.add("message", m.text)
            }
        }
        registerQueue(add)
        registerLibrary(add)
        registerPlaylists(add)
        registerStickers(add)
        return t
    }()

    /// MPD's channel names: letters, digits, `_`, `-`, `.` and `:` (`client_message_valid_channel_name`).
    static func validChannel(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "_-.:".unicodeScalars.contains($0) }
    }

    /// Every command name, sorted (what `commands` lists).
    static func t_names() -> [String] { table.keys.sorted() }

    typealias Register = (String, Int, Int, Bool, @escaping @Sendable (Call) throws -> Void) -> Void

    static func password(_ c: Call) throws {
        guard let wanted = c.door.environment.password, c.arguments[0] == wanted else {
            throw MPDError(.password, "incorrect password")
        }
        c.session.authenticated = true
    }

    static func tagtypes(_ c: Call) throws {
        guard let sub = c.text(0) else {
            for tag in Tag.allCases where c.session.tags.contains(tag) { c.response.add("tagtype", tag.rawValue) }
            return
        }
        let names = c.arguments.dropFirst()
        var tags: [Tag] = []
        for name in names {
            if let tag = Tag.named(name) {
                tags.append(tag)
            } else if !Tag.otherMPDNames.contains(name.lowercased()) {
                throw MPDError.arg("Unknown tag type: \(name)")
            }
        }
        switch sub {
        case "clear": c.session.tags = []
        case "all": c.session.tags = Set(Tag.allCases)
        case "enable": c.session.tags.formUnion(tags)
        case "disable": c.session.tags.subtract(tags)
        default: throw MPDError.arg("Unknown sub command")
        }
    }

    static func status(_ c: Call) throws {
        let s = c.player.status()
        let (version, _, _) = c.door.versions.observe(s.queue)
        let r = s.repeatMode
        c.response.add("volume", s.volume)
        c.response.add("repeat", r == .off ? 0 : 1)
        c.response.add("random", s.shuffle ? 1 : 0)
        c.response.add("single", r == .one ? 1 : 0)
        c.response.add("consume", s.consume ? 1 : 0)
        c.response.add("partition", "default")
        c.response.add("playlist", version)
        c.response.add("playlistlength", s.queue.count)
        c.response.add("mixrampdb", "0")
        c.response.add("state", s.state == .playing ? "play" : s.state == .paused ? "pause" : "stop")
        if let index = s.currentIndex, let entry = s.current {
            c.response.add("song", index)
            c.response.add("songid", Int(entry.id))
            if s.state != .stopped {
                let duration = s.durationMs ?? (try? c.songs().song(uid: entry.uid))?.track.durationMs
                c.response.add("time", "\((s.positionMs + 500) / 1000):\(((duration ?? 0) + 500) / 1000)")
                c.response.add("elapsed", Song.seconds(s.positionMs))
                if let duration { c.response.add("duration", Song.seconds(duration)) }
                if let song = try? c.songs().song(uid: entry.uid) {
                    if let bitrate = song.track.bitrate { c.response.add("bitrate", bitrate / 1000) }
                }
                if let rate = s.output.sampleRate, let channels = s.output.channels {
                    let bits = s.output.format.map { $0.hasPrefix("S16") ? "16" : $0.hasPrefix("S24") ? "24" : $0.hasPrefix("S32") ? "32" : $0.hasPrefix("FLOAT") ? "f" : "*" } ?? "*"
                    c.response.add("audio", "\(rate):\(bits):\(channels)")
                }
            }
            // The next entry, when it is certain (a shuffled order is the player's own).
            if !s.shuffle {
                let next = r == .one ? index : index + 1 < s.queue.count ? index + 1 : r == .all ? 0 : nil
                if let next {
                    c.response.add("nextsong", next)
                    c.response.add("nextsongid", Int(s.queue[next].id))
                }
            }
        }
        let scan = c.door.environment.scanState()
        if scan.running { c.response.add("updating_db", max(1, c.door.updateJob.withLock { $0 })) }
        if let error = s.error { c.response.add("error", error) }
    }

    static func currentSong(_ c: Call) throws {
        let s = c.player.status()
        guard let index = s.currentIndex, let entry = s.current else { return }
        try c.writeQueue([(index, entry)])
    }

    static func stats(_ c: Call) throws {
        let index = try c.songs()
        var artists = Set<String>(), albums = Set<String>()
        var playtime = 0
        for song in index.songs {
            for a in song.values(.artist) { artists.insert(a) }
            for a in song.values(.album) { albums.insert(a) }
            playtime += song.track.durationMs ?? 0
        }
        c.response.add("artists", artists.count)
        c.response.add("albums", albums.count)
        c.response.add("songs", index.songs.count)
        c.response.add("uptime", Int(Date().timeIntervalSince(c.door.environment.startedAt)))
        c.response.add("db_playtime", playtime / 1000)
        c.response.add("db_update", Int(c.door.environment.scanState().lastFinished?.timeIntervalSince1970 ?? c.door.environment.startedAt.timeIntervalSince1970))
        c.response.add("playtime", 0)
    }
}

extension Call {
    /// A queue position argument that exists.
    func position(_ i: Int) throws(MPDError) -> Int {
        let p = try int(i)
        guard p >= 0, p < player.status().queue.count else { throw MPDError.arg("Bad song index") }
        return p
    }

    /// The queue index of the song id argument.
    func indexOfId(_ i: Int) throws(MPDError) -> Int {
        let id = try int(i)
        guard let index = player.status().queue.firstIndex(where: { $0.id == Int64(id) }) else {
            throw MPDError.noExist("No such song")
        }
        return index
    }

    /// Moves to `seconds` into the entry at `index`: from a stop that song starts playing, and
    /// a paused player stays paused on the new song, as MPD's `seek`/`seekid` do.
    func seek(index: Int, to seconds: Double) throws {
        let s = player.status()
        if s.currentIndex != index || s.state == .stopped {
            try player.play(index: index)
            if s.state == .paused { player.pause() }
        }
        player.seek(toMs: Int(max(0, seconds) * 1000))
        door.hub.post([.player])
    }

    /// Writes queue entries as songs with `Pos:` and `Id:`.
    func writeQueue(_ entries: [(Int, QueueEntry)]) throws {
        let index = try songs()
        // Tracks whose file is not in the index (a music folder no longer configured) come
        // from the library, named by their stored path.
        let found = entries.map { index.position(uid: $0.1.uid) }
        let missing = zip(entries, found).compactMap { $1 == nil ? $0.1.uid : nil }
        let records = missing.isEmpty ? [:] : try library.tracks(uids: missing)
        for ((position, entry), i) in zip(entries, found) {
            if let i {
                index.write(i, into: &response, tags: session.tags)
            } else if let record = records[entry.uid] {
                Song(uri: record.path, modified: 0, track: record).write(into: &response, tags: session.tags)
            } else {
                response.add("file", entry.uid.rawValue)
            }
            response.add("Pos", position)
            response.add("Id", Int(entry.id))
        }
    }
}
