// 巡查发现 and 举报登记: recording a violation found on patrol (a verifier or enforcer on the
// phone) or reported to the office (举报: enforcer, reviewer, admin at the desk). One sheet, the
// case panel's place (a bottom sheet on phones, sheet.js; a side panel on wide screens), in two
// modes:
//   finding  violation tiles, the place from the GPS fix (accuracy shown) or a drawn outline,
//            found at (now, editable), note, photos from the camera (checked on the phone, then
//            uploaded as any verification photo, with the same EXIF checks on the server);
//   report   source tiles (the channels, not the patrol), received at, reporter and contact
//            (保密: only office roles read them back), content, violation, the place by a click
//            on the map (or the GPS, or an outline), note.
// Either way the finding goes into the outbox (kind 'finding', with the phone's client_ref and
// its photos as Blobs) and is sent from there: at once when online, after a reload or the next
// sign-in when not. Nothing is lost between the tap and the server.
// Test hooks: "patrol-sheet" (data-mode finding|report), "finding-form", "finding-violation"
// tiles "finding-violation-<code>", "finding-source-<code>", the place (patrol-place.js),
// "finding-found-at", "finding-note", "finding-reporter-name", "finding-reporter-contact",
// "finding-content", "finding-photo-input", "finding-photo" (one per chosen photo),
// "finding-photo-errors", "finding-submit", "finding-alert", "finding-close".

import { announce, fill, h } from './dom.js';
import { nowInput, instantValue } from './form-model.js';
import { zhValidity } from './forms.js';
import { fieldLabel, kindLimits, sources, violations } from './meta.js';
import { t } from './messages.js';
import { findingBody, newClientRef } from './patrol-finding.js';
import { PATROL } from './patrol-model.js';
import { createPlacePicker } from './patrol-place.js';
import { createSheet } from './sheet.js';

/** A group of one-tap tiles (radios) for a closed list. */
function tiles(name, legend, options, { required = true } = {}) {
  const field = { name, label: legend, required };
  return h('fieldset', { class: 'field choice', 'data-testid': `finding-${name}` },
    h('legend', {}, legend, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    h('div', { class: 'choice-tiles' }, options.map((o) => {
      const input = h('input', { type: 'radio', name, value: o.code, required, 'data-testid': `finding-${name}-${o.code}` });
      zhValidity(input, field);
      return h('label', { class: 'choice-tile' }, input, h('span', { class: 'choice-face' }, o.label));
    })));
}

/** A labelled input; limits from the field kind (meta). */
function input(name, label, kind, { type = 'text', required = false, hint = null, secret = false, rows = 0 } = {}) {
  const id = `finding-${name}`;
  const attrs = {
    id, name, required, 'data-testid': `finding-${name.replace(/_/g, '-')}`, autocomplete: 'off',
    'aria-describedby': hint ? `${id}-hint` : null, ...kindLimits(kind),
  };
  const el = rows ? h('textarea', { ...attrs, rows }) : h('input', { ...attrs, type });
  zhValidity(el, { label });
  return h('div', { class: 'field' },
    h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null,
      secret ? h('span', { class: 'secret-badge' }, t('patrol.secret')) : null),
    el,
    hint ? h('small', { id: `${id}-hint`, class: 'hint' }, hint) : null);
}

/**
 * The camera for a finding: photos are chosen (checked on the phone: JPEG/PNG, size) and kept
 * with it, with a thumbnail each, until the finding is sent. → {element(), photos(), reset()}
 */
function createPhotoChooser(photoProblem) {
  let chosen = []; // [{file, url}]
  let box = null;

  function list() {
    return h('ul', { class: 'finding-photos' }, chosen.map((p, i) => h('li', { 'data-testid': 'finding-photo' },
      h('img', { src: p.url, alt: '', width: 64, height: 48 }),
      h('span', { 'data-value': '' }, p.file.name),
      h('button', {
        type: 'button', class: 'link-button', 'aria-label': t('patrol.removePhoto', { name: p.file.name }), 'data-value-label': '',
        onclick: () => {
          URL.revokeObjectURL(p.url);
          chosen.splice(i, 1);
          fill(box, list());
        },
      }, t('patrol.remove')))));
  }

  function element() {
    const input = h('input', {
      id: 'finding-photo-input', class: 'camera-input', type: 'file', accept: 'image/*', capture: 'environment',
      multiple: true, 'data-testid': 'finding-photo-input',
    });
    const errors = h('ul', { class: 'upload-errors', 'data-testid': 'finding-photo-errors', hidden: true });
    box = h('div', {}, list());
    input.addEventListener('change', () => {
      const bad = [];
      for (const file of input.files) {
        const problem = photoProblem(file);
        if (problem) bad.push(h('li', {}, t('panel-photos.couldNotBeUploaded', { name: file.name, message: problem })));
        else chosen.push({ file, url: URL.createObjectURL(file) });
      }
      input.value = '';
      fill(box, list());
      fill(errors, bad);
      errors.hidden = !bad.length;
    });
    return h('div', { class: 'field photo-step' },
      h('span', { class: 'step-label' }, t('patrol.photos')),
      h('label', { class: 'camera-button', for: 'finding-photo-input' }, input,
        h('span', { class: 'camera-icon', 'aria-hidden': 'true' }, '📷'), h('span', {}, t('panel-photos.takePhoto'))),
      h('small', { class: 'hint' }, t('patrol.photoHint')),
      errors, box);
  }

  return {
    element,
    /** As the outbox keeps them: the File as a Blob, with its name, type and size. */
    photos: () => chosen.map((p) => ({ blob: p.file, name: p.file.name || 'photo.jpg', type: p.file.type, size: p.file.size })),
    reset() {
      for (const p of chosen) URL.revokeObjectURL(p.url);
      chosen = [];
    },
  };
}

/** The form of a mode: report (举报) or finding (巡查发现); onSubmit(form) when it validates. */
function findingForm(mode, { place, camera, onSubmit }) {
  const report = mode === 'report';
  const at = input('found_at', report ? t('patrol.receivedAt') : fieldLabel('found_at'), 'instant', { type: 'datetime-local', required: true });
  const atInput = at.querySelector('input');
  atInput.value = nowInput();
  atInput.min = `${kindLimits('instant').min || '2000-01-01'}T00:00`;
  const f = h('form', { class: 'action-form finding-form', 'data-testid': 'finding-form' },
    report ? tiles('source', t('patrol.source'), sources().filter((s) => s.code !== PATROL)) : null,
    tiles('violation', fieldLabel('violation'), violations()),
    place.element(report),
    at,
    report ? [
      input('reporter_name', t('patrol.reporterName'), 'name', { secret: true }),
      input('reporter_contact', t('patrol.reporterContact'), 'name', { secret: true, type: 'tel' }),
      h('p', { class: 'hint muted' }, t('patrol.secretHint')),
      input('content', t('patrol.content'), 'text', { rows: 3 }),
    ] : null,
    input('note', fieldLabel('note'), 'text', { rows: 2 }),
    report ? null : camera.element(),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'finding-submit' }, report ? t('patrol.submitReport') : t('patrol.submitFinding'))));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    f.classList.add('touched');
    if (f.reportValidity()) onSubmit(f);
  });
  return f;
}

/**
 * createPatrolSheet(root, {map, locator, outbox, photoProblem, frame, onOpen, onClose, onQueued})
 * → {open(mode), close(), isOpen, mode, capturesMap()}
 * frame([lon, lat]): show the first GPS fix above the sheet; onOpen(): the case panel makes way;
 * onQueued(item, n): the finding is kept on the phone.
 */
export function createPatrolSheet(root, {
  map, locator, outbox, photoProblem, frame = () => {}, onOpen = () => {}, onClose = () => {}, onQueued = () => {},
}) {
  const title = h('h2', { id: 'patrol-sheet-title', tabindex: '-1' });
  const closeButton = h('button', { type: 'button', class: 'icon-button', 'aria-label': t('patrol.close'), 'data-testid': 'finding-close' }, '×');
  const handle = h('button', { type: 'button', class: 'icon-button sheet-handle', 'aria-controls': 'patrol-sheet' },
    h('span', { class: 'sheet-handle-icon', 'aria-hidden': 'true' }));
  const header = h('div', { class: 'panel-header' }, h('span', { class: 'grabber', 'aria-hidden': 'true' }),
    h('div', { class: 'panel-heading' }, title), handle, closeButton);
  const alertBox = h('div', { class: 'alert', role: 'alert', 'data-testid': 'finding-alert', hidden: true });
  const body = h('div', { class: 'panel-body' });
  root.replaceChildren(header, alertBox, body);
  root.setAttribute('aria-labelledby', 'patrol-sheet-title');
  const sheet = createSheet(root, { header, handle });
  const place = createPlacePicker(map, locator, { onError: (text) => announce(alertBox, text), frame });
  const camera = createPhotoChooser(photoProblem);
  let mode = 'finding';
  closeButton.addEventListener('click', () => close());
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close();
  });

  async function submit(f) {
    const geometry = place.geometry();
    if (!geometry) {
      announce(alertBox, t('patrol.needPlace'));
      return;
    }
    const v = Object.fromEntries(new FormData(f));
    const report = mode === 'report';
    const photos = report ? [] : camera.photos();
    const item = {
      path: report ? 'reports' : 'findings',
      body: findingBody({
        source: report ? v.source : null, violation: v.violation, geometry, foundAt: instantValue(v.found_at),
        clientRef: newClientRef(), note: v.note,
        reporter_name: v.reporter_name, reporter_contact: v.reporter_contact, content: v.content,
      }),
      photos,
      photo_count: photos.length,
    };
    const button = f.querySelector('[data-testid="finding-submit"]');
    button.disabled = true;
    try {
      const n = await outbox.addFinding(item);
      close();
      onQueued(item, n);
      outbox.flush();
    } catch (err) {
      announce(alertBox, t('patrol.couldNotKeep', { message: err.message }));
    } finally {
      button.disabled = false;
    }
  }

  function reset() {
    place.reset();
    camera.reset();
    body.replaceChildren();
    announce(alertBox, '');
  }

  function open(next = 'finding') {
    if (!root.hidden && mode === next) {
      title.focus({ preventScroll: true });
      return;
    }
    reset();
    mode = next === 'report' ? 'report' : 'finding';
    onOpen();
    root.hidden = false;
    root.dataset.mode = mode;
    document.body.classList.add('patrol-open');
    sheet.set('half');
    title.textContent = mode === 'report' ? t('patrol.reportTitle') : t('patrol.findTitle');
    fill(body, h('p', { class: 'muted finding-intro' }, mode === 'report' ? t('patrol.reportIntro') : t('patrol.findIntro')),
      findingForm(mode, { place, camera, onSubmit: submit }));
    // On patrol the place is where the phone is; at the desk, where the caller says.
    place.start(mode === 'finding' ? 'gps' : 'pick');
    title.focus({ preventScroll: true });
  }

  function close() {
    if (root.hidden) return;
    reset();
    root.hidden = true;
    document.body.classList.remove('patrol-open');
    onClose();
  }

  return {
    open,
    close,
    get isOpen() { return !root.hidden; },
    get mode() { return mode; },
    capturesMap: () => !root.hidden && place.capturesMap(),
  };
}
