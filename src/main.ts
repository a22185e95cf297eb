/**
 * `npm start`. Until the session broker lands (issue 4) it runs a demo quote: the price
 * announcement of the Minitel-style fixture tariff and the rating of a few durations from now.
 */
import { readFileSync } from 'node:fs';
import { announce, parseTariff, rate } from './domain/index.ts';

const path = new URL('../fixtures/tariffs/kiosque-paliers.json', import.meta.url);
const parsed = parseTariff(JSON.parse(readFileSync(path, 'utf8')) as unknown);
if (!parsed.ok) throw new Error(`demo tariff invalid: ${JSON.stringify(parsed.error)}`);
const tariff = parsed.value;
const nowMs = Date.now();

process.stdout.write(`Palier demo quote — tariff ${tariff.hash}\n\n${announce(tariff, 'fr-FR').text}\n\n`);
for (const seconds of [45, 61, 200, 900, 1800]) {
  const rating = rate(tariff, nowMs, seconds);
  const bands = [...new Set(rating.lines.map((line) => line.band ?? 'base'))].join(', ');
  process.stdout.write(`${String(seconds).padStart(5)} s from now → ${rating.billed.toString()} ${rating.currency} (billed ${rating.billedSeconds} s; ${bands})\n`);
}
process.stdout.write('\nTry: npx palier quote --tariff fixtures/tariffs/kiosque-paliers.json --seconds 200 --cap 1.00\n');
