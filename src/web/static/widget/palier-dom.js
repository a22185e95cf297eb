/**
 * A tiny DOM builder: elements with attributes, text and children, never innerHTML, so nothing the
 * server or the user sends is ever parsed as markup.
 */

/**
 * h('button', { type: 'button', class: 'x', onclick: fn }, 'Quit') — `on…` attributes become
 * event listeners (no inline handlers: the page's CSP forbids them), `hidden`/`disabled` booleans,
 * everything else an attribute; children are nodes or strings (text).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Replaces an element's children. */
export function replaceChildren(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/** Sets text only when it changed, so that assistive technology is not told about non-changes. */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** A fresh Idempotency-Key. */
export function newKey() {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * A JSON request to Palier or the merchant backend; resolves with the parsed body, or rejects with
 * an Error whose message is the problem's detail or title (and `code`, `status` properties).
 */
export async function requestJson(url, { method = 'GET', token, body, idempotencyKey } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit' });
  const text = await response.text();
  let parsed = null;
  try { parsed = text === '' ? null : JSON.parse(text); } catch { parsed = null; }
  if (!response.ok) {
    const error = new Error(parsed?.detail ?? parsed?.title ?? `HTTP ${response.status}`);
    error.code = parsed?.code ?? null;
    error.status = response.status;
    throw error;
  }
  return parsed;
}
