// The 绩效指标 dashboard's controls: project, values (live / as of a day / frozen snapshot),
// township and quarter; what they select (the scope of GET /api/indicators) and its words.

import { fill, h } from './dom.js';
import { localToday } from './dashboard-format.js';
import { t } from './messages.js';

const QUARTERS = ['dashboard-controls.q', 'dashboard-controls.q2', 'dashboard-controls.q3', 'dashboard-controls.q4'];

function select(testid, label, id, options = []) {
  const el = h('select', { id, 'data-testid': testid }, options);
  return [el, h('div', { class: 'control' }, h('label', { for: id }, label), el)];
}

/**
 * createDashboardControls(api, {onChange({reset, keepMessages}), status}) → {element, choice,
 * scope(), describe(), dayShown(), currentSnapshot(), townshipName(code), setData(...),
 * loadTownships()}. choice holds {project, mode, asOf, snapshot, township, period}.
 */
export function createDashboardControls(api, { onChange, status }) {
  const choice = { project: '', mode: 'live', asOf: '', snapshot: '', township: '', period: '' };
  const data = { projects: [], snapshots: [], year: null, townships: null }; // townships: [[code, name]]

  const [projectSel, projectCtl] = select('dash-project', t('dashboard-controls.programme'), 'dash-project');
  projectSel.setAttribute('data-value', '');
  const [modeSel, modeCtl] = select('dash-mode', t('dashboard-controls.values'), 'dash-mode', [
    h('option', { value: 'live' }, t('dashboard-controls.live')),
    h('option', { value: 'as_of' }, t('dashboard-controls.asDay')),
    h('option', { value: 'snapshot' }, t('dashboard-controls.frozenSnapshot')),
  ]);
  const asOfInput = h('input', { id: 'dash-as-of', type: 'date', 'data-testid': 'dash-as-of' });
  const asOfCtl = h('div', { class: 'control', hidden: true }, h('label', { for: 'dash-as-of' }, t('dashboard-controls.as')), asOfInput);
  const [snapSel, snapCtl] = select('dash-snapshot', t('dashboard-controls.snapshot'), 'dash-snapshot');
  snapCtl.hidden = true;
  const [townSel, townCtl] = select('dash-township', t('dashboard-controls.township'), 'dash-township', [h('option', { value: '' }, t('dashboard-controls.wholeDistrict'))]);
  const [periodSel, periodCtl] = select('dash-period', t('dashboard-controls.quarter'), 'dash-period', [h('option', { value: '' }, t('dashboard-controls.wholeYear'))]);
  const refreshButton = h('button', { type: 'button', 'data-testid': 'indicators-refresh' }, t('dashboard-controls.refresh'));
  const scopeNote = h('small', { class: 'muted scope-note', id: 'dash-scope-note', hidden: true }, t('dashboard-controls.snapshotHoldsWholeDistrict'));
  const element = h('form', { class: 'dash-controls', 'data-testid': 'dash-controls', 'aria-label': t('dashboard-controls.indicatorFilters'), onsubmit: (e) => e.preventDefault() },
    projectCtl, modeCtl, asOfCtl, snapCtl, townCtl, periodCtl, refreshButton, scopeNote);

  function scope() {
    const frozen = choice.mode === 'snapshot' && choice.snapshot;
    return {
      as_of: choice.mode === 'as_of' && choice.asOf ? choice.asOf : null,
      snapshot: frozen ? choice.snapshot : null,
      township: frozen ? null : choice.township || null,
      period: frozen ? null : choice.period || null,
    };
  }

  function currentSnapshot() {
    return data.snapshots.find((s) => String(s.id) === String(choice.snapshot)) || null;
  }

  /** The day the figures stand at: as-of date, the snapshot's date, or today. */
  function dayShown() {
    if (choice.mode === 'as_of' && choice.asOf) return choice.asOf;
    const snap = choice.mode === 'snapshot' ? currentSnapshot() : null;
    return snap ? String(snap.as_of) : localToday();
  }

  function townshipName(code) {
    return (data.townships || []).find(([c]) => c === code)?.[1] || code;
  }

  function describe() {
    const s = scope();
    const snap = s.snapshot ? currentSnapshot() : null;
    const when = snap ? t('dashboard-controls.snapshotAs', { label: snap.label, as_of: snap.as_of }) : s.as_of ? t('dashboard-controls.as2', { as_of: s.as_of }) : t('dashboard-controls.live');
    const where = s.township ? townshipName(s.township) : t('dashboard-controls.wholeDistrict');
    const what = s.period ? t('dashboard-controls.batch', { period: s.period }) : t('dashboard-controls.wholeYear');
    return t('dashboard-controls.sep', { when, where, what });
  }

  function sync() {
    modeSel.value = choice.mode;
    asOfCtl.hidden = choice.mode !== 'as_of';
    snapCtl.hidden = choice.mode !== 'snapshot';
    const frozen = choice.mode === 'snapshot';
    townSel.disabled = frozen;
    periodSel.disabled = frozen;
    scopeNote.hidden = !frozen;
    if (data.year) {
      asOfInput.min = `${data.year}-01-01`;
      asOfInput.max = `${data.year}-12-31`;
    }
  }

  async function loadTownships() {
    if (data.townships !== null) return;
    data.townships = [];
    try {
      const layer = ((await api.references()).data || []).filter((r) => r.kind === 'township').pop();
      if (!layer) return;
      const seen = new Map();
      for (const f of (await api.referenceFeatures(layer.id)).features || []) {
        const p = f.properties || {};
        if (p.ident && !seen.has(String(p.ident))) seen.set(String(p.ident), p.label || String(p.ident));
      }
      data.townships = [...seen.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    } catch {
      data.townships = [];
    }
    fill(townSel, h('option', { value: '' }, t('dashboard-controls.wholeDistrict')), data.townships.map(([code, name]) => h('option', { value: code, 'data-value': '' }, name)));
    townSel.value = choice.township;
    townCtl.hidden = !data.townships.length;
  }

  /** The projects, the year's snapshots and the year, into the selects. */
  function setData({ projects, snapshots, year }) {
    Object.assign(data, { projects, snapshots, year });
    if (choice.mode === 'snapshot' && !currentSnapshot()) choice.snapshot = snapshots.length ? String(snapshots[snapshots.length - 1].id) : '';
    fill(projectSel, projects.map((p) => h('option', { value: p.id }, p.name || p.id)));
    projectSel.value = choice.project;
    fill(snapSel, snapshots.length
      ? snapshots.map((s) => h('option', { value: s.id }, t('dashboard-controls.as3', { label: s.label, as_of: s.as_of })))
      : h('option', { value: '' }, t('dashboard-controls.noSnapshots')));
    snapSel.value = choice.snapshot;
    fill(periodSel, h('option', { value: '' }, t('dashboard-controls.wholeYear')),
      QUARTERS.map((q, i) => h('option', { value: `${year}Q${i + 1}` }, t('dashboard-controls.qBatch', { q: t(q), year, value: i + 1 }))));
    periodSel.value = choice.period;
    sync();
  }

  projectSel.addEventListener('change', () => { choice.project = projectSel.value; onChange({ reset: true }); });
  modeSel.addEventListener('change', () => {
    choice.mode = modeSel.value;
    if (choice.mode === 'as_of' && !choice.asOf) choice.asOf = asOfInput.value = [localToday(), `${data.year}-12-31`].sort()[0];
    sync();
    if (choice.mode === 'snapshot' && !data.snapshots.length) {
      status(t('dashboard-controls.noSnapshotsYetStatistics'));
    }
    onChange({ keepMessages: true });
  });
  asOfInput.addEventListener('change', () => {
    if (!asOfInput.value) return;
    choice.asOf = asOfInput.value;
    onChange({});
  });
  snapSel.addEventListener('change', () => { choice.snapshot = snapSel.value; onChange({}); });
  townSel.addEventListener('change', () => { choice.township = townSel.value; onChange({}); });
  periodSel.addEventListener('change', () => { choice.period = periodSel.value; onChange({}); });
  refreshButton.addEventListener('click', () => onChange({ keepDrill: true }));

  return { element, choice, scope, describe, dayShown, currentSnapshot, townshipName, setData, loadTownships };
}
