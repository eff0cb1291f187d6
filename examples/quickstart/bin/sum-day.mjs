// sum-day DATE: adds up the clicks of every campaign of one day, from raw/DATE/campaign-*.csv,
// into daily/DATE.csv. Homeostat runs it only once every campaign of the day is there.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [date] = process.argv.slice(2);
if (!/^\d{4}-\d{2}-\d{2}$/.test(date ?? '')) {
  console.error(`usage: sum-day YYYY-MM-DD (got ${JSON.stringify(date)})`);
  process.exit(2);
}
const data = process.env.HOMEOSTAT_DATA || '/tmp/homeostat-quickstart';
const rawDir = join(data, 'raw', date);
let total = 0;
const files = readdirSync(rawDir).filter((f) => /^campaign-.*\.csv$/.test(f));
for (const file of files) {
  const [, row] = readFileSync(join(rawDir, file), 'utf8').trim().split('\n');
  total += Number(row.split(',')[2]);
}
mkdirSync(join(data, 'daily'), { recursive: true });
const target = join(data, 'daily', `${date}.csv`);
writeFileSync(`${target}.tmp`, `date,campaigns,clicks\n${date},${files.length},${total}\n`);
renameSync(`${target}.tmp`, target);
console.log(`wrote daily/${date}.csv: ${total} clicks from ${files.length} campaigns`);
