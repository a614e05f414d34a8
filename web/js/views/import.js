// Import: files dropped anywhere on the window or picked with the file picker are uploaded one
// per request (XMLHttpRequest: upload progress), each with its own progress bar.
import { h, replace } from '../dom.js';
import { api, authHeaders } from '../api.js';
import { emit } from '../bus.js';
import { toast } from '../ui.js';

const uploads = []; // {file, state, loaded, message, tracks} — kept while the page lives
let listElement = null;

function renderUploads() {
  if (!listElement) return;
  replace(listElement, uploads.map((upload) => {
    // A file that was not imported shows no full bar (which reads as "done") but its reason.
    const bar = upload.state === 'uploading' || upload.state === 'done'
      ? h('progress', { max: String(upload.file.size || 1), value: String(upload.loaded), 'aria-label': `Upload of ${upload.file.name}` })
      : h('span', { class: 'upload-mark', 'aria-hidden': 'true', text: upload.state === 'existing' ? '=' : '✕' });
    // A finished (or already present) file links to its track.
    const track = (upload.tracks && upload.tracks[0]) || (upload.existing && upload.existing[0]);
    const name = track ? h('a', { href: `#/track/${track.uid}`, 'data-upload-link': '', text: upload.file.name }) : h('span', { text: upload.file.name });
    return h('li', { 'data-upload': upload.file.name, 'data-state': upload.state }, name, bar, h('span', { class: 'count', text: upload.message }));
  }));
}

function upload(file) {
  const entry = { file, state: 'uploading', loaded: 0, message: 'Waiting…' };
  uploads.unshift(entry);
  renderUploads();
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', api.importPath());
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => {
      entry.loaded = event.loaded;
      entry.message = event.lengthComputable ? `${Math.round((event.loaded / event.total) * 100)} %` : `${Math.round(event.loaded / 1024)} KiB`;
      renderUploads();
    });
    xhr.addEventListener('load', () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      entry.loaded = file.size;
      if (xhr.status === 201 || xhr.status === 200) {
        const added = body && body.tracks ? body.tracks.length : 0;
        const rejected = body && body.rejected && body.rejected[0];
        const existing = !added && rejected && rejected.uid;
        entry.state = added ? 'done' : existing ? 'existing' : 'rejected';
        entry.message = added ? 'Added to the library' : existing ? 'Already in the library (no copy made)'
          : (rejected ? rejected.message[0].toUpperCase() + rejected.message.slice(1) : 'Not imported');
        entry.tracks = body ? body.tracks : [];
        if (existing) entry.existing = [{ uid: rejected.uid }];
      } else {
        entry.state = 'failed';
        entry.message = body && body.error ? body.error.message : `Failed (${xhr.status})`;
      }
      renderUploads();
      resolve(entry);
    });
    xhr.addEventListener('error', () => { entry.state = 'failed'; entry.message = 'The server could not be reached'; renderUploads(); resolve(entry); });
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** Uploads `files` two at a time; announces the new tracks. */
export async function importFiles(files) {
  files = [...files];
  if (!files.length) return;
  if (!location.hash.startsWith('#/import')) location.hash = '#/import';
  const queue = files.slice();
  const results = [];
  const worker = async () => { while (queue.length) results.push(await upload(queue.shift())); };
  await Promise.all([worker(), worker()]);
  const added = results.reduce((sum, r) => sum + (r.tracks ? r.tracks.length : 0), 0);
  const present = results.filter((r) => r.state === 'existing').length;
  const failed = results.filter((r) => r.state !== 'done' && r.state !== 'existing').length;
  toast(`Imported ${added} ${added === 1 ? 'track' : 'tracks'}`
    + (present ? `; ${present} already in the library` : '')
    + (failed ? `; ${failed} ${failed === 1 ? 'file was' : 'files were'} not imported` : ''), { error: !added && failed > 0 });
  emit('library-changed', { imported: true });
}

export function importView(root) {
  const input = h('input', { type: 'file', multiple: true, accept: 'audio/*,.flac,.opus,.ogg,.m4a,.wv,.ape,.mka', id: 'import-files', 'data-import-input': '', class: 'visually-hidden' });
  input.addEventListener('change', () => { importFiles(input.files); input.value = ''; });
  listElement = h('ul', { class: 'uploads', 'data-uploads': '', 'aria-label': 'Uploads' });
  replace(root,
    h('div', { class: 'view-header' }, h('h1', { text: 'Import' })),
    h('div', { class: 'view-body' },
      h('div', { class: 'dropzone' },
        h('p', { text: 'Drag audio files anywhere onto this window, or' }),
        input, h('label', { for: 'import-files', class: 'button primary', tabindex: '0', 'data-action': 'choose-files',
          onkeydown: (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); input.click(); } } }, 'Choose files…'),
        h('p', { class: 'count', text: 'Files are copied into your music folder and indexed right away.' })),
      listElement));
  renderUploads();
  return { destroy() { listElement = null; } };
}

/** Dropping files anywhere on the window imports them. */
export function initImport() {
  const overlay = document.querySelector('[data-drop-overlay]');
  let depth = 0;
  const hasFiles = (event) => event.dataTransfer && [...event.dataTransfer.types].includes('Files');
  addEventListener('dragenter', (event) => { if (hasFiles(event)) { depth += 1; overlay.hidden = false; } });
  addEventListener('dragleave', (event) => { if (hasFiles(event)) { depth = Math.max(0, depth - 1); if (!depth) overlay.hidden = true; } });
  addEventListener('dragover', (event) => { if (hasFiles(event)) event.preventDefault(); });
  addEventListener('drop', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    overlay.hidden = true;
    importFiles(event.dataTransfer.files);
  });
}
