// Schedules: plays (a playlist, a saved search, an album) or stops at local wall-clock times,
// once or recurring, with a fade-in, a sleep timer and a grace period for missed runs; the
// next time of each, pause/resume, edit, delete, and the history of runs. Schedules are user
// data: they sync to the user's other devices, and fire only on the device they name.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { on } from '../bus.js';
import { confirmDialog, errorBox, modal, showError, toast } from '../ui.js';

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const SHORT = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const KINDS = { playlist: 'Playlist', savedSearch: 'Saved search', album: 'Album' };

function browserZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; }
}

/** "Sat 28 Mar 2026, 11:30" in the schedule's own zone (the times it was set in). */
function when(ms, zone) {
  if (ms === null || ms === undefined) return '';
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(ms));
  } catch { return new Date(ms).toISOString(); }
}

/** "Daily at 07:00", "Mon, Wed, Fri at 08:15", "Once on 2026-03-28 at 11:30". */
function rule(s) {
  switch (s.repeat) {
    case 'daily': return `Daily at ${s.time}`;
    case 'weekdays': return `${(s.days || []).map((d) => SHORT[d - 1]).join(', ')} at ${s.time}`;
    case 'weekly': return `Every ${DAYS[(s.days || [1])[0] - 1]} at ${s.time}`;
    default: return `Once on ${s.date} at ${s.time}`;
  }
}

function deviceName(device, own) {
  return device === own ? 'this device' : `another device (${device.slice(0, 8)})`;
}

/**
 * @param root the <main> element
 * @param preset {kind, id}: open the new-schedule form with this playlist or saved search chosen
 */
export function schedulesView(root, preset = null) {
  let data = null;
  let sources = null;
  replace(root, h('div', { class: 'view-body' }, h('p', { class: 'count', text: 'Loading…' })));

  async function loadSources() {
    if (sources) return sources;
    const [playlists, searches, albums] = await Promise.all([
      api.playlists().then((r) => r.playlists).catch(() => []),
      api.searches().then((r) => r.searches).catch(() => []),
      api.albums({ limit: 1000 }).then((r) => r.items).catch(() => []),
    ]);
    sources = {
      playlist: playlists.map((p) => ({ id: p.id, name: p.name })),
      savedSearch: searches.map((s) => ({ id: s.id, name: s.name })),
      album: albums.map((a) => ({ id: String(a.id), name: a.albumArtist ? `${a.title} — ${a.albumArtist}` : a.title })),
    };
    return sources;
  }

  function sourceName(s) {
    if (s.action === 'stop') return 'Stop playback';
    const list = sources && sources[s.sourceKind];
    const found = list && list.find((item) => item.id === s.sourceId);
    return `${KINDS[s.sourceKind] || 'Source'}: ${found ? found.name : s.sourceId}`;
  }

  async function load() {
    try {
      data = await api.schedules();
      await loadSources();
      render();
    } catch (error) {
      replace(root, h('div', { class: 'view-body' }, errorBox(error, 'Schedules need the daemon’s player (this daemon has none).')));
    }
  }

  function render() {
    const own = data.device;
    const names = new Map(data.schedules.map((s) => [s.id, s.name || rule(s)]));
    const list = h('ul', { class: 'list schedules', 'data-schedules': '' }, data.schedules.map((s) => h('li', { 'data-schedule': s.id, 'data-paused': s.paused ? 'true' : 'false' },
      h('div', { class: 'grow' },
        h('div', { class: 'schedule-name', text: s.name || rule(s) }),
        h('div', { class: 'count' },
          h('span', { 'data-rule': '', text: rule(s) }), ' · ',
          h('span', { text: sourceName(s) }),
          s.fadeInMinutes ? ` · fade in ${s.fadeInMinutes} min` : '',
          s.stopAfterMinutes ? ` · stops after ${s.stopAfterMinutes} min` : '',
          ' · ', h('span', { 'data-device': s.device, text: `fires on ${deviceName(s.device, own)}` })),
        h('div', { class: 'count' }, s.paused ? h('strong', { text: 'Paused' })
          : s.next ? ['Next: ', h('time', { 'data-next': String(s.next), datetime: new Date(s.next).toISOString(), text: when(s.next, s.timeZone) }), s.timeZone !== browserZone() ? ` (${s.timeZone})` : '']
            : h('span', { 'data-next': '', text: 'No further runs' }))),
      h('button', { type: 'button', class: 'button', 'data-action': s.paused ? 'resume' : 'pause', onclick: () => pause(s, !s.paused) }, s.paused ? 'Resume' : 'Pause'),
      h('button', { type: 'button', class: 'button', 'data-action': 'edit', onclick: () => edit(s) }, 'Edit…'),
      h('button', { type: 'button', class: 'button danger', 'data-action': 'delete', 'aria-label': `Delete ${s.name || rule(s)}`, onclick: () => remove(s) }, 'Delete…'))));
    const runs = h('table', { class: 'runs', 'data-runs': '' },
      h('caption', { class: 'visually-hidden', text: 'Runs of schedules, newest first' }),
      h('thead', {}, h('tr', {}, ['Planned', 'Schedule', 'Outcome', 'Device'].map((label) => h('th', { scope: 'col', text: label })))),
      h('tbody', {}, data.runs.map((run) => {
        const schedule = data.schedules.find((s) => s.id === run.scheduleId);
        const outcome = run.outcome === 'failed' ? `Failed: ${run.reason || 'unknown reason'}` : run.outcome === 'missed' ? 'Missed' : 'Played';
        return h('tr', { 'data-run': run.scheduleId, 'data-outcome': run.outcome },
          h('td', { text: when(run.plannedMs, schedule ? schedule.timeZone : browserZone()) }),
          h('td', { text: names.get(run.scheduleId) || '(deleted schedule)' }),
          h('td', { class: `outcome ${run.outcome}`, text: outcome }),
          h('td', { text: deviceName(run.device, own) }));
      })));
    replace(root,
      h('div', { class: 'view-header' },
        h('h1', { text: 'Schedules' }),
        h('span', { class: 'count', text: `${data.schedules.length} ${data.schedules.length === 1 ? 'schedule' : 'schedules'}` }),
        h('button', { type: 'button', class: 'button primary', 'data-action': 'new-schedule', onclick: () => edit(null) }, 'New schedule…')),
      h('div', { class: 'view-body' },
        data.schedules.length ? list : h('div', { class: 'empty', 'data-empty': 'schedules' },
          h('h2', { text: 'No schedules yet' }),
          h('p', { text: 'Wake up to a playlist, start the shop’s music at opening time, or stop playback at night: “New schedule…”, or “Schedule…” on a playlist or a saved search.' })),
        h('h2', { class: 'section-title', text: 'History' }),
        data.runs.length ? runs : h('p', { class: 'count', 'data-empty': 'runs', text: 'No schedule has run yet.' })));
  }

  async function pause(s, paused) {
    try { await api.pauseSchedule(s.id, paused); toast(paused ? 'Paused' : 'Resumed'); load(); } catch (error) { showError(error, 'Could not change the schedule'); }
  }

  async function remove(s) {
    if (!await confirmDialog(`Delete “${s.name || rule(s)}”?`, 'It stops firing on every device; its past runs stay in the history.', 'Delete schedule', true)) return;
    try { await api.deleteSchedule(s.id); toast('Schedule deleted'); load(); } catch (error) { showError(error, 'Could not delete the schedule'); }
  }

  /** The create/edit form in a dialog; `s` null for a new one (with `preset` chosen). */
  async function edit(s, presetSource = null) {
    await loadSources();
    const field = (name, element) => { element.dataset.field = name; return element; };
    const start = s || {
      name: '', action: 'play', sourceKind: presetSource ? presetSource.kind : 'playlist', sourceId: presetSource ? presetSource.id : '',
      time: '07:00', repeat: 'daily', date: new Date().toISOString().slice(0, 10), days: [1, 2, 3, 4, 5], timeZone: browserZone(),
      fadeInMinutes: 0, stopAfterMinutes: 0, graceMinutes: 15, device: data.device,
    };
    const name = field('name', h('input', { type: 'text', value: start.name || '', maxlength: '200', 'aria-label': 'Name' }));
    const action = field('action', h('select', { 'aria-label': 'Action' }, h('option', { value: 'play', text: 'Play' }), h('option', { value: 'stop', text: 'Stop playback' })));
    action.value = start.action;
    const kind = field('sourceKind', h('select', { 'aria-label': 'What kind' }, Object.entries(KINDS).map(([value, text]) => h('option', { value, text }))));
    kind.value = start.sourceKind || 'playlist';
    const source = field('sourceId', h('select', { 'aria-label': 'What to play' }));
    const fillSources = () => {
      const items = sources[kind.value] || [];
      source.replaceChildren(...items.map((item) => h('option', { value: item.id, text: item.name })));
      if (!items.length) source.append(h('option', { value: '', text: `No ${KINDS[kind.value].toLowerCase()} yet` }));
    };
    fillSources();
    if (start.sourceId) source.value = start.sourceId;
    kind.addEventListener('change', fillSources);
    const repeat = field('repeat', h('select', { 'aria-label': 'Repeat' },
      h('option', { value: 'once', text: 'Once' }), h('option', { value: 'daily', text: 'Every day' }),
      h('option', { value: 'weekdays', text: 'On chosen weekdays' }), h('option', { value: 'weekly', text: 'Once a week' })));
    repeat.value = start.repeat;
    const date = field('date', h('input', { type: 'date', value: start.date || new Date().toISOString().slice(0, 10), 'aria-label': 'Date' }));
    const time = field('time', h('input', { type: 'time', value: start.time, required: true, 'aria-label': 'Time' }));
    const dayBoxes = DAYS.map((day, i) => h('label', { class: 'day' },
      field(`day-${i + 1}`, h('input', { type: 'checkbox', value: String(i + 1), checked: (start.days || []).includes(i + 1) })), ` ${SHORT[i]}`));
    const days = h('fieldset', { class: 'days' }, h('legend', { text: 'Weekdays' }), dayBoxes);
    const number = (name, label, value, max) => field(name, h('input', { type: 'number', min: '0', max: String(max), step: '1', value: String(value), 'aria-label': label }));
    const fade = number('fadeInMinutes', 'Fade in over (minutes)', start.fadeInMinutes || 0, 120);
    const stopAfter = number('stopAfterMinutes', 'Stop after (minutes)', start.stopAfterMinutes || 0, 1440);
    const grace = number('graceMinutes', 'Grace for late runs (minutes)', start.graceMinutes ?? 15, 1440);
    const zone = field('timeZone', h('input', { type: 'text', value: start.timeZone, 'aria-label': 'Time zone', spellcheck: 'false' }));
    const device = field('device', h('select', { 'aria-label': 'Fires on' }, data.devices.map((id) => h('option', { value: id, text: deviceName(id, data.device) }))));
    device.value = start.device;
    const row = (label, control, note = null) => h('label', { class: 'form-row' }, h('span', { text: label }), control, note ? h('small', { class: 'count', text: note }) : null);
    const playRows = [row('What', h('span', { class: 'inline' }, kind, source)), row('Fade in (min)', fade), row('Stop after (min)', stopAfter, '0: keeps playing')];
    const dateRow = row('Date', date);
    const update = () => {
      const playing = action.value === 'play';
      for (const r of playRows) r.hidden = !playing;
      dateRow.hidden = repeat.value !== 'once';
      days.hidden = !['weekdays', 'weekly'].includes(repeat.value);
    };
    action.addEventListener('change', update);
    repeat.addEventListener('change', update);
    update();
    const error = h('p', { class: 'form-error', role: 'alert', 'data-form-error': '' });

    const saved = await modal(s ? 'Edit schedule' : 'New schedule', (close) => h('form', { class: 'schedule-form', 'data-schedule-form': '', onsubmit: async (event) => {
      event.preventDefault();
      const chosenDays = dayBoxes.map((label) => label.querySelector('input')).filter((box) => box.checked).map((box) => Number(box.value));
      const definition = {
        name: name.value.trim(), action: action.value, time: time.value.slice(0, 5), repeat: repeat.value, timeZone: zone.value.trim(),
        days: ['weekdays', 'weekly'].includes(repeat.value) ? chosenDays : [], graceMinutes: Number(grace.value) || 0, device: device.value,
        fadeInMinutes: action.value === 'play' ? Number(fade.value) || 0 : 0, stopAfterMinutes: action.value === 'play' ? Number(stopAfter.value) || 0 : 0,
      };
      if (repeat.value === 'once') definition.date = date.value;
      if (action.value === 'play') { definition.sourceKind = kind.value; definition.sourceId = source.value; }
      if (repeat.value === 'weekly' && chosenDays.length !== 1) { error.textContent = 'Choose one weekday for a weekly schedule.'; return; }
      try {
        const answer = s ? await api.updateSchedule(s.id, definition) : await api.createSchedule(definition);
        close(answer.schedule);
      } catch (failure) { error.textContent = failure.message; }
    } },
    h('div', { class: 'form-rows' },
      row('Name', name), row('Action', action), ...playRows, row('Repeat', repeat), dateRow, days, row('Time', time), row('Time zone', zone),
      row('Grace (min)', grace, 'a run found this late (the daemon was off) still plays; later ones are missed'), row('Fires on', device)),
    error,
    h('div', { class: 'dialog-buttons' },
      h('button', { type: 'button', class: 'button', onclick: () => close(null) }, 'Cancel'),
      h('button', { type: 'submit', class: 'button primary', 'data-action': 'save-schedule' }, s ? 'Save' : 'Create'))));
    if (saved) { toast(s ? 'Schedule saved' : `Scheduled: next ${when(saved.next, saved.timeZone) || 'never'}`); load(); }
  }

  load().then(() => {
    if (preset && data) {
      edit(null, preset);
      // The address goes back to the plain page: a reload does not open the form again.
      history.replaceState(history.state, '', '#/schedules');
    }
  });
  const offs = [on('schedules-changed', () => { if (!document.querySelector('dialog')) load(); })];
  // The next times move on as time passes (and runs come in by sync): refresh once a minute.
  const timer = setInterval(() => { if (!document.hidden && !document.querySelector('dialog')) load(); }, 60000);
  return { destroy() { offs.forEach((off) => off()); clearInterval(timer); } };
}
