import GRDB

/// The library schema and its migrations.
///
/// Layout (see `docs/decisions/0004-library-schema.md` for the reasons):
/// - `root`: a music folder (absolute path bytes) and whether it is online.
/// - `file`: one row per audio file under a root (relative path bytes, size, mtime, ctime, inode,
///   device, last probe error), pointing at the `track` it holds. Copies of one recording are
///   several files pointing at one track.
/// - `track`: one row per recording, keyed by `uid`, with its tags and the stream properties.
///   Since `v3-user-data` the tag columns are the *effective* values (the file's tags with the
///   user's overrides applied) and `fileTags` keeps the editable tags as read (decision 0007).
/// - `artist`, `album`, `genre` and the link tables `trackArtist` (with a role), `trackGenre`.
/// - `artwork`: content-addressed images (sha256) stored in the cache directory;
///   `folderArtwork`: the `cover.jpg`-style picture of each folder that has one, with its stat.
/// - `trackFts`: an FTS5 index with `track` as external content, kept in step in bulk by
///   `SearchIndex` (not by triggers: see there); `trackFtsVocab` exposes its vocabulary for
///   "did you mean".
/// - `v3-user-data` (`UserDataSchema`): the operation log and the user-data tables.
/// - `v10-track-analysis` (`AnalysisSchema`): what the background analysis found per track.
enum Schema {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-library") { db in
            try db.execute(sql: """
                CREATE TABLE root (
                    id INTEGER PRIMARY KEY,
                    path BLOB NOT NULL UNIQUE,
                    online INTEGER NOT NULL DEFAULT 1,
                    lastScanAt REAL
                );

                CREATE TABLE artwork (
                    id INTEGER PRIMARY KEY,
                    hash TEXT NOT NULL UNIQUE,
                    mimeType TEXT NOT NULL,
                    byteCount INTEGER NOT NULL
                );

                CREATE TABLE artist (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    nameKey TEXT NOT NULL UNIQUE
                );

                CREATE TABLE genre (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    nameKey TEXT NOT NULL UNIQUE
                );

                CREATE TABLE album (
                    id INTEGER PRIMARY KEY,
                    albumKey TEXT NOT NULL UNIQUE,
                    title TEXT NOT NULL,
                    albumArtist TEXT,
                    year INTEGER,
                    compilation INTEGER NOT NULL DEFAULT 0,
                    artworkId INTEGER REFERENCES artwork(id) ON DELETE SET NULL
                );

                CREATE TABLE track (
                    id INTEGER PRIMARY KEY,
                    uid TEXT NOT NULL UNIQUE,
                    title TEXT NOT NULL,
                    titleKey TEXT NOT NULL,
                    titleFromFileName INTEGER NOT NULL DEFAULT 0,
                    artist TEXT,
                    artists TEXT NOT NULL DEFAULT '[]',
                    album TEXT,
                    albumArtist TEXT,
                    albumArtists TEXT NOT NULL DEFAULT '[]',
                    albumId INTEGER REFERENCES album(id) ON DELETE SET NULL,
                    trackNumber INTEGER,
                    trackTotal INTEGER,
                    discNumber INTEGER,
                    discTotal INTEGER,
                    year INTEGER,
                    date TEXT,
                    originalYear INTEGER,
                    genres TEXT NOT NULL DEFAULT '[]',
                    genreText TEXT,
                    composer TEXT,
                    composers TEXT NOT NULL DEFAULT '[]',
                    compilation INTEGER NOT NULL DEFAULT 0,
                    comment TEXT,
                    label TEXT,
                    bpm REAL,
                    musicalKey TEXT,
                    replayGain TEXT,
                    musicBrainz TEXT,
                    codec TEXT NOT NULL,
                    container TEXT NOT NULL,
                    durationMs INTEGER,
                    sampleRate INTEGER,
                    channels INTEGER,
                    bitsPerSample INTEGER,
                    bitrate INTEGER,
                    artworkId INTEGER REFERENCES artwork(id) ON DELETE SET NULL,
                    folderArtworkId INTEGER REFERENCES artwork(id) ON DELETE SET NULL,
                    fileName TEXT NOT NULL,
                    addedAt REAL NOT NULL,
                    updatedAt REAL NOT NULL
                );
                CREATE INDEX track_titleKey ON track(titleKey);
                CREATE INDEX track_album ON track(albumId, discNumber, trackNumber);
                CREATE INDEX track_year ON track(year);
                CREATE INDEX track_addedAt ON track(addedAt);

                CREATE TABLE file (
                    id INTEGER PRIMARY KEY,
                    rootId INTEGER NOT NULL REFERENCES root(id) ON DELETE CASCADE,
                    relPath BLOB NOT NULL,
                    size INTEGER NOT NULL,
                    mtimeNs INTEGER NOT NULL,
                    ctimeNs INTEGER NOT NULL,
                    inode INTEGER NOT NULL,
                    device INTEGER NOT NULL,
                    trackId INTEGER REFERENCES track(id) ON DELETE SET NULL,
                    probeErrorCode TEXT,
                    probeError TEXT,
                    scannedAt REAL NOT NULL,
                    UNIQUE(rootId, relPath)
                );
                CREATE INDEX file_trackId ON file(trackId);
                CREATE INDEX file_inode ON file(device, inode);

                CREATE TABLE folderArtwork (
                    rootId INTEGER NOT NULL REFERENCES root(id) ON DELETE CASCADE,
                    folder BLOB NOT NULL,
                    relPath BLOB NOT NULL,
                    size INTEGER NOT NULL,
                    mtimeNs INTEGER NOT NULL,
                    artworkId INTEGER REFERENCES artwork(id) ON DELETE SET NULL,
                    PRIMARY KEY (rootId, folder)
                ) WITHOUT ROWID;

                -- Primary-key columns come first in WITHOUT ROWID tables: SQLite 3.40's
                -- integrity_check wrongly reports NULLs in a NOT NULL column declared before them.
                CREATE TABLE trackArtist (
                    trackId INTEGER NOT NULL REFERENCES track(id) ON DELETE CASCADE,
                    role TEXT NOT NULL CHECK (role IN ('artist', 'albumartist', 'composer')),
                    position INTEGER NOT NULL,
                    artistId INTEGER NOT NULL REFERENCES artist(id) ON DELETE CASCADE,
                    PRIMARY KEY (trackId, role, position)
                ) WITHOUT ROWID;
                CREATE INDEX trackArtist_artist ON trackArtist(artistId, role);

                CREATE TABLE trackGenre (
                    trackId INTEGER NOT NULL REFERENCES track(id) ON DELETE CASCADE,
                    genreId INTEGER NOT NULL REFERENCES genre(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    PRIMARY KEY (trackId, genreId)
                ) WITHOUT ROWID;
                CREATE INDEX trackGenre_genre ON trackGenre(genreId);

                CREATE VIRTUAL TABLE trackFts USING fts5(
                    title, artist, album, albumArtist, genreText, composer, fileName,
                    content='track', content_rowid='id',
                    tokenize="unicode61 remove_diacritics 2",
                    prefix='1 2 3'
                );
                CREATE VIRTUAL TABLE trackFtsVocab USING fts5vocab(trackFts, 'row');
                """)
        }
        SearchSchema.register(in: &migrator)
        UserDataSchema.register(in: &migrator)
        SyncSchema.register(in: &migrator)
        PlayerSchema.register(in: &migrator)
        SearchSchema.registerRevisions(in: &migrator)
        // Albums split in two because some of their tracks lack the album artist tag are
        // merged (`AlbumGrouping`); scans group them so from now on.
        migrator.registerMigration("v8-album-grouping") { db in try AlbumGrouping.mergeExisting(db) }
        StickerSchema.register(in: &migrator)
        ScheduleSchema.register(in: &migrator)
        CollectionFavoriteSchema.register(in: &migrator)
        AnalysisSchema.register(in: &migrator)
        SubsonicSchema.register(in: &migrator)
        return migrator
    }
}
