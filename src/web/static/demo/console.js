/**
 * The advisor console: the merchant's waiting requests (polled every 2 s), and a card per session
 * this advisor runs, with the same live meter as the user's and the buttons that drive it:
 * connect, hold/resume, switch medium, end. Each card keeps a live connection open and pings on it:
 * that is the advisor side's proof of presence, without which a session ends after the grace period.
 *
 * The merchant key comes from the URL fragment (#key=pk_…): a fragment is never sent to a server,
 * so the key stays out of every log. Add ?lang=en for English.
 */
import { h, newKey, replaceChildren, requestJson, setText } from '/widget/palier-dom.js';
import { formatClock, formatMoney, localeOf } from '/widget/palier-format.js';
import { stringsOf } from '/widget/palier-i18n.js';
import { initialLiveState, LiveConnection, reduceLive } from '/widget/palier-live.js';
import { createMeter } from '/widget/palier-meter.js';

/** The queue is polled this often (the live feed covers the sessions on cards). */
const POLL_INTERVAL_MS = 2_000;
const MINE_STORAGE_KEY = 'palier-console:mine';

const lang = new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'fr';
const locale = localeOf(lang);
const t = stringsOf(lang);
const c = t.console;
document.documentElement.lang = lang;
document.title = `${c.title} — Palier`;
setText(document.getElementById('console-title'), c.title);

const main = document.getElementById('console');
const announcer = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
const errorLine = h('p', { class: 'error', role: 'alert', hidden: true });

function keyFromFragment() {
  return new URLSearchParams(location.hash.slice(1)).get('key');
}

function announce(text) {
  announcer.textContent = '';
  setTimeout(() => { announcer.textContent = text; }, 100);
}

function showError(error) {
  setText(errorLine, t.problems[error?.code] ?? t.error(error?.message ?? String(error)));
  errorLine.hidden = false;
}

/** Without a key: a form that puts it in the fragment. */
function askForKey() {
  const input = h('input', { id: 'key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const form = h('form', { class: 'key-form' }, h('p', {}, c.keyMissing), h('label', { for: 'key' }, c.keyLabel), input,
    h('button', { type: 'submit', class: 'primary' }, c.useKey));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value.trim() === '') return;
    location.hash = `key=${encodeURIComponent(input.value.trim())}`;
    location.reload();
  });
  replaceChildren(main, form);
  input.focus();
}

class Console {
  constructor(key) {
    this.key = key;
    this.offers = new Map();
    this.queueRows = new Map();
    this.otherRows = new Map();
    this.cards = new Map();
    this.queueIds = new Set();
    this.queue = h('ul', { class: 'session-list', id: 'queue' });
    this.queueEmpty = h('p', { class: 'note' }, c.queueEmpty);
    this.cardList = h('div', { class: 'cards', id: 'cards' });
    this.mineEmpty = h('p', { class: 'note' }, c.mineEmpty);
    this.others = h('ul', { class: 'session-list', id: 'others' });
    this.othersEmpty = h('p', { class: 'note' }, c.othersEmpty);
    replaceChildren(main,
      errorLine,
      h('section', { 'aria-labelledby': 'queue-title' }, h('h2', { id: 'queue-title' }, c.queue), this.queue, this.queueEmpty),
      h('section', { 'aria-labelledby': 'mine-title' }, h('h2', { id: 'mine-title' }, c.mine), this.cardList, this.mineEmpty),
      h('section', { 'aria-labelledby': 'others-title' }, h('h2', { id: 'others-title' }, c.others), this.others, this.othersEmpty),
      announcer);
  }

  api(path, options = {}) {
    return requestJson(new URL(path, location.origin).href, { token: this.key, ...options });
  }

  async start() {
    try {
      const offers = await this.api('/v1/offers');
      for (const offer of offers.items) this.offers.set(offer.id, offer);
      setText(document.getElementById('merchant'), offers.items[0]?.merchantId ?? '');
    } catch (error) {
      showError(error);
      return;
    }
    for (const id of this.readMine()) this.openCard(id);
    await this.poll();
    setInterval(() => { void this.poll(); }, POLL_INTERVAL_MS);
  }

  async poll() {
    let pages;
    try {
      pages = await Promise.all(['queued', 'active', 'on_hold'].map((status) => this.api(`/v1/sessions?status=${status}&limit=50`)));
    } catch (error) {
      showError(error);
      return;
    }
    errorLine.hidden = true;
    const [queued, active, onHold] = pages.map((page) => page.items);
    const fresh = queued.filter((session) => !this.queueIds.has(session.id));
    if (fresh.length > 0 && this.queueIds.size + fresh.length > 0 && this.polledOnce) announce(c.newRequest(fresh.length));
    this.polledOnce = true;
    this.queueIds = new Set(queued.map((session) => session.id));
    this.sync(this.queue, this.queueRows, queued.filter((session) => !this.cards.has(session.id)), (session) => this.queueRow(session));
    this.sync(this.others, this.otherRows, [...active, ...onHold].filter((session) => !this.cards.has(session.id)), (session) => this.otherRow(session));
    this.queueEmpty.hidden = this.queueRows.size > 0;
    this.othersEmpty.hidden = this.otherRows.size > 0;
    this.mineEmpty.hidden = this.cards.size > 0;
    setText(document.getElementById('refreshed'), c.refreshed(new Intl.DateTimeFormat(locale, { timeStyle: 'medium' }).format(new Date())));
  }

  /** Keyed update of a list: rows are kept (and keep focus) while their session stays; only their figures change. */
  sync(list, rows, sessions, make) {
    const ids = new Set(sessions.map((session) => session.id));
    for (const [id, row] of rows) if (!ids.has(id)) { row.element.remove(); rows.delete(id); }
    for (const session of sessions) {
      let row = rows.get(session.id);
      if (row === undefined) {
        row = make(session);
        rows.set(session.id, row);
        list.append(row.element);
      }
      row.update(session);
    }
  }

  offerName(offerId) {
    return this.offers.get(offerId)?.name ?? offerId;
  }

  sessionRow(session, buttonLabel, onClick) {
    const waited = h('dd', {});
    const status = h('dd', {});
    const button = h('button', { type: 'button', class: 'primary', onclick: () => { void onClick(button); } }, buttonLabel);
    const element = h('li', { class: 'session-row', 'data-session-id': session.id },
      h('dl', {},
        h('div', {}, h('dt', {}, c.offer), h('dd', {}, this.offerName(session.offerId))),
        h('div', {}, h('dt', {}, c.subscriber), h('dd', {}, session.subscriberId)),
        h('div', {}, h('dt', {}, c.status), status),
        h('div', {}, h('dt', {}, c.waiting), waited),
        h('div', {}, h('dt', {}, c.cap), h('dd', {}, formatMoney(session.cap, session.currency, locale)))),
      button);
    button.setAttribute('aria-label', `${buttonLabel} — ${this.offerName(session.offerId)}, ${session.subscriberId}`);
    return {
      element,
      update: (next) => {
        setText(status, c.statusNames[next.status] ?? next.status);
        setText(waited, formatClock((Date.now() - Date.parse(next.createdAt)) / 1000));
      },
    };
  }

  queueRow(session) {
    return this.sessionRow(session, c.connect, async (button) => {
      button.disabled = true;
      try {
        await this.api(`/v1/sessions/${encodeURIComponent(session.id)}/connect`, { method: 'POST', idempotencyKey: newKey() });
        this.openCard(session.id, session.offerId);
        this.queueRows.get(session.id)?.element.remove();
        this.queueRows.delete(session.id);
        this.queueEmpty.hidden = this.queueRows.size > 0;
        this.cards.get(session.id)?.heading.focus();
      } catch (error) {
        showError(error);
        button.disabled = false;
      }
    });
  }

  otherRow(session) {
    return this.sessionRow(session, c.takeOver, async () => {
      this.openCard(session.id, session.offerId);
      this.otherRows.get(session.id)?.element.remove();
      this.otherRows.delete(session.id);
      this.cards.get(session.id)?.heading.focus();
    });
  }

  openCard(sessionId, offerId) {
    if (this.cards.has(sessionId)) return;
    const card = new SessionCard(this, sessionId, offerId);
    this.cards.set(sessionId, card);
    this.cardList.append(card.element);
    this.mineEmpty.hidden = true;
    this.writeMine();
  }

  closeCard(sessionId) {
    this.cards.get(sessionId)?.stop();
    this.cards.get(sessionId)?.element.remove();
    this.cards.delete(sessionId);
    this.mineEmpty.hidden = this.cards.size > 0;
    this.writeMine();
  }

  readMine() {
    try {
      const ids = JSON.parse(sessionStorage.getItem(MINE_STORAGE_KEY) ?? '[]');
      return Array.isArray(ids) ? ids.filter((id) => typeof id === 'string') : [];
    } catch {
      return [];
    }
  }

  writeMine() {
    try { sessionStorage.setItem(MINE_STORAGE_KEY, JSON.stringify([...this.cards.keys()])); } catch { /* storage disabled */ }
  }
}

/** One session this advisor runs: its meter over the live feed and its controls. */
class SessionCard {
  constructor(owner, sessionId, offerId) {
    this.owner = owner;
    this.sessionId = sessionId;
    this.state = initialLiveState();
    this.meter = createMeter({ lang, locale, idPrefix: `card-${sessionId}` });
    this.heading = h('h3', { tabindex: '-1' }, `${offerId === undefined ? '' : `${owner.offerName(offerId)} — `}${sessionId}`);
    this.holdButton = h('button', { type: 'button', class: 'hold', onclick: () => { void this.toggleHold(); } }, c.hold);
    this.mediumSelect = h('select', { id: `medium-${sessionId}` });
    this.mediumButton = h('button', { type: 'button', class: 'switch-medium', onclick: () => { void this.switchMedium(); } }, c.switchMedium);
    this.endButton = h('button', { type: 'button', class: 'end danger', onclick: () => { void this.end(); } }, c.end);
    this.result = h('p', { class: 'card-ended', hidden: true });
    this.dismiss = h('button', { type: 'button', class: 'dismiss', hidden: true, onclick: () => { owner.closeCard(sessionId); } }, c.dismiss);
    this.actions = h('div', { class: 'card-actions' },
      this.holdButton,
      h('label', { for: `medium-${sessionId}` }, c.medium, this.mediumSelect),
      this.mediumButton, this.endButton);
    this.element = h('article', { class: 'card', 'data-session-id': sessionId, 'aria-labelledby': `card-title-${sessionId}` },
      this.heading, this.meter.element, this.actions, this.result, this.dismiss);
    this.heading.id = `card-title-${sessionId}`;
    this.fillMedia(offerId);
    this.render();
    this.live = new LiveConnection({
      apiBase: location.origin, token: owner.key, sessionId,
      onMessage: (message) => { this.onLive(message); },
      onClosed: (code) => { if (code === 1008) owner.closeCard(sessionId); },
    });
    this.live.start();
  }

  fillMedia(offerId) {
    const allowed = this.owner.offers.get(offerId ?? '')?.mediaAllowed ?? ['voice', 'chat', 'video', 'cobrowse'];
    replaceChildren(this.mediumSelect, allowed.map((medium) => h('option', { value: medium }, t.media[medium] ?? medium)));
  }

  onLive(message) {
    const { state, effects } = reduceLive(this.state, message);
    this.state = state;
    if (message.type === 'snapshot' && this.mediumSelect.value !== state.medium && state.medium !== null) this.mediumSelect.value = state.medium;
    this.render();
    for (const effect of effects) {
      if (effect.type === 'resync') this.live.resync();
      else if (effect.type === 'announce' && (effect.kind === 'cap_warning_80' || effect.kind === 'cap_warning_1min')) {
        announce(`${this.sessionId}: ${effect.kind === 'cap_warning_80' ? t.warn80 : t.warn1min}`);
      } else if (effect.type === 'ended') this.showEnded();
    }
  }

  render() {
    this.meter.update(this.state);
    const running = this.state.ended === null && (this.state.status === 'active' || this.state.status === 'on_hold');
    setText(this.holdButton, this.state.status === 'on_hold' ? c.resume : c.hold);
    this.holdButton.disabled = !running;
    this.mediumButton.disabled = this.state.ended !== null || this.state.status === 'connecting';
    this.endButton.disabled = this.state.ended !== null || this.state.status === 'connecting';
  }

  async act(path, body) {
    try {
      await this.owner.api(`/v1/sessions/${encodeURIComponent(this.sessionId)}/${path}`, { method: 'POST', idempotencyKey: newKey(), body });
      errorLine.hidden = true;
    } catch (error) {
      showError(error);
    }
  }

  toggleHold() { return this.act(this.state.status === 'on_hold' ? 'resume' : 'hold'); }

  switchMedium() { return this.act('media', { medium: this.mediumSelect.value }); }

  end() { return this.act('end'); }

  showEnded() {
    this.live.stop();
    const ended = this.state.ended;
    setText(this.result, c.ended(formatMoney(ended.amount, this.state.currency, locale), c.endReasons[ended.reason] ?? ended.reason));
    this.result.dataset.amount = ended.amount;
    this.result.dataset.reason = ended.reason;
    this.result.hidden = false;
    this.actions.hidden = true;
    this.dismiss.hidden = false;
  }

  stop() { this.live.stop(); }
}

const key = keyFromFragment();
window.addEventListener('hashchange', () => { location.reload(); });
if (key === null || key === '') askForKey();
else void new Console(key).start();
