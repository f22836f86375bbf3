// 动态巡查 layer: the county's illegal sites (GET /api/patrol/sites, fetched for the view like
// the reference layers) drawn over whatever batch is loaded, by status: active red, watched blue,
// watch overdue orange; and the findings still waiting on this phone (the outbox), dashed, so a
// finding shows on the map the moment it is recorded. A click opens the site's case in the
// panel. On by default; the user's choice is kept per account (`tuban.patrol.<username>`).
// Test hooks: data-testid="patrol-layer" (data-status off|loading|loaded|error|offline,
// data-count), "patrol-layer-toggle" (the checkbox); paths "patrol-site" (data-site-case: the
// case id, kept apart from the batch's own path[data-case-id]; data-status, data-programme) and "patrol-pending" (data-client-ref); legend rows
// data-patrol-status.

import { h } from './dom.js';
import { programmeLabel, stateLabel, violationLabel } from './meta.js';
import { t } from './messages.js';
import { PATROL } from './patrol-model.js';

const L = window.L;
const PANE = 'tuban-patrol';
const DEBOUNCE_MS = 300;
const PAD = 0.25;

/** Colours by a site's status (presentation): active red, watched blue, watch overdue orange. */
export const SITE_STYLES = {
  active: { color: '#d7191c', label: 'patrol.statusActive' },
  watched: { color: '#2166ac', label: 'patrol.statusWatched' },
  watch_overdue: { color: '#e66101', label: 'patrol.statusWatchOverdue' },
};
const PENDING = { color: '#8f4700', label: 'patrol.statusPending' };

function choiceKey(user) {
  return `tuban.patrol.${user ? user.username : ''}`;
}

function readChoice(user) {
  try {
    return localStorage.getItem(choiceKey(user)) !== 'off';
  } catch {
    return true;
  }
}

function writeChoice(user, on) {
  try {
    localStorage.setItem(choiceKey(user), on ? 'on' : 'off');
  } catch {
    /* storage disabled: on again next time */
  }
}

function styleOf(status, { pending = false } = {}) {
  const { color } = pending ? PENDING : (SITE_STYLES[status] || SITE_STYLES.active);
  return {
    pane: PANE, color, weight: 3, opacity: 1, fillColor: color, fillOpacity: pending ? 0.15 : 0.3,
    dashArray: pending ? '5 4' : null, radius: 9,
  };
}

/** A site's tooltip: code, what and where, its status (nodes: codes come from province files). */
function tip(p) {
  const status = SITE_STYLES[p.status] ? t(SITE_STYLES[p.status].label) : '';
  return h('div', { class: 'map-tip' },
    h('strong', { 'data-value': '' }, p.code ?? p.case_id),
    h('div', {}, [p.violation ? violationLabel(p.violation) : programmeLabel(p.programme), stateLabel(p.state)].filter(Boolean).join(' · ')),
    h('div', { class: `tip-patrol tip-${p.status}` }, status),
    p.township_name ? h('div', { 'data-value': '' }, p.township_name) : null);
}

function boxOf(map) {
  const b = map.getBounds().pad(PAD);
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => Math.round(v * 1e5) / 1e5);
}

/**
 * createPatrolLayer(map, api, {onOpen(caseId, batchId), onLegend(rows, title), getUser, captures})
 * → {begin(), refresh(), setPending(items), set(on), on, reset()}: nothing is fetched before
 * begin(); while captures() a click on a site goes on to the map (a place being picked there).
 */
export function createPatrolLayer(map, api, { onOpen, onLegend = () => {}, getUser = () => null, captures = () => false }) {
  // Under the loaded batch's 图斑 (400), over the other batches (390): a site that is a 图斑 on
  // the map is that 图斑's to click; the others show (and click) through.
  map.createPane(PANE).style.zIndex = '395';
  let on = readChoice(getUser());
  let sites = null; // the last FeatureCollection drawn
  let pending = []; // the outbox's findings
  let controller = null;
  let timer = null;
  let begun = false;
  const group = L.layerGroup().addTo(map);
  const pendingGroup = L.layerGroup().addTo(map);

  const checkbox = h('input', { type: 'checkbox', id: 'patrol-layer-toggle', 'data-testid': 'patrol-layer-toggle', checked: on });
  const note = h('span', { class: 'muted ref-status' });
  const box = h('div', { class: 'leaflet-bar patrol-control', 'data-testid': 'patrol-layer', 'data-status': 'off' },
    h('label', { for: 'patrol-layer-toggle', class: 'patrol-toggle' }, checkbox, h('span', {}, programmeLabel(PATROL))), note);
  const control = L.control({ position: 'topright' });
  control.onAdd = () => {
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  control.addTo(map);

  function status(value, count = null) {
    box.dataset.status = value;
    box.dataset.count = count === null ? '' : String(count);
    note.textContent = {
      loading: t('patrol.layerLoading'), error: t('patrol.layerError'), offline: t('patrol.layerOffline'),
    }[value] || '';
  }

  function legend() {
    if (!on) {
      onLegend([], '');
      return;
    }
    const counts = {};
    for (const f of sites?.features || []) counts[f.properties.status] = (counts[f.properties.status] || 0) + 1;
    const rows = Object.entries(SITE_STYLES).map(([s, v]) => ({ status: s, color: v.color, label: t(v.label), count: counts[s] || 0 }));
    if (pending.length) rows.push({ status: 'pending', color: PENDING.color, label: t(PENDING.label), count: pending.length, dashed: true });
    onLegend(rows, programmeLabel(PATROL));
  }

  function mark(layer, attrs) {
    const el = layer.getElement && layer.getElement();
    if (!el) return;
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  }

  function draw() {
    group.clearLayers();
    if (!on || !sites) return;
    L.geoJSON(sites, {
      pane: PANE,
      style: (f) => styleOf(f.properties.status),
      pointToLayer: (f, latlng) => L.circleMarker(latlng, styleOf(f.properties.status)),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindTooltip(() => tip(p), { sticky: true, direction: 'top' });
        layer.on('click', (e) => {
          if (captures()) return;
          L.DomEvent.stopPropagation(e);
          onOpen(p.case_id, p.batch_id ?? null);
        });
        layer.on('add', () => {
          mark(layer, {
            'data-testid': 'patrol-site', 'data-site-case': p.case_id, 'data-status': p.status || '',
            'data-programme': p.programme || '', role: 'button', tabindex: '0',
            'aria-label': t('patrol.siteLabel', { code: p.code ?? p.case_id, status: SITE_STYLES[p.status] ? t(SITE_STYLES[p.status].label) : '' }),
            'data-value-label': '', // the label names the code (data)
          });
          layer.getElement()?.addEventListener('keydown', (e) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              onOpen(p.case_id, p.batch_id ?? null);
            }
          });
        });
      },
    }).addTo(group);
  }

  function drawPending() {
    pendingGroup.clearLayers();
    if (!on) return;
    for (const item of pending) {
      const g = item.body?.geometry;
      if (!g) continue;
      const layer = L.geoJSON(g, {
        pane: PANE, interactive: true, style: () => styleOf(null, { pending: true }),
        pointToLayer: (f, latlng) => L.circleMarker(latlng, styleOf(null, { pending: true })),
      });
      layer.eachLayer((l) => {
        l.bindTooltip(() => h('div', { class: 'map-tip' },
          h('strong', {}, t('patrol.statusPending')),
          h('div', {}, violationLabel(item.body.violation))), { sticky: true });
        l.on('add', () => mark(l, { 'data-testid': 'patrol-pending', 'data-client-ref': item.body.client_ref || '' }));
      });
      layer.addTo(pendingGroup);
    }
  }

  async function refresh() {
    if (!begun) return;
    if (!on) {
      status('off');
      return;
    }
    const size = map.getSize();
    if (!size.x || !size.y) return; // another tab shows: fetched when the map is back
    if (controller) controller.abort();
    controller = new AbortController();
    status('loading');
    try {
      sites = await api.patrolSites(boxOf(map), { signal: controller.signal });
      draw();
      status('loaded', (sites.features || []).length);
    } catch (err) {
      if (err.name === 'AbortError') return;
      // Offline the last sites drawn stay, with what waits on this phone.
      status(err.code === 'NETWORK_ERROR' ? 'offline' : 'error');
    }
    legend();
  }

  function set(next) {
    on = Boolean(next);
    checkbox.checked = on;
    writeChoice(getUser(), on);
    if (!on) {
      group.clearLayers();
      status('off');
    }
    drawPending();
    legend();
    if (on) refresh();
  }

  checkbox.addEventListener('change', () => set(checkbox.checked));
  map.on('moveend', () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  });

  return {
    begin() {
      begun = true;
      return refresh();
    },
    refresh,
    set,
    get on() { return on; },
    /** The outbox's items: its findings are drawn as waiting. */
    setPending(items) {
      pending = (items || []).filter((x) => x.kind === 'finding');
      drawPending();
      legend();
    },
    /** Signed in as someone else: their own choice, nothing of the last user's drawn. */
    reset() {
      sites = null;
      group.clearLayers();
      set(readChoice(getUser()));
    },
  };
}
