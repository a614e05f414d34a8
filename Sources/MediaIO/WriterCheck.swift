import Glibc
import OmniModel

/// Tells whether some process still has a file open for writing (a copy in progress), so a scan
/// never reads a half-written file.
///
/// How: Linux refuses a read lease (`fcntl(F_SETLEASE, F_RDLCK)`) with `EAGAIN` while any
/// descriptor of the file is open for writing. The lease is dropped at once (it would otherwise
/// make a writer wait). A lease needs the caller to own the file or `CAP_LEASE`, and some file
/// systems (NFS, FUSE) have none: in those cases the answer is "not known to be written" and the
/// file is read as before. A file skipped here is indexed on its `IN_CLOSE_WRITE`, or by the
/// next scan where nothing watches.
///
/// The check runs on the probe's own descriptor (`TagReader.probeUnlessBeingWritten`): it opened
/// the file a second time before (two `open` and `close` per scanned file, decision 0038).
enum WriterCheck {
    // <fcntl.h> under _GNU_SOURCE, which Swift's Glibc module does not expose.
    private static let setLease: Int32 = 1024
    private static let readLease: Int32 = 0
    private static let unlock: Int32 = 2

    /// True when the file open at `descriptor` (read-only) is open for writing by some process
    /// (as far as the kernel can tell us).
    static func isBeingWritten(descriptor fd: Int32) -> Bool {
        if fcntl(fd, setLease, readLease) == 0 {
            _ = fcntl(fd, setLease, unlock)
            return false
        }
        return errno == EAGAIN
    }
}
