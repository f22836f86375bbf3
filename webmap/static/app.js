// 图斑 web map entry point: loads the workflow's vocabulary, builds the views (map, panel,
// search, tasks, indicators, 管理) and wires them through one context object; each concern
// lives in its own module (app-state, app-view, app-cases, app-actions, app-tabs, app-session).
// Test hooks: window.tubanMap (see bottom) and data-testid attributes in index.html.

import { createAdminView } from './admin.js';
import { api } from './api.js';
import { session } from './auth.js';
import { announce, h } from './dom.js';
import { createIndicatorsView } from './indicators.js';
import { STATE_COLOURS, colourFor } from './labels.js';
import { actionLabel, loadMeta, stateLabel } from './meta.js';
import { createBasemap } from './basemap.js';
import { createWhere } from './case-where.js';
import { createExtentEditor } from './extent.js';
import { imagerySection } from './imagery.js';
import { withOfflinePack } from './offline-api.js';
import { createOfflinePack } from './offline-pack.js';
import { createOutbox } from './outbox.js';
import { registerServiceWorker } from './sw-register.js';
import { createFinder } from './finder.js';
import { wireHeaderMenu } from './header-menu.js';
import { initLanguage, startLanguage } from './i18n.js';
import { createImportForm } from './importer.js';
import { createLocator } from './locate.js';
import { boundsOf, createMapView } from './map.js';
import { createPanel } from './panel.js';
import { createTasksView } from './tasks.js';
import { createPatrolApp } from './patrol-app.js';
import { createCaseWork } from './app-actions.js';
import { createCaseSelection } from './app-cases.js';
import { createSession } from './app-session.js';
import { batchName, findBatch, isOverdue, state } from './app-state.js';
import { createTabs } from './app-tabs.js';
import { wireBatchExport } from './batch-export.js';
import { createViewLoader } from './app-view.js';
import { t } from './messages.js';

// The workflow's vocabulary before anything is drawn: every label and rule the page shows comes
// from it (offline: the copy kept from the last visit).
const vocabulary = await loadMeta();
// The language before any view is drawn: every view writes its words once, from the catalogs.
await startLanguage();

const $ = (id) => document.getElementById(id);
const els = {
  login: $('login-view'),
  main: $('app-main'),
  headerControls: $('header-controls'),
  userBox: $('user-box'),
  userName: document.querySelector('[data-testid="user-name"]'),
  userRoles: document.querySelector('[data-testid="user-roles"]'),
  logout: $('logout'),
  tasksBadge: document.querySelector('[data-testid="tasks-badge"]'),
  adminTab: $('tab-admin'),
  batchSelect: $('batch-select'),
  reportLink: $('report-link'),
  exportBox: $('export-box'),
  caseSelect: $('case-select'),
  globalAlert: $('global-alert'),
  map: $('map'),
  mapMessage: $('map-message'),
  panel: $('panel'),
  indicators: $('indicators'),
  netBox: $('net-box'),
  tabs: [...document.querySelectorAll('[role="tab"]')],
};

const currentUser = () => session.user;
// The user's open 图斑 kept on the phone; reads that find no network are answered from it.
const offlinePack = createOfflinePack({ getUser: currentUser, root: $('offline-pack-box') });
const reads = withOfflinePack(api, offlinePack);
/** Every view and every wiring function, filled in below; modules call each other through it. */
const ctx = { api: reads, els, refs: null, overlays: null, offlinePack };
ctx.getUser = currentUser;
const toMap = (id, batchId) => {
  ctx.tabs.select(ctx.tabs.byView('map'));
  ctx.showCase(id, batchId ?? null, { focus: true });
};

ctx.mapView = createMapView(els.map, { onSelect: (id) => ctx.onSelect(id), batchName, isOverdue });
ctx.basemap = createBasemap(ctx.mapView.map, els.map, {
  getUser: currentUser, dialog: $('settings-dialog'), openButton: $('settings-open'),
});
ctx.locator = createLocator(ctx.mapView.map, els.map);
initLanguage($('lang-switch'));
wireHeaderMenu(document.querySelector('.app-header'), $('menu-toggle'));
ctx.finder = createFinder($('finder'), {
  api: reads,
  onOpen: (hit) => {
    ctx.tabs.select(ctx.tabs.byView('map'));
    ctx.showCase(hit.case_id, hit.batch_id, { focus: true, bbox: hit.bbox });
  },
  onFilter: (f) => {
    ctx.fillBatchSelect();
    if (f.programme && state.currentBatch && state.currentBatch.programme !== f.programme) {
      const first = state.batches.find((b) => b.programme === f.programme);
      if (first) {
        ctx.loadBatch(first.id);
        return;
      }
    }
    ctx.refreshView({ force: true });
  },
});
ctx.extent = createExtentEditor(ctx.mapView.map);
ctx.indicators = createIndicatorsView(els.indicators, api, { getUser: currentUser, onOpenCase: (id) => toMap(id, null) });
ctx.panel = createPanel(els.panel, {
  onAction: (c, input) => ctx.runAction(c, input),
  onUpload: (c, files) => ctx.uploadPhotos(c, files),
  onPayment: (c, e, payload) => ctx.recordPayment(c, e, payload),
  onClose: () => ctx.closePanel(),
  onOpenCase: (id, batchId) => ctx.showCase(id, batchId, { focus: true }),
  batchName,
  currentBatchId: () => (state.currentBatch ? state.currentBatch.id : null),
  getUser: currentUser,
  mergeCandidates: (c) => ctx.mergeCandidates(c),
  loadThumb: (img, path) => ctx.loadThumb(img, path),
  photoHref: (path) => api.photoUrl(path),
  extentTool: (c) => ctx.extent.tool(c, () => ctx.mapView.layers.get(String(c.id))),
  imagery: (c) => imagerySection(c, {
    batch: findBatch(c.batch_id) || state.currentBatch,
    tiles: state.config.imagery_tiles || {},
    chipUrl: (path) => api.photoUrl(`api/chips/${path.split('/').map(encodeURIComponent).join('/')}`),
    sheetUrl: api.caseSheetUrl(c.id),
    bounds: () => {
      const layer = ctx.mapView.layers.get(String(c.id));
      return layer ? boundsOf(layer) : null;
    },
  }),
  where: createWhere(ctx.locator),
  patrol: (c) => ctx.patrol.section(c, {
    api: reads, user: currentUser(), onOpenCase: (id, batchId) => ctx.showCase(id, batchId, { focus: true }),
  }),
});
ctx.outbox = createOutbox({
  api,
  getUser: currentUser,
  box: els.netBox,
  state: $('net-state'),
  sendButton: $('outbox-send'),
  alertBox: $('outbox-alert'),
  onOpenCase: (id, batchId) => ctx.showCase(id, batchId ?? null, { focus: true }),
  onChange: (items) => ctx.patrol && ctx.patrol.pending(items),
  onSent: async (item, updated) => {
    if (item.kind === 'finding') {
      ctx.patrol.sent(item, updated);
      return;
    }
    if (item.kind === 'photo') {
      // A photo answer is the photo: show the case again with it, if it is the one open.
      if (ctx.panel.current && String(ctx.panel.current.id) === String(item.case_id)) {
        await ctx.reloadCase(item.case_id).catch(() => null);
      }
      ctx.panel.status(t('app.photoSent', { name: item.name, code: item.code || item.case_id }));
      return;
    }
    ctx.mapView.updateCase(updated);
    ctx.updateCaseOption(updated);
    if (ctx.panel.current && String(ctx.panel.current.id) === String(updated.id)) {
      ctx.panel.show(updated);
      ctx.extent.showSaved(updated);
    }
    ctx.panel.status(t('app.backOnlineFilledOffline', { action: actionLabel(item.action), value: item.code || item.case_id, state: stateLabel(updated.state, updated.state_label) }));
    ctx.afterChange();
  },
});
ctx.tasks = createTasksView($('tasks'), reads, {
  getUser: currentUser,
  onOpen: toMap,
  locator: ctx.locator,
  onCount: (n, late) => {
    els.tasksBadge.replaceChildren(h('span', { class: 'visually-hidden' }, t('app.openTasks')), String(n));
    els.tasksBadge.hidden = !n;
    els.tasksBadge.classList.toggle('late', late > 0);
  },
});
ctx.admin = createAdminView($('admin'), api, { getUser: currentUser });
createImportForm($('importer'), api, {
  onImported: () => ctx.refreshBatches(),
});
/** The batch list again (an import, or the year's first patrol finding made its batch). */
ctx.refreshBatches = async () => {
  try {
    state.batches = (await api.batches()).data || state.batches;
    ctx.fillBatchSelect();
    els.batchSelect.disabled = !state.batches.length;
    if (ctx.overlays) ctx.overlays.setBatches(state.batches, state.currentBatch ? state.currentBatch.id : null);
  } catch (err) {
    if (err.status !== 401 && err.code !== 'NETWORK_ERROR') announce(els.globalAlert, t('app.couldNotRefreshBatches', { message: err.message }));
  }
};
ctx.patrol = createPatrolApp(ctx, {
  findButton: $('patrol-find-open'),
  reportButton: $('patrol-report-open'),
  fab: $('patrol-fab'),
  statusBox: $('patrol-status'),
  sheetRoot: $('patrol-sheet'),
  deadlinesRoot: $('patrol-deadlines-box'),
});
ctx.afterChange = () => {
  ctx.indicators.refresh();
  ctx.tasks.refresh();
  ctx.patrol.refreshLayer();
};
Object.assign(ctx, createViewLoader(ctx), createCaseSelection(ctx), createCaseWork(ctx));
ctx.tabs = createTabs(ctx);
const { start } = createSession(ctx, { vocabulary });

els.batchSelect.addEventListener('change', () => ctx.loadBatch(els.batchSelect.value));
wireBatchExport(
  { format: $('export-format'), button: $('export-button'), status: $('export-status') },
  () => state.currentBatch,
);
els.caseSelect.addEventListener('change', () => {
  const id = els.caseSelect.value;
  if (!id) return;
  ctx.openCase(id); // and zooms to it
});

/** Stable hooks for tests and for debugging from the console. */
window.tubanMap = {
  get map() { return ctx.mapView.map; },
  get layers() { return ctx.mapView.layers; },
  layerFor: (id) => ctx.mapView.layers.get(String(id)),
  features: () => ctx.mapView.features(),
  /** The overview cell of a dense tile drawn at (lat, lon): {n, state, overdue} or null. */
  tileCellAt: (lat, lon) => ctx.mapView.tileCellAt(lat, lon),
  colours: { ...STATE_COLOURS },
  colourFor,
  openCase: (id) => ctx.openCase(id),
  closePanel: () => ctx.closePanel(),
  loadBatch: (id, options) => ctx.loadBatch(id, options),
  showCase: (id, batchId, options) => ctx.showCase(id, batchId, options),
  get refs() { return ctx.refs; },
  /** 我的位置 (locate.js): start(), stop(), position, state. */
  get locator() { return ctx.locator; },
  get overlays() { return ctx.overlays; },
  refreshIndicators: () => ctx.indicators.refresh(),
  refreshTasks: () => ctx.tasks.refresh(),
  /** The signed-in user (GET /api/auth/me shape) or null. */
  get user() { return session.user; },
  /** Take an action on the open case through the panel, as its forms do (messages included). */
  act: (action, payload = {}) => (ctx.panel.current ? ctx.runAction(ctx.panel.current, { action, payload }) : Promise.resolve()),
  get batchId() { return state.currentBatch ? state.currentBatch.id : null; },
  /** The workflow's vocabulary in use (GET /api/meta) and where it came from. */
  get vocabulary() { return { version: vocabulary.meta.version, source: vocabulary.source }; },
  outbox: { pending: () => ctx.outbox.pending(), flush: () => ctx.outbox.flush(), refresh: () => ctx.outbox.refresh() },
  /** 动态巡查: open('finding'|'report'), the sites layer (refresh(), set(on)), the sheet. */
  get patrol() { return ctx.patrol; },
  offlinePack: { download: () => offlinePack.download(), current: () => offlinePack.current() },
  refreshView: () => ctx.refreshView({ force: true }),
  get ready() { return state.ready; },
};

start();
registerServiceWorker(state.ready);
