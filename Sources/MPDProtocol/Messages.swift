import Synchronization

/// MPD's client-to-client messages (`subscribe`, `sendmessage`, `readmessages`), in memory.
extension MPDFrontDoor {
    /// MPD's limits: a client subscribes to at most 16 channels and holds at most 64 unread
    /// messages (more are dropped for that client), so a client that never reads cannot grow
    /// the daemon's memory.
    static let maxSubscriptions = 16
    static let maxUnreadMessages = 64

    func subscribe(_ session: Session, to channel: String) {
        _ = channels.withLock { $0[channel, default: []].insert(ObjectIdentifier(session)) }
        hub.post([.subscription])
    }

    func unsubscribe(_ session: Session, from channel: String) {
        channels.withLock { c in
            c[channel]?.remove(ObjectIdentifier(session))
            if c[channel]?.isEmpty == true { c[channel] = nil }
        }
        hub.post([.subscription])
    }

    func channelNames() -> [String] { channels.withLock { $0.keys.sorted() } }

    /// Queues `text` for every subscriber of `channel` whose unread messages are not full;
    /// false when none took it (MPD's "nobody is subscribed").
    func send(_ text: String, to channel: String) -> Bool {
        let receivers = channels.withLock { $0[channel] ?? [] }
        let sent = inbox.withLock { inbox -> Bool in
            var sent = false
            for r in receivers where inbox[r, default: []].count < Self.maxUnreadMessages {
                inbox[r, default: []].append((channel: channel, text: text))
                sent = true
            }
            return sent
        }
        if sent { hub.post([.message]) }
        return sent
    }

    func takeMessages(for session: Session) -> [(channel: String, text: String)] {
        inbox.withLock { $0.removeValue(forKey: ObjectIdentifier(session)) ?? [] }
    }
}
