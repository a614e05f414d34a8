import GRDB

/// The indexes search needs, registered as their own migration after `v1-library`.
///
/// Listing a page of 50 out of 100,000 tracks in a given order must not sort the whole table:
/// each sort of `SearchSort` has an index that yields its order (with `rowid` as the last key,
/// which gives stable pages). Sort keys are expressions over existing columns (`COLLATE NOCASE`),
/// so the write path fills nothing new.
///
/// `track_filter` holds the columns of the SQL filters (`year:`, `codec:`, `is:compilation`) keyed
/// by id: checking the filters of thousands of FTS5 matches reads this small index instead of
/// the wide `track` rows.
enum SearchSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-search-indexes") { db in
            try db.execute(sql: """
                CREATE INDEX track_sort_artist ON track(
                    artist COLLATE NOCASE, album COLLATE NOCASE, discNumber, trackNumber, titleKey);
                CREATE INDEX track_sort_album ON track(album COLLATE NOCASE, discNumber, trackNumber);
                CREATE INDEX track_sort_duration ON track(durationMs);
                CREATE INDEX track_filter ON track(id, year, codec, compilation);
                """)
        }
    }

    /// Migrations added after the player's (`v5-player`), registered last by `Schema.migrator()`
    /// so that existing libraries run them in order.
    static func registerRevisions(in migrator: inout DatabaseMigrator) {
        // Listing by artist groups an album under its album artist (a compilation no longer
        // scatters across its track artists) and puts untagged tracks (no artist, no album) last
        // instead of on the first screen. The expressions are `SearchSQL.sortArtist`/`sortAlbum`
        // with the table name left out (an index expression names columns of its own table).
        migrator.registerMigration("v6-sort-untagged-last") { db in
            try db.execute(sql: """
                DROP INDEX IF EXISTS track_sort_artist;
                DROP INDEX IF EXISTS track_sort_album;
                CREATE INDEX track_sort_artist_v6 ON track(
                    (coalesce(nullif(albumArtist, ''), nullif(artist, '')) IS NULL),
                    coalesce(nullif(albumArtist, ''), nullif(artist, '')) COLLATE NOCASE,
                    (nullif(album, '') IS NULL), album COLLATE NOCASE, discNumber, trackNumber, titleKey);
                CREATE INDEX track_sort_album_v6 ON track(
                    (nullif(album, '') IS NULL), album COLLATE NOCASE, discNumber, trackNumber);
                """)
        }
        // Search folds names the way people type them (`SearchFolding`, decision 0005): the index
        // is rebuilt over a view of folded columns, so an existing library finds `gudmundsdottir`
        // and `龍一` as soon as it is opened. The index and its vocabulary are recreated (an FTS5
        // table's content option cannot be altered); 'rebuild' reads every track once.
        migrator.registerMigration("v7-search-folding") { db in
            try db.execute(sql: """
                DROP TABLE IF EXISTS trackFtsVocab;
                DROP TABLE IF EXISTS trackFts;
                \(SearchIndex.createContentView);
                CREATE VIRTUAL TABLE trackFts USING fts5(
                    \(SearchIndex.columns),
                    content='\(SearchIndex.contentView)', content_rowid='id',
                    tokenize="unicode61 remove_diacritics 2",
                    prefix='1 2 3'
                );
                CREATE VIRTUAL TABLE trackFtsVocab USING fts5vocab(trackFts, 'row');
                INSERT INTO trackFts(trackFts) VALUES('rebuild');
                """)
        }
    }
}
