// The mix helper (#/mix?from=uid&to=uid): pick two tracks and read how to blend B into A — the
// tempo change, the pitch shift it causes without key lock, the Camelot relation, the smallest
// compatible shift and the plain-language suggestion (GET /api/mix, MixHelper on the server).
// Keys are written in the user's notation (keys.js). "Transition path" asks for a smooth
// playlist between the two (GET /api/tracks/{a}/path/{b}) to play or queue.
import { api } from '../api.js';
import { h, replace, artistLine, debounce } from '../dom.js';
import { on } from '../bus.js';
import { playTracks, enqueue } from '../player.js';
import { errorBox, showError, toast } from '../ui.js';
import { keyName, keyNotation, notationPicker, bpmText, trackKey } from '../keys.js';

/** The uids in `#/mix?from=&to=`. */
function addressed() {
  const query = (location.hash.split('?')[1] || '');
  const params = new URLSearchParams(query);
  return { from: params.get('from') || null, to: params.get('to') || null };
}

/** Writes the chosen uids into the address without re-opening the view (back/forward keep working per page). */
function remember(from, to) {
  const parts = [];
  if (from) parts.push(`from=${encodeURIComponent(from)}`);
  if (to) parts.push(`to=${encodeURIComponent(to)}`);
  history.replaceState(history.state, '', `#/mix${parts.length ? '?' + parts.join('&') : ''}`);
}

const signed = (x, digits = 1) => `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(digits)}`;
const semitones = (n) => `${signed(n, Number.isInteger(n) ? 0 : 2)} ${Math.abs(n) === 1 ? 'semitone' : 'semitones'}`;

/** "B's E minor is one step clockwise from A's A minor (compatible)." for a relation. */
function relationSentence(relation, b, a) {
  const phrase = {
    same: 'is the same key as',
    oneUp: 'is one step clockwise on the wheel from',
    oneDown: 'is one step anticlockwise on the wheel from',
    relative: 'is the relative major/minor of',
    incompatible: 'clashes with',
  }[relation] || `(${relation})`;
  return `${b} ${phrase} ${a}${relation && relation !== 'incompatible' ? ' (compatible)' : ''}.`;
}

/** A key object `K` ({key, camelot, openKey}) in the chosen notation. */
function kName(k) { return k ? keyName(k.camelot, k.key) : ''; }

/**
 * A search-as-you-type track picker (a combobox over /api/search): `onPick(track)` when one is
 * chosen with a click or Enter. Arrow keys move through the results.
 */
function trackPicker(id, label, onPick) {
  const input = h('input', { id, type: 'search', autocomplete: 'off', spellcheck: 'false', placeholder: 'Search for a track…',
    role: 'combobox', 'aria-expanded': 'false', 'aria-autocomplete': 'list', 'aria-controls': `${id}-list`, 'data-mix-search': id });
  const list = h('ul', { id: `${id}-list`, role: 'listbox', class: 'picker-list', 'aria-label': `${label}: results`, hidden: true });
  let results = [], active = -1, asked = 0;

  function show() {
    list.replaceChildren(...results.map((track, i) => h('li', { role: 'option', id: `${id}-option-${i}`, 'aria-selected': String(i === active),
      'data-uid': track.uid, onmousedown: (event) => { event.preventDefault(); pick(i); } },
      h('span', { class: 'picker-title', text: track.title }), ' ',
      h('span', { class: 'count', text: [artistLine(track), bpmText(track.bpm) && `${bpmText(track.bpm)} BPM`, trackKey(track)].filter(Boolean).join(' · ') }))));
    list.hidden = !results.length;
    input.setAttribute('aria-expanded', String(!list.hidden));
    if (active >= 0) input.setAttribute('aria-activedescendant', `${id}-option-${active}`); else input.removeAttribute('aria-activedescendant');
  }
  function pick(i) {
    const track = results[i];
    if (!track) return;
    results = []; active = -1; input.value = ''; show();
    onPick(track);
  }
  const search = debounce(async () => {
    const text = input.value.trim();
    const mine = ++asked;
    if (!text) { results = []; active = -1; show(); return; }
    try {
      const page = await api.search({ q: text, limit: 8 });
      if (mine !== asked) return;
      results = page.tracks; active = results.length ? 0 : -1; show();
    } catch (error) { if (mine === asked) showError(error); }
  }, 150);
  input.addEventListener('input', search);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' && results.length) { event.preventDefault(); active = (active + 1) % results.length; show(); }
    else if (event.key === 'ArrowUp' && results.length) { event.preventDefault(); active = (active - 1 + results.length) % results.length; show(); }
    else if (event.key === 'Enter') { event.preventDefault(); if (active >= 0) pick(active); }
    else if (event.key === 'Escape' && !list.hidden) { event.preventDefault(); event.stopPropagation(); results = []; active = -1; show(); }
  });
  input.addEventListener('blur', () => { setTimeout(() => { results = []; active = -1; show(); }, 100); });
  return { element: h('div', { class: 'picker' }, h('label', { for: id, text: label }), input, list), input };
}

/** One side's card: title, artist, BPM (and where it comes from), key in the chosen notation. */
function trackCard(m, letter) {
  if (!m) return h('p', { class: 'count', text: 'No track chosen yet.' });
  const bpm = m.bpm ? `${bpmText(m.bpm)} BPM${m.bpmSource === 'analysis' ? ' (analysed)' : m.bpmSource === 'tag' ? ' (tag)' : ''}` : 'Tempo unknown';
  return h('div', { class: 'mix-card', 'data-mix-track': letter },
    h('a', { href: `#/track/${m.uid}`, class: 'picker-title', text: m.title }),
    h('p', { class: 'count', text: m.artist || '' }),
    h('dl', { class: 'fields' },
      h('dt', { text: 'BPM' }), h('dd', { 'data-mix-bpm': letter, text: bpm }),
      h('dt', { text: 'Key' }), h('dd', { 'data-mix-key': letter, text: m.camelot ? keyName(m.camelot, m.key) : 'Key unknown' })));
}

/** The advice `A` as a list of plain sentences, in the chosen notation. */
function adviceRows(result) {
  const a = result.advice, A = result.from, B = result.to;
  const rows = [];
  if (a.tempoLevel === null || a.tempoLevel === undefined || a.tempoChangePercent === null || a.tempoChangePercent === undefined) {
    rows.push(['Tempo', `${!A.bpm && !B.bpm ? 'Neither track has' : !A.bpm ? 'A has' : 'B has'} no known tempo: no tempo change to compute.`]);
  } else {
    // matchedBpm is B's tempo at the level that meets A's beat, before the change.
    const level = { same: '', double: ' (B counted in double time)', half: ' (B counted in half time)' }[a.tempoLevel] || '';
    const change = a.tempoChangePercent;
    rows.push(['Tempo change', Math.abs(change) < 0.05
      ? `None: B already plays at A's ${bpmText(A.bpm)} BPM${level}.`
      : `Speed B ${change > 0 ? 'up' : 'down'} ${Math.abs(change).toFixed(1)} %, from ${bpmText(a.matchedBpm)} to ${bpmText(A.bpm)} BPM${level}.`]);
    if (a.pitchShiftSemitones !== null && a.pitchShiftSemitones !== undefined) {
      rows.push(['Pitch shift without key lock', semitones(Math.round(a.pitchShiftSemitones * 100) / 100)]);
    }
  }
  if (!a.relation) {
    rows.push(['Keys', `${!A.camelot && !B.camelot ? 'Neither track has' : !A.camelot ? 'A has' : 'B has'} no known key: no key advice.`]);
  } else {
    const aKey = `A's ${keyName(A.camelot, A.key)}`;
    rows.push(['Keys', relationSentence(a.relation, `B's ${keyName(B.camelot, B.key)}`, aKey)]);
    if (a.shiftedKey && a.shiftedKey.camelot !== B.camelot) {
      rows.push(['After the tempo change', `Without key lock B sounds in ${kName(a.shiftedKey)}, which ${relationSentence(a.shiftedRelation, '', aKey).replace(/^ is /, 'is ').replace(/^ clashes/, 'clashes')}`]);
    } else if (a.shiftedKey) {
      rows.push(['After the tempo change', `B's key stays ${kName(a.shiftedKey)} (the shift is under half a semitone).`]);
    }
    if (a.compatibleShiftSemitones !== null && a.compatibleShiftSemitones !== undefined) {
      rows.push(['Smallest compatible shift', a.compatibleShiftSemitones === 0
        ? 'None needed: the keys are compatible.'
        : `${semitones(a.compatibleShiftSemitones)}, to ${kName(a.compatibleKey)}.`]);
    }
  }
  return rows;
}

export function mixView(root) {
  let { from, to } = addressed();
  let result = null, pathTracks = null, asked = 0;
  const pickA = trackPicker('mix-a', 'Track A (playing)', (track) => { from = track.uid; changed(); });
  const pickB = trackPicker('mix-b', 'Track B (to mix in)', (track) => { to = track.uid; changed(); });
  const cardA = h('div', { 'data-mix-card': 'a' });
  const cardB = h('div', { 'data-mix-card': 'b' });
  const swap = h('button', { type: 'button', class: 'button', 'data-action': 'swap-mix', 'aria-label': 'Swap A and B' }, '⇄ Swap');
  const advice = h('section', { class: 'mix-advice', 'aria-live': 'polite', 'aria-labelledby': 'mix-advice-heading', 'data-mix-advice': '' });
  const pathBox = h('section', { class: 'mix-path', 'aria-labelledby': 'mix-path-heading', 'data-mix-path': '' });

  swap.addEventListener('click', () => { [from, to] = [to, from]; changed(); });

  replace(root, h('div', { class: 'view-header' }, h('h1', { text: 'Mix helper' }), notationPicker('mix-key-notation')),
    h('div', { class: 'view-body' },
    h('p', { class: 'count', text: 'Pick the track that plays (A) and the one to blend in (B): how much to change B’s tempo, what that does to its key, and whether the keys are compatible.' }),
    h('div', { class: 'mix-pickers' },
      h('div', { class: 'mix-side' }, pickA.element, cardA),
      h('div', { class: 'mix-swap' }, swap),
      h('div', { class: 'mix-side' }, pickB.element, cardB)),
    advice, pathBox));

  function changed() {
    remember(from, to);
    pathTracks = null;
    load();
  }

  async function card(box, uid, letter) {
    if (!uid) { replace(box, trackCard(null, letter)); return; }
    // Before the advice arrives (or with one side only), the track JSON has BPM and key too.
    try {
      const t = await api.track(uid);
      replace(box, trackCard({ uid: t.uid, title: t.title, artist: artistLine(t), bpm: t.bpm, bpmSource: t.bpmSource, key: t.key, camelot: t.camelot }, letter));
    } catch (error) { replace(box, errorBox(error, 'This track is no longer in the library.')); }
  }

  function render() {
    if (result) {
      replace(cardA, trackCard(result.from, 'a'));
      replace(cardB, trackCard(result.to, 'b'));
      const list = h('dl', { class: 'fields', 'data-advice-fields': '' });
      for (const [label, text] of adviceRows(result)) list.append(h('dt', { text: label }), h('dd', { text }));
      const suggestion = result.advice.suggestion;
      replace(advice, h('h2', { id: 'mix-advice-heading', text: 'How to mix B into A' }),
        suggestion ? h('p', { class: 'mix-suggestion', 'data-mix-suggestion': '', text: suggestion }) : null,
        list);
    }
    renderPath();
  }

  function renderPath() {
    if (!from || !to || from === to) { replace(pathBox); return; }
    const steps = h('input', { id: 'mix-path-steps', type: 'number', min: '2', max: '50', value: '8', 'data-path-steps': '' });
    const make = h('button', { type: 'button', class: 'button', 'data-action': 'make-path' }, 'Make a transition path');
    make.addEventListener('click', async () => {
      try {
        const answer = await api.path(from, to, Math.max(2, Math.min(50, Number(steps.value) || 8)));
        pathTracks = answer.tracks;
        renderPath();
      } catch (error) { showError(error, 'Transition path'); }
    });
    const children = [h('h2', { id: 'mix-path-heading', text: 'Transition path' }),
      h('p', { class: 'count', text: 'A playlist that walks from A to B through the tracks that sound closest at each step.' }),
      h('div', { class: 'actions' }, h('label', { for: 'mix-path-steps', text: 'Tracks' }), steps, make)];
    if (pathTracks) {
      children.push(h('ol', { class: 'similar-list', 'data-path-list': '' }, pathTracks.map((t, i) => h('li', {},
        h('a', { href: `#/track/${t.uid}`, text: t.title }), ' ',
        h('span', { class: 'count', text: [artistLine(t), bpmText(t.bpm) && `${bpmText(t.bpm)} BPM`, trackKey(t), i > 0 && typeof t.score === 'number' ? `similarity ${t.score.toFixed(2)}` : ''].filter(Boolean).join(' · ') })))),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'button primary', 'data-action': 'play-path', onclick: () => playTracks(pathTracks, 0) }, '▶ Play the path'),
        h('button', { type: 'button', class: 'button', 'data-action': 'queue-path', onclick: () => { enqueue(pathTracks); toast(`Added ${pathTracks.length} tracks to the queue`); } }, 'Add to queue')));
    }
    replace(pathBox, ...children);
  }

  async function load() {
    const mine = ++asked;
    // The pair changed: the old advice goes. The same pair again (an edit): it stays until the new one.
    if (result && (result.from.uid !== from || result.to.uid !== to)) result = null;
    swap.disabled = !from && !to;
    if (!from || !to) {
      await Promise.all([card(cardA, from, 'a'), card(cardB, to, 'b')]);
      if (mine !== asked) return;
      replace(advice, h('p', { class: 'count', text: from || to ? 'Pick the other track to see how to mix them.' : 'Pick two tracks to see how to mix them.' }));
      renderPath();
      return;
    }
    if (!result) replace(advice, h('p', { class: 'count', text: 'Working it out…' }));
    try {
      const answer = await api.mix(from, to, keyNotation());
      if (mine !== asked) return;
      result = answer;
      render();
    } catch (error) {
      if (mine !== asked) return;
      card(cardA, from, 'a'); card(cardB, to, 'b');
      replace(advice, errorBox(error));
      renderPath();
    }
  }

  load();
  const subscriptions = [
    // The suggestion's sentence names keys too: asked again in the new notation.
    on('key-notation', () => { if (from && to) load(); else { card(cardA, from, 'a'); card(cardB, to, 'b'); } }),
    // A track edited (its BPM or key tag) or analysed again: the advice may change.
    on('library-changed', ({ uids }) => { if (from && to && (!uids || uids.includes(from) || uids.includes(to))) load(); }),
  ];
  return { destroy() { subscriptions.forEach((off) => off()); asked += 1; } };
}
