import GRDB

/// Migration `v11-album-title-order`: indexes in the orders of `getAlbumList2`'s alphabetical
/// lists (`Library.subsonicAlbums`), so a page is an index walk instead of a sort of every album
/// title `COLLATE NOCASE` per request (decision 0026, "Speed"). The row id (`album.id`, the
/// lists' tie-break) ends every index, so `ORDER BY ..., album.id` needs no sort either.
enum SubsonicSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v11-album-title-order") { db in
            try db.execute(sql: """
                CREATE INDEX albumTitleNocase ON album(title COLLATE NOCASE);
                CREATE INDEX albumArtistTitleNocase ON album(albumArtist COLLATE NOCASE, title COLLATE NOCASE);
                """)
        }
    }
}
