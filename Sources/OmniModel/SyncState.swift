/// The state of the daemon's sync client, as `GET /api/sync` and the `sync` event report it
/// (the web UI's sync indicator). A plain value.
public struct SyncState: Sendable, Equatable, Codable {
    /// False when no sync server is configured (every other field is then empty).
    public var enabled: Bool
    /// True while the last exchange with the server succeeded.
    public var connected: Bool
    /// When the last successful push or pull ended (seconds since 1970), if any.
    public var lastSync: Double?
    /// Local operations not yet acknowledged by the server.
    public var pending: Int
    /// The last error, while disconnected (nil when connected).
    public var error: String?
    /// The server sequence number this device has pulled up to.
    public var cursor: Int64

    public init(enabled: Bool, connected: Bool = false, lastSync: Double? = nil, pending: Int = 0, error: String? = nil,
                cursor: Int64 = 0) {
        self.enabled = enabled
        self.connected = connected
        self.lastSync = lastSync
        self.pending = pending
        self.error = error
        self.cursor = cursor
    }

    /// The state of a daemon without a sync server.
    public static let disabled = SyncState(enabled: false)
}
