import GRDB

/// What the library's SQLite connections hold in memory, and handing it back (decision 0037,
/// "Memory at rest").
extension Library {
    /// Frees what SQLite keeps between requests: the page caches, prepared statements and
    /// schema of every connection, and closes the pooled read-only connections (the next read
    /// opens one again). Waits for the reads and the write under way.
    ///
    /// Call it when the daemon falls idle after work that filled the caches (a scan): an idle
    /// daemon that has just rescanned 10,000 files held ~2.3 MB there (`sqlite3_memory_used`).
    /// Follow it with `malloc_trim` to give the freed heap back to the kernel.
    public func releaseMemory() {
        if let pool = writer as? DatabasePool {
            pool.releaseMemory()
        } else if let queue = writer as? DatabaseQueue {
            queue.releaseMemory()
        }
    }
}
