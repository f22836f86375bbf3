// 离线任务包: the signed-in user's open 图斑 (GET /api/offline/pack: geometry, detail, hints,
// 下发记录, photos so far, nearby reference features) kept on the phone (IndexedDB `packs`,
// one per account), downloaded after signing in and with 下载离线任务包, so any assigned 图斑
// opens with no connection, by its URL too. The download also keeps the 图斑's before/after
// image chips (Cache Storage `tuban-chips`, answered by the service worker only offline) and
// the drawing tool (so 实测违法范围 can be drawn offline).
// Test hooks: data-testid="offline-pack" (data-status = none|loading|ready|error, data-count,
// data-bytes), "offline-pack-download", "offline-pack-progress", "offline-pack-status";
// window.tubanMap.offlinePack.download() / .current().

import { send } from './api.js';
import { geometryBox, intersects } from './bbox.js';
import { h } from './dom.js';
import { preloadDrawing } from './extent.js';
import { fmt2, formatDateTime } from './labels.js';
import { deviceStore } from './offline-db.js';
import { t } from './messages.js';

const CHIPS = 'tuban-chips';

function sizeText(bytes) {
  if (!bytes) return '0 KB';
  return bytes >= 1048576 ? `${fmt2(bytes / 1048576)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** Read a response body, telling onProgress(received, total) as it arrives. */
async function readWithProgress(response, onProgress) {
  const total = Number(response.headers.get('X-Pack-Bytes')) || 0;
  if (!response.body || !response.body.getReader) return response.text();
  const reader = response.body.getReader();
  const parts = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.length;
    onProgress(received, total);
  }
  return new TextDecoder().decode(await new Blob(parts).arrayBuffer());
}

const inBox = (bbox, box) => !box || intersects(bbox, box);

/** A pack case as a feature of GET /api/batches/{id}/features (what the map draws). */
function featureOf(c) {
  const hints = c.hints || {};
  return {
    type: 'Feature',
    id: c.id,
    geometry: c.geometry,
    properties: {
      case_id: c.id, batch_id: c.batch_id, programme: c.programme, code: c.code, xzqdm: c.xzqdm,
      state: c.state, state_label: c.state_label, judgment: c.judgment, judgment_label: c.judgment_label,
      area_m2: c.area_m2, area_mu: c.area_mu, version: c.version,
      township_name: hints.township_name ?? null, village_name: hints.village_name ?? null,
      permit_relation: hints.permit_relation ?? null, approval_share: hints.approval_share ?? null,
      farmland_m2: hints.farmland_m2 ?? null, outside_share: hints.outside_share ?? null,
      reissue_of_batch: hints.reissue_of_batch ?? null,
    },
  };
}

/**
 * createOfflinePack({getUser, root, store}) → {current(), download(), render(), forget(),
 *   getCase(id), batches(), features(batchId, bbox), tasks(), extent(id), referenceFeatures(id, bbox),
 *   remember(case)}
 * root: where the 离线任务包 box goes (the 我的任务 view); null for none.
 */
export function createOfflinePack({ getUser, root = null, store = deviceStore() }) {
  let pack = null;
  let packUser = null;
  let loading = null;
  const status = h('span', { 'data-testid': 'offline-pack-status', role: 'status' });
  const progress = h('progress', { max: 100, value: 0, 'data-testid': 'offline-pack-progress', hidden: true });
  const button = h('button', { type: 'button', 'data-testid': 'offline-pack-download' }, t('offline-pack.download'));
  const box = h('section', { class: 'offline-pack', 'data-testid': 'offline-pack', 'data-status': 'none', 'aria-labelledby': 'offline-pack-title' },
    h('h3', { id: 'offline-pack-title' }, t('offline-pack.title')),
    h('p', { class: 'muted' }, t('offline-pack.explain')),
    h('div', { class: 'offline-pack-row' }, button, progress, status));
  if (root) root.replaceChildren(box);
  button.addEventListener('click', () => download().catch(() => {}));

  async function current() {
    const user = getUser();
    if (!user) return null;
    if (packUser !== user.username) {
      pack = (await store.getPack(user.username).catch(() => null)) || null;
      packUser = user.username;
    }
    return pack;
  }

  function render() {
    box.dataset.count = pack ? String(pack.cases.length) : '0';
    box.dataset.bytes = pack ? String(pack.bytes) : '0';
    if (loading) return;
    box.dataset.status = pack ? 'ready' : 'none';
    progress.hidden = true;
    status.textContent = pack
      ? t('offline-pack.saved', { n: pack.cases.length, size: sizeText(pack.bytes), at: formatDateTime(pack.saved_at), more: pack.truncated ? t('offline-pack.more', { n: pack.count - pack.cases.length }) : '' })
      : t('offline-pack.none');
  }

  /** Keep the image chips and the drawing tool for offline use; failures only lose the extras. */
  async function extras(p) {
    try {
      await preloadDrawing();
    } catch {
      /* drawing then needs the network */
    }
    if (typeof caches === 'undefined') return;
    const cache = await caches.open(CHIPS);
    for (const url of p.cases.flatMap((c) => Object.values(c.chips || {}))) {
      try {
        if (await cache.match(url)) continue;
        const res = await send('GET', url);
        await cache.put(new URL(url, document.baseURI).href, res);
      } catch {
        /* one missing chip is shown as missing offline */
      }
    }
  }

  async function downloadOnce() {
    const user = getUser();
    if (!user) return null;
    box.dataset.status = 'loading';
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    status.textContent = t('offline-pack.downloading');
    try {
      const response = await send('GET', 'api/offline/pack');
      let bytes = 0;
      const text = await readWithProgress(response, (got, total) => {
        bytes = got;
        if (total) progress.value = Math.min(100, Math.round((got / total) * 100));
        status.textContent = t('offline-pack.progress', { got: sizeText(got), total: total ? t('offline-pack.of', { total: sizeText(total) }) : '' });
      });
      const data = JSON.parse(text);
      if (!getUser() || getUser().username !== user.username || data.user !== user.username) return null;
      const saved = { ...data, user: user.username, bytes: bytes || Number(response.headers.get('X-Pack-Bytes')) || text.length, saved_at: new Date().toISOString() };
      await store.putPack(saved);
      pack = saved;
      packUser = user.username;
      await extras(saved);
      loading = null;
      render();
      return saved;
    } catch (err) {
      box.dataset.status = 'error';
      status.textContent = t('offline-pack.failed', { message: err.message });
      throw err;
    } finally {
      loading = null;
      button.disabled = false;
      progress.hidden = box.dataset.status !== 'loading';
    }
  }

  function download() {
    if (!loading) loading = downloadOnce();
    return loading;
  }

  const find = async (id) => ((await current())?.cases || []).find((c) => String(c.id) === String(id)) || null;

  return {
    current,
    download,
    render: () => current().then(render),
    /** Signing out: the next account must not see this one's pack in memory. */
    forget() {
      pack = null;
      packUser = null;
      render();
    },
    /** A fresher copy of a case seen online replaces the pack's (same account only). */
    async remember(c) {
      const p = await current();
      if (!p) return;
      const i = p.cases.findIndex((x) => String(x.id) === String(c.id));
      if (i < 0) return;
      p.cases[i] = { ...p.cases[i], ...c, geometry: p.cases[i].geometry, bbox: p.cases[i].bbox, chips: p.cases[i].chips };
      await store.putPack(p).catch(() => {});
    },
    getCase: find,
    async batches() {
      const p = await current();
      return p ? p.batches : null;
    },
    async features(batchId, bbox) {
      const p = await current();
      if (!p) return null;
      const mine = p.cases.filter((c) => String(c.batch_id) === String(batchId) && inBox(c.bbox, bbox));
      return { type: 'FeatureCollection', features: mine.map(featureOf), total: mine.length, numberMatched: mine.length, truncated: false, offline: true };
    },
    async tasks() {
      const p = await current();
      return p ? p.tasks : null;
    },
    async extent(id) {
      const c = await find(id);
      return c ? { case_id: c.id, batch_id: c.batch_id, bbox: c.bbox, geometry: c.geometry } : null;
    },
    async references() {
      const p = await current();
      return p ? p.references : null;
    },
    async referenceFeatures(layerId, bbox) {
      const p = await current();
      const layer = p && p.references.find((r) => String(r.id) === String(layerId));
      if (!layer) return null;
      const near = layer.features.filter((f) => !bbox || inBox(geometryBox(f.geometry), bbox));
      return { type: 'FeatureCollection', features: near, numberMatched: near.length, next: null };
    },
  };
}

