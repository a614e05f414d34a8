// The JSON API client: the only module that knows URLs. Errors become ApiError with a message
// fit for people ("The server could not be reached", the API's own message otherwise).

const tokenKey = 'omnisonic.token';

/**
 * Takes `?token=` out of the page's address once, at load: it is remembered, and the address bar
 * (history, bookmarks, screenshots, a shared link) no longer shows it.
 */
function adoptTokenFromAddress() {
  const params = new URLSearchParams(location.search);
  const fromURL = params.get('token');
  if (fromURL === null) return;
  if (fromURL) localStorage.setItem(tokenKey, fromURL);
  params.delete('token');
  const search = params.toString();
  history.replaceState(history.state, '', location.pathname + (search ? '?' + search : '') + location.hash);
}
adoptTokenFromAddress();

/** The access token: the one `?token=` brought (remembered), or none. */
function token() {
  return localStorage.getItem(tokenKey);
}

/** `path` with the token appended when there is one (for <audio>, <img>, EventSource, downloads). */
export function url(path) {
  const t = token();
  if (!t) return path;
  return path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(t);
}

/** The headers that carry the access token (`Authorization: Bearer …`), or none. */
export function authHeaders() {
  const t = token();
  return t ? { Authorization: 'Bearer ' + t } : {};
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function plainMessage(status, code, message) {
  if (status === 401) return 'This server needs an access token: open the page with ?token=… in its address.';
  if (status === 0) return 'The server could not be reached. Is omnisonicd still running?';
  if (status >= 500) return `The server failed: ${message || 'unknown error'}.`;
  return message ? message[0].toUpperCase() + message.slice(1) + (/[.!?]$/.test(message) ? '' : '.') : `Request failed (${status}).`;
}

/** fetch + JSON. `body` objects are sent as JSON; returns null for 204. Throws ApiError. */
export async function request(method, path, body, options = {}) {
  const headers = authHeaders();
  let payload = body;
  if (body !== undefined && !(body instanceof Blob) && !(body instanceof FormData) && typeof body !== 'string') {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, signal: options.signal });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'unreachable', plainMessage(0));
  }
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const error = data && data.error ? data.error : {};
    throw new ApiError(response.status, error.code || 'http_' + response.status, plainMessage(response.status, error.code, error.message));
  }
  return data;
}

const get = (path, options) => request('GET', path, undefined, options);

// encodeURIComponent, not URLSearchParams: the server reads `+` as a plus sign (RFC 3986), not
// as the space of HTML forms.
const q = (params) => {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  }
  return parts.length ? '?' + parts.join('&') : '';
};

export const api = {
  search: (params, options) => get('/api/search' + q(params), options),
  track: (uid) => get(`/api/tracks/${uid}`),
  trackFiles: (uid) => get(`/api/tracks/${uid}/files`),
  editTrack: (uid, changes) => request('PATCH', `/api/tracks/${uid}`, changes),
  deleteTrack: (uid) => request('DELETE', `/api/tracks/${uid}`),
  favorite: (uid, on) => request(on ? 'POST' : 'DELETE', `/api/tracks/${uid}/favorite`),
  rate: (uid, rating) => request('PUT', `/api/tracks/${uid}/rating`, { rating }),
  // `client` names who played it in the play history ("web" for the browser's own player).
  played: (uid, client = 'web') => request('POST', `/api/tracks/${uid}/played` + q({ client })),
  streamURL: (uid) => url(`/api/tracks/${uid}/stream`),
  trackArtworkURL: (uid) => url(`/api/tracks/${uid}/artwork`),
  albumArtworkURL: (id) => url(`/api/albums/${id}/artwork`),
  albums: (params) => get('/api/albums' + q(params)),
  // Stars on albums and artists (ids as the listings give them); the answer is the detail.
  favoriteAlbum: (id, on) => request(on ? 'POST' : 'DELETE', `/api/albums/${id}/favorite`),
  favoriteArtist: (id, on) => request(on ? 'POST' : 'DELETE', `/api/artists/${id}/favorite`),
  // The Subsonic settings page (views/subsonic.js).
  subsonic: () => get('/api/subsonic'),
  setSubsonicPassword: (password) => request('PUT', '/api/subsonic/password', { password }),
  newSubsonicKey: (name) => request('POST', '/api/subsonic/api-keys', name ? { name } : {}),
  revokeSubsonicKey: (id) => request('DELETE', `/api/subsonic/api-keys/${encodeURIComponent(id)}`),
  album: (id) => get(`/api/albums/${id}`),
  artists: (params) => get('/api/artists' + q(params)),
  artist: (id) => get(`/api/artists/${id}`),
  genres: (params) => get('/api/genres' + q(params)),
  eventsURL: () => url('/api/events'),
  // Uploads go through XMLHttpRequest (for their progress), with `authHeaders()`.
  importPath: () => '/api/import',
  scan: () => get('/api/scan'),
  startScan: () => request('POST', '/api/scan'),
  analysis: () => get('/api/analysis'),
  trackAnalysis: (uid) => get(`/api/tracks/${uid}/analysis`),
  analyseAgain: (uid) => request('POST', `/api/tracks/${uid}/analysis`),
  playlists: () => get('/api/playlists'),
  playlist: (id) => get(`/api/playlists/${encodeURIComponent(id)}`),
  createPlaylist: (name) => request('POST', '/api/playlists', { name }),
  renamePlaylist: (id, name) => request('PATCH', `/api/playlists/${encodeURIComponent(id)}`, { name }),
  deletePlaylist: (id) => request('DELETE', `/api/playlists/${encodeURIComponent(id)}`),
  addToPlaylist: (id, uids, index) => request('POST', `/api/playlists/${encodeURIComponent(id)}/items`, index === undefined ? { uids } : { uids, index }),
  removeFromPlaylist: (id, itemId) => request('DELETE', `/api/playlists/${encodeURIComponent(id)}/items/${encodeURIComponent(itemId)}`),
  movePlaylistItem: (id, itemId, index) => request('POST', `/api/playlists/${encodeURIComponent(id)}/items/${encodeURIComponent(itemId)}/move`, { index }),
  exportPlaylistURL: (id) => url(`/api/playlists/${encodeURIComponent(id)}.m3u8`),
  // As a typed Blob: a plain string would go as text/plain, which the server refuses (CSRF).
  importPlaylist: (name, text) => request('POST', '/api/playlists/import' + q({ name }), new Blob([text], { type: 'audio/x-mpegurl' })),
  searches: () => get('/api/searches'),
  savedSearch: (id) => get(`/api/searches/${encodeURIComponent(id)}`),
  saveSearch: (definition) => request('POST', '/api/searches', definition),
  deleteSearch: (id) => request('DELETE', `/api/searches/${encodeURIComponent(id)}`),
  savedSearchTracks: (id, params, options) => get(`/api/searches/${encodeURIComponent(id)}/tracks` + q(params), options),
  openAPI: () => get('/api/openapi.json'),
  player: () => get('/api/player'),
  playerCommand: (name, body) => request('POST', `/api/player/${name}`, body),
  playerOutputs: () => get('/api/player/outputs'),
  // Similar tracks, the radio, transition paths, the mix helper, genre suggestions (issue 14).
  similar: (uid, limit) => get(`/api/tracks/${uid}/similar` + q({ limit })),
  startRadio: (seed, replace = true) => request('POST', '/api/player/radio', { seed, replace }),
  radio: () => get('/api/player/radio'),
  stopRadio: () => request('DELETE', '/api/player/radio'),
  path: (from, to, steps) => get(`/api/tracks/${from}/path/${to}` + q({ steps })),
  // `notation` names the keys of the advice's sentence (standard, camelot, openKey).
  mix: (from, to, notation) => get('/api/mix' + q({ from, to, notation })),
  genreSuggestion: (uid) => get(`/api/tracks/${uid}/genre-suggestion`),
  // Schedules, the play history and statistics (decision 0028).
  schedules: () => get('/api/schedules'),
  schedule: (id) => get(`/api/schedules/${encodeURIComponent(id)}`),
  createSchedule: (definition) => request('POST', '/api/schedules', definition),
  updateSchedule: (id, definition) => request('PUT', `/api/schedules/${encodeURIComponent(id)}`, definition),
  pauseSchedule: (id, paused) => request('POST', `/api/schedules/${encodeURIComponent(id)}/${paused ? 'pause' : 'resume'}`),
  deleteSchedule: (id) => request('DELETE', `/api/schedules/${encodeURIComponent(id)}`),
  stats: (period, tz) => get('/api/stats' + q({ period, tz })),
  history: (params) => get('/api/history' + q(params)),
  historyCSVURL: () => url('/api/history.csv'),
  historyJSONURL: () => url('/api/history.json'),
  // As a typed Blob: JSON (a ListenBrainz export) or JSON Lines (its newer zip's files).
  importHistory: (text, lines) => request('POST', '/api/history/import', new Blob([text], { type: lines ? 'application/x-ndjson' : 'application/json' })),
};
