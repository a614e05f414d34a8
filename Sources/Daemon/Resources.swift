import Foundation

/// Files the daemon serves that are not compiled in: the browser app (`web/`) and the OpenAPI
/// document (`docs/api/openapi.json`).
///
/// Found beside the executable: installed as `<prefix>/bin/omnisonicd` with
/// `<prefix>/share/omnisonicd/{web,openapi.json}`, or run from a checkout
/// (`<repo>/.build/<triple>/debug/omnisonicd`, with `<repo>/web` and `<repo>/docs/api`).
public struct Resources: Sendable, Equatable {
    /// The browser app's folder, if found.
    public var web: String?
    /// The OpenAPI document, if found.
    public var openAPI: String?
    /// The sync server's administration page (`sync-admin/`, decision 0022), if found.
    public var syncAdmin: String?

    /// Looks beside `executable` (default: this process's executable).
    public static func locate(executable: String? = nil) -> Resources {
        let exe = executable ?? ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var folder = URL(fileURLWithPath: exe).deletingLastPathComponent()
        var found = Resources()
        let files = FileManager.default
        // Up to five folders up: .build-x/x86_64-unknown-linux-gnu/debug is three deep.
        for _ in 0..<6 {
            let share = folder.appendingPathComponent("share/omnisonicd").path
            let candidates = [
                (share + "/web", share + "/openapi.json"),
                (folder.appendingPathComponent("web").path, folder.appendingPathComponent("docs/api/openapi.json").path),
            ]
            for admin in [share + "/sync-admin", folder.appendingPathComponent("sync-admin").path]
            where found.syncAdmin == nil && files.fileExists(atPath: admin + "/index.html") {
                found.syncAdmin = admin
            }
            for (web, openAPI) in candidates {
                if found.web == nil, files.fileExists(atPath: web + "/index.html") { found.web = web }
                if found.openAPI == nil, files.fileExists(atPath: openAPI) { found.openAPI = openAPI }
            }
            if found.web != nil && found.openAPI != nil { break }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { break }
            folder = parent
        }
        return found
    }
}
