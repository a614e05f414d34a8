import Daemon
import Foundation
import MPDProtocol

extension DoctorCommand {
    /// The MPD front door's settings (decision 0020): every address parses (else the `config`
    /// check already failed, naming `mpd-listen`), each is free or the running daemon's own,
    /// a socket's folder can be written, and an address other computers reach has a password
    /// (resolving refuses one without; this says which address needs it).
    func checkMPD(_ configuration: Configuration, report: inout DoctorReport) {
        guard !configuration.mpdListen.isEmpty else {
            report.ok("mpd", "off (mpd-listen = off): MPD clients cannot connect")
            return
        }
        let holder = InstanceLock.holder(data: configuration.data)
        let ours = holder?.running == true ? Set(holder?.mpd ?? []) : []
        for address in configuration.mpdListen {
            let endpoint: MPDEndpoint
            switch address {
            case .tcp(let a): endpoint = .tcp(host: a.host, port: a.port, loopback: a.isLoopback)
            case .unix(let path): endpoint = .unix(path)
            }
            let name = endpoint.description
            let access = address.isLocal ? "this computer only" : "other computers too; a password is set"
            if ours.contains(name) {
                report.ok("mpd", "\(name): the running daemon listens there (\(access))")
                continue
            }
            switch MPDServer.availability(of: endpoint) {
            case .free:
                report.ok("mpd", "\(name): free (\(access))")
            case .inUse where configuration.mpdListenIsDefault:
                report.warn("mpd", "\(name) is taken by another program (a real MPD?): the daemon will skip this default address",
                            fix: "stop the other program, or choose addresses with mpd-listen (like 127.0.0.1:6601)")
            case .inUse:
                report.fail("mpd", "\(name) is taken by another program: the daemon will not start",
                            fix: "stop the other program, or choose another address in mpd-listen")
            case .unusable(let why):
                report.fail("mpd", "\(name) cannot be used: \(why)",
                            fix: address.isLocal && name.hasPrefix("/") ? "choose a socket path in a folder you own (mpd-listen)" : "correct mpd-listen")
            }
        }
    }
}
