// The case panel's 照片 section: each photo with its thumbnail, time, distance and direction,
// every failed check as a warning, and the upload control while the field work is open.

import { hasRole } from './auth.js';
import { dataValue, h } from './dom.js';
import { formatDateTime } from './labels.js';
import { actionLabel, photoFlagLabel, rolesFor, statesWith } from './meta.js';
import { language, t, tParts } from './messages.js';

const ADD_PHOTO = 'add_photo';

/** Photos attach while the field work is open: the states the workflow takes add_photo in. */
function photoStateOpen(c) {
  if ((c.allowed_actions || []).includes(ADD_PHOTO)) return true;
  return statesWith(ADD_PHOTO, c.programme).includes(c.state);
}

/** [{flag, text}] from a photo's flags and notes (notes: a list, a map by flag, or text). */
function photoWarnings(p) {
  const flags = Array.isArray(p.flags) ? p.flags : [];
  // The checks' notes are the server's zh sentences, stored with the photo; in English each flag
  // is said by its label (GET /api/meta), the distance and time being shown beside it.
  if (language() === 'en' && flags.length) return flags.map((f) => ({ flag: f, text: photoFlagLabel(f) }));
  const notes = p.notes;
  if (notes && typeof notes === 'object' && !Array.isArray(notes)) {
    return flags.map((f) => ({ flag: f, text: notes[f] || photoFlagLabel(f) }));
  }
  const list = Array.isArray(notes) ? notes.filter(Boolean).map(String)
    : (typeof notes === 'string' && notes.trim() ? notes.split(/[；;\n]+/).map((x) => x.trim()).filter(Boolean) : []);
  if (list.length === flags.length) return flags.map((f, i) => ({ flag: f, text: list[i] }));
  if (list.length) return list.map((text, i) => ({ flag: flags[i] || '', text }));
  return flags.map((f) => ({ flag: f, text: photoFlagLabel(f) }));
}

function distanceText(p) {
  if (typeof p.distance_m !== 'number' || !Number.isFinite(p.distance_m)) return t('panel-photos.positionUnknown');
  if (p.distance_m <= 0) return t('panel-photos.takenInsidePolygon');
  return t('panel-photos.mFromPolygon', { value: p.distance_m < 10 ? p.distance_m.toFixed(1) : Math.round(p.distance_m) });
}

function photoItem(p, loadThumb, photoHref) {
  const warnings = photoWarnings(p);
  const img = h('img', {
    class: 'photo-thumb', alt: t('panel-photos.photoNamed', { value: p.filename || '' }).trim(), width: 96, height: 72,
    loading: 'lazy', 'data-testid': 'photo-thumb',
  });
  if (p.thumb_url || p.url) loadThumb(img, p.thumb_url || p.url);
  const meta = [
    p.taken_at ? h('div', {}, t('panel-photos.taken'), h('time', { datetime: p.taken_at, 'data-testid': 'photo-taken' }, formatDateTime(p.taken_at))) : h('div', { class: 'muted' }, t('panel-photos.timeUnknown')),
    h('div', { 'data-testid': 'photo-distance' }, distanceText(p)),
    typeof p.direction === 'number' ? h('div', {}, t('panel-photos.direction', { direction: Math.round(p.direction), value: p.direction_ref === 'M' ? t('panel-photos.magneticNorth') : '' })) : null,
    p.uploaded_by ? h('div', { class: 'muted' }, tParts('panel-photos.uploadedBy', { uploaded_by: dataValue(p.uploaded_by), value: p.uploaded_at ? ` · ${formatDateTime(p.uploaded_at)}` : '' })) : null,
  ];
  return h('li', {
    class: warnings.length ? 'photo flagged' : 'photo',
    'data-testid': 'photo',
    'data-photo-id': String(p.id ?? p.sha256 ?? ''),
    'data-flags': (p.flags || []).join(' '),
  },
  p.url
    ? h('a', { href: photoHref(p.url), target: '_blank', rel: 'noopener', class: 'photo-link', title: t('panel-photos.viewOriginalNewTab') }, img,
      h('span', { class: 'visually-hidden' }, t('panel-photos.viewOriginalOpensNew')))
    : img,
  h('div', { class: 'photo-meta' },
    h('div', { class: 'photo-name' }, p.filename || t('panel-photos.photos')),
    meta,
    warnings.length
      ? h('ul', { class: 'photo-flags' }, warnings.map((w) => h('li', {
        class: 'photo-flag', 'data-testid': 'photo-flag', 'data-flag': w.flag,
      }, h('span', { 'aria-hidden': 'true' }, '⚠ '), h('span', { class: 'visually-hidden' }, t('panel-photos.note')), w.text)))
      : h('div', { class: 'photo-ok', 'data-testid': 'photo-ok' }, t('panel-photos.positionDirectionTimeCheck'))));
}

/** May this user add photos to this case now? */
export function mayUpload(c, user) {
  return hasRole(user, ...rolesFor(ADD_PHOTO)) && photoStateOpen(c);
}

function uploadErrors(c, lastUpload) {
  const results = lastUpload && String(lastUpload.caseId) === String(c.id) ? lastUpload.results : [];
  const failed = results.filter((r) => !r.ok && !r.queued);
  const queued = results.filter((r) => r.queued);
  return [
    failed.length
      ? h('ul', { class: 'upload-errors', 'data-testid': 'photo-errors' },
        failed.map((r) => h('li', { 'data-testid': 'photo-error' }, t('panel-photos.couldNotBeUploaded', { name: r.name, message: r.message }))))
      : null,
    queued.length
      ? h('ul', { class: 'upload-queued', 'data-testid': 'photo-queued' },
        queued.map((r) => h('li', {}, t('panel-photos.queued', { name: r.name, message: r.message }))))
      : null,
  ];
}

/**
 * The camera as a big button: <input type=file capture=environment> opens the phone's camera
 * straight away (a computer offers a file). The input covers the button, so the whole button
 * is its touch target; errors of the last upload are listed under it.
 */
export function photoStep(c, { onUpload, lastUpload }) {
  const photos = Array.isArray(c.photos) ? c.photos.length : 0;
  const input = h('input', {
    id: 'photo-input', class: 'camera-input', type: 'file', accept: 'image/*', capture: 'environment',
    multiple: true, 'data-testid': 'photo-input', 'aria-describedby': 'photo-input-hint',
  });
  input.addEventListener('change', () => {
    const files = [...input.files];
    if (files.length) onUpload(c, files, input);
  });
  return h('div', { class: 'field photo-step', 'data-testid': 'photo-step', 'data-count': String(photos) },
    h('span', { class: 'step-label' }, actionLabel(ADD_PHOTO),
      h('span', { class: 'muted', 'data-testid': 'photo-step-count' }, t('panel-photos.photosSoFar', { n: photos }))),
    h('label', { class: 'camera-button', for: 'photo-input' },
      input,
      h('span', { class: 'camera-icon', 'aria-hidden': 'true' }, '📷'),
      h('span', {}, photos ? t('panel-photos.takeAnother') : t('panel-photos.takePhoto'))),
    h('small', { id: 'photo-input-hint', class: 'hint' },
      t('panel-photos.cameraHint')),
    uploadErrors(c, lastUpload));
}

/** 照片: the list; the camera too unless a form carries it (inForm). */
export function photosSection(c, { user, onUpload, loadThumb, photoHref, lastUpload, inForm = false }) {
  const photos = Array.isArray(c.photos) ? c.photos : [];
  const here = mayUpload(c, user) && !inForm;
  return h('section', { class: 'panel-section', 'aria-labelledby': 'sec-photos' },
    h('h3', { id: 'sec-photos' }, t('panel-photos.photoCount', { length: photos.length })),
    photos.length
      ? h('ul', { class: 'photos', 'data-testid': 'case-photos' }, photos.map((p) => photoItem(p, loadThumb, photoHref)))
      : h('p', { class: 'muted', 'data-testid': 'case-photos-empty' }, t('panel-photos.noPhotos')),
    here ? h('div', { class: 'photo-upload' }, photoStep(c, { onUpload, lastUpload })) : null);
}
