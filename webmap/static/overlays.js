// 批次图层: other batches overlaid on the one being worked (off at first), each fetched per
// viewport like the current batch (GET /api/batches/{id}/features?bbox=…, same cap: above it
// the row says “放大后显示”). Drawn faintly below the current batch; a click opens the 图斑 in
// its own batch.
// Test hooks: data-testid="batch-layers", "batch-layers-toggle", a row "batch-layer-<id>"
// (data-status = current|off|loading|loaded|zoom|error, data-count), checkbox
// "batch-toggle-<id>"; drawn paths carry data-overlay-batch and data-case-id.

import { fill, h } from './dom.js';
import { colourFor } from './labels.js';
import { programmeLabel } from './meta.js';
import { t } from './messages.js';

const L = window.L;
const PANE = 'tuban-overlays';
const DEBOUNCE_MS = 300;
const PAD = 0.25;

function label(b) {
  return `${b.period ?? ''} ${programmeLabel(b.programme) || b.programme_label}`.trim();
}

/**
 * createBatchOverlays(map, api, {onOpen(caseId, batchId), onChange([{id, label}])})
 * → {setBatches(list, currentId), setCurrent(id)}
 */
export function createBatchOverlays(map, api, { onOpen, onChange = () => {} }) {
  const pane = map.createPane(PANE);
  pane.style.zIndex = '390'; // just below the current batch (overlayPane 400)
  const entries = new Map(); // id → {batch, on, group, row, box, controller}
  let current = null;
  let listEl;
  let toggleEl;
  let timer = null;

  const control = L.control({ position: 'topright' });
  control.onAdd = () => {
    listEl = h('div', { class: 'ref-list', id: 'batch-layer-list', hidden: true });
    toggleEl = h('button', {
      type: 'button', class: 'ref-toggle', 'aria-expanded': 'false', 'aria-controls': 'batch-layer-list',
      'data-testid': 'batch-layers-toggle',
    }, t('overlays.batchLayers'));
    toggleEl.addEventListener('click', () => {
      const open = toggleEl.getAttribute('aria-expanded') !== 'true';
      toggleEl.setAttribute('aria-expanded', String(open));
      listEl.hidden = !open;
    });
    const box = h('div', { class: 'ref-control', 'data-testid': 'batch-layers' }, toggleEl, listEl);
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && toggleEl.getAttribute('aria-expanded') === 'true') {
        toggleEl.click();
        toggleEl.focus();
      }
    });
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  control.addTo(map);

  function announceOn() {
    onChange([...entries.values()].filter((e) => e.on && String(e.batch.id) !== String(current))
      .map((e) => ({ id: e.batch.id, label: label(e.batch) })));
  }

  function status(e, value, count = null) {
    e.row.dataset.status = value;
    e.row.dataset.count = count === null ? '' : String(count);
    const note = { loading: t('overlays.loading'), zoom: t('overlays.zoomShow'), error: t('overlays.loadingFailed'), current: t('overlays.thisBatch') }[value];
    e.note.textContent = note || (value === 'loaded' ? `${count}` : '');
  }

  function viewBox() {
    const b = map.getBounds();
    const dx = (b.getEast() - b.getWest()) * PAD;
    const dy = (b.getNorth() - b.getSouth()) * PAD;
    return [b.getWest() - dx, b.getSouth() - dy, b.getEast() + dx, b.getNorth() + dy].map((v) => Math.round(v * 1e5) / 1e5);
  }

  async function fetchOne(e) {
    if (e.controller) e.controller.abort();
    e.controller = new AbortController();
    status(e, 'loading');
    try {
      const fc = await api.features(e.batch.id, { bbox: viewBox().join(',') }, { signal: e.controller.signal });
      if (!e.on) return;
      if (e.group) e.group.remove();
      e.group = null;
      if (fc.truncated) {
        status(e, 'zoom', fc.total);
        return;
      }
      e.group = L.geoJSON(fc, {
        pane: PANE,
        style: (f) => ({
          fillColor: colourFor(f.properties.state), fillOpacity: 0.35, color: '#555555', weight: 1.2, dashArray: '3 3',
        }),
        onEachFeature: (f, layer) => {
          // A DOM node, not a string: Leaflet puts a string tooltip into innerHTML, and the code
          // comes from the province's file.
          layer.bindTooltip(() => h('span', {}, t('overlays.polygon', { batch: label(e.batch), code: f.properties.code })), { sticky: true });
          layer.on('click', () => onOpen(f.id, e.batch.id));
          layer.on('add', () => {
            const el = layer.getElement();
            if (el) {
              el.setAttribute('data-overlay-batch', String(e.batch.id));
              el.setAttribute('data-case-id', String(f.id));
            }
          });
        },
      }).addTo(map);
      status(e, 'loaded', fc.features.length);
    } catch (err) {
      if (err.name !== 'AbortError') status(e, 'error');
    }
  }

  function refreshAll() {
    for (const e of entries.values()) if (e.on && String(e.batch.id) !== String(current)) fetchOne(e);
  }
  map.on('moveend', () => {
    clearTimeout(timer);
    timer = setTimeout(refreshAll, DEBOUNCE_MS);
  });

  function setOn(e, on) {
    e.on = on;
    e.checkbox.checked = on;
    if (on) fetchOne(e);
    else {
      if (e.group) e.group.remove();
      e.group = null;
      if (e.controller) e.controller.abort();
      status(e, 'off');
    }
    announceOn();
  }

  function renderRows() {
    fill(listEl, h('p', { class: 'muted ref-note' }, t('overlays.overlayOtherBatchesFaint')),
      [...entries.values()].map((e) => e.row));
  }

  return {
    setBatches(list, currentId) {
      for (const e of entries.values()) if (e.group) e.group.remove();
      entries.clear();
      current = currentId;
      for (const b of list) {
        const id = `batch-toggle-${b.id}`;
        const checkbox = h('input', { type: 'checkbox', id, 'data-testid': id });
        const note = h('span', { class: 'muted ref-status' });
        const row = h('div', { class: 'ref-row check', 'data-testid': `batch-layer-${b.id}`, 'data-status': 'off' },
          checkbox, h('label', { for: id }, label(b)), ' ', note);
        const e = { batch: b, on: false, group: null, row, checkbox, note, controller: null };
        checkbox.addEventListener('change', () => setOn(e, checkbox.checked));
        entries.set(String(b.id), e);
      }
      this.setCurrent(currentId);
      renderRows();
    },
    setCurrent(id) {
      current = id;
      for (const e of entries.values()) {
        const here = String(e.batch.id) === String(id);
        e.checkbox.disabled = here;
        if (here) {
          if (e.group) e.group.remove();
          e.group = null;
          e.checkbox.checked = true;
          status(e, 'current');
        } else {
          e.checkbox.checked = e.on;
          if (e.on) fetchOne(e);
          else status(e, 'off');
        }
      }
      announceOn();
    },
    set(id, on) {
      const e = entries.get(String(id));
      if (e && String(id) !== String(current)) setOn(e, on);
    },
  };
}
