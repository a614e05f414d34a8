import Foundation
import Glibc
import LocalStore
import MediaIO
import OmniModel

/// Brings uploaded files into the library: checks them, moves them into
/// `<first music root>/Imported/` under safe names, and indexes them at once.
///
/// Each file is judged alone: a bad file is refused with its own error and the others go on.
/// A file is accepted when its extension is an audio one, its size is within the limit and
/// the tag reader reads an audio stream from it. Its name is cleaned (`sanitize`): the
/// original name chooses nothing outside the import folder.
///
/// The file is moved with `link` + `unlink` (or copied with `O_EXCL` across devices), never
/// `rename`, which would silently replace a file of the same name; a taken name gets a number.
///
/// Blocking (file copies, probing, a database write): call it from a dedicated thread.
public struct Importer: Sendable {
    /// An uploaded file waiting in a temporary folder.
    public struct Upload: Sendable, Equatable {
        /// Where the upload was written (it is moved away, or left for the caller to delete).
        public var temporaryPath: String
        /// The name the client gave (untrusted).
        public var originalName: String

        public init(temporaryPath: String, originalName: String) {
            self.temporaryPath = temporaryPath
            self.originalName = originalName
        }
    }

    /// What became of one upload.
    public struct Outcome: Sendable {
        public var originalName: String
        /// The imported track (or the library's track when it was already there), or why the
        /// file was refused.
        public var result: Result<TrackRecord, IndexError>
        /// True when the library already had this recording: no copy was kept, `result` is
        /// the existing track.
        public var alreadyInLibrary = false
    }

    /// The name of the folder created inside the first music root.
    public static let folderName = "Imported"
    /// The longest file name kept, in bytes (ext4 allows 255; room for " (NN)").
    public static let maxNameBytes = 200

    private let indexer: Indexer
    private let root: RawPath
    private let maxBytes: Int64

    /// - Parameters:
    ///   - indexer: the library's indexer (its tag reader, artwork cache and library).
    ///   - root: the first music root (absolute); files go to `root/Imported`.
    ///   - maxBytes: the largest accepted file.
    public init(indexer: Indexer, root: RawPath, maxBytes: Int64) {
        self.indexer = indexer
        self.root = root
        self.maxBytes = maxBytes
    }

    /// The import folder.
    public var folder: RawPath { root.appending(RawPath(Self.folderName)) }

    /// Imports `uploads`, in order. Never throws: every file has its outcome.
    public func importFiles(_ uploads: [Upload]) -> [Outcome] {
        uploads.map { upload in
            do throws(IndexError) {
                let (track, isNew) = try importOrMatch(upload)
                return Outcome(originalName: upload.originalName, result: .success(track), alreadyInLibrary: !isNew)
            } catch {
                return Outcome(originalName: upload.originalName, result: .failure(error))
            }
        }
    }

    /// Imports one file; returns the library's track when it already had this recording
    /// (no second copy is written).
    ///
    /// - Throws: `IndexError.importRejected` for a file that is not acceptable,
    ///   `IndexError.importFailed` when it could not be stored, `.store` when the library failed.
    public func importFile(_ upload: Upload) throws(IndexError) -> TrackRecord {
        try importOrMatch(upload).track
    }

    /// Imports one file, or finds the track the library already has for the same recording
    /// (the same uid, `AudioIdentity`): then nothing is written and `isNew` is false.
    public func importOrMatch(_ upload: Upload) throws(IndexError) -> (track: TrackRecord, isNew: Bool) {
        guard let name = Self.sanitize(upload.originalName) else {
            throw IndexError(.importRejected, message: "refused \"\(Self.printable(upload.originalName))\": the name has no usable characters")
        }
        let ext = RawPath(name).lowercasedExtension
        guard AudioFileTypes.audioExtensions.contains(ext) else {
            throw IndexError(.importRejected, message: "refused \(name): .\(ext.isEmpty ? "(none)" : ext) is not an audio file type")
        }
        var st = stat()
        guard lstat(upload.temporaryPath, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw IndexError(.importFailed, message: "the upload of \(name) is missing", errno: errno)
        }
        guard Int64(st.st_size) <= maxBytes else {
            throw IndexError(.importRejected, message: "refused \(name): \(st.st_size) bytes is more than the limit of \(maxBytes)")
        }
        guard st.st_size > 0 else { throw IndexError(.importRejected, message: "refused \(name): the file is empty") }
        let probe: ProbeResult
        do {
            probe = try indexer.reader.probe(RawPath(upload.temporaryPath), withArtwork: false)
        } catch {
            throw IndexError(.importRejected, message: "refused \(name): it is not a readable audio file", detail: error.expandedDescription)
        }
        // The same recording (same uid) is already in the library: say so, keep no second copy
        // (a copy would also be one more file that deleting the track moves to the trash).
        let known = try IndexError.store { () throws(StoreError) in try indexer.library.track(uid: probe.uid) }
        if let known { return (known, false) }

        if mkdir(folder.displayString, 0o755) != 0 && errno != EEXIST {
            throw IndexError(.importFailed, message: "cannot create the import folder \(folder)", errno: errno)
        }
        // The one symlink rule (decision 0009): an import folder that is a link out of the music
        // folder would put the file where the walker never looks and the API never serves.
        guard let realRoot = root.resolvingLinks, folder.resolves(within: realRoot) else {
            throw IndexError(.importFailed, message: "the import folder \(folder) leads out of the music folder \(root)")
        }
        let placed = try place(upload.temporaryPath, named: name)

        // Index it now: the same probe and write path as a scan, for one file.
        let library = indexer.library
        let musicRoot = try IndexError.store { () throws(StoreError) in try library.ensureRoot(root) }
        var entryStat = stat()
        guard root.appending(placed).withCString({ stat($0, &entryStat) }) == 0 else {
            throw IndexError(.importFailed, message: "the imported file \(placed) vanished", errno: errno)
        }
        let entry = FileEntry(
            relativePath: placed, size: Int64(entryStat.st_size),
            mtimeNs: CheckedArithmetic.nanoseconds(seconds: entryStat.st_mtim.tv_sec, nanoseconds: entryStat.st_mtim.tv_nsec),
            ctimeNs: CheckedArithmetic.nanoseconds(seconds: entryStat.st_ctim.tv_sec, nanoseconds: entryStat.st_ctim.tv_nsec),
            inode: UInt64(entryStat.st_ino), device: UInt64(entryStat.st_dev))
        let existing = try IndexError.store { () throws(StoreError) in try library.file(rootID: musicRoot.id, relativePath: placed) }
        let output = Indexer.probe(ProbeJob(rootID: musicRoot.id, entry: entry, existingFileID: existing?.id),
                                   rootPath: root, reader: indexer.reader, artwork: indexer.artwork, logger: indexer.logger)
        guard case .probed(let probed) = output.kind, case .track(let result, _, _) = probed.outcome else {
            throw IndexError(.importFailed, message: "the imported file \(placed) could not be read back")
        }
        var batch = ScanBatch()
        batch.probed.append(probed)
        _ = try IndexError.store { () throws(StoreError) in try library.apply(batch) }
        guard let track = try IndexError.store({ () throws(StoreError) in try library.track(uid: result.uid) }) else {
            throw IndexError(.importFailed, message: "the imported file \(placed) is not in the library")
        }
        return (track, true)
    }

    /// Moves the upload into the import folder under `name` or a numbered variant; returns its
    /// path relative to the root.
    private func place(_ temporary: String, named name: String) throws(IndexError) -> RawPath {
        for attempt in 1...1000 {
            let candidate = Self.numbered(name, attempt)
            let relative = RawPath(Self.folderName + "/" + candidate)
            let destination = root.appending(relative).displayString
            if link(temporary, destination) == 0 {
                unlink(temporary)
                return relative
            }
            switch errno {
            case EEXIST: continue
            case EXDEV, EPERM, EMLINK, ENOTSUP:
                // Another disk (or a file system without hard links): copy, then remove.
                let outcome = try Self.copy(temporary, to: destination)
                if !outcome { continue }  // the name was taken meanwhile
                unlink(temporary)
                return relative
            default:
                throw IndexError(.importFailed, message: "cannot store \(name) in \(folder)", errno: errno)
            }
        }
        throw IndexError(.importFailed, message: "too many files named \(name) in \(folder)")
    }

    /// Copies `source` to a new file `destination` (`O_EXCL`), synced. False when the name is taken.
    private static func copy(_ source: String, to destination: String) throws(IndexError) -> Bool {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw IndexError(.importFailed, message: "cannot read the upload", errno: errno) }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if output < 0 {
            if errno == EEXIST { return false }
            throw IndexError(.importFailed, message: "cannot write \(destination)", errno: errno)
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var failure: Int32 = 0
        copying: while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; failure = errno; break }
            if n == 0 { break }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { Glibc.write(output, $0.baseAddress! + written, n - written) }
                if w < 0 { if errno == EINTR { continue }; failure = errno; break copying }
                written += w
            }
        }
        if failure == 0 && fsync(output) != 0 { failure = errno }
        close(output)
        if failure != 0 {
            unlink(destination)
            throw IndexError(.importFailed, message: "cannot write \(destination)", errno: failure)
        }
        return true
    }

    /// A safe file name from an untrusted one, or nil when nothing usable is left.
    ///
    /// Only the last component of a path counts (`a/b\\c.mp3` → `c.mp3`); control characters
    /// are dropped; leading dots and spaces go (no hidden files, no `..`); the name is cut to
    /// `maxNameBytes` bytes of UTF-8 keeping its extension.
    public static func sanitize(_ original: String) -> String? {
        let lastComponent = original.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var name = String(String.UnicodeScalarView(lastComponent.unicodeScalars.filter { scalar in
            !(scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
              || scalar.properties.generalCategory == .lineSeparator || scalar.properties.generalCategory == .paragraphSeparator
              || scalar.value == 0xFFFD)
        }))
        while let first = name.first, first == "." || first.isWhitespace { name.removeFirst() }
        while let last = name.last, last.isWhitespace || last == "." { name.removeLast() }
        guard !name.isEmpty else { return nil }
        if name.utf8.count > maxNameBytes {
            let ext = RawPath(name).lowercasedExtension
            let suffix = ext.isEmpty ? "" : "." + String(name.suffix(ext.count))
            var base = String(name.dropLast(suffix.count))
            while base.utf8.count + suffix.utf8.count > maxNameBytes { base.removeLast() }
            name = base.trimmingCharacters(in: .whitespaces) + suffix
        }
        return name.isEmpty || name.hasPrefix(".") ? nil : name
    }

    /// `name`, then `base (2).ext`, `base (3).ext`...
    static func numbered(_ name: String, _ attempt: Int) -> String {
        guard attempt > 1 else { return name }
        let ext = RawPath(name).lowercasedExtension
        guard !ext.isEmpty else { return "\(name) (\(attempt))" }
        return "\(name.dropLast(ext.count + 1)) (\(attempt)).\(name.suffix(ext.count))"
    }

    /// A name safe to put in an error message.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.properties.generalCategory != .control }.prefix(100)))
    }
}
