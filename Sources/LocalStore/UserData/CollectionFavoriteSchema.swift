import GRDB

/// Migration `v10-album-artist-favorites`: `albumFavorite(albumKey, favorite, stamp)` and
/// `artistFavorite(nameKey, favorite, stamp)`, the LWW registers that `album.favorite` and
/// `artist.favorite` operations materialize (decision 0026: a star on an album or an artist is
/// user data of the one write path, so it syncs). Keyed by the library's stable keys rather than
/// row ids, so a star waits for an album this device does not have yet, and survives a rescan.
enum CollectionFavoriteSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v10-album-artist-favorites") { db in
            try db.execute(sql: """
                CREATE TABLE albumFavorite (
                    albumKey TEXT PRIMARY KEY,
                    favorite INTEGER NOT NULL,
                    stamp TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE artistFavorite (
                    nameKey TEXT PRIMARY KEY,
                    favorite INTEGER NOT NULL,
                    stamp TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
        }
    }
}
