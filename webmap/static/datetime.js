// Times as the bureau reads them: Beijing time (Asia/Shanghai, UTC+8 all year), "2019-08-03
// 14:05", whatever zone the phone or the server is set to. The API sends instants in UTC ISO;
// no raw ISO string is ever shown. DOM-free (webmap/tests/datetime.test.js).

export const TIME_ZONE = 'Asia/Shanghai';

const PARTS = new Intl.DateTimeFormat('en-CA', {
  timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

const DAY_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function parts(value) {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return null;
  const out = {};
  for (const p of PARTS.formatToParts(d)) out[p.type] = p.value;
  return out;
}

/** "2019-08-03 14:05" in Beijing time; '—' when missing, the value itself when unreadable. */
export function formatDateTime(value) {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string' && DAY_ONLY.test(value)) return value;
  const p = parts(value);
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : String(value);
}

/** "2019-08-03": a calendar day stays as it is; an instant becomes its Beijing calendar day. */
export function formatDate(value) {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string' && DAY_ONLY.test(value)) return value;
  const p = parts(value);
  return p ? `${p.year}-${p.month}-${p.day}` : String(value);
}

/** Today's Beijing calendar day, "2019-08-03" (`now` for tests). */
export function beijingToday(now = new Date()) {
  return formatDate(now);
}
