/**
 * The price announcement a user reads before consenting (DESIGN.md §1, arrêté of 10 June 2009):
 * every tariff component in plain words, tax included, in fr-FR or en, and the hash of the text.
 * The consent carries that hash back, proving which words the user accepted.
 */
import { ANNOUNCEMENTS_CACHED_MAX } from '../limits.ts';
import { formatMoney, type Locale, type Money } from '../money/index.ts';
import { sha256Hex, type Band, type Tariff, type Tier } from '../tariff/index.ts';
import { WORDING, type Wording } from './wording.ts';

export interface Announcement {
  readonly locale: Locale;
  readonly tariffHash: string;
  /** One sentence per line, joined with "\n" in `text`. */
  readonly lines: readonly string[];
  readonly text: string;
  /** `sha256:` + hex SHA-256 of `text` (UTF-8). */
  readonly hash: string;
}

/** Duration in words: 90 → "1 min 30 s", 3600 → "1 h". */
export function formatDuration(totalSeconds: number, words: Wording): string {
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const parts: string[] = [];
  if (hours > 0) parts.push(`${hours}\u00a0${words.units.h}`);
  if (minutes > 0) parts.push(`${minutes}\u00a0${words.units.min}`);
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds}\u00a0${words.units.s}`);
  return parts.join(' ');
}

/** Prices shown tax included: a tariff priced without VAT is converted exactly. */
function ttc(tariff: Tariff, amount: Money): Money {
  return tariff.pricesIncludeVat ? amount : amount.times(tariff.vatRate.onePlus());
}

function tierSentence(tariff: Tariff, tiers: readonly Tier[], index: number, locale: Locale): string {
  const words = WORDING[locale];
  const tier = tiers[index];
  if (tier === undefined) return '';
  const next = tiers[index + 1];
  const price = `${formatMoney(ttc(tariff, tier.price), locale)} ${words.perUnit(tier.perSeconds, formatDuration(tier.perSeconds, words))}`;
  const increment = words.increment(tier.incrementSeconds, formatDuration(tier.incrementSeconds, words));
  const from = formatDuration(tier.fromSecond, words);
  let when = '';
  if (tiers.length > 1) {
    if (index === 0 && next !== undefined) when = words.firstTier(formatDuration(next.fromSecond, words));
    else if (next !== undefined) when = words.middleTier(from, formatDuration(next.fromSecond, words));
    else when = words.lastTier(from);
  }
  return `– ${price}, ${increment}${when === '' ? '' : `, ${when}`}.`;
}

function daysText(days: Band['days'], words: Wording): string {
  if (days.length === 7) return words.everyDay;
  const names = days.map((day) => words.dayNames[day - 1] ?? '');
  const first = days[0];
  const last = days[days.length - 1];
  const consecutive = first !== undefined && last !== undefined && last - first === days.length - 1;
  if (consecutive && days.length >= 3) return words.dayRange(names[0] ?? '', names[names.length - 1] ?? '');
  return names.length === 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} ${words.and} ${names[names.length - 1] ?? ''}`;
}

function tierLines(tariff: Tariff, locale: Locale): string[] {
  const words = WORDING[locale];
  const lines: string[] = [];
  for (const band of [...tariff.bands].sort((a, b) => b.priority - a.priority)) {
    const fee = band.connectionFee.equals(tariff.connectionFee) ? '' : ` (${words.bandConnectionFee(formatMoney(ttc(tariff, band.connectionFee), locale))})`;
    lines.push(`${words.band(band.name, daysText(band.days, words), band.from, band.to, band.timeZone)}${fee}`);
    band.tiers.forEach((_, index) => lines.push(tierSentence(tariff, band.tiers, index, locale)));
  }
  if (tariff.tiers.length > 0 && tariff.bands.length > 0) lines.push(words.outsideBands);
  tariff.tiers.forEach((_, index) => lines.push(tierSentence(tariff, tariff.tiers, index, locale)));
  return lines;
}

/**
 * The announcement of `tariff` in `locale`, with the user's `cap` when one is chosen.
 *
 * @example announce(tariff, 'fr-FR', Money.of('10.00', 'EUR')).text.split('\n')[0]
 * // "Tarif de l'assistance, prix TTC (TVA 20 % incluse) :"
 */
export function announce(tariff: Tariff, locale: Locale, cap?: Money): Announcement {
  // Quotes of one offer mostly allow the same cap (the offer's): the whole announcement, its text
  // hashed, is kept per tariff version, locale and cap, as its tariff lines are.
  const key = `${tariff.hash} ${locale} ${cap === undefined ? '-' : cap.toString()}`;
  const known = composedAnnouncements.get(key);
  if (known !== undefined) return known;
  const { before, after } = tariffLines(tariff, locale);
  const lines = cap === undefined ? [...before, ...after] : [...before, WORDING[locale].cap(formatMoney(cap, locale)), ...after];
  const text = lines.join('\n');
  const announcement = { locale, tariffHash: tariff.hash, lines, text, hash: `sha256:${sha256Hex(text)}` };
  if (composedAnnouncements.size >= ANNOUNCEMENTS_CACHED_MAX) composedAnnouncements.delete(composedAnnouncements.keys().next().value as string);
  composedAnnouncements.set(key, announcement);
  return announcement;
}

const composedAnnouncements = new Map<string, Announcement>();

/**
 * The lines of the tariff itself, before and after the cap's line. A tariff version is identified
 * by its hash (of its canonical JSON), so they are composed once per version and locale (~0.1 ms,
 * most of it Intl formatting): every quote of an offer announces the same tariff.
 */
function tariffLines(tariff: Tariff, locale: Locale): { readonly before: readonly string[]; readonly after: readonly string[] } {
  const key = `${tariff.hash} ${locale}`;
  const known = composedLines.get(key);
  if (known !== undefined) return known;
  const words = WORDING[locale];
  const money = (amount: Money): string => formatMoney(ttc(tariff, amount), locale);
  const vat = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 4 }).format(tariff.vatRate.toString() as unknown as number);
  const lines: string[] = [words.header(vat)];
  const flat = tariff.flatPrice;
  if (flat !== null) {
    lines.push(flat.includedSeconds === null ? words.flatAll(money(flat.amount)) : words.flatIncluded(money(flat.amount), formatDuration(flat.includedSeconds, words)));
    if (flat.includedSeconds !== null) lines.push(words.afterIncluded(formatDuration(flat.includedSeconds, words)));
  }
  lines.push(...tierLines(tariff, locale));
  lines.push(tariff.connectionFee.isZero() ? words.noConnectionFee : words.connectionFee(money(tariff.connectionFee)));
  if (tariff.freeSeconds > 0) lines.push(words.freeSeconds(formatDuration(tariff.freeSeconds, words)));
  if (tariff.minimumSeconds > 0) lines.push(words.minimum(formatDuration(tariff.minimumSeconds, words)));
  if (tariff.maxCost !== null) {
    const amount = money(tariff.maxCost.amount);
    lines.push(tariff.maxCost.strategy === 'disconnect' ? words.maxCostDisconnect(amount) : words.maxCostFree(amount));
  }
  const composed = { before: lines, after: [words.waiting, tariff.holdBilled ? words.holdBilled : words.holdFree, words.quit] };
  if (composedLines.size >= ANNOUNCEMENTS_CACHED_MAX) composedLines.delete(composedLines.keys().next().value as string);
  composedLines.set(key, composed);
  return composed;
}

const composedLines = new Map<string, { readonly before: readonly string[]; readonly after: readonly string[] }>();


