// sum-hours DAY: the `sum` task of Dag `clicks-daily`: adds up the 24 hourly counts of one UTC day,
// clicks-hourly/DAYTHH:00/count.out, into clicks-daily/DAY/sum.out. Homeostat runs it only once
// every hour of the day has succeeded (the DagDependency's `periods: Within`); if an hour were
// missing it would fail, naming it.
import { appendFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [day] = process.argv.slice(2);
if (!/^\d{4}-\d{2}-\d{2}$/.test(day ?? '')) {
  console.error(`usage: sum-hours YYYY-MM-DD (got ${JSON.stringify(day)})`);
  process.exit(2);
}
const data = process.env.HOMEOSTAT_DATA || '/tmp/homeostat-mediator';
const hours = Array.from({ length: 24 }, (_, h) => `${day}T${String(h).padStart(2, '0')}:00`);
const missing = hours.filter((hour) => !existsSync(join(data, 'clicks-hourly', hour, 'count.out')));
if (missing.length > 0) {
  console.error(`clicks-daily sum ${day}: ${missing.length} hours are missing: ${missing.join(', ')}`);
  process.exit(1);
}
// Made-up clicks, always the same: hour H of the day had H + 10 clicks.
const total = hours.reduce((sum, hour) => sum + Number(hour.slice(11, 13)) + 10, 0);
const dir = join(data, 'clicks-daily', day);
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, '.sum.tmp'), `clicks-daily sum ${day}: ${total} clicks in 24 hours\n`);
renameSync(join(dir, '.sum.tmp'), join(dir, 'sum.out'));
appendFileSync(join(data, 'runs.log'), `clicks-daily sum ${day}\n`);
console.log(`wrote clicks-daily/${day}/sum.out: ${total} clicks`);
