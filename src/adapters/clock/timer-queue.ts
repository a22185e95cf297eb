/**
 * The timers of every session in one structure: a binary min-heap for one-shot timers (cap
 * stops, warnings, quote expiry) and a timing wheel for the 1 Hz ticks — 100 slots of 10 ms, one
 * rotation per second, so a tick costs O(1) whatever the number of sessions. Time does not move
 * here: a driver (real-time or manual) calls `runDue(nowMs)`.
 */
import type { Scheduler, TimerHandle } from '../../app/ports/index.ts';

const SLOT_MS = 10;
const SLOTS = 1000 / SLOT_MS;

interface OneShot { id: number; dueMs: number; fn: (dueMs: number) => void; cancelled: boolean }
interface Periodic { id: number; nextMs: number; fn: (dueMs: number) => void }

/** Observes how late timers fire (for metrics and benchmarks). */
export type LatenessObserver = (latenessMs: number) => void;

export class TimerQueue implements Scheduler {
  private readonly heap: OneShot[] = [];
  private readonly oneShots = new Map<number, OneShot>();
  private readonly wheel: Map<number, Periodic>[] = Array.from({ length: SLOTS }, () => new Map<number, Periodic>());
  private readonly periodicSlot = new Map<number, number>();
  private nextId = 1;
  /** Every periodic timer due at or before this instant has fired. */
  private wheelDoneMs: number;

  constructor(startMs: number, private readonly onLateness?: LatenessObserver) {
    this.wheelDoneMs = startMs;
  }

  get size(): number {
    return this.oneShots.size + this.periodicSlot.size;
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
    const slot = Math.floor(nextMs / SLOT_MS) % SLOTS;
    this.wheel[slot]?.set(id, { id, nextMs, fn });
    this.periodicSlot.set(id, slot);
    return { id };
  }

  cancel(handle: TimerHandle): void {
    const oneShot = this.oneShots.get(handle.id);
    if (oneShot !== undefined) {
      oneShot.cancelled = true;
      this.oneShots.delete(handle.id);
      return;
    }
    const slot = this.periodicSlot.get(handle.id);
    if (slot !== undefined) {
      this.wheel[slot]?.delete(handle.id);
      this.periodicSlot.delete(handle.id);
    }
  }

  /** The earliest instant something is due, or null when nothing is scheduled. */
  nextDueMs(): number | null {
    this.dropCancelledTop();
    let earliest = this.heap[0]?.dueMs ?? null;
    if (this.periodicSlot.size > 0) {
      const startSlot = Math.floor((this.wheelDoneMs + 1) / SLOT_MS);
      let wheelMin = Number.POSITIVE_INFINITY;
      for (let offset = 0; offset <= SLOTS; offset += 1) {
        const slot = this.wheel[(startSlot + offset) % SLOTS];
        if (slot === undefined || slot.size === 0) continue;
        for (const timer of slot.values()) wheelMin = Math.min(wheelMin, timer.nextMs);
        // A slot's timers may all have fired this second (they are due a second later): only a
        // timer due before this slot's window ends is sure to come before every later slot's.
        if (wheelMin < (startSlot + offset + 1) * SLOT_MS) break;
      }
      earliest = earliest === null ? wheelMin : Math.min(earliest, wheelMin);
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
    const lastSlot = Math.floor(nowMs / SLOT_MS);
    const slots = Math.min(lastSlot - firstSlot + 1, SLOTS);
    for (let i = 0; i < slots; i += 1) {
      const slot = this.wheel[(firstSlot + i) % SLOTS];
      if (slot === undefined) continue;
      for (const timer of slot.values()) {
        if (timer.nextMs > nowMs) continue;
        const dueMs = timer.nextMs;
        // After a stall, skip the ticks already missed: one catch-up tick, then back on the second.
        timer.nextMs = dueMs + 1000 * Math.max(1, Math.ceil((nowMs - dueMs + 1) / 1000));
        this.onLateness?.(nowMs - dueMs);
        timer.fn(dueMs);
      }
    }
    this.wheelDoneMs = nowMs;
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

/** Due order, ties by creation (ids grow), so timers set for one instant fire in the order set. */
function earlier(a: OneShot, b: OneShot): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.id < b.id);
}
