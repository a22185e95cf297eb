/**
 * The words of the price announcement, in fr-FR and en. Kept apart from the assembly so that a
 * translator reads one file.
 */
import type { Locale } from '../money/index.ts';

export interface Wording {
  readonly header: (vat: string) => string;
  readonly perUnit: (perSeconds: number, duration: string) => string;
  readonly increment: (incrementSeconds: number, duration: string) => string;
  readonly firstTier: (to: string) => string;
  readonly middleTier: (from: string, to: string) => string;
  readonly lastTier: (from: string) => string;
  readonly band: (name: string, days: string, from: string, to: string, zone: string) => string;
  readonly outsideBands: string;
  readonly connectionFee: (fee: string) => string;
  readonly noConnectionFee: string;
  readonly bandConnectionFee: (fee: string) => string;
  readonly freeSeconds: (duration: string) => string;
  readonly minimum: (duration: string) => string;
  readonly flatAll: (amount: string) => string;
  readonly flatIncluded: (amount: string, duration: string) => string;
  readonly afterIncluded: (duration: string) => string;
  readonly maxCostDisconnect: (amount: string) => string;
  readonly maxCostFree: (amount: string) => string;
  readonly cap: (amount: string) => string;
  readonly waiting: string;
  readonly holdBilled: string;
  readonly holdFree: string;
  readonly quit: string;
  readonly dayNames: readonly string[];
  readonly everyDay: string;
  readonly dayRange: (first: string, last: string) => string;
  readonly and: string;
  readonly units: { readonly h: string; readonly min: string; readonly s: string };
}

const FR: Wording = {
  header: (vat) => `Tarif de l'assistance, prix TTC (TVA ${vat} incluse) :`,
  perUnit: (per, duration) => (per === 1 ? 'par seconde' : per === 60 ? 'par minute' : per === 3600 ? 'par heure' : `par tranche de ${duration}`),
  increment: (inc, duration) => (inc === 1 ? 'facturé à la seconde' : inc === 60 ? 'facturé par minute entamée' : `facturé par tranche entamée de ${duration}`),
  firstTier: (to) => `jusqu'à ${to}`,
  middleTier: (from, to) => `de ${from} à ${to}`,
  lastTier: (from) => `au-delà de ${from}`,
  band: (name, days, from, to, zone) => `Tranche « ${name} », ${days}, de ${from} à ${to} (heure ${zone}) :`,
  outsideBands: 'En dehors de ces tranches :',
  connectionFee: (fee) => `Frais de connexion : ${fee}, dus à la mise en relation avec le conseiller.`,
  noConnectionFee: 'Pas de frais de connexion.',
  bandConnectionFee: (fee) => `frais de connexion ${fee} si la session commence dans cette tranche`,
  freeSeconds: (duration) => `Les ${duration} qui suivent la mise en relation sont gratuites.`,
  minimum: (duration) => `Toute session facturée l'est au minimum pour ${duration}.`,
  flatAll: (amount) => `Forfait de ${amount} par session, quelle que soit sa durée.`,
  flatIncluded: (amount, duration) => `Forfait de ${amount} par session, ${duration} incluses.`,
  afterIncluded: (duration) => `Au-delà des ${duration} incluses :`,
  maxCostDisconnect: (amount) => `Montant maximal par session : ${amount} ; la session s'arrête à ce montant.`,
  maxCostFree: (amount) => `Au-delà de ${amount}, la session continue sans frais supplémentaires.`,
  cap: (amount) => `Votre plafond : ${amount}. La session s'arrête automatiquement avant de le dépasser.`,
  waiting: "L'attente avant la prise en charge par un conseiller est gratuite.",
  holdBilled: 'Le temps de mise en attente par le conseiller est facturé.',
  holdFree: "Le temps de mise en attente par le conseiller n'est pas facturé.",
  quit: 'Vous pouvez mettre fin à la session à tout moment.',
  dayNames: ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'],
  everyDay: 'tous les jours',
  dayRange: (first, last) => `du ${first} au ${last}`,
  and: 'et',
  units: { h: 'h', min: 'min', s: 's' },
};

const EN: Wording = {
  header: (vat) => `Assistance tariff, prices including VAT (${vat}):`,
  perUnit: (per, duration) => (per === 1 ? 'per second' : per === 60 ? 'per minute' : per === 3600 ? 'per hour' : `per ${duration}`),
  increment: (inc, duration) => (inc === 1 ? 'billed per second' : inc === 60 ? 'billed per started minute' : `billed per started ${duration}`),
  firstTier: (to) => `up to ${to}`,
  middleTier: (from, to) => `from ${from} to ${to}`,
  lastTier: (from) => `after ${from}`,
  band: (name, days, from, to, zone) => `Band "${name}", ${days}, ${from} to ${to} (${zone} time):`,
  outsideBands: 'Outside these bands:',
  connectionFee: (fee) => `Connection fee: ${fee}, due when the advisor connects.`,
  noConnectionFee: 'No connection fee.',
  bandConnectionFee: (fee) => `connection fee ${fee} if the session starts in this band`,
  freeSeconds: (duration) => `The first ${duration} after the advisor connects are free.`,
  minimum: (duration) => `A billed session is billed for at least ${duration}.`,
  flatAll: (amount) => `Flat price of ${amount} per session, whatever its length.`,
  flatIncluded: (amount, duration) => `Flat price of ${amount} per session, ${duration} included.`,
  afterIncluded: (duration) => `After the ${duration} included:`,
  maxCostDisconnect: (amount) => `Maximum per session: ${amount}; the session stops at that amount.`,
  maxCostFree: (amount) => `Beyond ${amount}, the session continues at no extra charge.`,
  cap: (amount) => `Your cap: ${amount}. The session stops automatically before going over it.`,
  waiting: 'Waiting for an advisor to take your request is free.',
  holdBilled: 'Time on hold by the advisor is billed.',
  holdFree: 'Time on hold by the advisor is not billed.',
  quit: 'You can end the session at any time.',
  dayNames: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
  everyDay: 'every day',
  dayRange: (first, last) => `${first} to ${last}`,
  and: 'and',
  units: { h: 'h', min: 'min', s: 's' },
};

export const WORDING: Readonly<Record<Locale, Wording>> = { 'fr-FR': FR, en: EN };
