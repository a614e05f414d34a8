import Synchronization

/// MPD's client-to-client messages (`subscribe`, `sendmessage`, `readmessages`), in memory.
extension MPDFrontDoor {
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

    /// Queues `text` for every subscriber of `channel`; false when there is none.
    func send(_ text: String, to channel: String) -> Bool {
        let receivers = channels.withLock { $0[channel] ?? [] }
        guard !receivers.isEmpty else { return false }
        inbox.withLock { inbox in
            for r in receivers { inbox[r, default: []].append((channel: channel, text: text)) }
        }
        hub.post([.message])
        return true
    }

    func takeMessages(for session: Session) -> [(channel: String, text: String)] {
        inbox.withLock { $0.removeValue(forKey: ObjectIdentifier(session)) ?? [] }
    }
}
