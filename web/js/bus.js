// The app's event bus: modules announce changes here instead of calling each other.
// Events, and who emits them (grep "emit('" to check this list):
//   live.js, from the daemon's SSE stream: 'library-changed' {uids?, scan?}, 'tracks-removed' {uids},
//     'playlists-changed' {id?}, 'playlist-deleted' {id}, 'searches-changed', 'scan' (the scan status),
//     'scan-finished' (its summary), 'player-state' (the server player's status),
//     'analysis' (background analysis progress: done, queued, failed, rate),
//     'schedules-changed' (a schedule was saved, deleted or ran, here or on another device),
//     'radio-changed' {radio} (the server player's radio state R),
//     'favorites-changed' {kind, key} (an album or artist was starred or unstarred, anywhere);
//   actions.js: 'track-updated' {track}, 'tracks-removed' {uids, local}, 'delete-undone' {uids},
//     'playlists-changed' {id}; import.js: 'library-changed' {imported}; library.js: 'searches-changed';
//   playlist.js: 'playlists-changed' {id}, 'playlist-deleted' {id}; search.js: 'search' {text};
//   player.js: 'now-playing' {track}, 'radio' {radio} (after the player bar shows it);
//   keys.js: 'key-notation' {notation} (the user picked another way to write keys).
export const bus = new EventTarget();

export function emit(name, detail = {}) {
  bus.dispatchEvent(new CustomEvent(name, { detail }));
}

export function on(name, handler) {
  const listener = (event) => handler(event.detail);
  bus.addEventListener(name, listener);
  return () => bus.removeEventListener(name, listener);
}
