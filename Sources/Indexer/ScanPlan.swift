import LocalStore
import OmniModel
import Watcher

/// The comparison of a walk with the library: what to probe, what moved, what is gone.
///
/// Pure bookkeeping over the walk and the stored rows; no file is opened here.
struct ScanPlan {
    /// Moves, removals (and, later, folder pictures) to write before probing.
    var batch = ScanBatch()
    /// New and changed files.
    var toProbe: [ProbeJob] = []
    /// Folder pictures that did not change, with their stored identity.
    var unchangedFolderArtwork: [FolderKey: StoredArtwork] = [:]
    /// Folder pictures that are gone.
    var removedFolderArtwork: [(rootID: Int64, folder: RawPath)] = []

    /// What identifies a file's content on disk without reading it: a move keeps all four.
    private struct InodeKey: Hashable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var mtimeNs: Int64
    }

    /// Compares whole roots with everything stored for them.
    init(walked: [(root: MusicRoot, result: WalkResult)], library: Library) throws(StoreError) {
        let rootIDs = walked.map(\.root.id)
        self.init(walked: walked, stored: try library.storedFiles(roots: rootIDs),
                  storedPictures: try library.storedFolderArtwork(roots: rootIDs))
    }

    /// Compares walks with the stored rows of the same extent (whole roots, or the folders a
    /// partial rescan walked): `stored` and `storedPictures` must cover exactly what was walked.
    /// Stored files under a folder the walk could not read are kept as they are.
    init(walked: [(root: MusicRoot, result: WalkResult)], stored allStored: [StoredFile],
         storedPictures allPictures: [StoredFolderArtwork]) {
        // Both lists are sorted by path bytes (the walker sorts; SQLite orders BLOBs by memcmp),
        // so a merge join pairs them in one pass, without hashing 10,000 paths twice.
        let storedByRoot = Dictionary(grouping: allStored, by: \.rootID)
        let unreadable = Dictionary(grouping: walked.flatMap { w in w.result.unreadableFolders.map { (w.root.id, $0) } },
                                    by: \.0).mapValues { $0.map(\.1) }
        var missing: [StoredFile] = []
        var newFiles: [(rootID: Int64, entry: FileEntry)] = []
        for (root, result) in walked {
            let stored = storedByRoot[root.id] ?? []
            var s = 0
            for entry in result.files {
                while s < stored.count, stored[s].relativePath < entry.relativePath {
                    missing.append(stored[s])
                    s += 1
                }
                if s < stored.count, stored[s].relativePath == entry.relativePath {
                    if !stored[s].isUnchanged(comparedTo: entry) {
                        toProbe.append(ProbeJob(rootID: root.id, entry: entry, existingFileID: stored[s].id))
                    }
                    s += 1
                } else {
                    newFiles.append((root.id, entry))
                }
            }
            missing.append(contentsOf: stored[s...])
        }

        // A folder that could not be read (permissions, I/O error) is not a deletion.
        if !unreadable.isEmpty {
            missing.removeAll { file in unreadable[file.rootID]?.contains { file.relativePath.isWithin($0) } ?? false }
        }

        // What was not paired is missing from disk: moved away or deleted.
        var missingByInode: [InodeKey: StoredFile] = [:]
        for file in missing {
            missingByInode[InodeKey(device: file.device, inode: file.inode, size: file.size, mtimeNs: file.mtimeNs)] = file
        }
        for (rootID, entry) in newFiles {
            let key = InodeKey(device: entry.device, inode: entry.inode, size: entry.size, mtimeNs: entry.mtimeNs)
            if let moved = missingByInode.removeValue(forKey: key) {
                batch.moved.append(ScanBatch.Moved(fileID: moved.id, rootID: rootID, entry: entry))
                if moved.trackID == nil {
                    // It failed to probe before; it may read now (a renamed .mp3 that is really FLAC).
                    toProbe.append(ProbeJob(rootID: rootID, entry: entry, existingFileID: moved.id))
                }
            } else {
                toProbe.append(ProbeJob(rootID: rootID, entry: entry, existingFileID: nil))
            }
        }
        batch.removed = missingByInode.values.map(\.id).sorted()

        // Folder pictures.
        var storedPictures: [FolderKey: StoredFolderArtwork] = [:]
        for picture in allPictures {
            storedPictures[FolderKey(rootID: picture.rootID, folder: picture.folder)] = picture
        }
        for (root, result) in walked {
            for picture in result.folderArtwork {
                let key = FolderKey(rootID: root.id, folder: picture.folder)
                if let existing = storedPictures.removeValue(forKey: key), existing.relativePath == picture.relativePath,
                   existing.size == picture.size, existing.mtimeNs == picture.mtimeNs {
                    if let artwork = existing.artwork {
                        unchangedFolderArtwork[key] = artwork
                    }
                }
            }
        }
        removedFolderArtwork = storedPictures.keys
            .filter { key in !(unreadable[key.rootID]?.contains { key.folder.isWithin($0) } ?? false) }
            .map { ($0.rootID, $0.folder) }
    }
}
