/**
 * Live protocol v1 (docs/live-protocol.md). Server → client: `snapshot`, `tick`, `notice`,
 * `ended`, `error`; client → server: `ping`, `end`, `resume`. Amounts are decimal strings; every
 * message about a session carries its `seq`, which grows by one per message of that session.
 */
import { z } from 'zod';
import type { BrokerEvent, SessionView } from '../../app/index.ts';
import { minorUnitsText, Money, type PricePoint, type Tariff } from '../../domain/index.ts';

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

/**
 * A tick's text is written, not serialised: every watched session sends one a second. It is the
 * text of `JSON.stringify({ type: 'tick', sessionId, meteredSeconds, amount, seq })`; the part up
 * to the metered seconds, the same for all of a session's ticks, is written once
 * (`tickTextPrefix`). `amount` is a decimal string (digits, a point, a sign: nothing to escape).
 */
export function tickTextPrefix(sessionId: string): string {
  return `{"type":"tick","sessionId":${JSON.stringify(sessionId)},"meteredSeconds":`;
}

export function tickText(prefix: string, meteredSeconds: number, amount: string, seq: number): string {
  return `${prefix}${meteredSeconds},"amount":"${amount}","seq":${seq}}`;
}

/** The message of a broker event (ticks are written by tickText), numbered `seq` by the hub. */
export function eventMessage(event: BrokerEvent, seq: number): Record<string, unknown> {
  switch (event.type) {
    case 'notice':
      return { type: 'notice', sessionId: event.session.id, kind: event.notice, at: new Date(event.atMs).toISOString(), price: priceJson(event.price), seq };
    case 'state':
      return { type: 'state', sessionId: event.session.id, status: event.session.status, change: event.change, medium: event.session.medium, seq };
    case 'ended':
      return {
        type: 'ended', sessionId: event.session.id, reason: event.reason, amount: minorUnitsText(event.billedMinor, event.session.currency), chargeId: event.chargeId,
        meteredSeconds: event.session.intervals.reduce((sum, interval) => sum + interval.seconds, 0), seq,
      };
  }
}
