/**
 * Live protocol v1 (docs/live-protocol.md). Server → client: `snapshot`, `tick`, `notice`,
 * `ended`, `error`; client → server: `ping`, `end`, `resume`. Amounts are decimal strings; every
 * message about a session carries its `seq`, which grows by one per message of that session.
 */
import { z } from 'zod';
import type { BrokerEvent, SessionView } from '../../app/index.ts';
import { type Currency, minorUnitExponent, Money, type PricePoint, type Tariff } from '../../domain/index.ts';

export const clientMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ping') }),
  z.strictObject({ type: z.literal('end') }),
  z.strictObject({ type: z.literal('resume'), lastSeq: z.int().min(0) }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

function priceJson(point: PricePoint | null | undefined): Record<string, unknown> | null {
  if (point === null || point === undefined) return null;
  return {
    fromSecond: point.fromSecond, kind: point.kind, band: point.band, tier: point.tier,
    unitPrice: point.unitPrice?.toString() ?? null, perSeconds: point.perSeconds, incrementSeconds: point.incrementSeconds,
  };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The full state a watcher starts from (and gets again when a resume is too old to replay). */
export function snapshotMessage(view: SessionView, tariff: Tariff, seq: number): Record<string, unknown> {
  const { session } = view;
  const cap = Money.fromMinorUnits(session.reservedMinor ?? session.capMinor, session.currency);
  const left = cap.minus(view.billed);
  return {
    type: 'snapshot', v: 1, seq, sessionId: session.id, status: session.status, medium: session.medium, currency: session.currency,
    tariff: {
      hash: tariff.hash, connectionFee: tariff.connectionFee.toString(), freeSeconds: tariff.freeSeconds, minimumSeconds: tariff.minimumSeconds,
      flatPrice: tariff.flatPrice?.amount.toString() ?? null, pricesIncludeVat: tariff.pricesIncludeVat, vatRate: tariff.vatRate.toString(),
    },
    meteringStartedAt: iso(session.meteringStartedAtMs), meteredSeconds: view.meteredSeconds, amount: view.billed.toString(),
    current: priceJson(view.price?.current), next: priceJson(view.price?.next),
    nextStep: view.price?.step === null || view.price === null ? null : { atSecond: view.price.step.atSecond, amount: view.price.step.billed.toString() },
    cap: cap.toString(), amountLeft: (left.isNegative() ? Money.zero(session.currency) : left).toString(), stopAt: iso(view.stopAtMs),
    endReason: session.endReason, chargeId: session.chargeId,
  };
}

/** Integer minor units as a decimal string ("4.25"), without decimal arithmetic. */
function amountText(minor: bigint, currency: Currency): string {
  return Money.fromScaledInteger(minor, minorUnitExponent(currency), currency).toString();
}

/** What a tick shows: the hub keeps ticks in this form and writes their text when it sends them. */
export interface TickFigures {
  readonly sessionId: string;
  readonly currency: Currency;
  readonly meteredSeconds: number;
  readonly billedMinor: bigint;
}

export function tickMessage(tick: TickFigures, seq: number): Record<string, unknown> {
  return { type: 'tick', sessionId: tick.sessionId, meteredSeconds: tick.meteredSeconds, amount: amountText(tick.billedMinor, tick.currency), seq };
}

/**
 * The message of a broker event, numbered `seq` by the hub. Built for every tick of every watched
 * session, so amounts are written straight from integer minor units (no decimal arithmetic).
 */
export function eventMessage(event: BrokerEvent, seq: number): Record<string, unknown> {
  switch (event.type) {
    case 'tick':
      return tickMessage({ sessionId: event.session.id, currency: event.session.currency, meteredSeconds: event.meteredSeconds, billedMinor: event.billedMinor }, seq);
    case 'notice':
      return { type: 'notice', sessionId: event.session.id, kind: event.notice, at: new Date(event.atMs).toISOString(), price: priceJson(event.price), seq };
    case 'state':
      return { type: 'state', sessionId: event.session.id, status: event.session.status, change: event.change, medium: event.session.medium, seq };
    case 'ended':
      return {
        type: 'ended', sessionId: event.session.id, reason: event.reason, amount: amountText(event.billedMinor, event.session.currency), chargeId: event.chargeId,
        meteredSeconds: event.session.intervals.reduce((sum, interval) => sum + interval.seconds, 0), seq,
      };
  }
}
