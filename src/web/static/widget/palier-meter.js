/**
 * The live meter, shared by the user widget and the advisor console: status, elapsed metered
 * time, the running price, the rate in force, the next price step, and the cap bar with its
 * warnings. It renders the state of palier-live.js and says nothing aloud itself: the page owns
 * the one aria-live region, so that only warnings and price changes are announced, never ticks.
 */
import { h, setText } from './palier-dom.js';
import { formatClock, formatMoney, multiplyDecimal, onePlus, perMille } from './palier-format.js';
import { stringsOf } from './palier-i18n.js';

function unitOf(perSeconds, t) {
  if (perSeconds === 1) return t.perSecond;
  if (perSeconds === 60) return t.perMinute;
  if (perSeconds === 3600) return t.perHour;
  return t.perSeconds(perSeconds);
}

function incrementOf(incrementSeconds, t) {
  if (incrementSeconds === 1) return t.incrementSecond;
  if (incrementSeconds === 60) return t.incrementMinute;
  return t.incrementSeconds(incrementSeconds);
}

/**
 * A price point in words, tax included: "0,53 € TTC / min, par minute entamée". A tariff priced
 * without VAT has it added exactly (decimal strings, no float).
 */
export function priceText(point, { currency, tariff, lang, locale }) {
  const t = stringsOf(lang);
  if (point === null || point === undefined) return '—';
  if (point.kind === 'free') return t.rateFree;
  if (point.kind === 'included') return t.rateIncluded;
  if (point.unitPrice === null) return '—';
  const price = tariff !== null && tariff !== undefined && tariff.pricesIncludeVat === false
    ? multiplyDecimal(point.unitPrice, onePlus(tariff.vatRate)) : point.unitPrice;
  const increment = point.incrementSeconds === null ? '' : `, ${incrementOf(point.incrementSeconds, t)}`;
  return `${formatMoney(price, currency, locale)} ${t.taxIncluded} / ${unitOf(point.perSeconds, t)}${increment}`;
}

/**
 * What the live region says for an `announce` effect of reduceLive(), or null when there is
 * nothing to say (a media change): a cap warning, the free window ending, a price change with its
 * new price ("Changement de palier dans quelques secondes : 0,34 € TTC / min, par minute
 * entamée."), the advisor's connect, hold and resume.
 *
 * @param {{ kind: string, price?: object | null }} effect
 * @param {{ currency: string, tariff: object | null, lang: 'fr' | 'en', locale: string }} options
 */
export function announcementText(effect, options) {
  const t = stringsOf(options.lang);
  switch (effect.kind) {
    case 'cap_warning_80': return t.warn80;
    case 'cap_warning_1min': return t.warn1min;
    case 'free_window_ending': return t.freeEnding;
    case 'price_change': return t.priceChange(priceText(effect.price, options));
    case 'connected': return t.connected;
    case 'held': return t.held;
    case 'resumed': return t.resumed;
    default: return null;
  }
}

/** The status line: waiting (free), metering, free window, on hold, ended. */
function statusText(state, t) {
  if (state.status === 'active' && state.current?.kind === 'free') return t.status.free;
  return t.status[state.status] ?? t.status.connecting;
}

function currentRateText(state, options, t) {
  if (state.status === 'connecting') return '—';
  if (state.status === 'queued') return t.rateWaiting;
  if (state.status === 'on_hold') return t.rateOnHold;
  return priceText(state.current, options);
}

function nextStepText(state, options, t) {
  if (state.status === 'queued' || state.status === 'connecting' || state.ended !== null) return '—';
  if (!state.nextKnown) return t.nextPending;
  if (state.next === null) return t.nextNone;
  return t.nextAt(formatClock(state.next.fromSecond), priceText(state.next, options));
}

/**
 * Builds a meter. `idPrefix` keeps ids unique when a page shows several (the console).
 *
 * @param {{ lang: 'fr' | 'en', locale: string, idPrefix: string }} options
 */
export function createMeter({ lang, locale, idPrefix }) {
  const t = stringsOf(lang);
  const status = h('p', { class: 'palier-status', 'data-part': 'status' });
  const elapsed = h('dd', { class: 'palier-elapsed', 'data-part': 'elapsed' });
  const amount = h('dd', { class: 'palier-amount', 'data-part': 'amount' });
  const rate = h('dd', { class: 'palier-rate', 'data-part': 'rate' });
  const next = h('dd', { class: 'palier-next', 'data-part': 'next' });
  const capLabel = h('span', { id: `${idPrefix}-cap-label`, class: 'palier-cap-label', 'data-part': 'cap' });
  const capBar = h('progress', { class: 'palier-cap-bar', max: '1000', value: '0', 'aria-labelledby': `${idPrefix}-cap-label` });
  const warning = h('p', { class: 'palier-warning', 'data-part': 'warning', hidden: true });
  const figure = (label, value) => h('div', { class: 'palier-figure' }, h('dt', {}, label), value);
  const element = h('div', { class: 'palier-meter', 'data-status': 'connecting' },
    status,
    h('dl', { class: 'palier-figures' }, figure(t.elapsed, elapsed), figure(t.amount, amount), figure(t.rate, rate), figure(t.next, next)),
    h('div', { class: 'palier-cap' }, capLabel, capBar),
    warning);

  return {
    element,
    /** Renders a state of reduceLive(). */
    update(state) {
      const options = { currency: state.currency, tariff: state.tariff, lang, locale };
      element.dataset.status = state.status;
      setText(status, statusText(state, t));
      setText(elapsed, formatClock(state.meteredSeconds));
      elapsed.dataset.seconds = String(state.meteredSeconds);
      setText(amount, formatMoney(state.amount, state.currency, locale));
      amount.dataset.amount = state.amount;
      setText(rate, currentRateText(state, options, t));
      setText(next, nextStepText(state, options, t));
      if (state.cap !== null) {
        setText(capLabel, t.capBar(formatMoney(state.amount, state.currency, locale), formatMoney(state.cap, state.currency, locale)));
        const fill = perMille(state.amount, state.cap, state.currency);
        capBar.value = fill;
        element.dataset.capLevel = fill >= 800 ? 'high' : 'normal';
      }
      const warningText = state.warning === 'cap_warning_1min' ? t.warn1min : state.warning === 'cap_warning_80' ? t.warn80 : '';
      setText(warning, warningText);
      warning.hidden = warningText === '';
    },
  };
}
