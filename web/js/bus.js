// The app's event bus: modules announce changes here instead of calling each other.
// Events: 'library-changed' {uids?}, 'tracks-removed' {uids}, 'playlists-changed' {id?},
// 'playlist-deleted' {id}, 'searches-changed', 'scan' {status}, 'scan-finished', 'now-playing' {track}.
export const bus = new EventTarget();

export function emit(name, detail = {}) {
  bus.dispatchEvent(new CustomEvent(name, { detail }));
}

export function on(name, handler) {
  const listener = (event) => handler(event.detail);
  bus.addEventListener(name, listener);
  return () => bus.removeEventListener(name, listener);
}
