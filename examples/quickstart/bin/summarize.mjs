// summarize PERIOD: the first task of Dag `report`: turns ingest/PERIOD/costs.csv into a
// one-line report, reports/PERIOD.txt.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [period] = process.argv.slice(2);
if (!/^\d{4}-\d{2}-\d{2}$/.test(period ?? '')) {
  console.error(`usage: summarize YYYY-MM-DD (got ${JSON.stringify(period)})`);
  process.exit(2);
}
const data = process.env.HOMEOSTAT_DATA || '/tmp/homeostat-quickstart';
const [, row] = readFileSync(join(data, 'ingest', period, 'costs.csv'), 'utf8').trim().split('\n');
const cost = row.split(',')[1];
mkdirSync(join(data, 'reports'), { recursive: true });
const target = join(data, 'reports', `${period}.txt`);
writeFileSync(`${target}.tmp`, `Report for ${period}: ads cost ${cost}.\n`);
renameSync(`${target}.tmp`, target);
console.log(`wrote reports/${period}.txt`);
