import GRDB

/// Migration `v3-user-data`: the operation log and the tables it materializes
/// (`docs/decisions/0007-operations-and-overrides.md`).
///
/// - `meta`: this device's id (generated once, here) and the last HLC timestamp (`hlc`).
/// - `opLog`: every operation applied, local or remote, in local order (`seq`); `UNIQUE(hlc,
///   device)` makes a duplicate a no-op. `hlc` is the fixed-width time part, `payload` JSON.
/// - Materialized state, each row only a function of the *set* of operations seen. `stamp`
///   columns hold `HLCTimestamp.encoded` (time + device), which sorts bytewise in timestamp
///   order, so last-writer-wins is `excluded.stamp > stamp`:
///   - `trackOverride(uid, field, value JSON | NULL = reset, stamp)`: LWW per (uid, field);
///   - `favoriteItem(itemId, uid)` + `favoriteTombstone(itemId)`: observed-remove set;
///   - `trackRating(uid, value, stamp)`: LWW;
///   - `trackPlay(uid, device, count, lastPlayed)`: per-device counters merged by max;
///   - `playlist(id, name, nameStamp, editStamp, deleteStamp)`: LWW name, newest edit, newest delete;
///   - `playlistItem(itemId, playlistId, uid, position, positionStamp, addStamp)` +
///     `playlistItemTombstone(itemId)`: observed-remove set with LWW fractional positions;
///   - `savedSearch(id, ..., deleted, stamp)`: LWW of the whole definition (a delete clears it).
/// - `track.fileTags`: the editable tags as read from the file (JSON); the display columns of
///   `track` hold the effective values (file tags with overrides applied).
///
/// Primary-key columns come first in WITHOUT ROWID tables (see the note in `Schema`).
enum UserDataSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-user-data") { db in
            try db.execute(sql: """
                CREATE TABLE meta (
                    key TEXT NOT NULL PRIMARY KEY,
                    value TEXT NOT NULL
                ) WITHOUT ROWID;
                INSERT INTO meta(key, value) VALUES ('device', lower(hex(randomblob(8))));

                CREATE TABLE opLog (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    hlc TEXT NOT NULL,
                    device TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    target TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    UNIQUE (hlc, device)
                );

                CREATE TABLE trackOverride (
                    uid TEXT NOT NULL,
                    field TEXT NOT NULL,
                    value TEXT,
                    stamp TEXT NOT NULL,
                    PRIMARY KEY (uid, field)
                ) WITHOUT ROWID;

                CREATE TABLE favoriteItem (
                    itemId TEXT NOT NULL PRIMARY KEY,
                    uid TEXT NOT NULL,
                    stamp TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX favoriteItem_uid ON favoriteItem(uid);

                CREATE TABLE favoriteTombstone (
                    itemId TEXT NOT NULL PRIMARY KEY,
                    uid TEXT NOT NULL,
                    stamp TEXT NOT NULL
                ) WITHOUT ROWID;

                CREATE TABLE trackRating (
                    uid TEXT NOT NULL PRIMARY KEY,
                    value INTEGER,
                    stamp TEXT NOT NULL
                ) WITHOUT ROWID;

                CREATE TABLE trackPlay (
                    uid TEXT NOT NULL,
                    device TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    lastPlayed INTEGER NOT NULL,
                    PRIMARY KEY (uid, device)
                ) WITHOUT ROWID;

                CREATE TABLE playlist (
                    id TEXT NOT NULL PRIMARY KEY,
                    name TEXT,
                    nameStamp TEXT,
                    editStamp TEXT,
                    deleteStamp TEXT
                ) WITHOUT ROWID;

                CREATE TABLE playlistItem (
                    itemId TEXT NOT NULL PRIMARY KEY,
                    playlistId TEXT NOT NULL,
                    uid TEXT,
                    position TEXT NOT NULL,
                    positionStamp TEXT NOT NULL,
                    addStamp TEXT
                ) WITHOUT ROWID;
                CREATE INDEX playlistItem_order ON playlistItem(playlistId, position, itemId);
                CREATE INDEX playlistItem_uid ON playlistItem(uid);

                CREATE TABLE playlistItemTombstone (
                    itemId TEXT NOT NULL PRIMARY KEY,
                    playlistId TEXT NOT NULL,
                    stamp TEXT NOT NULL
                ) WITHOUT ROWID;

                CREATE TABLE savedSearch (
                    id TEXT NOT NULL PRIMARY KEY,
                    name TEXT,
                    query TEXT,
                    filters TEXT,
                    sort TEXT,
                    descending INTEGER NOT NULL DEFAULT 0,
                    limitCount INTEGER,
                    deleted INTEGER NOT NULL DEFAULT 0,
                    stamp TEXT NOT NULL
                ) WITHOUT ROWID;

                ALTER TABLE track ADD COLUMN fileTags TEXT;
                -- Before this migration no edit existed: the columns are the file's tags.
                UPDATE track SET fileTags = json_object(
                    'title', title,
                    'titleFromFileName', CASE WHEN titleFromFileName THEN json('true') ELSE json('false') END,
                    'artist', artist, 'artists', json(artists),
                    'album', album, 'albumArtist', albumArtist, 'albumArtists', json(albumArtists),
                    'year', year, 'genres', json(genres), 'trackNumber', trackNumber, 'discNumber', discNumber,
                    'bpm', bpm, 'key', musicalKey);
                """)
        }
    }
}
