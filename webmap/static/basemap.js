// 底图: the server's offline basemap file when it has one (TUBAN_BASEMAP_FILE: MBTiles or
// PMTiles served by Tuban at api/basemap/{z}/{x}/{y}, raster or vector, no network needed),
// else none (the map works on a plain background). The server may also set an online one for
// everybody (TUBAN_BASEMAP_URL, GET /api/config); each user may choose their own in the
// 地图设置 dialog, kept in this browser (localStorage `tuban.basemap.<username>`), e.g. 天地图
// with their own key, or local tiles served at api/tiles/{z}/{x}/{y}.png.
// Test hooks: data-testid="settings-open", "settings-dialog",
// "basemap-choice-<offline|none|server|custom>", "basemap-url", "basemap-key",
// "basemap-subdomains", "basemap-tianditu", "settings-save", "settings-cancel";
// #map[data-basemap="offline|none|server|custom"].

import { fill, h } from './dom.js';
import { t } from './messages.js';
import { loadTileRenderer } from './tile-layer.js';

const L = window.L;

/** 天地图 影像 in Web Mercator (WMTS KVP); {s} over t0…t7, {key} = the user's 天地图 key. */
export const TIANDITU_IMG = 'https://t{s}.tianditu.gov.cn/img_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0'
  + '&LAYER=img&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}';

function storageKey(user) {
  return `tuban.basemap.${user ? user.username : ''}`;
}

function readChoice(user) {
  try {
    return JSON.parse(localStorage.getItem(storageKey(user)) || 'null');
  } catch {
    return null;
  }
}

function writeChoice(user, choice) {
  try {
    localStorage.setItem(storageKey(user), JSON.stringify(choice));
  } catch {
    /* storage disabled: the choice lasts as long as the page */
  }
}

/** Text for Leaflet's attribution control, which writes HTML: markup characters escaped. */
function plainText(text) {
  return String(text || '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The offline file's layer: raster tiles as images, vector tiles drawn by protomaps-leaflet. */
function offlineLayer(c) {
  // Resolved up to the first placeholder only: URL() would percent-encode the braces.
  const cut = String(c.url).indexOf('{');
  const url = new URL(c.url.slice(0, cut), document.baseURI).href + c.url.slice(cut);
  const bounds = Array.isArray(c.bounds) ? [[c.bounds[1], c.bounds[0]], [c.bounds[3], c.bounds[2]]] : undefined;
  if (c.format === 'pbf') {
    // The Protomaps basemap schema (earth, water, roads, places…) in its light flavour.
    return window.protomapsL.leafletLayer({
      url, flavor: 'light', lang: 'zh', maxDataZoom: c.max_zoom, attribution: plainText(c.attribution),
    });
  }
  return L.tileLayer(url, {
    maxZoom: 20,
    maxNativeZoom: c.max_zoom,
    // Two levels below the file's lowest zoom still draw (its tiles shrunk); further out, none.
    minZoom: Math.max(0, c.min_zoom - 2),
    minNativeZoom: c.min_zoom,
    bounds,
    attribution: plainText(c.attribution),
  });
}

/** A template with the key filled in; {key} and {tk} both name it. */
function expand(url, key) {
  return String(url).replaceAll('{key}', key || '').replaceAll('{tk}', key || '');
}

/**
 * createBasemap(map, mapEl, {getUser, dialog, openButton}) → {load(cfg), apply(), open()}
 */
export function createBasemap(map, mapEl, { getUser, dialog, openButton }) {
  let server = null; // GET /api/config basemap, or null
  let offline = null; // GET /api/config offline_basemap, or null
  let layer = null;
  let applied = 0; // the latest apply(): a renderer loading late must not undo a newer choice

  function current() {
    const saved = readChoice(getUser());
    if (saved && saved.mode === 'custom' && saved.url) return saved;
    if (saved && saved.mode === 'none') return saved;
    if (saved && saved.mode === 'server' && server) return { mode: 'server', ...server };
    // No choice of the user's: the file the server holds works with no network, so it wins.
    if (offline) return { mode: 'offline', ...offline };
    return server ? { mode: 'server', ...server } : { mode: 'none' };
  }

  function apply() {
    const mine = ++applied;
    if (layer) layer.remove();
    layer = null;
    delete mapEl.dataset.basemapError;
    const c = current();
    mapEl.dataset.basemap = c.mode;
    if (c.mode === 'none') return;
    if (c.mode === 'offline') {
      if (c.format === 'pbf' && !window.protomapsL) {
        // protomaps-leaflet loads on first use (tile-layer.js): draw once it is there.
        loadTileRenderer().then(() => mine === applied && apply(), () => { mapEl.dataset.basemapError = 'true'; });
        return;
      }
      layer = offlineLayer(c);
      layer.on('tileerror', () => { mapEl.dataset.basemapError = 'true'; });
      layer.addTo(map);
      layer.bringToBack();
      return;
    }
    const subdomains = c.subdomains || 'abc';
    layer = L.tileLayer(expand(c.url, c.key), {
      subdomains: subdomains.includes(',') ? subdomains.split(',') : subdomains,
      maxZoom: 20,
      maxNativeZoom: c.max_zoom || 18,
      attribution: c.attribution || '',
      crossOrigin: false,
    });
    layer.on('tileerror', () => { mapEl.dataset.basemapError = 'true'; });
    layer.addTo(map);
    layer.bringToBack();
  }

  /** cfg: GET /api/config (without it, no server basemap: the map still works). */
  function load(cfg) {
    server = cfg && cfg.basemap ? cfg.basemap : null;
    offline = cfg && cfg.offline_basemap ? cfg.offline_basemap : null;
    openButton.hidden = false;
    apply();
  }

  function radio(value, label, checked) {
    const id = `basemap-choice-${value}`;
    return h('div', { class: 'check' },
      h('input', { type: 'radio', name: 'basemap-mode', id, value, checked, 'data-testid': id }),
      h('label', { for: id }, label));
  }

  function open() {
    const c = current();
    const saved = readChoice(getUser()) || {};
    const url = h('input', {
      id: 'basemap-url', type: 'text', 'data-testid': 'basemap-url', value: saved.url || '',
      'aria-describedby': 'basemap-url-hint', spellcheck: 'false', autocomplete: 'off',
    });
    const key = h('input', { id: 'basemap-key', type: 'text', 'data-testid': 'basemap-key', value: saved.key || '', autocomplete: 'off' });
    const subs = h('input', { id: 'basemap-subdomains', type: 'text', 'data-testid': 'basemap-subdomains', value: saved.subdomains || '' });
    const attribution = h('input', { id: 'basemap-attribution', type: 'text', value: saved.attribution || '' });
    const tianditu = h('button', { type: 'button', 'data-testid': 'basemap-tianditu' }, t('basemap.useTiandituImageryTemplate'));
    tianditu.addEventListener('click', () => {
      url.value = TIANDITU_IMG;
      subs.value = '01234567';
      attribution.value = t('basemap.tianditu');
      form.elements['basemap-mode'].value = 'custom';
      key.focus();
    });
    const cancel = h('button', { type: 'button', 'data-testid': 'settings-cancel' }, t('basemap.cancel'));
    cancel.addEventListener('click', () => dialog.close());
    const form = h('form', { method: 'dialog', class: 'action-form' },
      h('h2', { id: 'settings-title' }, t('basemap.mapSettings')),
      h('fieldset', {},
        h('legend', {}, t('basemap.basemap')),
        offline ? radio('offline', t('basemap.offline', { name: offline.name ? t('basemap.offlineName', { name: offline.name }) : '' }), c.mode === 'offline') : null,
        radio('none', t('basemap.noBasemapWorksOffline'), c.mode === 'none'),
        server ? radio('server', t('basemap.serverDefaultBasemap', { value: server.attribution ? t('basemap.sep', { attribution: server.attribution }) : '' }), c.mode === 'server') : null,
        radio('custom', t('basemap.customTileUrl'), c.mode === 'custom'),
        h('div', { class: 'field' }, h('label', { for: 'basemap-url' }, t('basemap.tileUrlTemplate')), url,
          h('small', { id: 'basemap-url-hint', class: 'hint' },
            t('basemap.xyzWmtsUrlWith'))),
        h('div', { class: 'extent-tools' }, tianditu),
        h('div', { class: 'field' }, h('label', { for: 'basemap-key' }, t('basemap.keyEGTianditu')), key),
        h('div', { class: 'field' }, h('label', { for: 'basemap-subdomains' }, t('basemap.subdomains')), subs),
        h('div', { class: 'field' }, h('label', { for: 'basemap-attribution' }, t('basemap.attribution')), attribution)),
      h('p', { class: 'muted' }, t('basemap.keptThisBrowserSigned')),
      h('div', { class: 'form-actions' },
        h('button', { type: 'submit', class: 'primary', 'data-testid': 'settings-save' }, t('basemap.save')), cancel));
    form.addEventListener('submit', (e) => {
      const mode = form.elements['basemap-mode'].value || 'none';
      if (mode === 'custom' && !url.value.trim()) {
        e.preventDefault();
        url.setCustomValidity(t('basemap.fillTileUrlTemplate'));
        url.reportValidity();
        return;
      }
      // The offline file is the default: choosing it forgets any other choice.
      writeChoice(getUser(), mode === 'offline' ? null : mode === 'server' ? { mode } : {
        mode, url: url.value.trim(), key: key.value.trim(), subdomains: subs.value.trim(),
        attribution: attribution.value.trim(),
      });
      apply();
    });
    url.addEventListener('input', () => url.setCustomValidity(''));
    fill(dialog, form);
    dialog.showModal();
    (form.querySelector('input[name="basemap-mode"]:checked') || url).focus();
  }

  openButton.addEventListener('click', open);
  return { load, apply, open };
}
