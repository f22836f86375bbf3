// The 地图 / 绩效指标 / 我的任务 / 管理 tabs (arrow keys move between them; the hash keeps the view).

import { state, writeHash } from './app-state.js';

/** createTabs(ctx) → {select(tab, {focus}), byView(view)} */
export function createTabs(ctx) {
  const { els } = ctx;

  function visible() {
    return els.tabs.filter((t) => !t.hidden);
  }

  function select(tab, { focus = false } = {}) {
    if (!tab || tab.hidden) tab = els.tabs[0];
    for (const t of els.tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
    }
    if (focus) tab.focus();
    const view = tab.dataset.view;
    document.body.dataset.view = view;
    writeHash({ view: view === 'map' ? null : view });
    if (view === 'map') {
      ctx.mapView.invalidate();
      ctx.patrol.refreshLayer(); // skipped while the map had no size
    }
    if (view === 'tasks' && state.signedIn) ctx.tasks.refresh();
    if (view === 'admin' && state.signedIn) {
      ctx.admin.refresh();
      ctx.patrol.refreshAdmin();
    }
  }

  for (const tab of els.tabs) {
    tab.addEventListener('click', () => select(tab));
    tab.addEventListener('keydown', (e) => {
      const tabs = visible();
      const i = tabs.indexOf(tab);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      select(tabs[(next + tabs.length) % tabs.length], { focus: true });
    });
  }

  return {
    select,
    byView: (view) => els.tabs.find((t) => t.dataset.view === view && !t.hidden) || null,
  };
}
