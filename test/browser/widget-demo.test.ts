import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { sha256Hex } from '../../src/domain/index.ts';
import { type Browser, browserProblem, focused, launchBrowser, pageErrors, screenshot, waitUntil } from '../support/browser.ts';
import { type DemoServer, startDemoServer } from '../support/demo-server.ts';

/** The text the page shows for an amount, formatted by the page's own Intl (the browser's ICU). */
function formatInPage(page: Page, amount: string, locale: string): Promise<string> {
  return page.evaluate(([value, loc]) => new Intl.NumberFormat(loc, { style: 'currency', currency: 'EUR' }).format(value as unknown as number), [amount, locale] as const);
}

async function sessionCount(demo: DemoServer, merchantId: string): Promise<number> {
  const page = await demo.call('GET', '/v1/sessions', demo.key(merchantId));
  assert.equal(page.status, 200);
  return (page.body.items as unknown[]).length;
}

describe('browser: the demo in two tabs (widget and advisor console)', { skip: browserProblem ?? false }, () => {
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

  it('consent with a cap, the advisor connects, the meter runs, the user quits: the final price shown is the charge, and the rating is stored', async () => {
    const alice = demo.subscriber('Alice');
    const merchantKey = demo.key('mer_depannage_pc');
    const user = await browser.newPage();
    const userErrors = pageErrors(user);
    await user.goto(`${demo.url}/demo/?offer=off_windows_help&subscriber=${alice}`);

    // The button shows only once the merchant backend says the subscriber is eligible.
    await user.locator('palier-assist[data-state="ready"]').waitFor();
    const launch = user.getByRole('button', { name: 'Parler à un conseiller (service payant)' });
    assert.ok(await launch.isVisible());
    await screenshot(user, '01-merchant-page');

    // The consent dialog: the full announcement Palier wrote, nothing billed yet.
    await launch.click();
    const dialog = user.getByRole('dialog', { name: 'Le tarif, avant de commencer' });
    const announcement = dialog.locator('.palier-announcement');
    await announcement.waitFor();
    const lines = await announcement.locator('p').allInnerTexts();
    const text = lines.join('\n');
    for (const expected of ["Tarif de l'assistance, prix TTC (TVA 20\u00a0% incluse) :", '0,53\u00a0€ par minute', 'facturé par minute entamée',
      'Tranche « Soirée et nuit »', 'Tranche « Week-end »', 'Pas de frais de connexion.', "L'attente avant la prise en charge par un conseiller est gratuite."]) {
      assert.ok(text.includes(expected), `the announcement says ${JSON.stringify(expected)}:\n${text}`);
    }
    assert.equal(await announcement.getAttribute('data-hash'), `sha256:${sha256Hex(text)}`, 'the text shown is the text whose hash is consented to');
    assert.ok(await dialog.getByText("Rien n'est facturé avant votre accord.", { exact: false }).isVisible());
    assert.equal(await focused(user), 'H2#palier-consent-title in dialog', 'focus moves into the dialog');
    assert.equal(await sessionCount(demo, 'mer_depannage_pc'), 0, 'nothing exists before acceptance');
    await screenshot(user, '02-consent-dialog');

    // Accept with a 5,00 € cap, from the keyboard.
    await dialog.getByLabel('Votre plafond de dépense').fill('5,00');
    await dialog.getByRole('button', { name: 'Accepter et démarrer' }).focus();
    await user.keyboard.press('Enter');
    const panel = user.locator('palier-assist .palier-panel');
    await panel.waitFor();
    await user.locator('palier-assist .palier-meter[data-status="queued"]').waitFor();
    assert.match(await panel.locator('[data-part="status"]').innerText(), /L'attente est gratuite/);
    assert.ok(await panel.getByRole('button', { name: 'Quitter' }).isVisible(), 'the quit button is there while waiting');
    const sessionId = await panel.getAttribute('data-session-id');
    assert.ok(sessionId !== null && sessionId.startsWith('ses'), `a session id: ${String(sessionId)}`);
    const consent = await demo.server.storage.store.getConsentForSession(sessionId);
    assert.equal(consent?.announcementText, text, 'the consent record holds the very text shown');
    assert.equal(consent.capMinor, 500n);
    await screenshot(user, '03-widget-waiting');

    // The advisor takes the request in a second tab.
    const advisor = await browser.newPage();
    const advisorErrors = pageErrors(advisor);
    await advisor.goto(`${demo.url}/demo/console#key=${encodeURIComponent(merchantKey)}`);
    const row = advisor.locator(`#queue [data-session-id="${sessionId}"]`);
    await row.waitFor();
    await screenshot(advisor, '04-console-queue');
    await row.getByRole('button', { name: /Prendre la demande/ }).click();
    const card = advisor.locator(`#cards [data-session-id="${sessionId}"]`);
    await card.locator('.palier-meter[data-status="active"]').waitFor();

    // The user's meter runs on the server's ticks: time, price, rate, next step, cap bar.
    await user.locator('palier-assist .palier-meter[data-status="active"]').waitFor();
    const meter = user.locator('palier-assist .palier-meter');
    await waitUntil(async () => Number(await meter.locator('[data-part="elapsed"]').getAttribute('data-seconds')) >= 3, '3 metered seconds');
    assert.match(await meter.locator('[data-part="elapsed"]').innerText(), /^\d+:\d{2}$/);
    // Both sides prove presence every second, so the meter moves second by second (not in the steps of a slower ping).
    const steps: number[] = [];
    let shown = Number(await meter.locator('[data-part="elapsed"]').getAttribute('data-seconds'));
    for (const deadline = Date.now() + 4_000; Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const now = Number(await meter.locator('[data-part="elapsed"]').getAttribute('data-seconds'));
      if (now !== shown) steps.push(now - shown);
      shown = now;
    }
    assert.ok(steps.length >= 2 && steps.every((step) => step >= 1 && step <= 2), `the meter moves a second at a time: steps ${steps.join(', ')}`);
    assert.match(await meter.locator('[data-part="amount"]').innerText(), /^\d+,\d{2}\u00a0€$/);
    assert.match(await meter.locator('[data-part="rate"]').innerText(), /^0,\d{2}\u00a0€ TTC \/ min, par minute entamée$/);
    assert.match(await meter.locator('[data-part="next"]').innerText(), /^À 3:00 : 0,\d{2}\u00a0€ TTC \/ min/);
    assert.match(await meter.locator('[data-part="cap"]').innerText(), /^Plafond : \d+,\d{2}\u00a0€ sur 5,00\u00a0€$/);
    assert.match(await user.locator('palier-assist .palier-announcer').innerText(), /Un conseiller a pris votre demande/, 'the connection is announced');
    await screenshot(user, '05-widget-meter');
    assert.ok(Number(await card.locator('[data-part="elapsed"]').getAttribute('data-seconds')) >= 1, 'the console shows the same meter');
    await screenshot(advisor, '06-console-active');

    // Hold, resume and a media switch from the console reach the user's widget.
    await card.getByRole('button', { name: 'Mettre en attente' }).click();
    await user.locator('palier-assist .palier-meter[data-status="on_hold"]').waitFor();
    assert.equal(await meter.locator('[data-part="status"]').innerText(), 'Le conseiller vous a mis en attente.');
    await waitUntil(async () => (await user.locator('palier-assist .palier-announcer').textContent()) === 'Le conseiller vous a mis en attente.', 'the hold announced');
    await screenshot(user, '06b-widget-on-hold');
    await card.getByRole('button', { name: 'Reprendre' }).click();
    await user.locator('palier-assist .palier-meter[data-status="active"]').waitFor();
    await card.getByLabel('Média').selectOption('chat');
    await card.getByRole('button', { name: 'Changer de média' }).click();
    await waitUntil(async () => (await demo.call('GET', `/v1/sessions/${sessionId}`, merchantKey)).body.medium === 'chat', 'the medium switched to chat');
    const events = await demo.server.storage.store.sessionEvents(sessionId);
    assert.deepEqual(events.map((event) => event.type).filter((type) => type !== 'consented'), ['connected', 'held', 'resumed', 'media_changed']);

    // Quit: the end screen's final price is the charge's.
    await panel.getByRole('button', { name: 'Quitter' }).click();
    const end = user.locator('palier-assist .palier-end');
    await end.waitFor();
    const chargeId = await end.getAttribute('data-charge-id');
    assert.ok(chargeId !== null && chargeId !== '', 'a charge');
    const charge = await demo.call('GET', `/v1/charges/${chargeId}`, merchantKey);
    assert.equal(charge.status, 200);
    const finalPrice = end.locator('.palier-final-price');
    assert.equal(await finalPrice.getAttribute('data-amount'), charge.body.amount);
    assert.equal(await finalPrice.innerText(), await formatInPage(user, charge.body.amount as string, 'fr-FR'));
    assert.equal(await end.locator('.palier-end-reason').getAttribute('data-reason'), 'user');
    assert.equal(await end.locator('.palier-end-reason').innerText(), 'Vous avez quitté la session.');
    assert.equal(Number(await end.locator('.palier-duration').getAttribute('data-seconds')), charge.body.meteredSeconds);
    await screenshot(user, '07-widget-end');

    // Rate it: four stars and a comment.
    await end.locator('label[for="palier-star-4"]').click();
    await end.getByLabel('Commentaire (facultatif)').fill('Très clair, merci.');
    await end.getByRole('button', { name: 'Envoyer mon avis' }).click();
    await end.locator('.palier-rating-result[data-done="true"]').waitFor();
    assert.equal(await end.locator('.palier-rating-result').innerText(), 'Merci pour votre avis.');
    const rating = await demo.server.storage.store.getRating(sessionId);
    assert.deepEqual({ stars: rating?.stars, comment: rating?.comment }, { stars: 4, comment: 'Très clair, merci.' });
    await screenshot(user, '08-widget-rated');

    // The console saw the end too, with the same amount.
    const ended = card.locator('.card-ended');
    await ended.waitFor();
    assert.equal(await ended.getAttribute('data-amount'), charge.body.amount);
    await screenshot(advisor, '09-console-ended');
    assert.deepEqual([...userErrors, ...advisorErrors], []);
    await user.close();
    await advisor.close();
  });

  it('a tiny cap runs out: the 80 % warning is announced and the session ends by itself at the cap (English)', async () => {
    const bruno = demo.subscriber('Bruno');
    const merchantKey = demo.key('mer_conseil_juridique');
    const user = await browser.newPage();
    const userErrors = pageErrors(user);
    await user.goto(`${demo.url}/demo/?offer=off_legal_advice&subscriber=${bruno}&lang=en`);
    await user.getByRole('button', { name: 'Talk to an advisor (paid service)' }).click();
    const dialog = user.getByRole('dialog', { name: 'The price, before you start' });
    await dialog.locator('.palier-announcement').waitFor();
    assert.match(await dialog.locator('.palier-announcement').innerText(), /€0\.80 per minute, billed per second\./);
    await screenshot(user, '10-consent-dialog-en');
    await dialog.getByLabel('Your spending cap').fill('0.05');
    await dialog.getByRole('button', { name: 'Accept and start' }).click();
    const panel = user.locator('palier-assist .palier-panel');
    await panel.waitFor();
    const sessionId = await panel.getAttribute('data-session-id');
    assert.ok(sessionId !== null);

    const advisor = await browser.newPage();
    await advisor.goto(`${demo.url}/demo/console?lang=en#key=${encodeURIComponent(merchantKey)}`);
    await advisor.locator(`#queue [data-session-id="${sessionId}"]`).getByRole('button', { name: /Take the request/ }).click();

    await user.locator('palier-assist .palier-meter[data-status="active"]').waitFor();
    await screenshot(user, '11-meter-en');

    // 0.80 €/min by the second: 0.04 € (80 % of 0.05 €) at 3 s, the stop at 4 s (0.0533… rounds to 0.05 €).
    const announcer = user.locator('palier-assist .palier-announcer');
    await waitUntil(async () => /80% of your cap/.test(await announcer.textContent() ?? ''), 'the 80 % warning');
    // The warning lasts a second before the stop: the screenshot first (the page's first one was taken above: this one is quick), the checks after.
    await screenshot(user, '12-cap-warning');
    assert.equal(await announcer.getAttribute('aria-live'), 'polite');
    assert.equal(await announcer.innerText(), 'Warning: you have reached 80% of your cap.');

    const end = user.locator('palier-assist .palier-end');
    await end.waitFor({ timeout: 15_000 });
    assert.equal(await end.locator('.palier-end-reason').getAttribute('data-reason'), 'cap_reached');
    assert.equal(await end.locator('.palier-end-reason').innerText(), 'Your cap was reached: the session stopped automatically.');
    const chargeId = await end.getAttribute('data-charge-id');
    const charge = await demo.call('GET', `/v1/charges/${chargeId ?? ''}`, merchantKey);
    assert.equal(charge.body.amount, '0.05', 'billed exactly up to the cap, never beyond');
    assert.equal(charge.body.meteredSeconds, 4);
    assert.equal(await end.locator('.palier-final-price').innerText(), await formatInPage(user, '0.05', 'en'));
    assert.equal(await announcer.innerText(), 'Warning: you have reached 80% of your cap.', 'the warning is still there to read');
    await screenshot(user, '13-cap-end');
    await advisor.locator(`#cards [data-session-id="${sessionId}"] .card-ended[data-reason="cap_reached"]`).waitFor();
    await screenshot(advisor, '14-console-cap-end');
    assert.deepEqual(userErrors, []);
    await user.close();
    await advisor.close();
  });

  it('the advisor ends the session from the console: both pages show the end by the advisor, and the user\'s final price is the charge', async () => {
    const bruno = demo.subscriber('Bruno');
    const merchantKey = demo.key('mer_depannage_pc');
    const user = await browser.newPage();
    const userErrors = pageErrors(user);
    await user.goto(`${demo.url}/demo/?offer=off_windows_help&subscriber=${bruno}`);
    await user.getByRole('button', { name: 'Parler à un conseiller (service payant)' }).click();
    const dialog = user.getByRole('dialog', { name: 'Le tarif, avant de commencer' });
    await dialog.locator('.palier-announcement').waitFor();
    await dialog.getByLabel('Votre plafond de dépense').fill('5,00');
    await dialog.getByRole('button', { name: 'Accepter et démarrer' }).click();
    const panel = user.locator('palier-assist .palier-panel');
    await panel.waitFor();
    const sessionId = await panel.getAttribute('data-session-id');
    assert.ok(sessionId !== null);

    const advisor = await browser.newPage();
    const advisorErrors = pageErrors(advisor);
    await advisor.goto(`${demo.url}/demo/console#key=${encodeURIComponent(merchantKey)}`);
    await advisor.locator(`#queue [data-session-id="${sessionId}"]`).getByRole('button', { name: /Prendre la demande/ }).click();
    const card = advisor.locator(`#cards [data-session-id="${sessionId}"]`);
    await card.locator('.palier-meter[data-status="active"]').waitFor();
    const meter = user.locator('palier-assist .palier-meter');
    await meter.and(user.locator('[data-status="active"]')).waitFor();
    await waitUntil(async () => Number(await meter.locator('[data-part="elapsed"]').getAttribute('data-seconds')) >= 2, '2 metered seconds');
    await screenshot(user, '15-widget-before-advisor-end');
    const endButton = card.getByRole('button', { name: 'Terminer' });
    assert.ok(await endButton.isEnabled(), 'the console can end a running session');
    await screenshot(advisor, '16-console-before-end');

    // The advisor ends it.
    await endButton.click();

    // The user's end screen: the advisor's reason, and the final price read back from the charge.
    const end = user.locator('palier-assist .palier-end');
    await end.waitFor();
    const reason = end.locator('.palier-end-reason');
    assert.equal(await reason.getAttribute('data-reason'), 'advisor');
    assert.equal(await reason.innerText(), 'Le conseiller a mis fin à la session.');
    const chargeId = await end.getAttribute('data-charge-id');
    assert.ok(chargeId !== null && chargeId !== '', 'a charge');
    const charge = await demo.call('GET', `/v1/charges/${chargeId}`, merchantKey);
    assert.equal(charge.status, 200);
    assert.ok(Number(charge.body.meteredSeconds) >= 2);
    const finalPrice = end.locator('.palier-final-price');
    assert.equal(await finalPrice.getAttribute('data-amount'), charge.body.amount, 'the final price shown is the charge');
    assert.equal(await finalPrice.innerText(), await formatInPage(user, charge.body.amount as string, 'fr-FR'));
    assert.equal(Number(await end.locator('.palier-duration').getAttribute('data-seconds')), charge.body.meteredSeconds);
    assert.ok(await panel.getByRole('button', { name: 'Quitter' }).isHidden(), 'nothing left to quit');
    const session = await demo.call('GET', `/v1/sessions/${sessionId}`, merchantKey);
    assert.deepEqual([session.body.status, session.body.endReason, session.body.chargeId], ['rated', 'advisor', chargeId]);
    await screenshot(user, '17-widget-ended-by-advisor');

    // The console's card: ended by the advisor, the same amount, no more controls.
    const ended = card.locator('.card-ended');
    await ended.waitFor();
    assert.equal(await ended.getAttribute('data-reason'), 'advisor');
    assert.equal(await ended.getAttribute('data-amount'), charge.body.amount);
    assert.equal(await ended.innerText(), `Terminée : ${await formatInPage(advisor, charge.body.amount as string, 'fr-FR')} (terminée par le conseiller).`);
    assert.ok(await endButton.isHidden(), 'the end button is gone');
    await screenshot(advisor, '18-console-ended-by-advisor');
    assert.deepEqual([...userErrors, ...advisorErrors], []);
    await user.close();
    await advisor.close();
  });
});
