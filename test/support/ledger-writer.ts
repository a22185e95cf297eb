/**
 * The victim of test/adapters/store/crash-safety.test.ts: opens a SQLite file whose world the
 * parent built, then writes through the Store in a loop until it is killed. After each call
 * resolves (its transaction committed) it prints what was written, one line each, at once:
 *   charge <charge id> <journal id>     a closed charge (its hold placed before and posted by it)
 *   journal <journal id>                a reversal journal
 * Stdout to a pipe is synchronous on Linux, so a line printed is in the pipe before the next write.
 * It loads, then waits for a line on stdin before it opens the file: the parent starts the next
 * writer while the current one runs, so module loading is not counted once per kill.
 *
 * Usage: node --import tsx test/support/ledger-writer.ts <sqlite path> <run tag> <world ids as JSON>
 */
import { openStore } from '../../src/adapters/store/index.ts';
import { reversalOf } from '../../src/domain/index.ts';
import { chargeFor, T0_MS, type World } from './world.ts';

/** The world without its tariff, which the writer reads back from the database by hash. */
export type WorldIds = Omit<World, 'tariff'> & { readonly tariffHash: string };

/** A bound on the loop, should the parent never kill the writer. */
const WRITES_MAX = 5000;

const [path, run, worldJson] = process.argv.slice(2);
if (path === undefined || run === undefined || worldJson === undefined) throw new Error('usage: ledger-writer.ts <sqlite path> <run tag> <world ids JSON>');
const ids = JSON.parse(worldJson) as WorldIds;
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.destroy();
const { store } = await openStore({ dialect: 'sqlite', path });
const tariff = await store.getTariff(ids.tariffHash);
if (tariff === null) throw new Error(`tariff ${ids.tariffHash} is not in ${path}`);
const world: World = { ...ids, tariff };

for (let i = 0; i < WRITES_MAX; i += 1) {
  const sessionId = `ses_${run}_${i}`;
  const placed = await store.placeHold({
    id: `hld_${run}_${i}`, subscriberId: world.subscriberId, sessionId, period: '2026-10', currency: 'EUR',
    amountMinor: 100_000n, monthlyCapMinor: 10n ** 15n, atMs: T0_MS,
  });
  if (!placed.ok) throw new Error(`hold refused: ${placed.error}`);
  const { charge, journal } = chargeFor(world, sessionId, 1 + ((i * 37) % 1200));
  if (i % 3 !== 2) {
    await store.closeCharge({ charge, journal });
    process.stdout.write(`charge ${charge.id} ${charge.journalId}\n`);
    continue;
  }
  // Every third session is charged and reversed in one transaction: both or neither survive.
  const reversalId = `jnl_rev_${run}_${i}`;
  await store.transaction(async (tx) => {
    await tx.closeCharge({ charge, journal });
    const original = await tx.getJournal(charge.journalId);
    if (original === null) throw new Error(`journal ${charge.journalId} not readable in its own transaction`);
    await tx.appendJournal(reversalOf(original, { causeType: 'charge', causeId: charge.id, description: 'crash test reversal' }), { id: reversalId, atMs: T0_MS });
  });
  process.stdout.write(`charge ${charge.id} ${charge.journalId}\njournal ${reversalId}\n`);
}
