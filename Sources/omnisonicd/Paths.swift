import Daemon
import Foundation
import OmniModel

/// Where the library lives, following the XDG base directory rules.
///
/// - data: `--data`, else `$XDG_DATA_HOME/omnisonic` (`~/.local/share/omnisonic`);
///   the database is `<data>/library.sqlite`.
/// - cache: `--cache`, else `<data>/cache` when `--data` was given (so a library folder is
///   self-contained), else `$XDG_CACHE_HOME/omnisonic` (`~/.cache/omnisonic`); artwork is in
///   `<cache>/artwork`.
struct LibraryPaths {
    var data: String
    var cache: String

    var database: String { data + "/library.sqlite" }
    var artwork: String { cache + "/artwork" }

    /// The XDG defaults come from `ConfigurationEnvironment`, the same rules `omnisonicd run`
    /// resolves its configuration with.
    init(data: String?, cache: String?, environment: ConfigurationEnvironment = .current) {
        if let data {
            self.data = Self.absolute(data)
            self.cache = cache.map(Self.absolute) ?? self.data + "/cache"
        } else {
            self.data = environment.defaultData
            self.cache = cache.map(Self.absolute) ?? environment.defaultCache
        }
    }

    /// Creates the folders (mode 0700: a library says a lot about its owner).
    func create() throws {
        for folder in [data, cache, artwork] {
            try PrivateFiles.makeFolder(folder)
        }
    }

    /// Makes a command-line path absolute (relative to the working directory) and drops a trailing slash.
    static func absolute(_ path: String) -> String {
        var result = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        while result.count > 1 && result.hasSuffix("/") { result.removeLast() }
        return result
    }
}
