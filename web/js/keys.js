// Musical keys as the user wants to read them: standard ("A minor"), Camelot ("8A") or Open Key
// ("1m"). One setting for every view, kept in this browser like the theme (decision 0036);
// changing it announces 'key-notation' on the bus and every open view redraws its keys.
import { h } from './dom.js';
import { emit } from './bus.js';

const storageKey = 'omnisonic.keyNotation';

/** The notations, in the order the pickers list them. */
export const NOTATIONS = [
  { value: 'standard', label: 'Standard (A minor)' },
  { value: 'camelot', label: 'Camelot (8A)' },
  { value: 'openKey', label: 'Open Key (1m)' },
];

// The spellings of the Camelot wheel, as the server's MusicalKey writes them.
const MAJOR = ['C', 'D♭', 'D', 'E♭', 'E', 'F', 'F♯', 'G', 'A♭', 'A', 'B♭', 'B'];
const MINOR = ['C', 'C♯', 'D', 'E♭', 'E', 'F', 'F♯', 'G', 'A♭', 'A', 'B♭', 'B'];

/** The notation chosen in this browser ('standard' until one is picked). */
export function keyNotation() {
  const saved = localStorage.getItem(storageKey);
  return NOTATIONS.some((n) => n.value === saved) ? saved : 'standard';
}

export function setKeyNotation(value) {
  if (!NOTATIONS.some((n) => n.value === value) || value === keyNotation()) return;
  localStorage.setItem(storageKey, value);
  emit('key-notation', { notation: value });
}

/** `{standard, camelot, openKey}` for a Camelot code ("8A"), or null when it is not one. */
export function keyNames(camelot) {
  const match = /^(\d{1,2})([AB])$/i.exec(String(camelot || '').trim());
  if (!match) return null;
  const number = Number(match[1]);
  if (number < 1 || number > 12) return null;
  const minor = match[2].toUpperCase() === 'A';
  // The inverse of the wheel: each step clockwise is a fifth; C major is 8B, A minor 8A.
  const tonic = (((minor ? 9 : 0) + 7 * (number - 8)) % 12 + 12) % 12;
  return {
    standard: minor ? `${MINOR[tonic]} minor` : `${MAJOR[tonic]} major`,
    camelot: `${number}${minor ? 'A' : 'B'}`,
    openKey: `${(number - 8 + 12) % 12 + 1}${minor ? 'm' : 'd'}`,
  };
}

/**
 * A key in the chosen notation: from its Camelot code when there is one, else `fallback` as it
 * is (a tag that does not read as a key), else ''.
 */
export function keyName(camelot, fallback = '', notation = keyNotation()) {
  const names = keyNames(camelot);
  return names ? names[notation] : (fallback || '');
}

/** A track's key (track JSON: `key`, `camelot`) in the chosen notation. */
export function trackKey(track) {
  return track ? keyName(track.camelot, track.key) : '';
}

/** A track's BPM as shown: one decimal at most ("128", "127.6"), '' when unknown. */
export function bpmText(bpm) {
  if (bpm === undefined || bpm === null || !isFinite(bpm)) return '';
  return String(Math.round(bpm * 10) / 10);
}

/** A labelled <select> bound to the setting (the same setting wherever it appears). */
export function notationPicker(id) {
  const select = h('select', { id, 'data-key-notation': '' },
    NOTATIONS.map((n) => h('option', { value: n.value, selected: n.value === keyNotation() }, n.label)));
  select.value = keyNotation();
  select.addEventListener('change', () => setKeyNotation(select.value));
  return h('label', { class: 'notation', for: id }, 'Keys as ', select);
}
