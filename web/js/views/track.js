// Track detail: artwork, every field, play/queue/playlist, favorite, rating, edit (overrides with
// "reset to the file's value") and delete with undo.
import { api } from '../api.js';
import { h, replace, duration, artistLine, artOrLetter } from '../dom.js';
import { on } from '../bus.js';
import { playTracks, enqueue, startRadio, hasServerPlayer, playsOnServer } from '../player.js';
import { setFavorite, setRating, deleteTracks, openTrackMenu } from '../actions.js';
import { errorBox, modal, toast, showError } from '../ui.js';
import { keyName, trackKey, bpmText } from '../keys.js';

/** The fields the API lets a user override (PATCH /api/tracks/{uid}). */
const EDITABLE = [
  { key: 'title', label: 'Title', type: 'text' },
  { key: 'artist', label: 'Artist', type: 'text' },
  { key: 'album', label: 'Album', type: 'text' },
  { key: 'albumArtist', label: 'Album artist', type: 'text' },
  { key: 'year', label: 'Year', type: 'number' },
  { key: 'genres', label: 'Genres', type: 'list', hint: 'separated by ;' },
  { key: 'trackNumber', label: 'Track number', type: 'number' },
  { key: 'discNumber', label: 'Disc number', type: 'number' },
  { key: 'bpm', label: 'BPM', type: 'number' },
  { key: 'key', label: 'Key', type: 'text' },
];

function fieldText(track, key) {
  // An analysed BPM or key is not the file's value: the field stays empty (its placeholder says it).
  if ((key === 'bpm' && track.bpmSource === 'analysis') || (key === 'key' && track.keySource === 'analysis')) return '';
  const value = track[key];
  if (value === undefined || value === null) return '';
  return Array.isArray(value) ? value.join('; ') : String(value);
}

export function artwork(track, album) {
  let source = null;
  if (track.hasArtwork) source = api.trackArtworkURL(track.uid);
  else if (album && album.artworkId) source = api.albumArtworkURL(album.id);
  return artOrLetter(source, track.album || track.title, { alt: `Artwork of ${track.album || track.title}` },
    { role: 'img', 'aria-label': 'No artwork' });
}

/** The analysis panel's rows: what the music itself says (tempo, key, loudness, descriptors). */
function analysisRows(a) {
  const num = (x, digits = 2) => (x === undefined || x === null ? '' : Number(x).toFixed(digits));
  const list = [];
  if (a.state === 'done') {
    list.push(['BPM', a.bpm ? `${num(a.bpm)} (confidence ${num(a.bpmConfidence)}${a.bpmAlternative ? `, or ${num(a.bpmAlternative)}` : ''})` : 'No steady tempo']);
    // The chosen notation first, the other two after it.
    const names = a.key ? [keyName(a.camelot, a.key), ...[a.key, a.camelot, a.openKey].filter((n) => n !== keyName(a.camelot, a.key))] : [];
    list.push(['Key', a.key ? `${names.join(' · ')} (confidence ${num(a.keyConfidence)})` : 'None heard']);
    if (a.loudnessLufs !== undefined && a.loudnessLufs !== null) {
      list.push(['Loudness', `${num(a.loudnessLufs, 1)} LUFS, range ${num(a.loudnessRangeLu, 1)} LU, true peak ${num(a.truePeakDbtp, 1)} dBTP`]);
      list.push(['ReplayGain (analysed)', `${a.replayGainDb > 0 ? '+' : ''}${num(a.replayGainDb)} dB`]);
    } else list.push(['Loudness', 'Silence']);
    list.push(['Energy', num(a.energy)], ['Danceability', num(a.danceability)]);
  } else if (a.state === 'failed') list.push(['Analysis', `Could not be analysed: ${a.reason || 'unknown reason'}`]);
  return list;
}

function analysisState(a) {
  if (a.state === 'off') return 'The music analysis is switched off.';
  if (a.queued) return a.state === 'done' ? 'Queued to be analysed again.' : 'Waiting to be analysed.';
  if (a.state === 'done') return `Analysed ${new Date(a.analyzedAt * 1000).toLocaleString()}.`;
  return '';
}

/** Fills `box` with the track's analysis and an "Analyse again" button. */
async function showAnalysis(box, uid) {
  let a;
  try { a = await api.trackAnalysis(uid); } catch (error) { replace(box, errorBox(error)); return null; }
  const fields = h('dl', { class: 'fields', 'data-analysis-fields': '' });
  for (const [label, value] of analysisRows(a)) fields.append(h('dt', { text: label }), h('dd', { text: String(value) }));
  const again = h('button', { type: 'button', class: 'button', 'data-action': 'analyse-again', disabled: a.state === 'off' || a.queued }, 'Analyse again');
  again.addEventListener('click', async () => {
    try { await api.analyseAgain(uid); toast('Queued for analysis'); showAnalysis(box, uid); } catch (error) { toast(error.message); }
  });
  replace(box, h('h2', { text: 'Analysis' }), h('p', { class: 'count', 'data-analysis-state': a.state, text: analysisState(a) }), fields,
    h('div', { class: 'actions' }, again));
  return a;
}

function rows(track) {
  const list = [
    ['Title', track.title], ['Artist', artistLine(track)], ['Album', track.album], ['Album artist', track.albumArtist],
    ['Track', track.trackNumber ? `${track.trackNumber}${track.trackTotal ? ' of ' + track.trackTotal : ''}` : ''],
    ['Disc', track.discNumber ? `${track.discNumber}${track.discTotal ? ' of ' + track.discTotal : ''}` : ''],
    ['Year', track.year], ['Date', track.date], ['Original year', track.originalYear], ['Genres', (track.genres || []).join(', ')],
    ['Composer', track.composer || (track.composers || []).join(', ')], ['Compilation', track.compilation ? 'Yes' : ''],
    ['Comment', track.comment], ['Label', track.label],
    // The tag's BPM and key, else the analysed ones (said so); the key in the chosen notation.
    ['BPM', track.bpm ? bpmText(track.bpm) + (track.bpmSource === 'analysis' ? ' (analysed)' : '') : ''],
    ['Key', track.key ? trackKey(track) + (track.keySource === 'analysis' ? ' (analysed)' : '') : ''],
    ['Duration', duration(track.durationMs)], ['Format', track.format || [track.codec, track.container].filter(Boolean).join(' in ')],
    ['Sample rate', track.sampleRate ? `${track.sampleRate.toLocaleString()} Hz` : ''], ['Channels', track.channels],
    ['Bits per sample', track.bitsPerSample], ['Bitrate', track.bitrate ? `${Math.round(track.bitrate / 1000)} kbit/s` : ''],
    ['Plays', String(track.playCount)], ['Last played', track.lastPlayed ? new Date(track.lastPlayed).toLocaleString() : 'Never'],
    ['File', track.path], ['Title from file name', track.titleFromFileName ? 'Yes (the file has no title tag)' : ''],
  ];
  for (const [k, v] of Object.entries(track.replayGain || {})) list.push([`ReplayGain ${k}`, String(v)]);
  for (const [k, v] of Object.entries(track.musicBrainz || {})) list.push([`MusicBrainz ${k}`, v]);
  return list.filter(([, value]) => value !== undefined && value !== null && value !== '');
}

/** "analysed: 127.6" as the placeholder of an empty BPM or key field (what shows without a tag). */
function analysedHint(track, key) {
  if (key === 'bpm' && track.bpmSource === 'analysis') return `analysed: ${bpmText(track.bpm)}`;
  if (key === 'key' && track.keySource === 'analysis') return `analysed: ${track.key}`;
  return '';
}

/**
 * The edit dialog. Each field has "Reset" (sends null: the override goes, the file's value
 * returns). Only changed fields are sent. Resolves with the updated track or null.
 */
export function editDialog(track) {
  return modal(`Edit “${track.title}”`, (close) => {
    const changes = new Map();
    const grid = h('div', { class: 'form-grid' });
    for (const field of EDITABLE) {
      const id = `edit-${field.key}`;
      const input = h('input', { id, name: field.key, type: field.type === 'number' ? 'number' : 'text', value: fieldText(track, field.key),
        'data-edit-field': field.key, step: field.key === 'bpm' ? 'any' : '1', min: '0', placeholder: field.hint || analysedHint(track, field.key) });
      const reset = h('button', { type: 'button', class: 'button', 'data-reset-field': field.key, 'aria-label': `Reset ${field.label} to the file's value`,
        title: "Use the file's value" }, 'Reset');
      input.addEventListener('input', () => changes.set(field.key, input.value));
      reset.addEventListener('click', () => {
        changes.set(field.key, null);
        input.value = '';
        input.placeholder = "file's value";
        reset.setAttribute('aria-pressed', 'true');
      });
      grid.append(h('label', { for: id, text: field.label }), input, reset);
    }
    const error = h('p', { class: 'error-box', role: 'alert', hidden: true });
    const form = h('form', { method: 'dialog', 'data-edit-form': '' },
      h('p', { class: 'count', text: "Changes are kept by omnisonic; the file itself is never rewritten. “Reset” brings back the file's value." }),
      grid, error,
      h('div', { class: 'dialog-buttons' },
        h('button', { type: 'button', class: 'button', 'data-action': 'cancel', onclick: () => close(null) }, 'Cancel'),
        h('button', { type: 'submit', class: 'button primary', 'data-action': 'save-edit' }, 'Save')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = {};
      for (const [key, raw] of changes) {
        const field = EDITABLE.find((f) => f.key === key);
        if (raw === null) { body[key] = null; continue; }
        const text = raw.trim();
        if (field.type === 'number') body[key] = text === '' ? null : Number(text);
        else if (field.type === 'list') body[key] = text === '' ? null : text.split(';').map((s) => s.trim()).filter(Boolean);
        else body[key] = text === '' ? null : text;
      }
      if (!Object.keys(body).length) { close(null); return; }
      try {
        close(await api.editTrack(track.uid, body));
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
      }
    });
    return form;
  });
}

/** One line of a track list: title (opens it), artist · BPM · key · score, Play and Queue. */
function similarItem(t, index) {
  const meta = [artistLine(t), bpmText(t.bpm) && `${bpmText(t.bpm)} BPM`, trackKey(t),
    typeof t.score === 'number' ? `similarity ${t.score.toFixed(2)}` : ''].filter(Boolean).join(' · ');
  return h('li', { 'data-similar-uid': t.uid, 'data-similar-index': String(index) },
    h('a', { href: `#/track/${t.uid}`, class: 'similar-title', text: t.title }), ' ',
    h('span', { class: 'count', text: meta }),
    h('span', { class: 'similar-actions' },
      h('button', { type: 'button', class: 'icon-button small', 'data-action': 'play-similar', 'aria-label': `Play ${t.title}`, title: 'Play',
        onclick: () => playTracks([t], 0) }, '▶'),
      h('button', { type: 'button', class: 'icon-button small', 'data-action': 'queue-similar', 'aria-label': `Add ${t.title} to the queue`, title: 'Add to queue',
        onclick: () => { enqueue([t]); toast(`Added “${t.title}” to the queue`); } }, '+')));
}

/**
 * Fills `box` with the tracks that sound most like `track` (GET /api/tracks/{uid}/similar).
 * Resolves true when the track has a feature vector (the radio can start from it).
 */
async function showSimilar(box, track) {
  const heading = h('h2', { id: 'similar-heading', text: 'Similar tracks' });
  let answer;
  try { answer = await api.similar(track.uid, 10); } catch (error) {
    replace(box, heading, errorBox(error));
    return false;
  }
  if (answer.analysed === false) {
    replace(box, heading, h('p', { class: 'count', 'data-similar-state': 'not-analysed', text: 'Similar tracks show once this track has been analysed.' }));
    return false;
  }
  const tracks = answer.tracks || [];
  if (!tracks.length) {
    replace(box, heading, h('p', { class: 'count', 'data-similar-state': 'empty', text: 'No other track has been analysed yet.' }));
    return true;
  }
  replace(box, heading,
    h('ol', { class: 'similar-list', 'data-similar-list': '' }, tracks.map(similarItem)),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'button', 'data-action': 'play-similar-all', onclick: () => playTracks([track, ...tracks], 0) }, '▶ Play this and these'),
      h('button', { type: 'button', class: 'button', 'data-action': 'queue-similar-all', onclick: () => { enqueue(tracks); toast(`Added ${tracks.length} tracks to the queue`); } }, 'Add these to the queue')));
  return true;
}

/**
 * For a track without a genre tag: the genre its similar tagged tracks share, with Accept (the
 * ordinary edit, PATCH genres: it syncs like any edit). Nothing for a tagged track.
 */
async function showGenreSuggestion(box, track, accepted) {
  replace(box);
  if ((track.genres || []).length) return;
  let s;
  try { s = await api.genreSuggestion(track.uid); } catch { return; }
  if (!s || !s.genre) return;
  const votes = (s.basis || []).length;
  const accept = h('button', { type: 'button', class: 'button', 'data-action': 'accept-genre' }, 'Accept');
  accept.addEventListener('click', async () => {
    accept.disabled = true;
    try {
      const updated = await api.editTrack(track.uid, { genres: [s.genre] });
      toast(`Genre set to ${s.genre}`);
      accepted(updated);
    } catch (error) { accept.disabled = false; showError(error, 'Could not set the genre'); }
  });
  replace(box, h('p', { 'data-genre-suggestion': s.genre },
    'Suggested genre: ', h('strong', { text: s.genre }), ' ',
    h('span', { class: 'count', text: `(${votes ? `from ${votes} similar ${votes === 1 ? 'track' : 'tracks'} you tagged, ` : ''}confidence ${Math.round((s.confidence || 0) * 100)} %)` }), ' ',
    accept));
}

export function trackView(root, uid) {
  let track = null;
  replace(root, h('div', { class: 'view-body' }, h('p', { class: 'count', text: 'Loading…' })));

  async function load() {
    try {
      track = await api.track(uid);
      const album = !track.hasArtwork && track.albumId ? await api.album(track.albumId).then((a) => a.album).catch(() => null) : null;
      render(album);
    } catch (error) {
      replace(root, h('div', { class: 'view-body' }, errorBox(error, 'This track is no longer in the library.'),
        h('p', {}, h('a', { href: '#/library' }, 'Back to the library'))));
    }
  }

  const analysisBox = h('section', { class: 'analysis', 'data-analysis-panel': '' });
  const similarBox = h('section', { class: 'similar', 'aria-labelledby': 'similar-heading', 'data-similar-panel': '' });
  const genreBox = h('div', { 'data-genre-box': '' });
  let analysed = null, shownAlbum = null;

  async function radio() {
    if (!playsOnServer()) { toast('The radio plays on this computer: switch on “Play on this computer” first.'); return; }
    try {
      await startRadio(track);
      toast(`Radio from “${track.title}”: similar tracks keep coming`);
    } catch (error) { showError(error, 'Could not start the radio'); }
  }

  function render(album) {
    shownAlbum = album;
    // Shown once the daemon is known to have a player on this computer (the radio is its).
    const radioButton = h('button', { type: 'button', class: 'button', 'data-action': 'start-radio', onclick: radio, hidden: true,
      title: 'Plays this track, then similar ones, on this computer' }, 'Start radio');
    hasServerPlayer().then((has) => { radioButton.hidden = !has; });
    const favorite = h('button', { type: 'button', class: 'button', 'data-action': 'favorite', 'aria-pressed': String(!!track.favorite) },
      track.favorite ? '♥ Favorite' : '♡ Add to favorites');
    favorite.addEventListener('click', async () => { if (await setFavorite(track, !track.favorite)) render(album); });
    const starButtons = h('div', { class: 'stars', role: 'group', 'aria-label': 'Rating', 'data-rating': String(track.rating ?? 0) });
    for (let i = 1; i <= 5; i += 1) {
      starButtons.append(h('button', { type: 'button', 'data-rate': String(i), 'aria-pressed': String(i <= (track.rating || 0)),
        'aria-label': `Rate ${i} of 5`, onclick: async () => { if (await setRating(track, track.rating === i ? null : i)) render(album); } }, '★'));
    }
    const more = h('button', { type: 'button', class: 'button', 'data-action': 'more', 'aria-label': 'More actions' }, '⋯');
    more.addEventListener('click', () => openTrackMenu(more, [track]));
    const fields = h('dl', { class: 'fields', 'data-fields': '' });
    for (const [label, value] of rows(track)) fields.append(h('dt', { text: label }), h('dd', { text: String(value) }));
    const links = h('p', {},
      track.albumId ? h('a', { href: `#/album/${track.albumId}`, 'data-link': 'album' }, 'Go to the album') : null);
    replace(root, h('div', { class: 'view-body' },
      h('div', { class: 'detail' },
        h('div', {}, artwork(track, album)),
        h('div', {},
          h('h1', { 'data-track-title': '', text: track.title }),
          h('p', { class: 'count', text: [artistLine(track), track.album].filter(Boolean).join(' — ') }),
          h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'button primary', 'data-action': 'play', onclick: () => playTracks([track], 0) }, '▶ Play'),
            h('button', { type: 'button', class: 'button', 'data-action': 'queue', onclick: () => { enqueue([track]); toast('Added to the queue'); } }, 'Add to queue'),
            favorite, starButtons,
            h('button', { type: 'button', class: 'button', 'data-action': 'edit', onclick: edit }, 'Edit…'),
            h('button', { type: 'button', class: 'button danger', 'data-action': 'delete', onclick: remove }, 'Delete…'),
            more),
          h('div', { class: 'actions' },
            radioButton,
            h('a', { class: 'button', href: `#/mix?from=${encodeURIComponent(track.uid)}`, 'data-action': 'mix-with' }, 'Mix with…')),
          genreBox, fields, analysisBox, similarBox, links))));
    showAnalysis(analysisBox, uid).then((a) => { analysed = a; });
    showSimilar(similarBox, track);
    showGenreSuggestion(genreBox, track, (updated) => { track = updated; load(); });
  }

  async function edit() {
    const updated = await editDialog(track);
    if (updated) { track = updated; toast('Saved'); load(); }
  }

  async function remove() {
    await deleteTracks([track], () => {
      location.hash = '#/library';
      return () => {};
    });
  }

  load();
  const off = on('library-changed', ({ uids }) => { if (!uids || uids.includes(uid)) load(); });
  // While this track waits, each progress event may be its result.
  const offAnalysis = on('analysis', () => {
    if (analysed && (analysed.queued || analysed.state === 'queued')) {
      showAnalysis(analysisBox, uid).then((a) => {
        const justDone = a && a.state === 'done' && !a.queued;
        analysed = a;
        // Its vector exists now: similar tracks (and the radio) can be found.
        if (justDone && track) showSimilar(similarBox, track);
      });
    }
  });
  const offNotation = on('key-notation', () => { if (track) render(shownAlbum); });
  return { destroy: () => { off(); offAnalysis(); offNotation(); } };
}
