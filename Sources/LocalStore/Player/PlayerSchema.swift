import GRDB

/// The player's persisted queue and state, registered as migration `v5-player` (after the user
/// data migrations). Device-local: the queue is what this computer plays, so it is not an
/// operation and does not sync.
///
/// - `playerQueueEntry`: one row per queue position, `position` 0-based and dense; `id` is the
///   entry's stable id (the same track may be queued twice).
/// - `playerState`: exactly one row (`id = 1`): the current entry, where it was, the modes and
///   the shuffle order (a JSON array of entry ids).
/// - `playerSchedule`: one-shot plays of a playlist or saved search at a time (seconds since 1970).
enum PlayerSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-player") { db in
            try db.execute(sql: """
                CREATE TABLE playerQueueEntry (
                    id INTEGER PRIMARY KEY,
                    position INTEGER NOT NULL UNIQUE,
                    uid TEXT NOT NULL
                );
                CREATE TABLE playerState (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    currentEntryId INTEGER,
                    positionMs INTEGER NOT NULL DEFAULT 0,
                    volume INTEGER NOT NULL DEFAULT 100,
                    repeatMode TEXT NOT NULL DEFAULT 'off',
                    shuffle INTEGER NOT NULL DEFAULT 0,
                    consume INTEGER NOT NULL DEFAULT 0,
                    shuffleOrder TEXT NOT NULL DEFAULT '[]'
                );
                INSERT INTO playerState (id) VALUES (1);
                CREATE TABLE playerSchedule (
                    id TEXT PRIMARY KEY,
                    at REAL NOT NULL,
                    sourceKind TEXT NOT NULL CHECK (sourceKind IN ('playlist', 'savedSearch')),
                    sourceId TEXT NOT NULL,
                    createdAt REAL NOT NULL
                );
                """)
        }
    }
}
