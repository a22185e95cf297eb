import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  announcements, type Browser, browserProblem, focused, launchBrowser, pageErrors, pageWidths, recordAnnouncements, screenshot, waitUntil,
} from '../support/browser.ts';
import { type DemoServer, startDemoServer } from '../support/demo-server.ts';
import { tariffFrom } from '../support/fixtures.ts';

/** A tariff whose price steps down 8 s into the session: 0.60 €/min, then 0.30 €/min, both by the second. */
const QUICK_STEP_TARIFF = {
  currency: 'EUR', vatRate: '0.20', pricesIncludeVat: true, connectionFee: '0.00', freeSeconds: 0, minimumSeconds: 0,
  tiers: [
    { fromSecond: 0, price: '0.60', perSeconds: 60, incrementSeconds: 1 },
    { fromSecond: 8, price: '0.30', perSeconds: 60, incrementSeconds: 1 },
  ],
  bands: [], flatPrice: null, maxCost: null, rounding: { mode: 'half-up', decimals: 2 }, holdBilled: false, profile: 'minitel-kiosque',
};

async function noHorizontalScroll(page: Page): Promise<void> {
  const widths = await pageWidths(page);
  assert.ok(widths.scroll <= widths.viewport, `no horizontal scrolling at ${widths.viewport} px (content is ${widths.scroll} px wide)`);
}

describe('browser: the widget by keyboard alone, at 320 px', { skip: browserProblem ?? false }, () => {
  let demo: DemoServer;
  let browser: Browser;
  before(async () => {
    demo = await startDemoServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser.close();
    await demo.stop();
  });

  it('Tab reaches the button, Escape cancels without a session, the dialog keeps focus, accept, quit and rate from the keyboard; nothing overflows 320 px', async () => {
    const page = await browser.newPage({ width: 320, height: 640 });
    const errors = pageErrors(page);
    await page.goto(`${demo.url}/demo/?offer=off_windows_help&subscriber=${demo.subscriber('Alice')}`);
    await page.locator('palier-assist[data-state="ready"]').waitFor();
    await noHorizontalScroll(page);
    await screenshot(page, '320-01-merchant-page');

    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'BUTTON.palier-launch', 'the assistance button is the first stop');
    await page.keyboard.press('Enter');
    await page.locator('palier-assist .palier-announcement').waitFor();
    assert.equal(await focused(page), 'H2#palier-consent-title in dialog');
    await noHorizontalScroll(page);
    await screenshot(page, '320-02-consent-dialog');
    await page.keyboard.press('Escape');
    await page.locator('palier-assist[data-state="ready"]').waitFor();
    assert.equal(await focused(page), 'BUTTON.palier-launch', 'focus comes back to the button');
    const none = await demo.call('GET', '/v1/sessions', demo.key('mer_depannage_pc'));
    assert.deepEqual(none.body.items, [], 'a cancelled dialog leaves no session: nothing is billed before acceptance');

    await page.keyboard.press('Enter');
    await page.locator('palier-assist .palier-announcement').waitFor();
    const stops: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      await page.keyboard.press('Tab');
      stops.push(await focused(page));
    }
    assert.equal(stops[0], 'INPUT#palier-cap in dialog');
    assert.ok(stops.includes('BUTTON.palier-primary.palier-accept in dialog') && stops.includes('BUTTON.palier-cancel in dialog'), stops.join(', '));
    assert.ok(stops.every((stop) => stop.endsWith('in dialog') || stop === 'BODY'), `focus stays in the modal dialog: ${stops.join(', ')}`);
    await page.locator('palier-assist #palier-cap').focus();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('2,00');
    while (!(await focused(page)).startsWith('BUTTON.palier-primary.palier-accept')) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');

    const panel = page.locator('palier-assist .palier-panel');
    await panel.waitFor();
    assert.equal(await focused(page), 'H2#palier-panel-title', 'focus moves to the live panel');
    const box = await panel.boundingBox();
    assert.ok(box !== null && box.x >= 0 && box.x + box.width <= 320, `the panel fits 320 px: ${JSON.stringify(box)}`);
    const quitBox = await panel.getByRole('button', { name: 'Quitter' }).boundingBox();
    assert.ok(quitBox !== null && quitBox.y >= 0 && quitBox.y + quitBox.height <= 640, 'the quit button is on screen');
    await noHorizontalScroll(page);

    // Metering: the live region speaks for the connection, and not for the ticks that follow.
    const sessionId = await panel.getAttribute('data-session-id');
    await recordAnnouncements(page);
    const connected = await demo.call('POST', `/v1/sessions/${sessionId ?? ''}/connect`, demo.key('mer_depannage_pc'));
    assert.equal(connected.status, 200);
    // No console here: the test is the advisor side, and its heartbeats are what let the meter run.
    const heartbeats = setInterval(() => { void demo.call('POST', `/v1/sessions/${sessionId ?? ''}/heartbeat`, demo.key('mer_depannage_pc')); }, 500);
    after(() => { clearInterval(heartbeats); });
    const elapsed = page.locator('palier-assist [data-part="elapsed"]');
    await waitUntil(async () => Number(await elapsed.getAttribute('data-seconds')) >= 3, '3 metered seconds');
    assert.deepEqual(await announcements(page),
      ['Un conseiller a pris votre demande : le décompte commence.'], 'one announcement, none per tick');
    await noHorizontalScroll(page);
    await screenshot(page, '320-03-meter');

    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'BUTTON.palier-quit');
    await page.keyboard.press('Enter');
    clearInterval(heartbeats);
    const end = page.locator('palier-assist .palier-end');
    await end.waitFor();
    assert.equal(await focused(page), 'H3', 'focus moves to the end screen');
    const chargeId = await end.getAttribute('data-charge-id');
    const charge = await demo.call('GET', `/v1/charges/${chargeId ?? ''}`, demo.key('mer_depannage_pc'));
    assert.equal(await end.locator('.palier-final-price').getAttribute('data-amount'), charge.body.amount);

    // Stars are a radio group: Tab in, Space picks one, arrows move along.
    while (!(await focused(page)).startsWith('INPUT#palier-star-1')) await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'TEXTAREA#palier-comment');
    await page.keyboard.type('OK');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await end.locator('.palier-rating-result[data-done="true"]').waitFor();
    assert.equal((await demo.server.storage.store.getRating(sessionId ?? ''))?.stars, 3);
    await noHorizontalScroll(page);
    await screenshot(page, '320-04-end-rated');

    while (!(await focused(page)).startsWith('BUTTON.palier-close')) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('palier-assist[data-state="ready"]').waitFor();
    assert.ok(await panel.isHidden());
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('the live region announces a tier change, with its new price, once — and none of the ticks around it', async () => {
    // The demo merchant sells a twin of its offer whose tier changes at 8 s (set up through the store).
    const { store } = demo.server.storage;
    const tariff = tariffFrom(QUICK_STEP_TARIFF);
    await store.publishTariff(tariff, Date.now());
    const base = await store.getOffer('off_windows_help');
    assert.ok(base !== null);
    await store.insertOffer({ ...base, id: 'off_windows_help_quick_step', name: 'Assistance Windows (palier à 8 s)', tariffHash: tariff.hash }, Date.now());
    const merchantKey = demo.key('mer_depannage_pc');

    const page = await browser.newPage({ width: 320, height: 640 });
    const errors = pageErrors(page);
    await page.goto(`${demo.url}/demo/?offer=off_windows_help_quick_step&subscriber=${demo.subscriber('Bruno')}`);
    await page.locator('palier-assist[data-state="ready"]').waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('palier-assist .palier-announcement').waitFor();
    while (!(await focused(page)).startsWith('BUTTON.palier-primary.palier-accept')) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const panel = page.locator('palier-assist .palier-panel');
    await panel.waitFor();
    const sessionId = await panel.getAttribute('data-session-id') ?? '';
    await page.locator('palier-assist .palier-meter[data-status="queued"]').waitFor();
    await recordAnnouncements(page);

    assert.equal((await demo.call('POST', `/v1/sessions/${sessionId}/connect`, merchantKey)).status, 200);
    const heartbeats = setInterval(() => { void demo.call('POST', `/v1/sessions/${sessionId}/heartbeat`, merchantKey); }, 500);
    after(() => { clearInterval(heartbeats); });
    const region = page.locator('palier-assist .palier-announcer');
    const priceChange = 'Changement de palier dans quelques secondes : 0,30\u00a0€ TTC / min, facturé à la seconde.';
    // Announced 5 s before the step, that is 3 s into the session.
    await waitUntil(async () => (await region.textContent()) === priceChange, 'the tier change announced');
    assert.equal(await region.getAttribute('aria-live'), 'polite');
    await screenshot(page, '320-05-tier-change-announced');
    // Past the step, the meter shows the new rate (after a fresh snapshot), and more ticks come.
    const meter = page.locator('palier-assist .palier-meter');
    await waitUntil(async () => Number(await meter.locator('[data-part="elapsed"]').getAttribute('data-seconds')) >= 10, '10 metered seconds');
    await waitUntil(async () => (await meter.locator('[data-part="rate"]').innerText()) === '0,30\u00a0€ TTC / min, facturé à la seconde', 'the new rate shown');
    assert.equal(await meter.locator('[data-part="next"]').innerText(), 'Aucun autre changement de prix');
    assert.deepEqual(await announcements(page),
      ['Un conseiller a pris votre demande : le décompte commence.', priceChange], 'the connection and the tier change, each once; never a tick');
    await screenshot(page, '320-06-after-tier-change');

    await panel.getByRole('button', { name: 'Quitter' }).click();
    clearInterval(heartbeats);
    await page.locator('palier-assist .palier-end').waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('a barred subscriber never sees the button', async () => {
    const page = await browser.newPage();
    await page.goto(`${demo.url}/demo/?offer=off_windows_help&subscriber=${demo.subscriber('Émile')}`);
    await page.locator('palier-assist[data-state="ineligible"]').waitFor({ state: 'attached' });
    assert.ok(await page.locator('palier-assist .palier-launch').isHidden());
    assert.match(await page.locator('#eligibility-note').innerText(), /subscriber_barred/);
    await screenshot(page, '13-ineligible');
    await page.close();
  });
});
