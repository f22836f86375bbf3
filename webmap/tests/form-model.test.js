// form-model.js: an action's form from its meta fields, and the payload read back from it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';

import {
  draftValues, formDef, instantInput, instantValue, isFieldStep, payloadFrom, today,
} from '../static/form-model.js';
import { setMeta } from '../static/meta.js';

const META = JSON.parse(readFileSync(new URL('./fixtures/meta.json', import.meta.url), 'utf8'));

before(() => setMeta(META));

test('the verify form: judgment tiles, reason tiles that follow it, the server pattern', () => {
  const def = formDef('verify');
  assert.equal(def.submit, '提交核查');
  const byName = Object.fromEntries(def.fields.map((f) => [f.name, f]));
  // One tap per choice: closed lists are tiles (radios), not dropdowns.
  assert.equal(byName.judgment.type, 'choice');
  assert.deepEqual(byName.judgment.options, META.judgments.map((j) => [j.code, j.label]));
  assert.equal(byName.reason.type, 'choice');
  assert.equal(byName.reason.dependsOn, 'judgment');
  assert.deepEqual(byName.reason.options, [], 'no reasons before a judgment is chosen');
  const judgmentLabel = META.actions.find((a) => a.code === 'verify').fields.find((f) => f.kind === 'judgment').label;
  assert.equal(byName.reason.empty, `请先选择${judgmentLabel}`);
  for (const j of META.judgments) {
    assert.deepEqual(byName.reason.optionsFor(j.code), j.reasons.map((r) => [r.code, r.label]));
  }
  assert.deepEqual(byName.reason.optionsFor(''), []);
  const landClass = META.field_kinds.land_class.pattern;
  assert.equal(byName.land_class.pattern, landClass);
  assert.equal(byName.note.type, 'textarea');
  assert.ok(!('illegal_geometry' in byName), 'drawn on the map, not typed');
});

test('required flags, submit wording and guard thresholds come from meta', () => {
  const required = (action) => formDef(action).fields.filter((f) => f.required).map((f) => f.name);
  for (const a of META.actions) {
    const expected = a.fields.filter((f) => f.in_form && f.required).map((f) => f.name);
    assert.deepEqual(required(a.code), expected, a.code);
  }
  assert.equal(formDef('approve').submit, '审核通过');
  assert.equal(formDef('return_verification').submit, '退回重核');
  assert.match(formDef('submit').intro, new RegExp(`至少有 ${META.guards.min_evidence_photos} 张`));
  setMeta({ ...META, guards: { ...META.guards, min_evidence_photos: 5 } });
  assert.match(formDef('submit').intro, /至少有 5 张/);
  setMeta(META);
});

test('the payload: trimmed, empties left out, numbers typed, land classes upper-cased', () => {
  const fields = formDef('verify').fields;
  const payload = payloadFrom({
    judgment: 'illegal', reason: ' unlicensed_mining ', land_class: '0602k', illegal_area_m2: '12.5', note: '  ',
  }, fields);
  assert.deepEqual(payload, {
    judgment: 'illegal', reason: 'unlicensed_mining', land_class: '0602K', illegal_area_m2: 12.5,
  });
});

test('a queued payload goes back into its draft as text', () => {
  assert.deepEqual(draftValues({ fine_yuan: 500, note: null, illegal_geometry: { type: 'Polygon' } }),
    { fine_yuan: '500', note: '' });
});

test('fields carry the bounds of the server: text length, money range, dates up to today', () => {
  const byName = (action) => new Map(formDef(action).fields.map((f) => [f.name, f]));
  const penalise = byName('penalise');
  assert.equal(penalise.get('fine_yuan').min, META.field_kinds.money.minimum);
  assert.equal(penalise.get('fine_yuan').max, META.field_kinds.money.maximum);
  assert.equal(penalise.get('receipt_no').maxlength, META.field_kinds.name.max_length);
  assert.equal(byName('verify').get('note').maxlength, META.field_kinds.text.max_length);
  const filed = byName('file').get('filed_on');
  assert.equal(filed.min, META.field_kinds.date.minimum);
  assert.match(filed.max, /^\d{4}-\d{2}-\d{2}$/);
  assert.ok(filed.max >= '2026-01-01');
});

test('the penalty form starts 缴款日期 at today and sends it only with a receipt', () => {
  const def = formDef('penalise');
  const paid = def.fields.find((f) => f.name === 'paid_on');
  assert.match(paid.initial(), /^\d{4}-\d{2}-\d{2}$/);
  const values = { fine_yuan: '5000', paid_on: paid.initial(), receipt_no: '' };
  assert.deepEqual(payloadFrom(values, def.fields, def.dropUnless), { fine_yuan: 5000 });
  const receipted = payloadFrom({ ...values, receipt_no: 'HB1' }, def.fields, def.dropUnless);
  assert.equal(receipted.paid_on, paid.initial());
});

test('the field step (the form that carries the camera) is the action taken on an issued 图斑', () => {
  for (const { code: programme, workflow: name } of META.programmes) {
    const workflow = META.workflows[name];
    const first = workflow.states[0];
    const fromFirst = new Set(workflow.transitions.filter((t) => t.from === first).map((t) => t.action));
    for (const a of META.actions) {
      assert.equal(isFieldStep(a.code, programme), fromFirst.has(a.code), `${programme} ${a.code}`);
    }
  }
  assert.ok(isFieldStep('verify', 'mining'));
  assert.ok(isFieldStep('verify', 'land'));
  assert.ok(isFieldStep('collect_evidence', 'change_survey'));
  assert.ok(!isFieldStep('approve', 'mining'));
  assert.ok(!isFieldStep('submit', 'change_survey'));
  assert.ok(!isFieldStep('verify', 'no-such-programme'));
});

test('an instant is typed in Beijing time and sent with +08:00; days are whole numbers in bounds', () => {
  const stop = Object.fromEntries(formDef('stop').fields.map((f) => [f.name, f]));
  assert.equal(stop.served_at.type, 'datetime-local');
  assert.equal(stop.served_at.min, `${META.field_kinds.instant.minimum}T00:00`);
  assert.match(stop.served_at.initial(), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'starts at now, to the minute');
  assert.equal(stop.order_no.maxlength, META.field_kinds.name.max_length);
  const payload = payloadFrom({ order_no: ' 丰国土责停〔2019〕12号 ', served_at: '2019-06-03T21:05', served_by: '王' },
    formDef('stop').fields);
  assert.deepEqual(payload, { order_no: '丰国土责停〔2019〕12号', served_at: '2019-06-03T21:05:00+08:00', served_by: '王' });
  const watch = Object.fromEntries(formDef('watch').fields.map((f) => [f.name, f]));
  assert.equal(watch.interval_days.type, 'number');
  assert.equal(watch.interval_days.min, META.field_kinds.days.minimum);
  assert.equal(watch.interval_days.max, META.field_kinds.days.maximum);
  assert.deepEqual(payloadFrom({ interval_days: '60', note: '' }, formDef('watch').fields), { interval_days: 60 });
  assert.equal(formDef('report_up').fields.find((f) => f.name === 'reported_on').initial, today);
});

test('the Beijing wall-clock of an instant, whatever the zone it was written in', () => {
  assert.equal(instantInput('2019-06-03T13:05:00Z'), '2019-06-03T21:05');
  assert.equal(instantInput('2019-06-03T21:05:00+08:00'), '2019-06-03T21:05');
  assert.equal(instantInput('2019-12-31T20:00:00Z'), '2020-01-01T04:00');
  assert.equal(instantInput('nonsense'), '');
  assert.equal(instantValue('2019-06-03T21:05'), '2019-06-03T21:05:00+08:00');
  assert.equal(instantValue('2019-06-03T21:05:30'), '2019-06-03T21:05:30+08:00');
  // A kept payload goes back into its datetime-local (drafts after a refused offline send).
  assert.deepEqual(draftValues({ served_at: '2019-06-03T21:05:00+08:00', order_no: 'A-1' }),
    { served_at: '2019-06-03T21:05', order_no: 'A-1' });
});
