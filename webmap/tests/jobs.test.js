// jobs.js: reading a server-sent event stream in chunks, and a job's progress in words.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { jobProgressText, parseEvents } from '../static/jobs.js';
import { setMeta } from '../static/meta.js';

const META = JSON.parse(readFileSync(new URL('./fixtures/meta.json', import.meta.url), 'utf8'));

test('events split across chunks come out whole, the unfinished rest is kept', () => {
  const stream = 'retry: 1000\n\nevent: progress\ndata: {"progress":0.5}\n\nevent: end\ndata: {"fi';
  const first = parseEvents(stream);
  assert.deepEqual(first.events, [{ event: 'progress', data: '{"progress":0.5}' }]);
  const second = parseEvents(`${first.rest}nal":true}\n\n`);
  assert.deepEqual(second.events, [{ event: 'end', data: '{"final":true}' }]);
  assert.equal(second.rest, '');
});

test('progress reads as the stage from /api/meta and a percentage', () => {
  setMeta(META);
  const stage = META.jobs.stages[0];
  assert.equal(jobProgressText({ stage: stage.code, progress: 0.354 }), `${stage.label} 35%`);
  assert.equal(jobProgressText({ stage: '', progress: 1 }), '100%');
});
