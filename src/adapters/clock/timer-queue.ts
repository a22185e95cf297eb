/**
 * The timers of every session in one structure: a binary min-heap for one-shot timers (cap
 * stops, warnings, quote expiry) and a timing wheel for the 1 Hz ticks — 1,000 slots of 1 ms, one
 * rotation per second, so a tick costs O(1) whatever the number of sessions. Every tick of a slot
 * is due at the same millisecond of the second, so a slot is walked once a second, when all its
 * ticks fire (a coarser slot was walked again at each instant one of its ticks was due), and the
 * earliest tick is read from a per-slot minimum instead of a walk. Time does not move here: a
 * driver (real-time or manual) calls `runDue(nowMs)`.
 */
import type { Scheduler, TimerHandle } from '../../app/ports/index.ts';

const SLOT_MS = 1;
const SLOTS = 1000 / SLOT_MS;

interface OneShot { id: number; dueMs: number; fn: (dueMs: number) => void; cancelled: boolean }
/** A tick; a cancelled one stays in its slot's array until the slot is next visited. */
interface Periodic { nextMs: number; fn: (dueMs: number) => void; cancelled: boolean }

/** Observes how late timers fire (for metrics and benchmarks). */
export type LatenessObserver = (latenessMs: number) => void;

export class TimerQueue implements Scheduler {
  private readonly heap: OneShot[] = [];
  private readonly oneShots = new Map<number, OneShot>();
  private readonly wheel: Periodic[][] = Array.from({ length: SLOTS }, () => []);
  /** A lower bound of each slot's earliest tick (+∞ when empty); exact after the slot's last visit. */
  private readonly slotMinMs = new Float64Array(SLOTS).fill(Number.POSITIVE_INFINITY);
  private readonly periodics = new Map<number, Periodic>();
  private nextId = 1;
  /** Every periodic timer due at or before this instant has fired. */
  private wheelDoneMs: number;

  constructor(startMs: number, private readonly onLateness?: LatenessObserver) {
    this.wheelDoneMs = startMs;
  }

  get size(): number {
    return this.oneShots.size + this.periodics.size;
  }

  at(dueMs: number, fn: (dueMs: number) => void): TimerHandle {
    const timer: OneShot = { id: this.nextId++, dueMs, fn, cancelled: false };
    this.oneShots.set(timer.id, timer);
    this.push(timer);
    return { id: timer.id };
  }

  everySecond(firstMs: number, fn: (dueMs: number) => void): TimerHandle {
    const id = this.nextId++;
    // A first tick in the past would be skipped by the wheel: start no earlier than what it has done.
    const nextMs = Math.max(firstMs, this.wheelDoneMs + 1);
    const slot = slotOf(nextMs);
    const timer: Periodic = { nextMs, fn, cancelled: false };
    this.wheel[slot]?.push(timer);
    this.slotMinMs[slot] = Math.min(this.slotMinMs[slot] ?? Number.POSITIVE_INFINITY, nextMs);
    this.periodics.set(id, timer);
    return { id };
  }

  cancel(handle: TimerHandle): void {
    const oneShot = this.oneShots.get(handle.id);
    if (oneShot !== undefined) {
      oneShot.cancelled = true;
      this.oneShots.delete(handle.id);
      return;
    }
    const periodic = this.periodics.get(handle.id);
    if (periodic !== undefined) {
      periodic.cancelled = true;
      this.periodics.delete(handle.id);
    }
  }

  /** The earliest instant something is due, or null when nothing is scheduled. */
  nextDueMs(): number | null {
    this.dropCancelledTop();
    let earliest = this.heap[0]?.dueMs ?? null;
    if (this.periodics.size > 0) {
      const startSlot = Math.floor((this.wheelDoneMs + 1) / SLOT_MS);
      let wheelMin = Number.POSITIVE_INFINITY;
      for (let offset = 0; offset <= SLOTS; offset += 1) {
        wheelMin = Math.min(wheelMin, this.slotMinMs[(startSlot + offset) % SLOTS] ?? Number.POSITIVE_INFINITY);
        // A slot's ticks may all have fired this second (they are due a second later): only a
        // tick due before this slot's window ends is sure to come before every later slot's.
        if (wheelMin < (startSlot + offset + 1) * SLOT_MS) break;
      }
      if (wheelMin !== Number.POSITIVE_INFINITY) earliest = earliest === null ? wheelMin : Math.min(earliest, wheelMin);
    }
    return earliest;
  }

  /** Fires every timer due at or before `nowMs`: one-shots in due order, then the wheel's slots. */
  runDue(nowMs: number): void {
    for (;;) {
      this.dropCancelledTop();
      const top = this.heap[0];
      if (top === undefined || top.dueMs > nowMs) break;
      this.pop();
      this.oneShots.delete(top.id);
      this.onLateness?.(nowMs - top.dueMs);
      top.fn(top.dueMs);
    }
    this.runWheel(nowMs);
  }

  private runWheel(nowMs: number): void {
    if (nowMs <= this.wheelDoneMs) return;
    const firstSlot = Math.floor((this.wheelDoneMs + 1) / SLOT_MS);
    // Set first: a tick added by a callback of this run starts after it, never in a slot already passed.
    this.wheelDoneMs = nowMs;
    const lastSlot = Math.floor(nowMs / SLOT_MS);
    const slots = Math.min(lastSlot - firstSlot + 1, SLOTS);
    for (let i = 0; i < slots; i += 1) {
      const slot = (firstSlot + i) % SLOTS;
      if ((this.slotMinMs[slot] ?? Number.POSITIVE_INFINITY) <= nowMs) this.runSlot(slot, nowMs);
    }
  }

  /**
   * Fires the slot's due ticks and drops its cancelled ones in one pass. A tick cancelled by a
   * callback is skipped if not reached yet, and dropped at the next visit otherwise; a tick added
   * by a callback is appended, and fires in a later run.
   */
  private runSlot(slot: number, nowMs: number): void {
    const timers = this.wheel[slot];
    if (timers === undefined) return;
    let kept = 0;
    let minMs = Number.POSITIVE_INFINITY;
    for (let read = 0; read < timers.length; read += 1) {
      const timer = timers[read];
      if (timer === undefined || timer.cancelled) continue;
      if (timer.nextMs <= nowMs) {
        const dueMs = timer.nextMs;
        // After a stall, skip the ticks already missed: one catch-up tick, then back on the second.
        timer.nextMs = dueMs + 1000 * Math.max(1, Math.ceil((nowMs - dueMs + 1) / 1000));
        this.onLateness?.(nowMs - dueMs);
        timer.fn(dueMs);
        // The callback may have cancelled its own tick.
        if (isCancelled(timer)) continue;
      }
      timers[kept] = timer;
      kept += 1;
      if (timer.nextMs < minMs) minMs = timer.nextMs;
    }
    timers.length = kept;
    this.slotMinMs[slot] = minMs;
  }

  private dropCancelledTop(): void {
    while (this.heap[0]?.cancelled === true) this.pop();
  }

  private push(timer: OneShot): void {
    const heap = this.heap;
    heap.push(timer);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = heap[parent];
      if (above === undefined || !earlier(timer, above)) break;
      heap[index] = above;
      index = parent;
    }
    heap[index] = timer;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const leftTimer = heap[left];
      const rightTimer = heap[right];
      const child = rightTimer !== undefined && leftTimer !== undefined && earlier(rightTimer, leftTimer) ? right : left;
      const childTimer = heap[child];
      if (childTimer === undefined || !earlier(childTimer, last)) break;
      heap[index] = childTimer;
      index = child;
    }
    heap[index] = last;
  }
}

/** Read through a call, so that a flag a callback may have set is read again. */
function isCancelled(timer: Periodic): boolean {
  return timer.cancelled;
}

/** The wheel slot of a tick due at `ms`. */
function slotOf(ms: number): number {
  return Math.floor(ms / SLOT_MS) % SLOTS;
}

/** Due order, ties by creation (ids grow), so timers set for one instant fire in the order set. */
function earlier(a: OneShot, b: OneShot): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.id < b.id);
}
