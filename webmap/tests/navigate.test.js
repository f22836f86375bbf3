// navigate.js and nearby.js: which app gets which coordinates, and 我的任务 by distance.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { inverse, wgs84ToBd09, wgs84ToGcj02 } from '../static/geo-math.js';
import { navTargets } from '../static/navigate.js';
import { orderTasks } from '../static/nearby.js';

const CENTRE = [118.1, 39.83];

test('each app gets its own coordinate system, in its URL', () => {
  const t = Object.fromEntries(navTargets(CENTRE, '130208KS2019Q3001').map((x) => [x.app, x]));
  assert.deepEqual(Object.keys(t), ['amap', 'baidu', 'qq', 'geo']);
  const [gLon, gLat] = wgs84ToGcj02(CENTRE);
  const [bLon, bLat] = wgs84ToBd09(CENTRE);
  assert.ok(Math.abs(t.amap.lon - gLon) < 1e-6 && Math.abs(t.amap.lat - gLat) < 1e-6);
  assert.ok(Math.abs(t.baidu.lon - bLon) < 1e-6 && Math.abs(t.baidu.lat - bLat) < 1e-6);
  assert.deepEqual([t.qq.lon, t.qq.lat], [t.amap.lon, t.amap.lat]);
  assert.deepEqual([t.geo.lon, t.geo.lat], CENTRE);
  assert.equal(t.amap.crs, 'GCJ-02');
  assert.equal(t.baidu.crs, 'BD-09');
  assert.equal(t.geo.crs, 'WGS84');
  const amap = new URL(t.amap.href);
  assert.equal(amap.protocol, 'amapuri:');
  assert.equal(amap.searchParams.get('dlat'), String(t.amap.lat));
  assert.equal(amap.searchParams.get('dlon'), String(t.amap.lon));
  assert.equal(amap.searchParams.get('dev'), '0'); // already GCJ-02: no second offset
  const baidu = new URL(t.baidu.href);
  assert.equal(baidu.searchParams.get('destination'), `latlng:${t.baidu.lat},${t.baidu.lon}|name:130208KS2019Q3001`);
  assert.equal(baidu.searchParams.get('coord_type'), 'bd09ll');
  const qq = new URL(t.qq.href);
  assert.equal(qq.searchParams.get('tocoord'), `${t.qq.lat},${t.qq.lon}`);
  assert.ok(t.geo.href.startsWith(`geo:${CENTRE[1]},${CENTRE[0]}?q=`));
  // The converted points are where the apps draw the true place: hundreds of metres from it.
  assert.ok(inverse(CENTRE, [t.amap.lon, t.amap.lat]).distance > 100);
});

test('a hostile name stays inside its parameter', () => {
  const [amap, baidu, qq, geo] = navTargets(CENTRE, '&dlat=0|name:x#<b>(');
  assert.equal(new URL(amap.href).searchParams.get('dname'), '&dlat=0|name:x#<b>(');
  assert.equal(new URL(amap.href).searchParams.getAll('dlat').length, 1);
  assert.equal(new URL(qq.href).searchParams.get('to'), '&dlat=0|name:x#<b>(');
  assert.ok(new URL(baidu.href).searchParams.get('destination').endsWith('|name:&dlat=0|name:x#<b>('));
  assert.ok(!geo.href.includes('#') && !geo.href.includes('<'));
});

test('no centre, no links', () => {
  assert.deepEqual(navTargets(null, 'x'), []);
  assert.deepEqual(navTargets([Number.NaN, 39], 'x'), []);
  assert.deepEqual(navTargets([200, 39], 'x'), []);
});

test('tasks sort by distance when asked, keeping the server order otherwise', () => {
  const tasks = [
    { case_id: 1, centre: [118.2, 39.83] }, // ~8.5 km east
    { case_id: 2, centre: null },
    { case_id: 3, centre: [118.101, 39.83] }, // ~85 m
    { case_id: 4, centre: [118.1, 39.9] }, // ~7.8 km north
  ];
  const me = { lon: 118.1, lat: 39.83 };
  assert.deepEqual(orderTasks(tasks, me, 'due').map((r) => r.task.case_id), [1, 2, 3, 4]);
  const near = orderTasks(tasks, me, 'distance');
  assert.deepEqual(near.map((r) => r.task.case_id), [3, 4, 1, 2]);
  assert.ok(near[0].distance > 80 && near[0].distance < 90);
  assert.equal(near[3].distance, null);
  // Without a position there is nothing to sort by.
  assert.deepEqual(orderTasks(tasks, null, 'distance').map((r) => r.task.case_id), [1, 2, 3, 4]);
});
