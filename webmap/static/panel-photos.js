// The case panel's 照片 section: each photo with its thumbnail, time, distance and direction,
// every failed check as a warning, and the upload control while the field work is open.

import { hasRole } from './auth.js';
import { h } from './dom.js';
import { formatDateTime } from './labels.js';
import { actionLabel, photoFlagLabel, rolesFor, statesWith } from './meta.js';

const ADD_PHOTO = 'add_photo';

/** Photos attach while the field work is open: the states the workflow takes add_photo in. */
function photoStateOpen(c) {
  if ((c.allowed_actions || []).includes(ADD_PHOTO)) return true;
  return statesWith(ADD_PHOTO, c.programme).includes(c.state);
}

/** [{flag, text}] from a photo's flags and notes (notes: a list, a map by flag, or text). */
function photoWarnings(p) {
  const flags = Array.isArray(p.flags) ? p.flags : [];
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
  if (typeof p.distance_m !== 'number' || !Number.isFinite(p.distance_m)) return '拍摄位置未知';
  if (p.distance_m <= 0) return '在图斑内拍摄';
  return `距图斑 ${p.distance_m < 10 ? p.distance_m.toFixed(1) : Math.round(p.distance_m)} 米`;
}

function photoItem(p, loadThumb, photoHref) {
  const warnings = photoWarnings(p);
  const img = h('img', {
    class: 'photo-thumb', alt: `照片 ${p.filename || ''}`.trim(), width: 96, height: 72,
    loading: 'lazy', 'data-testid': 'photo-thumb',
  });
  if (p.thumb_url || p.url) loadThumb(img, p.thumb_url || p.url);
  const meta = [
    p.taken_at ? h('div', {}, '拍摄时间：', h('time', { datetime: p.taken_at, 'data-testid': 'photo-taken' }, formatDateTime(p.taken_at))) : h('div', { class: 'muted' }, '拍摄时间未知'),
    h('div', { 'data-testid': 'photo-distance' }, distanceText(p)),
    typeof p.direction === 'number' ? h('div', {}, `拍摄方向：${Math.round(p.direction)}°${p.direction_ref === 'M' ? '（磁北）' : ''}`) : null,
    p.uploaded_by ? h('div', { class: 'muted' }, `上传：${p.uploaded_by}${p.uploaded_at ? ` · ${formatDateTime(p.uploaded_at)}` : ''}`) : null,
  ];
  return h('li', {
    class: warnings.length ? 'photo flagged' : 'photo',
    'data-testid': 'photo',
    'data-photo-id': String(p.id ?? p.sha256 ?? ''),
    'data-flags': (p.flags || []).join(' '),
  },
  p.url
    ? h('a', { href: photoHref(p.url), target: '_blank', rel: 'noopener', class: 'photo-link', title: '在新标签页查看原图' }, img,
      h('span', { class: 'visually-hidden' }, '（查看原图，在新标签页打开）'))
    : img,
  h('div', { class: 'photo-meta' },
    h('div', { class: 'photo-name' }, p.filename || '照片'),
    meta,
    warnings.length
      ? h('ul', { class: 'photo-flags' }, warnings.map((w) => h('li', {
        class: 'photo-flag', 'data-testid': 'photo-flag', 'data-flag': w.flag,
      }, h('span', { 'aria-hidden': 'true' }, '⚠ '), h('span', { class: 'visually-hidden' }, '注意：'), w.text)))
      : h('div', { class: 'photo-ok', 'data-testid': 'photo-ok' }, '✓ 位置、方向、时间检查无异常')));
}

export function photosSection(c, { user, onUpload, loadThumb, photoHref, lastUpload }) {
  const photos = Array.isArray(c.photos) ? c.photos : [];
  const canUpload = hasRole(user, ...rolesFor(ADD_PHOTO)) && photoStateOpen(c);
  let upload = null;
  if (canUpload) {
    const input = h('input', {
      id: 'photo-input', type: 'file', accept: 'image/jpeg,image/png', capture: 'environment', multiple: true,
      'data-testid': 'photo-input', 'aria-describedby': 'photo-input-hint',
    });
    input.addEventListener('change', () => {
      const files = [...input.files];
      if (files.length) onUpload(c, files, input);
    });
    upload = h('div', { class: 'field photo-upload' },
      h('label', { for: 'photo-input' }, actionLabel(ADD_PHOTO)),
      input,
      h('small', { id: 'photo-input-hint', class: 'hint' },
        'JPEG 或 PNG，单张不超过 20 MB，可多选；手机上可直接拍照。请开启相机的位置信息，系统会核对拍摄位置、方向和时间。'));
  }
  const results = lastUpload && String(lastUpload.caseId) === String(c.id) ? lastUpload.results : [];
  const failed = results.filter((r) => !r.ok && !r.queued);
  const queued = results.filter((r) => r.queued);
  return h('section', { class: 'panel-section', 'aria-labelledby': 'sec-photos' },
    h('h3', { id: 'sec-photos' }, `照片（${photos.length} 张）`),
    photos.length
      ? h('ul', { class: 'photos', 'data-testid': 'case-photos' }, photos.map((p) => photoItem(p, loadThumb, photoHref)))
      : h('p', { class: 'muted', 'data-testid': 'case-photos-empty' }, '暂无照片'),
    failed.length
      ? h('ul', { class: 'upload-errors', 'data-testid': 'photo-errors' },
        failed.map((r) => h('li', { 'data-testid': 'photo-error' }, `“${r.name}”未能上传：${r.message}`)))
      : null,
    queued.length
      ? h('ul', { class: 'upload-queued', 'data-testid': 'photo-queued' },
        queued.map((r) => h('li', {}, `“${r.name}”：${r.message}`)))
      : null,
    upload);
}

