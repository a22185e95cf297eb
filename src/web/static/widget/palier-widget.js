/**
 * <palier-assist>: the embeddable assistance button (docs/widget.md).
 *
 *   <script type="module" src="https://palier.example/widget/palier-widget.js"></script>
 *   <palier-assist offer="off_windows_help" subscriber="sub_…" backend="/palier" locale="fr-FR"></palier-assist>
 *
 * The merchant's backend (`backend`) answers GET {backend}/eligibility?offer=&subscriber= and
 * POST {backend}/quotes {offer, subscriber, locale}; the widget shows the button only when the
 * subscriber is eligible, shows the full price announcement of the quote with a cap selector
 * bounded by the allowed cap, and consents itself with the quote token only when the user presses
 * "accept and start" — nothing is billed before. It then shows the live meter (the quit button is
 * always visible), proves presence over the live feed, and ends on the final price, equal to the
 * charge, with a rating form. French and English; keyboard operable; one polite live region for
 * warnings and price changes only.
 *
 * Attributes: offer, subscriber, backend (URL of the merchant backend), locale ("fr-FR" or "en";
 * default: the page's lang), api (Palier's URL; default: where this script was loaded from).
 * The element's data-state says where it is: checking, ready, ineligible, consent, live, ended, error.
 */
import { h, newKey, replaceChildren, requestJson, setText } from './palier-dom.js';
import { compareDecimal, formatAmountInput, formatDuration, formatMoney, langOf, localeOf, normaliseAmountInput } from './palier-format.js';
import { stringsOf } from './palier-i18n.js';
import { initialLiveState, LiveConnection, reduceLive } from './palier-live.js';
import { announcementText, createMeter } from './palier-meter.js';

const STYLE_URL = new URL('./palier-widget.css', import.meta.url).href;
const DEFAULT_API = new URL('../', import.meta.url).href;
const STORAGE_PREFIX = 'palier-assist:';
/** Suggested caps, in major units, offered below the allowed cap. */
const CAP_PRESETS = ['2.00', '5.00', '10.00', '20.00'];

class PalierAssist extends HTMLElement {
  static get observedAttributes() { return ['offer', 'subscriber', 'backend', 'locale', 'api']; }

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    this.live = null;
    this.liveState = initialLiveState();
    this.session = null;
    this.endShown = false;
    this.refreshQueued = false;
  }

  connectedCallback() { this.queueRefresh(); }

  disconnectedCallback() { this.live?.stop(); this.live = null; }

  attributeChangedCallback() { if (this.session === null) this.queueRefresh(); }

  get lang() { return langOf(this.getAttribute('locale') ?? this.closest('[lang]')?.getAttribute('lang') ?? document.documentElement.lang); }
  get t() { return stringsOf(this.lang); }
  get locale() { return localeOf(this.lang); }
  get apiBase() { return new URL(this.getAttribute('api') ?? DEFAULT_API, document.baseURI).href; }
  get storageKey() { return `${STORAGE_PREFIX}${this.getAttribute('offer') ?? ''}`; }

  backendUrl(path) {
    const base = new URL(this.getAttribute('backend') ?? '', document.baseURI).href.replace(/\/$/, '');
    return new URL(`${base}/${path}`);
  }

  apiUrl(path) { return new URL(path, this.apiBase).href; }

  setState(state) { this.dataset.state = state; }

  /** Several attributes usually change together: rebuild once. */
  queueRefresh() {
    if (this.refreshQueued) return;
    this.refreshQueued = true;
    queueMicrotask(() => { this.refreshQueued = false; if (this.isConnected) void this.refresh(); });
  }

  build() {
    const t = this.t;
    this.launch = h('button', { type: 'button', class: 'palier-launch', hidden: true, onclick: () => { void this.openConsent(); } }, t.launch);
    this.dialog = h('dialog', { class: 'palier-dialog', 'aria-labelledby': 'palier-consent-title' });
    this.dialog.addEventListener('close', () => { if (this.session === null) { this.setState('ready'); this.launch.focus(); } });
    this.panelTitle = h('h2', { id: 'palier-panel-title', tabindex: '-1' }, t.panelTitle);
    this.quitButton = h('button', { type: 'button', class: 'palier-quit', onclick: () => { void this.quit(); } }, t.quit);
    this.panelBody = h('div', { class: 'palier-panel-body' });
    this.panel = h('section', { class: 'palier-panel', 'aria-labelledby': 'palier-panel-title', hidden: true },
      h('header', { class: 'palier-panel-header' }, this.panelTitle, this.quitButton), this.panelBody);
    this.announcer = h('div', { class: 'palier-announcer', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
    replaceChildren(this.root, h('link', { rel: 'stylesheet', href: STYLE_URL }),
      h('div', { class: 'palier', lang: this.locale }, this.launch, this.dialog, this.panel, this.announcer));
  }

  async refresh() {
    this.build();
    const stored = this.readStored();
    if (stored !== null) {
      this.startSession(stored);
      return;
    }
    await this.checkEligibility();
  }

  async checkEligibility() {
    const offer = this.getAttribute('offer');
    const subscriber = this.getAttribute('subscriber');
    if (!offer || !subscriber || !this.hasAttribute('backend')) {
      this.setState('ineligible');
      return;
    }
    this.setState('checking');
    const url = this.backendUrl('eligibility');
    url.searchParams.set('offer', offer);
    url.searchParams.set('subscriber', subscriber);
    let eligibility;
    try {
      eligibility = await requestJson(url.href);
    } catch (error) {
      eligibility = { eligible: false, reason: error.code ?? 'unavailable' };
    }
    this.launch.hidden = eligibility.eligible !== true;
    this.setState(eligibility.eligible === true ? 'ready' : 'ineligible');
    this.dispatchEvent(new CustomEvent('palier-eligibility', { bubbles: true, composed: true, detail: eligibility }));
  }

  problemText(error) {
    const t = this.t;
    return t.problems[error?.code] ?? t.error(error?.message ?? String(error));
  }

  async openConsent() {
    const t = this.t;
    this.setState('consent');
    replaceChildren(this.dialog, h('h2', { id: 'palier-consent-title', tabindex: '-1' }, t.consentTitle), h('p', { class: 'palier-loading' }, t.loadingTariff));
    this.dialog.showModal();
    try {
      const quote = await requestJson(this.backendUrl('quotes').href, {
        method: 'POST', body: { offer: this.getAttribute('offer'), subscriber: this.getAttribute('subscriber'), locale: this.locale },
      });
      this.renderConsent(quote);
    } catch (error) {
      replaceChildren(this.dialog,
        h('h2', { id: 'palier-consent-title', tabindex: '-1' }, t.consentTitle),
        h('p', { class: 'palier-error', role: 'alert' }, this.problemText(error)),
        h('div', { class: 'palier-actions' }, h('button', { type: 'button', onclick: () => { this.dialog.close(); } }, t.close)));
    }
  }

  /** The consent form: the announcement as Palier wrote it, the cap, accept or cancel. */
  renderConsent(quote) {
    const t = this.t;
    const money = (amount) => formatMoney(amount, quote.currency, this.locale);
    const capInput = h('input', {
      id: 'palier-cap', name: 'cap', inputmode: 'decimal', autocomplete: 'off', required: true, 'aria-describedby': 'palier-cap-hint palier-cap-error',
      value: formatAmountInput(quote.capAllowed, quote.currency, this.locale),
    });
    const capError = h('p', { id: 'palier-cap-error', class: 'palier-field-error', hidden: true });
    const formError = h('p', { class: 'palier-error', role: 'alert', hidden: true });
    const presets = [...CAP_PRESETS.filter((amount) => compareDecimal(amount, quote.capAllowed) < 0), quote.capAllowed];
    const accept = h('button', { type: 'button', class: 'palier-primary palier-accept' }, t.accept);
    const time = new Intl.DateTimeFormat(this.locale, { hour: '2-digit', minute: '2-digit' }).format(new Date(quote.expiresAt));
    replaceChildren(this.dialog,
      h('h2', { id: 'palier-consent-title', tabindex: '-1' }, t.consentTitle),
      h('p', { class: 'palier-nothing-billed' }, t.nothingBilled),
      h('section', { class: 'palier-announcement', 'aria-labelledby': 'palier-announcement-title', 'data-hash': quote.announcement.hash },
        h('h3', { id: 'palier-announcement-title' }, t.announcementLabel),
        quote.announcement.text.split('\n').map((line) => h('p', { class: line.startsWith('–') ? 'palier-tier' : '' }, line))),
      h('p', { class: 'palier-valid' }, t.validUntil(time)),
      h('div', { class: 'palier-cap-field' },
        h('label', { for: 'palier-cap' }, t.capLabel),
        capInput,
        h('p', { id: 'palier-cap-hint', class: 'palier-hint' }, t.capHint(money(quote.capAllowed))),
        h('div', { class: 'palier-presets', role: 'group', 'aria-label': t.capPresets },
          presets.map((amount) => h('button', {
            type: 'button', class: 'palier-preset', 'data-amount': amount,
            onclick: () => { capInput.value = formatAmountInput(amount, quote.currency, this.locale); capError.hidden = true; capInput.removeAttribute('aria-invalid'); },
          }, amount === quote.capAllowed ? t.capMax(money(amount)) : money(amount)))),
        capError),
      formError,
      h('div', { class: 'palier-actions' }, accept, h('button', { type: 'button', class: 'palier-cancel', onclick: () => { this.dialog.close(); } }, t.cancel)));
    const idempotencyKey = newKey();
    accept.addEventListener('click', () => { void this.accept({ quote, capInput, capError, formError, accept, idempotencyKey }); });
    this.dialog.querySelector('#palier-consent-title')?.focus();
  }

  async accept({ quote, capInput, capError, formError, accept, idempotencyKey }) {
    const t = this.t;
    const money = (amount) => formatMoney(amount, quote.currency, this.locale);
    const cap = normaliseAmountInput(capInput.value, quote.currency);
    if (cap === null || compareDecimal(cap, '0') <= 0 || compareDecimal(cap, quote.capAllowed) > 0) {
      setText(capError, t.capInvalid(money('0.01'), money(quote.capAllowed)));
      capError.hidden = false;
      capInput.setAttribute('aria-invalid', 'true');
      capInput.focus();
      return;
    }
    accept.disabled = true;
    formError.hidden = true;
    try {
      const session = await requestJson(this.apiUrl('/v1/sessions'), {
        method: 'POST', token: quote.quoteToken, idempotencyKey,
        body: { quoteId: quote.id, announcementHash: quote.announcement.hash, cap, accepted: true, channel: 'web' },
      });
      const stored = { sessionId: session.id, token: session.userToken };
      this.writeStored(stored);
      this.dialog.close();
      this.startSession(stored);
      this.panelTitle.focus();
    } catch (error) {
      setText(formError, this.problemText(error));
      formError.hidden = false;
      accept.disabled = false;
    }
  }

  /** The live meter of a consented session, until it ends. */
  startSession(stored) {
    this.session = stored;
    this.endShown = false;
    this.setState('live');
    this.launch.hidden = true;
    this.quitButton.hidden = false;
    this.quitButton.disabled = false;
    this.meter = createMeter({ lang: this.lang, locale: this.locale, idPrefix: 'palier' });
    this.liveState = initialLiveState();
    this.meter.update(this.liveState);
    this.errorLine = h('p', { class: 'palier-error', role: 'alert', hidden: true });
    replaceChildren(this.panelBody, this.meter.element, this.errorLine);
    this.panel.hidden = false;
    this.panel.dataset.sessionId = stored.sessionId;
    this.live?.stop();
    this.live = new LiveConnection({
      apiBase: this.apiBase, token: stored.token,
      onMessage: (message) => { this.onLive(message); },
      onClosed: (code) => { if (code === 1008 && !this.endShown) this.forget(); },
    });
    this.live.start();
  }

  onLive(message) {
    const { state, effects } = reduceLive(this.liveState, message);
    this.liveState = state;
    this.meter.update(state);
    for (const effect of effects) {
      if (effect.type === 'announce') this.announceEffect(effect);
      else if (effect.type === 'resync') this.live?.resync();
      else if (effect.type === 'ended' && state.ended !== null) void this.showEnd(state.ended);
    }
  }

  announceEffect(effect) {
    const text = announcementText(effect, { currency: this.liveState.currency, tariff: this.liveState.tariff, lang: this.lang, locale: this.locale });
    if (text !== null) this.announce(text);
  }

  /** Says `text` once in the polite live region (cleared first, so a repeated text is said again). */
  announce(text) {
    this.announcer.textContent = '';
    // A timer, not an animation frame: a background tab (the user watching the advisor's tab) runs no frames.
    setTimeout(() => { this.announcer.textContent = text; }, 100);
  }

  async quit() {
    if (this.session === null || this.endShown) return;
    this.quitButton.disabled = true;
    try {
      const session = await requestJson(this.apiUrl(`/v1/sessions/${encodeURIComponent(this.session.sessionId)}/end`), {
        method: 'POST', token: this.session.token, idempotencyKey: newKey(),
      });
      await this.showEnd({ reason: session.endReason, amount: session.amount, chargeId: session.chargeId, meteredSeconds: session.meteredSeconds });
    } catch (error) {
      // Ended meanwhile (the cap, the advisor): the live feed brings the end screen.
      if (error.code !== 'session_closed') {
        setText(this.errorLine, this.problemText(error));
        this.errorLine.hidden = false;
        this.quitButton.disabled = false;
      }
    }
  }

  /** The end screen: the final price read back from the charge, the duration, the reason, the rating form. */
  async showEnd(ended) {
    if (this.endShown || this.session === null) return;
    this.endShown = true;
    this.live?.stop();
    this.live = null;
    this.quitButton.hidden = true;
    const t = this.t;
    const { currency } = this.liveState;
    let charge = null;
    if (ended.chargeId !== null && ended.chargeId !== undefined) {
      try {
        charge = await requestJson(this.apiUrl(`/v1/charges/${encodeURIComponent(ended.chargeId)}`), { token: this.session.token });
      } catch {
        charge = null;
      }
    }
    const amount = charge?.amount ?? (ended.chargeId ? ended.amount : '0.00');
    const metered = charge?.meteredSeconds ?? ended.meteredSeconds ?? 0;
    const title = h('h3', { tabindex: '-1' }, t.endTitle);
    const figure = (label, value, attributes) => h('div', { class: 'palier-figure' }, h('dt', {}, label), h('dd', attributes, value));
    replaceChildren(this.panelBody, h('div', { class: 'palier-end', 'data-charge-id': ended.chargeId ?? '' },
      title,
      h('dl', { class: 'palier-figures' },
        figure(t.finalPrice, formatMoney(amount, charge?.currency ?? currency, this.locale), { class: 'palier-final-price', 'data-amount': amount }),
        figure(t.duration, formatDuration(metered), { class: 'palier-duration', 'data-seconds': String(metered) }),
        charge !== null && charge.billedSeconds !== charge.meteredSeconds ? figure(t.billedTime, formatDuration(charge.billedSeconds), { class: 'palier-billed-time' }) : null,
        figure(t.reason, t.endReasons[ended.reason] ?? ended.reason, { class: 'palier-end-reason', 'data-reason': ended.reason })),
      ended.chargeId ? null : h('p', { class: 'palier-hint' }, t.nothingCharged),
      this.ratingForm(),
      h('div', { class: 'palier-actions' }, h('button', { type: 'button', class: 'palier-close', onclick: () => { this.forget(); } }, t.close))));
    this.setState('ended');
    title.focus();
  }

  ratingForm() {
    const t = this.t;
    const result = h('p', { class: 'palier-rating-result', tabindex: '-1', hidden: true });
    const stars = [1, 2, 3, 4, 5].map((n) => [
      h('input', { type: 'radio', name: 'palier-stars', id: `palier-star-${n}`, value: String(n), class: 'palier-star-input' }),
      h('label', { for: `palier-star-${n}`, class: 'palier-star', title: t.stars(n) }, h('span', { 'aria-hidden': 'true' }, '★'), h('span', { class: 'palier-sr' }, t.stars(n))),
    ]);
    const comment = h('textarea', { id: 'palier-comment', name: 'comment', rows: '3', maxlength: '2000' });
    const send = h('button', { type: 'submit', class: 'palier-primary' }, t.send);
    const form = h('form', { class: 'palier-rating', novalidate: true },
      h('fieldset', { class: 'palier-stars' }, h('legend', {}, t.ratingTitle), stars),
      h('label', { for: 'palier-comment' }, t.comment), comment, send, result);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const chosen = form.querySelector('input[name="palier-stars"]:checked');
      if (chosen === null) {
        setText(result, t.chooseStars);
        result.hidden = false;
        return;
      }
      send.disabled = true;
      void this.sendRating(Number.parseInt(chosen.value, 10), comment.value, form, result, send);
    });
    return form;
  }

  async sendRating(stars, comment, form, result, send) {
    const t = this.t;
    try {
      await requestJson(this.apiUrl(`/v1/sessions/${encodeURIComponent(this.session.sessionId)}/rating`), {
        method: 'POST', token: this.session.token, idempotencyKey: newKey(), body: { stars, comment },
      });
      setText(result, t.thanks);
    } catch (error) {
      if (error.code !== 'already_rated') {
        setText(result, this.problemText(error));
        result.hidden = false;
        send.disabled = false;
        return;
      }
      setText(result, t.alreadyRated);
    }
    for (const field of form.querySelectorAll('input, textarea, button')) field.disabled = true;
    result.hidden = false;
    result.dataset.done = 'true';
    result.focus();
  }

  /** Leaves the session behind: the button comes back (after a fresh eligibility check). */
  forget() {
    this.live?.stop();
    this.live = null;
    this.session = null;
    try { sessionStorage.removeItem(this.storageKey); } catch { /* storage disabled */ }
    this.panel.hidden = true;
    void this.checkEligibility().then(() => { if (!this.launch.hidden) this.launch.focus(); });
  }

  readStored() {
    try {
      const value = JSON.parse(sessionStorage.getItem(this.storageKey) ?? 'null');
      return value !== null && typeof value.sessionId === 'string' && typeof value.token === 'string' ? value : null;
    } catch {
      return null;
    }
  }

  writeStored(stored) {
    // Kept for this tab only, so a reload finds its meter again; never in localStorage.
    try { sessionStorage.setItem(this.storageKey, JSON.stringify(stored)); } catch { /* storage disabled */ }
  }
}

if (customElements.get('palier-assist') === undefined) customElements.define('palier-assist', PalierAssist);
