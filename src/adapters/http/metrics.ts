/**
 * Prometheus metrics (prom-client): sessions active, started and ended by reason, amount charged
 * by currency (in minor units, exact up to 2^53), request latency, timer lateness, and on SQLite
 * the holds of the writes that let the WAL start over.
 */
import client from 'prom-client';
import type { BrokerEvent } from '../../app/index.ts';

export class Metrics {
  readonly registry = new client.Registry();
  readonly sessionsStarted = new client.Counter({ name: 'palier_sessions_started_total', help: 'Sessions whose metering started (advisor connected)', registers: [this.registry] });
  readonly sessionsEnded = new client.Counter({ name: 'palier_sessions_ended_total', help: 'Sessions ended, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly chargedMinor = new client.Counter({ name: 'palier_charged_minor_units_total', help: 'Amount charged, in minor units of the currency', labelNames: ['currency'], registers: [this.registry] });
  readonly requestSeconds = new client.Histogram({
    name: 'palier_http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [this.registry],
  });
  readonly timerLatenessSeconds = new client.Histogram({
    name: 'palier_timer_lateness_seconds', help: 'How late session timers fire', buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1], registers: [this.registry],
  });
  readonly walHoldSeconds = new client.Histogram({
    name: 'palier_sqlite_wal_hold_seconds', help: "How long writes were held for a checkpoint so that SQLite's WAL starts over",
    buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1], registers: [this.registry],
  });

  constructor(activeSessions: () => number) {
    new client.Gauge({ name: 'palier_sessions_active', help: 'Sessions being run (queued, active, on hold)', registers: [this.registry], collect() { this.set(activeSessions()); } });
    client.collectDefaultMetrics({ register: this.registry, prefix: 'palier_process_' });
  }

  /** Counts what the broker publishes (after commit). */
  observe(event: BrokerEvent): void {
    if (event.type === 'state' && event.change === 'connected') this.sessionsStarted.inc();
    if (event.type === 'ended') {
      this.sessionsEnded.inc({ reason: event.reason });
      if (event.billedMinor > 0n) this.chargedMinor.inc({ currency: event.session.currency }, Number(event.billedMinor));
    }
  }
}
