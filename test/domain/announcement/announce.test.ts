import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { announce, Money, sha256Hex } from '../../../src/domain/index.ts';
import { fixtureTariff } from '../../support/fixtures.ts';

describe('announcement: every tariff component in plain words', () => {
  const paliers = fixtureTariff('kiosque-paliers');

  it('fr-FR: each palier with its price, increment and range, bands with days and zone, VAT included', () => {
    const { lines } = announce(paliers, 'fr-FR', Money.of('10.00', 'EUR'));
    assert.equal(lines[0], "Tarif de l'assistance, prix TTC (TVA 20\u00a0% incluse) :");
    assert.ok(lines.includes('Tranche « Soirée et nuit », du lundi au vendredi, de 20:00 à 08:00 (heure Europe/Paris) :'));
    assert.ok(lines.includes('Tranche « Week-end », samedi et dimanche, de 00:00 à 24:00 (heure Europe/Paris) :'));
    assert.ok(lines.includes('– 0,53\u00a0€ par minute, facturé par minute entamée, jusqu’à 3\u00a0min.'.replace('’', "'")));
    assert.ok(lines.includes('– 0,34\u00a0€ par minute, facturé par minute entamée, de 3\u00a0min à 15\u00a0min.'));
    assert.ok(lines.includes('– 0,20\u00a0€ par minute, facturé à la seconde, au-delà de 15\u00a0min.'));
    assert.ok(lines.includes('Pas de frais de connexion.'));
    assert.ok(lines.includes('Montant maximal par session : 30,00\u00a0€ ; la session s’arrête à ce montant.'.replace('’', "'")));
    assert.ok(lines.includes('Votre plafond : 10,00\u00a0€. La session s’arrête automatiquement avant de le dépasser.'.replace('’', "'")));
    assert.ok(lines.includes("L'attente avant la prise en charge par un conseiller est gratuite."));
  });

  it('en: free window, connection fee and flat price are announced', () => {
    const contact = announce(fixtureTariff('contact-plus-like'), 'en').lines;
    assert.ok(contact.includes('The first 15\u00a0s after the advisor connects are free.'));
    assert.ok(contact.includes('– €1.24 per minute, billed per started minute.'));
    const audiotel = announce(fixtureTariff('audiotel-0899-1999'), 'en').lines;
    assert.ok(audiotel.includes('Connection fee: €1.35, due when the advisor connects.'));
    const ticket = announce(fixtureTariff('expert-ticket'), 'en').lines;
    assert.ok(ticket.includes('Flat price of €9.90 per session, 30\u00a0min included.'));
    assert.ok(ticket.includes('After the 30\u00a0min included:'));
  });

  it('prices set without VAT are announced tax included', () => {
    const tariff = fixtureTariff('kiosque-3615');
    const lines = announce({ ...tariff, pricesIncludeVat: false }, 'en').lines;
    assert.ok(lines.includes('– €0.408 per minute, billed per started minute.'));
  });

  it('the hash is the SHA-256 of the text, and changes with the cap, the locale and the tariff', () => {
    const a = announce(paliers, 'fr-FR', Money.of('10.00', 'EUR'));
    assert.equal(a.hash, `sha256:${sha256Hex(a.text)}`);
    assert.equal(a.text, a.lines.join('\n'));
    assert.equal(announce(paliers, 'fr-FR', Money.of('10.00', 'EUR')).hash, a.hash, 'deterministic');
    assert.equal(announce(paliers, 'fr-FR', Money.of('10', 'EUR')), a, 'kept per tariff version, locale and cap: composed and hashed once');
    assert.notEqual(announce(paliers, 'fr-FR', Money.of('12.00', 'EUR')).hash, a.hash);
    assert.notEqual(announce(paliers, 'en', Money.of('10.00', 'EUR')).hash, a.hash);
    assert.notEqual(announce(fixtureTariff('kiosque-3617'), 'fr-FR', Money.of('10.00', 'EUR')).hash, a.hash);
    const uncapped = announce(paliers, 'fr-FR');
    assert.equal(uncapped.lines.length, a.lines.length - 1, 'without a cap, no cap line (the tariff lines are composed once and shared)');
    assert.ok(!uncapped.lines.some((line) => line.startsWith('Votre plafond')));
  });
});
