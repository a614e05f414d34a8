import GRDB

/// Migration `v9-track-stickers`: `trackSticker(uid, name, value | NULL = deleted, stamp)`, the
/// LWW register per (uid, name) that `track.sticker` operations materialize (decision 0020:
/// stickers MPD clients set are user data, so they sync). Indexed by name for `sticker find`.
enum StickerSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9-track-stickers") { db in
            try db.execute(sql: """
                CREATE TABLE trackSticker (
                    uid TEXT NOT NULL,
                    name TEXT NOT NULL,
                    value TEXT,
                    stamp TEXT NOT NULL,
                    PRIMARY KEY (uid, name)
                ) WITHOUT ROWID;
                CREATE INDEX trackSticker_name ON trackSticker(name, uid);
                """)
        }
    }
}
