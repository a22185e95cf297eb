/**
 * A real browser for the widget tests: Debian's Chromium driven by playwright-core (no browser
 * download). When /usr/bin/chromium is missing and we run as root, `apt-get install -y chromium`
 * is tried once; if it is still missing the browser suites are skipped with a visible message,
 * unless PALIER_REQUIRE_BROWSER=1 (set by .ci/run), which makes them fail instead.
 *
 * Each launch gets a fresh profile (--user-data-dir in a temporary folder). Screenshots go to
 * test/artifacts/ (git-ignored).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['PALIER_CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const REQUIRE_BROWSER = process.env['PALIER_REQUIRE_BROWSER'] === '1';

/** Where screenshots land: test/artifacts/ (git-ignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** The flags a CI browser needs: no sandbox (containers run as root), no GPU, no background traffic. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
] as const;

function tryInstallChromium(): string {
  if (process.getuid?.() !== 0) return 'not root, so apt-get install chromium was not tried';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  process.stderr.write('\n.. /usr/bin/chromium is missing: running apt-get install -y chromium\n');
  let result = spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { env, stdio: 'ignore', timeout: 600_000 });
  if (result.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore', timeout: 300_000 });
    result = spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { env, stdio: 'ignore', timeout: 600_000 });
  }
  return result.status === 0 ? '' : `apt-get install chromium failed (exit ${result.status ?? result.signal ?? '?'})`;
}

function findChromium(): string | null {
  if (existsSync(CHROMIUM_PATH)) return null;
  const installProblem = tryInstallChromium();
  if (existsSync(CHROMIUM_PATH)) return null;
  return `${CHROMIUM_PATH} not found${installProblem === '' ? '' : ` (${installProblem})`}`;
}

/** Why the browser suites cannot run, or null when they can. */
export const browserProblem: string | null = findChromium();
if (browserProblem !== null) {
  if (REQUIRE_BROWSER) throw new Error(`PALIER_REQUIRE_BROWSER=1 but Chromium is unavailable: ${browserProblem}`);
  process.stderr.write(`\n!! ${browserProblem}: the browser suites are SKIPPED. Set PALIER_REQUIRE_BROWSER=1 to fail instead.\n\n`);
}

export interface Browser {
  readonly context: BrowserContext;
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'palier-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS], viewport: { width: 1024, height: 768 }, locale: 'fr-FR',
  });
  return {
    context,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport !== undefined) await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Saves a screenshot as test/artifacts/<name>.png and returns its path: the full page, or one
 * element (quicker, for a state that lasts a second).
 */
export async function screenshot(target: Page | Locator, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  if ('goto' in target) await target.screenshot({ path, fullPage: true });
  else await target.screenshot({ path });
  return path;
}

/** Collects the page's uncaught errors and console errors: a widget test fails on any of them. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => { errors.push(`pageerror: ${error.message}`); });
  page.on('console', (message) => { if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`); });
  page.on('response', (response) => { if (response.status() >= 400) errors.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`); });
  return errors;
}

// The project compiles without the DOM library (server code must not see browser globals), so the
// few scripts run inside the page are strings.

/** What has the keyboard focus, through shadow roots: "BUTTON.palier-launch", "INPUT#palier-cap in dialog", … */
export function focused(page: Page): Promise<string> {
  return page.evaluate(`(() => {
    let element = document.activeElement;
    while (element && element.shadowRoot && element.shadowRoot.activeElement) element = element.shadowRoot.activeElement;
    if (!element) return 'none';
    const id = element.id === '' ? '' : '#' + element.id;
    const classes = element.classList.length === 0 ? '' : '.' + [...element.classList].join('.');
    return element.tagName + id + classes + (element.closest('dialog') === null ? '' : ' in dialog');
  })()`);
}

/** The page's width and the width of its content: equal when nothing scrolls sideways. */
export function pageWidths(page: Page): Promise<{ scroll: number; viewport: number }> {
  return page.evaluate('({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth })');
}

/** Starts recording every non-empty text the widget's live region takes; read them with `announcements`. */
export async function recordAnnouncements(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const region = document.querySelector('palier-assist').shadowRoot.querySelector('.palier-announcer');
    window.palierAnnounced = [];
    new MutationObserver(() => { if (region.textContent !== '') window.palierAnnounced.push(region.textContent); })
      .observe(region, { childList: true, characterData: true, subtree: true });
  })()`);
}

export async function announcements(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('window.palierAnnounced');
}

/** Polls `condition` every 100 ms until it holds, or fails after `timeoutMs` saying `what`. */
export async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
