import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Folders and files that only their owner may read: a library, a sync database and their
/// caches say a lot about their owner (decision 0017).
///
/// systemd units set `UMask=0077`; run by hand (a shell's umask is usually 022), the daemon and
/// the sync server made their data folder 0755 and their databases 0644 (issue 18). These
/// helpers set the modes themselves, whatever the umask. Synchronous; any thread.
public enum PrivateFiles {
    /// Creates `path` and its missing parents, and makes `path` itself 0700 (also when it
    /// existed with looser bits: it is this program's folder).
    ///
    /// - Throws: the error of the failing `mkdir` or `chmod`, naming the path.
    public static func makeFolder(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try tighten(path)
    }

    /// Makes sure a SQLite database at `path` is created 0600 (SQLite gives its `-wal`,
    /// `-shm` and journal files the database file's mode), and takes group and other bits off
    /// an existing database and its companions.
    ///
    /// - Throws: the error of the failing `open` or `chmod`, naming the path.
    public static func prepareDatabase(_ path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot create", path) }
        close(fd)
        for file in [path, path + "-wal", path + "-shm", path + "-journal"] where access(file, F_OK) == 0 {
            try tighten(file)
        }
    }

    /// Removes group and other permission bits from `path` (keeping the owner's).
    static func tighten(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw failure("cannot read the mode of", path) }
        guard info.st_mode & 0o077 != 0 else { return }
        if chmod(path, info.st_mode & 0o700) != 0 { throw failure("cannot restrict the permissions of", path) }
    }

    private static func failure(_ what: String, _ path: String) -> NSError {
        let code = errno
        return NSError(domain: NSPOSIXErrorDomain, code: Int(code),
                       userInfo: [NSLocalizedDescriptionKey: "\(what) \(path): \(String(cString: strerror(code)))"])
    }
}
