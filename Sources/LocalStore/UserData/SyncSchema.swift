import GRDB

/// Migration `v4-sync`: what the sync client remembers between runs (decision 0013).
///
/// `syncState(key, value)`:
/// - `server`: the sync server's URL the cursor belongs to (another server starts over);
/// - `cursor`: the server sequence number pulled up to (operations after it are asked for);
/// - `pushed`: the local `opLog.seq` up to which this device's own operations were
///   acknowledged by the server (those after it are pending).
///
/// Nothing else is needed: received operations go through `apply(remote:)` into `opLog` like
/// local ones, and a push is idempotent on the server, so a crash between a push and its
/// acknowledgement only re-sends operations.
enum SyncSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-sync") { db in
            try db.execute(sql: """
                CREATE TABLE syncState (
                    key TEXT NOT NULL PRIMARY KEY,
                    value TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX opLog_device ON opLog(device, seq);
                """)
        }
    }
}
