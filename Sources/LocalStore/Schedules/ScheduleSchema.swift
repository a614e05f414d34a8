import GRDB

/// Migration `v9-schedules-history` (decision 0028): the tables that `schedule.*` and
/// `play.listen` operations materialize, and the scan log the statistics read.
///
/// - `schedule(id, definition JSON | NULL, deleted, stamp)`: LWW of the whole definition per id
///   (a delete clears it, so the row does not depend on arrival order), like `savedSearch`.
/// - `scheduleRun(scheduleId, plannedMs, device, handledMs, outcome, reason, stamp)`: one row
///   per occurrence a device handled; LWW per row. The firing device's newest `plannedMs` is
///   where its scheduler resumes (nothing fires twice, even across a restart or a DST change).
/// - `playHistory(id, uid, playedMs, device, client, durationMs, title, artist, album, genre)`:
///   one row per completed play (grow-only; the id is the operation's target).
/// - `scanLog`: each full scan's start, end and counts (device-local, not user data).
///
/// Primary-key columns come first in WITHOUT ROWID tables (see the note in `Schema`).
enum ScheduleSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9-schedules-history") { db in
            try db.execute(sql: """
                CREATE TABLE schedule (
                    id TEXT NOT NULL PRIMARY KEY,
                    definition TEXT,
                    deleted INTEGER NOT NULL DEFAULT 0,
                    stamp TEXT NOT NULL
                ) WITHOUT ROWID;

                CREATE TABLE scheduleRun (
                    scheduleId TEXT NOT NULL,
                    plannedMs INTEGER NOT NULL,
                    device TEXT NOT NULL,
                    handledMs INTEGER NOT NULL,
                    outcome TEXT NOT NULL,
                    reason TEXT,
                    stamp TEXT NOT NULL,
                    PRIMARY KEY (scheduleId, plannedMs, device)
                ) WITHOUT ROWID;

                CREATE TABLE playHistory (
                    id TEXT NOT NULL PRIMARY KEY,
                    uid TEXT,
                    playedMs INTEGER NOT NULL,
                    device TEXT NOT NULL,
                    client TEXT NOT NULL,
                    durationMs INTEGER NOT NULL,
                    title TEXT NOT NULL,
                    artist TEXT,
                    album TEXT,
                    genre TEXT
                ) WITHOUT ROWID;
                CREATE INDEX playHistory_time ON playHistory(playedMs);
                CREATE INDEX playHistory_uid ON playHistory(uid);

                CREATE TABLE scanLog (
                    id INTEGER PRIMARY KEY,
                    startedAt REAL NOT NULL,
                    finishedAt REAL NOT NULL,
                    files INTEGER NOT NULL,
                    added INTEGER NOT NULL,
                    updated INTEGER NOT NULL,
                    removed INTEGER NOT NULL,
                    failed INTEGER NOT NULL,
                    error TEXT
                );
                """)
        }
    }
}
