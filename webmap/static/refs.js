// 参考图层: the reference layers of GET /api/references as toggleable outlines. 乡镇界 and 村界
// are on at first (labels.js REF_KINDS.defaultOn) with their names written on the map from
// labelZoom, so a verifier sees where they are with no basemap and no network; the others
// (永久基本农田, 采矿权, …) on demand. A user's own choice is kept in localStorage
// (`tuban.refs.<username>`, by kind). Each switched-on layer is fetched for the current view
// (bbox, re-fetched on moveend with a debounce) and only from the zoom its kind is useful at
// (REF_KINDS.minZoom); below that the row says “放大后显示”.
// Test hooks: data-testid="ref-control", "ref-control-toggle", "ref-layer-<kind>" (the row,
// with data-status = off|zoom|loading|loaded|empty|error and data-count), "ref-toggle-<kind>"
// (the checkbox); every drawn path has data-ref-kind, data-ref-layer and data-ref-ident; every
// name on the map is a "ref-label" (data-ref-kind).

import { contains, intersects } from './bbox.js';
import { fill, h } from './dom.js';
import { REF_KIND_ORDER, refKind, refKindLabel } from './labels.js';
import { lineSwatch } from './map.js';
import { t } from './messages.js';

const L = window.L;
const DEBOUNCE_MS = 250;
/** The fetched box is the view grown by this share on each side, so small pans need no fetch. */
const PAD = 0.25;
const PANE = 'tuban-refs';
const LABEL_PANE = 'tuban-ref-labels';

function choiceKey(user) {
  return `tuban.refs.${user ? user.username : ''}`;
}

function readChoices(user) {
  try {
    const v = JSON.parse(localStorage.getItem(choiceKey(user)) || '{}');
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

function writeChoice(user, kind, on) {
  try {
    localStorage.setItem(choiceKey(user), JSON.stringify({ ...readChoices(user), [kind]: on }));
  } catch {
    /* storage disabled: the default again next time */
  }
}

/** Where a polygon's name goes: Leaflet's centroid of its outer ring (the box's middle for a
 * shape Leaflet cannot take the centroid of). */
function labelPoint(layer) {
  try {
    return layer.getCenter();
  } catch {
    return layer.getBounds().getCenter();
  }
}


function boxOf(bounds) {
  return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()];
}

function round(box) {
  // Outward to ~1 m so repeated views give the same URL.
  return [Math.floor(box[0] * 1e5) / 1e5, Math.floor(box[1] * 1e5) / 1e5,
    Math.ceil(box[2] * 1e5) / 1e5, Math.ceil(box[3] * 1e5) / 1e5];
}

function layerTitle(ref) {
  const kindLabel = refKindLabel(ref);
  const extra = [ref.name && ref.name !== kindLabel ? ref.name : null, ref.version].filter(Boolean);
  return extra.length ? t('refs.sep', { kindLabel, value: extra.join(' · ') }) : kindLabel;
}

/** Names of the drawn features from the kind's labelZoom on (none for kinds without one). */
function drawLabels(map, entry) {
  entry.labels.clearLayers();
  const from = entry.spec.labelZoom;
  if (!entry.on || from === undefined || map.getZoom() < from) return;
  const view = map.getBounds().pad(0.1);
  entry.group.eachLayer((layer) => {
    const p = layer.feature.properties || {};
    const text = p.label || p.ident;
    if (!text) return;
    const at = labelPoint(layer);
    if (!view.contains(at)) return;
    const el = h('span', { class: `ref-label ref-label-${entry.ref.kind}`, 'data-testid': 'ref-label', 'data-ref-kind': entry.ref.kind, 'data-value': '' }, String(text));
    L.marker(at, {
      pane: LABEL_PANE, interactive: false, keyboard: false,
      icon: L.divIcon({ className: 'ref-label-icon', html: el, iconSize: null }),
    }).addTo(entry.labels);
  });
}

/** The newest layer of each kind that is on by default, or that this user switched on. */
function initiallyOn(entries, choices) {
  const seen = new Set();
  return entries.filter((entry) => {
    const first = !seen.has(entry.ref.kind);
    seen.add(entry.ref.kind);
    return first && (choices[entry.ref.kind] ?? entry.spec.defaultOn === true);
  });
}

/** A layer's row in the control (checkbox, swatch, name, status) and its entry. */
function layerRow(ref, again) {
  const spec = refKind(ref.kind);
  // Several versions of one kind: the testid names the newest (the one hints use).
  const testid = again ? `ref-layer-${ref.kind}-${ref.id}` : `ref-layer-${ref.kind}`;
  const toggleId = again ? `ref-toggle-${ref.kind}-${ref.id}` : `ref-toggle-${ref.kind}`;
  const inputId = `ref-${ref.id}`;
  const checkbox = h('input', {
    type: 'checkbox', id: inputId, 'data-testid': toggleId, 'aria-describedby': `${inputId}-status`,
  });
  const status = h('span', { class: 'ref-status', id: `${inputId}-status`, 'aria-live': 'polite' });
  const row = h('div', {
    class: 'ref-row', 'data-testid': testid, 'data-ref-kind': ref.kind, 'data-status': 'off',
  },
  checkbox,
  h('label', { for: inputId },
    lineSwatch(spec.style),
    h('span', { class: 'ref-name' }, refKindLabel(ref)),
    h('span', { class: 'ref-meta muted' },
      [ref.name, ref.version, t('refs.all', { value: ref.feature_count ?? '?' })].filter(Boolean).join(' · '))),
  status);
  return {
    ref, spec, on: false, group: null, labels: L.layerGroup(), fetched: null, controller: null, row, checkbox, status,
  };
}

/**
 * createReferenceLayers(map, api, {onChange, getUser}) → controller.
 * onChange([{kind, label}]) is called with the switched-on layers (for the legend).
 */
export function createReferenceLayers(map, api, { onChange = () => {}, getUser = () => null } = {}) {
  const pane = map.createPane(PANE);
  pane.style.zIndex = '450'; // above the 图斑 (overlayPane 400), below tooltips and popups
  const labelPane = map.createPane(LABEL_PANE);
  labelPane.style.zIndex = '455';
  labelPane.style.pointerEvents = 'none'; // names never catch a tap meant for a 图斑
  const entries = []; // {ref, spec, on, group, fetched, controller, row, checkbox, status}
  let timer = null;
  let listEl;
  let toggleEl;

  const control = L.control({ position: 'topright' });
  control.onAdd = () => {
    listEl = h('div', { class: 'ref-list', id: 'ref-list', hidden: true });
    toggleEl = h('button', {
      type: 'button', class: 'ref-toggle', 'aria-expanded': 'false', 'aria-controls': 'ref-list',
      'data-testid': 'ref-control-toggle',
    }, t('refs.referenceLayers'));
    toggleEl.addEventListener('click', () => setExpanded(toggleEl.getAttribute('aria-expanded') !== 'true'));
    const box = h('div', {
      class: 'ref-control leaflet-bar', 'data-testid': 'ref-control', role: 'group', 'aria-label': t('refs.referenceLayers'),
    }, toggleEl, listEl);
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && toggleEl.getAttribute('aria-expanded') === 'true') {
        e.stopPropagation();
        setExpanded(false);
        toggleEl.focus();
      }
    });
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    fill(listEl, h('p', { class: 'muted ref-empty' }, t('refs.loading')));
    return box;
  };
  control.addTo(map);

  function setExpanded(open) {
    toggleEl.setAttribute('aria-expanded', String(open));
    listEl.hidden = !open;
  }

  function setStatus(entry, status, text, count) {
    entry.row.dataset.status = status;
    if (count === undefined) delete entry.row.dataset.count;
    else entry.row.dataset.count = String(count);
    entry.status.textContent = text;
    entry.status.classList.toggle('ref-status-warn', status === 'error');
  }

  function legendEntries() {
    const on = entries.filter((e) => e.on);
    // The kind label is enough, unless two layers of one kind are on at once.
    return on.map((e) => ({
      kind: e.ref.kind,
      label: on.filter((o) => o.ref.kind === e.ref.kind).length > 1
        ? layerTitle(e.ref) : refKindLabel(e.ref),
    }));
  }

  function decorate(entry) {
    entry.group.eachLayer((layer) => {
      const el = layer.getElement && layer.getElement();
      if (!el) return;
      const p = layer.feature.properties || {};
      el.setAttribute('data-ref-kind', entry.ref.kind);
      el.setAttribute('data-ref-layer', String(entry.ref.id));
      el.setAttribute('data-ref-ident', p.ident ?? '');
    });
  }

  function makeGroup(entry) {
    const kindLabel = refKindLabel(entry.ref);
    return L.geoJSON(null, {
      pane: PANE,
      style: () => ({ ...entry.spec.style, pane: PANE }),
      onEachFeature: (feature, layer) => {
        const p = feature.properties || {};
        layer.bindTooltip(() => h('div', { class: 'map-tip' },
          h('strong', {}, kindLabel),
          p.ident ? h('div', {}, t('refs.code', { ident: p.ident })) : null,
          p.label ? h('div', {}, p.label) : null), { sticky: true, direction: 'top' });
      },
    });
  }

  async function refresh(entry) {
    if (!entry.on) return;
    const zoom = map.getZoom();
    const view = boxOf(map.getBounds());
    if (zoom < entry.spec.minZoom) {
      entry.controller?.abort();
      entry.group.clearLayers();
      entry.labels.clearLayers();
      entry.fetched = null;
      setStatus(entry, 'zoom', t('refs.zoomShowLevelAbove', { minZoom: entry.spec.minZoom }));
      return;
    }
    const extent = entry.ref.bbox;
    if (Array.isArray(extent) && extent.length === 4 && !intersects(extent, view)) {
      entry.controller?.abort();
      entry.group.clearLayers();
      entry.labels.clearLayers();
      entry.fetched = null;
      setStatus(entry, 'empty', t('refs.nothingView'), 0);
      return;
    }
    if (entry.fetched && contains(entry.fetched, view)) { // already fetched
      drawLabels(map, entry);
      return;
    }
    const dx = (view[2] - view[0]) * PAD;
    const dy = (view[3] - view[1]) * PAD;
    const want = round([view[0] - dx, view[1] - dy, view[2] + dx, view[3] + dy]);
    entry.controller?.abort();
    const controller = new AbortController();
    entry.controller = controller;
    setStatus(entry, 'loading', t('refs.loading'));
    try {
      // A kind drawn at every zoom (乡镇界) is small: the whole layer, once, instead of per view.
      const whole = entry.spec.minZoom === 0;
      const collection = await api.referenceFeatures(entry.ref.id, whole ? null : want, { signal: controller.signal });
      if (controller.signal.aborted || !entry.on) return;
      entry.group.clearLayers();
      entry.group.addData(collection);
      decorate(entry);
      drawLabels(map, entry);
      entry.fetched = whole ? [-180, -90, 180, 90] : want;
      const n = (collection.features || []).length;
      setStatus(entry, n ? 'loaded' : 'empty', n ? t('refs.featureCount', { n }) : t('refs.nothingView'), n);
    } catch (err) {
      if (controller.signal.aborted) return;
      entry.fetched = null;
      setStatus(entry, 'error', t('refs.loadingFailed', { message: err.message }));
    } finally {
      if (entry.controller === controller) entry.controller = null;
    }
  }

  function refreshAll() {
    for (const entry of entries) refresh(entry);
  }

  function setOn(entry, on, { remember = false } = {}) {
    entry.on = on;
    entry.checkbox.checked = on;
    if (remember) writeChoice(getUser(), entry.ref.kind, on);
    if (on) {
      entry.group.addTo(map);
      entry.labels.addTo(map);
      refresh(entry);
    } else {
      entry.controller?.abort();
      entry.group.clearLayers();
      entry.group.remove();
      entry.labels.clearLayers();
      entry.labels.remove();
      entry.fetched = null;
      setStatus(entry, 'off', '');
    }
    onChange(legendEntries());
  }

  map.on('moveend', () => {
    clearTimeout(timer);
    timer = setTimeout(refreshAll, DEBOUNCE_MS);
  });

  async function load() {
    let refs;
    try {
      refs = (await api.references()).data || [];
    } catch (err) {
      fill(listEl, h('p', { class: 'ref-empty ref-status-warn', role: 'alert' }, t('refs.couldNotLoadReference', { message: err.message })));
      return;
    }
    const order = (k) => {
      const i = REF_KIND_ORDER.indexOf(k);
      return i < 0 ? REF_KIND_ORDER.length : i;
    };
    refs.sort((a, b) => order(a.kind) - order(b.kind) ||
      String(b.imported_at || '').localeCompare(String(a.imported_at || '')));
    if (!refs.length) {
      fill(listEl, h('p', { class: 'muted ref-empty' }, t('refs.noReferenceLayers')));
      return;
    }
    const seen = new Set();
    const rows = refs.map((ref) => {
      const entry = layerRow(ref, seen.has(ref.kind));
      seen.add(ref.kind);
      entry.group = makeGroup(entry);
      entry.checkbox.addEventListener('change', () => setOn(entry, entry.checkbox.checked, { remember: true }));
      entries.push(entry);
      return entry.row;
    });
    fill(listEl, h('p', { class: 'ref-note muted' }, t('refs.boundariesShownOthersOnDemand')), rows);
    for (const entry of initiallyOn(entries, readChoices(getUser()))) setOn(entry, true);
  }

  const loaded = load();

  return {
    loaded,
    entries,
    /** Switch a layer on or off by kind (the newest layer of that kind) or by id. */
    set(kindOrId, on) {
      const entry = entries.find((e) => String(e.ref.id) === String(kindOrId)) ||
        entries.find((e) => e.ref.kind === kindOrId);
      if (entry) setOn(entry, on);
      return Boolean(entry);
    },
    expand: () => setExpanded(true),
  };
}
