import Foundation
import Glibc
import Synchronization

/// A throwaway PostgreSQL server for the tests: `initdb` into a temporary folder, `pg_ctl start`
/// on a free loopback port (and a socket in that folder), stopped and deleted when the test
/// process exits. Debian's `postgresql` package provides the programs (scripts/setup-deps
/// installs it). PostgreSQL refuses to run as root, so under root (CI) the server runs as the
/// `postgres` user through `runuser`.
///
/// One server per test process, started on first use; each caller gets a database of its own
/// (`database()`), so tests running in parallel never see each other's rows.
public final class PostgresServer: Sendable {
    /// The loopback port it listens on.
    public let port: Int
    let folder: String
    let bin: String

    private static let instance = Mutex<Result<PostgresServer, Shell.Failure>?>(nil)

    /// The server of this test process (started on the first call).
    public static func shared() throws -> PostgresServer {
        try instance.withLock { state in
            if let state { return try state.get() }
            let result = Result { () throws(Shell.Failure) in try PostgresServer() }
            state = result
            return try result.get()
        }
    }

    private init() throws(Shell.Failure) {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .filter { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/initdb") }
            .sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
        guard let version = versions.last else {
            throw Shell.Failure(command: "initdb", status: -1,
                                stderr: "PostgreSQL is not installed (scripts/setup-deps installs Debian's postgresql)")
        }
        bin = "/usr/lib/postgresql/\(version)/bin"
        folder = "/tmp/omnisonic-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        port = Self.freePort()
        let asPostgres = geteuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        func run(_ arguments: [String], asPostgres: [String] = asPostgres) throws(Shell.Failure) {
            let command = asPostgres + arguments
            let output: Shell.Output
            do {
                output = try Shell.capture(command[0], Array(command.dropFirst()))
            } catch {
                throw Shell.Failure(command: command.joined(separator: " "), status: -1, stderr: "\(error)")
            }
            guard output.status == 0 else {
                let log = (try? String(contentsOfFile: folder + "/log", encoding: .utf8)) ?? ""
                throw Shell.Failure(command: command.joined(separator: " "), status: output.status,
                                    stderr: output.stderr + output.stdout + log)
            }
        }
        guard mkdir(folder, 0o700) == 0 else {
            throw Shell.Failure(command: "mkdir \(folder)", status: errno, stderr: String(cString: strerror(errno)))
        }
        if geteuid() == 0, let account = getpwnam("postgres") {
            chown(folder, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        try run([bin + "/initdb", "-D", folder + "/data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"])
        // Started through bash, which first closes every inherited descriptor above 2: Foundation
        // leaves this process's other descriptors open in children, and a postmaster holding
        // the write end of a test's pipe would keep that test waiting for EOF forever. A watcher
        // stops the server when this process ends, even killed (atexit does not run then).
        // fsync off: a test database needs no durability, and it keeps the tests fast.
        let data = folder + "/data", pgctl = bin + "/pg_ctl"
        let options = "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300"
        let script = """
            cd /
            for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"; done
            as=(\(asPostgres.joined(separator: " ")))
            "${as[@]}" \(pgctl) -D \(data) -l \(folder)/log -w -t 60 -o "\(options)" start || exit $?
            (while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
             "${as[@]}" \(pgctl) -D \(data) -m immediate stop; rm -rf \(folder)) </dev/null >/dev/null 2>&1 &
            """
        try run(["/bin/bash", "-c", script], asPostgres: [])
        Self.stopAtExit(pgctl: pgctl, folder: folder, asPostgres: asPostgres)
    }

    /// Creates a new empty database and returns its URL (`postgres://postgres@127.0.0.1:PORT/NAME`).
    public func database() throws -> String {
        let name = "t_\(UInt64.random(in: 0...UInt64.max))"
        try Shell.run(bin + "/psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-q",
                                      "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(name)"])
        return "postgres://postgres@127.0.0.1:\(port)/\(name)"
    }

    /// Runs SQL through psql on a database named by its URL's last path component; returns psql's
    /// unaligned, tuples-only output.
    public func psql(_ url: String, _ sql: String) throws -> String {
        let database = String(url.split(separator: "/").last ?? "postgres")
        return try Shell.run(bin + "/psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database, "-At",
                                             "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    private static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 ? getsockname(fd, pointer, &length) : -1
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static let stopCommand = Mutex<String?>(nil)

    private static func stopAtExit(pgctl: String, folder: String, asPostgres: [String]) {
        stopCommand.withLock {
            $0 = (asPostgres + [pgctl, "-D", folder + "/data", "-m", "immediate", "stop"]).joined(separator: " ")
                + " >/dev/null 2>&1; rm -rf \(folder)"
        }
        atexit {
            if let command = PostgresServer.stopCommand.withLock({ $0 }) { _ = system(command) }
        }
    }
}
