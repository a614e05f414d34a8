import Hummingbird
import OmniModel

extension Handlers {
    /// `GET /api/sync`: the sync client's state (connected, last sync, pending operations,
    /// error) for the web UI's indicator; the same value comes as `sync` events on `/api/events`.
    func registerSync(on router: Router<BasicRequestContext>) {
        router.get("/api/sync") { _, _ in try JSONBody.response(await self.configuration.actions.syncStatus()) }
    }
}
