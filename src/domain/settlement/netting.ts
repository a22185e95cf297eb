/**
 * Multilateral netting between carriers: from every pairwise amount owed, each carrier's net
 * position (what it is owed minus what it owes), then the fewest transfers that settle them —
 * at most (carriers − 1): the largest debtor pays the largest creditor, repeatedly. Netting never
 * changes any carrier's net position (asserted).
 */
import { assert } from '../assert.ts';

/** `debtorId` owes `creditorId` `amountMinor` (positive). */
export interface Obligation {
  readonly debtorId: string;
  readonly creditorId: string;
  readonly amountMinor: bigint;
}

export interface NetPosition {
  readonly carrierId: string;
  /** Positive: the carrier receives this much; negative: it pays this much. */
  readonly netMinor: bigint;
}

export interface Netting {
  readonly positions: readonly NetPosition[];
  readonly transfers: readonly Obligation[];
}

/** Net position of every carrier named in `obligations`, sorted by id. */
export function netPositions(obligations: readonly Obligation[]): NetPosition[] {
  const net = new Map<string, bigint>();
  for (const o of obligations) {
    assert(o.amountMinor >= 0n, 'an obligation is not negative');
    net.set(o.debtorId, (net.get(o.debtorId) ?? 0n) - o.amountMinor);
    net.set(o.creditorId, (net.get(o.creditorId) ?? 0n) + o.amountMinor);
  }
  return [...net.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([carrierId, netMinor]) => ({ carrierId, netMinor }));
}

/**
 * Nets pairwise obligations into one payment or receipt per carrier.
 *
 * @example net([{ debtorId: 'a', creditorId: 'b', amountMinor: 100n }, { debtorId: 'b', creditorId: 'a', amountMinor: 30n }])
 * // transfers: [{ debtorId: 'a', creditorId: 'b', amountMinor: 70n }]
 */
export function net(obligations: readonly Obligation[]): Netting {
  const positions = netPositions(obligations);
  const debtors = positions.filter((p) => p.netMinor < 0n).map((p) => ({ id: p.carrierId, left: -p.netMinor }));
  const creditors = positions.filter((p) => p.netMinor > 0n).map((p) => ({ id: p.carrierId, left: p.netMinor }));
  const byLargest = (a: { id: string; left: bigint }, b: { id: string; left: bigint }): number =>
    a.left === b.left ? (a.id < b.id ? -1 : 1) : a.left > b.left ? -1 : 1;
  const transfers: Obligation[] = [];
  for (;;) {
    debtors.sort(byLargest);
    creditors.sort(byLargest);
    const debtor = debtors[0];
    const creditor = creditors[0];
    if (debtor === undefined || creditor === undefined || debtor.left === 0n || creditor.left === 0n) break;
    const amountMinor = debtor.left < creditor.left ? debtor.left : creditor.left;
    transfers.push({ debtorId: debtor.id, creditorId: creditor.id, amountMinor });
    debtor.left -= amountMinor;
    creditor.left -= amountMinor;
  }
  const after = netPositions(transfers);
  for (const position of positions) {
    const settled = after.find((p) => p.carrierId === position.carrierId)?.netMinor ?? 0n;
    assert(settled === position.netMinor, `netting preserves ${position.carrierId}'s net position`);
  }
  assert(transfers.length <= Math.max(0, positions.length - 1), 'at most carriers − 1 transfers');
  return { positions, transfers };
}
