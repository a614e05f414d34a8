// The player bar: a queue played by an <audio> element streaming from the API, or (when the
// daemon has /api/player and the switch is on) by the server on this computer's speakers.
// Media Session metadata and actions make media keys and the OS overlay work.
import { api } from './api.js';
import { h, duration, artistLine } from './dom.js';
import { emit, on } from './bus.js';
import { showError } from './ui.js';

const state = {
  queue: [],          // tracks
  index: -1,
  server: false,      // play through /api/player
  serverState: null,
  playedReported: null,
};

let audio, seek, volume, playButton, outputSelect, serverPoll = 0, lastServerError = null, serverPlayerDetection = null;

export function currentTrack() { return state.queue[state.index] || null; }

/** Replaces the queue with `tracks` and plays `tracks[index]`. */
export function playTracks(tracks, index = 0) {
  tracks = tracks.filter(Boolean);
  if (!tracks.length) return;
  state.queue = tracks;
  state.index = Math.max(0, Math.min(index, tracks.length - 1));
  if (state.server) {
    // The index is taken now, not when the queue's answer comes: until then a poll or a
    // `player` event may copy the server's older state (index -1 when it was stopped with
    // nothing current) into `state`, and `play {index: -1}` is a 400.
    const start = state.index;
    serverCommand(() => api.playerCommand('queue', { uids: tracks.map((t) => t.uid), replace: true })
      .then(() => api.playerCommand('play', { index: start })));
    renderNow();
    return;
  }
  load(true);
}

/** Appends tracks to the queue (next = right after the current one). */
export function enqueue(tracks, next = false) {
  if (!tracks.length) return;
  if (state.index < 0) { playTracks(tracks, 0); return; }
  const at = next ? state.index + 1 : state.queue.length;
  state.queue.splice(at, 0, ...tracks);
  if (state.server) {
    serverCommand(() => api.playerCommand('queue', { uids: tracks.map((t) => t.uid), replace: false, index: at }));
  }
  renderQueue();
}

function load(autoplay) {
  const track = currentTrack();
  renderNow();
  if (!track) return;
  audio.src = api.streamURL(track.uid);
  state.playedReported = null;
  if (autoplay) audio.play().catch((error) => { if (error.name !== 'AbortError') showError(error, 'Cannot play'); });
}

export function togglePlay() {
  if (state.server) {
    const playing = state.serverState && state.serverState.state === 'playing';
    api.playerCommand(playing ? 'pause' : 'play', playing ? undefined : {}).then(refreshServer).catch(showError);
    return;
  }
  if (!currentTrack()) return;
  if (!audio.src) { load(true); return; }
  if (audio.paused) audio.play().catch((error) => showError(error, 'Cannot play')); else audio.pause();
}

export function next() {
  if (state.server) { api.playerCommand('next').then(refreshServer).catch(showError); return; }
  if (state.index + 1 < state.queue.length) { state.index += 1; load(true); }
}

export function previous() {
  if (state.server) { api.playerCommand('previous').then(refreshServer).catch(showError); return; }
  if (audio.currentTime > 3 || state.index <= 0) { audio.currentTime = 0; return; }
  state.index -= 1;
  load(true);
}

function renderNow() {
  const track = currentTrack();
  document.querySelector('[data-now-title]').textContent = track ? track.title : 'Nothing playing';
  document.querySelector('[data-now-artist]').textContent = track ? artistLine(track) : '';
  const art = document.querySelector('[data-now-art]');
  art.style.backgroundImage = track && track.hasArtwork ? `url("${api.trackArtworkURL(track.uid)}")` : '';
  if ('mediaSession' in navigator) {
    navigator.mediaSession.metadata = track ? new MediaMetadata({
      title: track.title, artist: artistLine(track), album: track.album || '',
      artwork: track.hasArtwork ? [{ src: api.trackArtworkURL(track.uid) }] : [],
    }) : null;
  }
  document.title = track ? `${track.title} · omnisonic` : 'omnisonic';
  emit('now-playing', { track });
  renderQueue();
}

function renderQueue() {
  const list = document.querySelector('[data-queue-list]');
  list.replaceChildren(...state.queue.map((track, i) => h('li', { class: i === state.index ? 'current' : '' },
    h('button', { type: 'button', 'aria-current': i === state.index ? 'true' : null, onclick: () => { state.index = i; if (state.server) api.playerCommand('play', { index: i }).then(refreshServer).catch(showError); else load(true); } },
      `${track.title} — ${artistLine(track)}`))));
  if (!state.queue.length) list.append(h('li', { text: 'The queue is empty. Press Enter on a track, or use its ⋯ menu.' }));
}

function renderPlaying(playing) {
  playButton.textContent = playing ? '❚❚' : '▶';
  playButton.setAttribute('aria-label', playing ? 'Pause' : 'Play');
  if ('mediaSession' in navigator) navigator.mediaSession.playbackState = playing ? 'playing' : 'paused';
}

function renderTime(positionMs, durationMs) {
  document.querySelector('[data-time-position]').textContent = duration(positionMs) || '0:00';
  document.querySelector('[data-time-duration]').textContent = duration(durationMs) || '0:00';
  if (document.activeElement !== seek) {
    seek.max = String(Math.max(0, Math.round((durationMs || 0) / 1000)));
    seek.value = String(Math.round((positionMs || 0) / 1000));
  }
  seek.setAttribute('aria-valuetext', `${duration(positionMs) || '0:00'} of ${duration(durationMs) || '0:00'}`);
}

// ---- server-side player (/api/player) ----

// Commands that change the server's queue are counted: a GET /api/player answered while one is
// on its way (or begun before one was sent) is older than the state the user just asked for.
let commandsSent = 0, commandsInFlight = 0;

/** Runs `send` (a promise of API calls that change the queue), then shows the server's state. */
function serverCommand(send) {
  commandsSent += 1;
  commandsInFlight += 1;
  return send()
    .finally(() => { commandsInFlight -= 1; })
    .then(() => refreshServer(), (error) => { showError(error); return refreshServer(); });
}

// ---- the server player's radio (POST/GET/DELETE /api/player/radio) ----

let radio = null, radioTitle = null;

/** True when the daemon has a player on this computer and the switch is on. */
export function playsOnServer() { return state.server; }

/** Resolves true when the daemon has a player on this computer (whether or not it is in use). */
export function hasServerPlayer() { return serverPlayerDetection || Promise.resolve(false); }

/** The radio state `{active, seed, window, added}` (null before the first answer). */
export function radioState() { return radio; }

/** Starts the server player's radio from `track` (queue replaced, plays from it). */
export async function startRadio(track) {
  if (!state.server) throw new Error('The radio plays on this computer: switch on “Play on this computer” first.');
  radioTitle = track.title;
  // Counted like any queue command (it replaces the queue), but its error goes to the caller.
  commandsSent += 1;
  commandsInFlight += 1;
  let answer;
  try { answer = await api.startRadio(track.uid); } finally { commandsInFlight -= 1; refreshServer(); }
  showRadio(answer);
  return answer;
}

/** Stops the radio (the queue stays). */
export async function stopRadio() {
  const answer = await api.stopRadio();
  showRadio(answer);
  return answer;
}

/** The player bar's radio line, "Radio from …" with Stop; follows the `radio` event. */
function showRadio(r) {
  const box = document.querySelector('[data-radio]');
  if (!box) return;
  const changed = JSON.stringify(r) !== JSON.stringify(radio);
  radio = r;
  const on = !!(r && r.active && state.server);
  box.hidden = !on;
  if (on) {
    const seed = state.queue.find((t) => t.uid === r.seed);
    if (seed) radioTitle = seed.title;
    document.querySelector('[data-radio-label]').textContent = radioTitle ? `Radio from “${radioTitle}”` : 'Radio';
  }
  if (changed) emit('radio', { radio: r });
}

async function detectServerPlayer() {
  // The OpenAPI document says whether this daemon has a player; asking /api/player directly
  // would log a 404 in the console of every daemon without one.
  try {
    const doc = await api.openAPI();
    if (!doc || !doc.paths || !doc.paths['/api/player']) return false;
    await api.player();
    return true;
  } catch { return false; }
}

/**
 * Reads GET /api/player (or uses `given`, a full PlayerState a command answered with) and shows
 * it. The `player` SSE event only says that something changed, so it triggers a read.
 */
async function refreshServer(given) {
  try {
    const asked = commandsSent;
    const s = given && Array.isArray(given.queue) ? given : await api.player();
    // A read that a command overtook shows the state before it: the command's own refresh follows.
    if (commandsInFlight > 0 || asked !== commandsSent) return;
    state.serverState = s;
    showRadio(s.radio || null);
    if (!state.server) return;
    state.queue = s.queue.map((entry) => entry.track || { uid: entry.uid, title: 'Track not in the library', artists: [] });
    state.index = typeof s.index === 'number' ? s.index : -1;
    renderNow();
    renderPlaying(s.state === 'playing');
    renderTime(s.positionMs || 0, s.durationMs || (s.track && s.track.durationMs) || 0);
    if (typeof s.volume === 'number' && document.activeElement !== volume) volume.value = String(s.volume);
    if (s.output && typeof s.output.device === 'string') showOutput(s.output.device);
    if (s.error && s.error !== lastServerError) showError({ message: s.error }, 'Player on this computer');
    lastServerError = s.error;
  } catch (error) { showError(error, 'Player'); }
}

/** Selects `device` in the output list (adding it when the list does not have it). */
function showOutput(device) {
  if (!outputSelect || document.activeElement === outputSelect) return;
  if (![...outputSelect.options].some((option) => option.value === device)) {
    outputSelect.append(h('option', { value: device, text: device }));
  }
  outputSelect.value = device;
}

/** Fills the output device list from GET /api/player/outputs (server mode only). */
async function loadOutputs() {
  try {
    const list = await api.playerOutputs();
    outputSelect.replaceChildren(...list.outputs.map((output) =>
      h('option', { value: output.name, title: output.description || null, text: output.name })));
    outputSelect.hidden = !state.server;
    showOutput(list.current);
  } catch (error) { showError(error, 'Output devices'); }
}

function setServerMode(on) {
  state.server = on;
  clearInterval(serverPoll);
  if (outputSelect) { outputSelect.hidden = !on; if (on) loadOutputs(); }
  if (on) {
    const position = audio.currentTime;
    const wasPlaying = !audio.paused;
    audio.pause();
    const uids = state.queue.map((t) => t.uid);
    const index = Math.max(0, state.index);
    if (uids.length) {
      serverCommand(() => api.playerCommand('queue', { uids, replace: true })
        .then(() => wasPlaying ? api.playerCommand('play', { index }) : null)
        .then(() => wasPlaying && position > 1 ? api.playerCommand('seek', { positionMs: Math.round(position * 1000) }) : null));
    } else refreshServer();
    serverPoll = setInterval(() => { if (!document.hidden) refreshServer(); }, 1000);
  } else {
    const s = state.serverState;
    showRadio(radio);
    if (s && s.state === 'playing') api.playerCommand('pause').catch(showError);
    renderPlaying(false);
    if (currentTrack()) { audio.src = api.streamURL(currentTrack().uid); if (s && s.positionMs) audio.currentTime = s.positionMs / 1000; }
  }
}

export async function initPlayer() {
  audio = document.querySelector('[data-audio]');
  seek = document.querySelector('[data-seek]');
  volume = document.querySelector('[data-volume]');
  playButton = document.querySelector('[data-action="play-pause"]');
  outputSelect = document.querySelector('[data-output-device]');
  outputSelect.addEventListener('change', () => {
    api.playerCommand('output', { device: outputSelect.value }).then(refreshServer).catch(showError);
  });
  const savedVolume = Number(localStorage.getItem('omnisonic.volume') ?? 80);
  volume.value = String(savedVolume);
  audio.volume = savedVolume / 100;

  playButton.addEventListener('click', togglePlay);
  document.querySelector('[data-action="next"]').addEventListener('click', next);
  document.querySelector('[data-action="previous"]').addEventListener('click', previous);
  const queueButton = document.querySelector('[data-action="toggle-queue"]');
  queueButton.addEventListener('click', () => {
    const panel = document.querySelector('[data-queue]');
    panel.hidden = !panel.hidden;
    queueButton.setAttribute('aria-expanded', String(!panel.hidden));
  });
  seek.addEventListener('change', () => {
    const seconds = Number(seek.value);
    if (state.server) api.playerCommand('seek', { positionMs: seconds * 1000 }).then(refreshServer).catch(showError);
    else if (isFinite(audio.duration)) audio.currentTime = seconds;
  });
  volume.addEventListener('input', () => {
    localStorage.setItem('omnisonic.volume', volume.value);
    if (state.server) api.playerCommand('volume', { percent: Number(volume.value) }).catch(showError);
    else audio.volume = Number(volume.value) / 100;
  });

  audio.addEventListener('play', () => renderPlaying(true));
  audio.addEventListener('pause', () => renderPlaying(false));
  audio.addEventListener('timeupdate', () => {
    const track = currentTrack();
    const total = isFinite(audio.duration) ? audio.duration * 1000 : (track ? track.durationMs : 0);
    renderTime(audio.currentTime * 1000, total);
    // Counted as played once half of it (or 4 minutes) has been heard.
    if (track && state.playedReported !== track.uid && audio.currentTime * 1000 >= Math.min(total / 2, 240000) && total > 0) {
      state.playedReported = track.uid;
      api.played(track.uid).catch(() => {});
    }
  });
  audio.addEventListener('ended', () => { if (state.index + 1 < state.queue.length) next(); else renderPlaying(false); });
  audio.addEventListener('error', () => {
    if (!audio.src || !currentTrack()) return;
    showError({ message: `“${currentTrack().title}” cannot be played in this browser` }, 'Player');
  });

  if ('mediaSession' in navigator) {
    const session = navigator.mediaSession;
    session.setActionHandler('play', togglePlay);
    session.setActionHandler('pause', togglePlay);
    session.setActionHandler('nexttrack', next);
    session.setActionHandler('previoustrack', previous);
    session.setActionHandler('seekto', (details) => {
      if (state.server) api.playerCommand('seek', { positionMs: Math.round(details.seekTime * 1000) }).catch(showError);
      else audio.currentTime = details.seekTime;
    });
  }

  renderQueue();
  on('player-state', () => { if (state.server) refreshServer(); });
  on('radio-changed', ({ radio: r }) => showRadio(r));
  document.querySelector('[data-action="stop-radio"]').addEventListener('click', () => stopRadio().catch(showError));
  on('tracks-removed', ({ uids }) => {
    const gone = new Set(uids);
    const current = currentTrack();
    state.queue = state.queue.filter((t) => !gone.has(t.uid) || t === current);
    state.index = current ? state.queue.indexOf(current) : -1;
    renderQueue();
  });

  serverPlayerDetection = detectServerPlayer();
  if (await serverPlayerDetection) {
    const label = document.querySelector('[data-player-switch]');
    const box = label.querySelector('input');
    label.hidden = false;
    box.checked = localStorage.getItem('omnisonic.output') === 'server';
    if (box.checked) setServerMode(true);
    box.addEventListener('change', () => {
      localStorage.setItem('omnisonic.output', box.checked ? 'server' : 'browser');
      setServerMode(box.checked);
    });
  }
}
