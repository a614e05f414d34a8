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
}
