import { describe, expect, it } from 'vitest';
import type { WorkerEvent } from '../index.js';
import { ServeMetrics } from './serve-metrics.js';

type Finished = Extract<WorkerEvent, { event: 'run_finished' }>;

function finished(sync: string, overrides: Partial<Finished['result']> = {}): Finished {
  return {
    event: 'run_finished',
    sync,
    request: 'q1',
    result: {
      run_id: 'r1',
      sync,
      status: 'completed',
      dry_run: false,
      counts: {
        extracted: 10,
        invalid: 1,
        unchanged: 2,
        new: 5,
        changed: 2,
        planned: 7,
        succeeded: 6,
        failed: 1,
        abandoned: 0,
        removed: 3,
      },
      started_at: '2026-12-06T10:00:00.000Z',
      finished_at: '2026-12-06T10:00:02.500Z',
      duration_ms: 2500,
      error: null,
      ...overrides,
    },
  };
}

/** The value of one sample line of the text format, e.g. `sluice_runs_total{sync="a",status="completed"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('ServeMetrics', () => {
  it('counts notification attempts by target and outcome, and alert changes by sync', async () => {
    const metrics = new ServeMetrics({ processMetrics: false });
    const attempt = { target: 'ops', type: 'run.completed', id: 'msg_1', attempt: 1 };
    metrics.observe({ event: 'notification_failed', ...attempt, status: 500, error: 'HTTP 500' });
    metrics.observe({ event: 'notification_delivered', ...attempt, attempt: 2, status: 200 });
    metrics.observe({
      event: 'notification_given_up',
      ...attempt,
      target: 'slack',
      status: null,
      error: 'timeout',
    });
    const alert = { sync: 'users', run_id: 'r1', alert_id: 'a1', rule: 'run_failed', figures: {} };
    metrics.observe({ event: 'alert_raised', ...alert });
    metrics.observe({ event: 'alert_resolved', ...alert });
    metrics.observe({ event: 'alert_raised', ...alert });
    const text = await metrics.registry.metrics();
    expect(sample(text, 'sluice_notifications_total{target="ops",outcome="failed"}')).toBe(1);
    expect(sample(text, 'sluice_notifications_total{target="ops",outcome="delivered"}')).toBe(1);
    expect(sample(text, 'sluice_notifications_total{target="slack",outcome="given_up"}')).toBe(1);
    expect(sample(text, 'sluice_alerts_total{sync="users",change="raised"}')).toBe(2);
    expect(sample(text, 'sluice_alerts_total{sync="users",change="resolved"}')).toBe(1);
  });

  it('counts finished runs by status, rows by outcome and run durations', async () => {
    const metrics = new ServeMetrics({ processMetrics: false });
    metrics.observe(finished('users'));
    metrics.observe(
      finished('users', { status: 'failed', error: { code: 'source_error', message: 'down' } }),
    );
    metrics.observe({ event: 'run_started', sync: 'users', request: 'q2', reason: 'manual' });
    const text = await metrics.text();
    expect(sample(text, 'sluice_runs_total{sync="users",status="completed"}')).toBe(1);
    expect(sample(text, 'sluice_runs_total{sync="users",status="failed"}')).toBe(1);
    expect(sample(text, 'sluice_rows_total{sync="users",outcome="succeeded"}')).toBe(12);
    expect(sample(text, 'sluice_rows_total{sync="users",outcome="failed"}')).toBe(2);
    expect(sample(text, 'sluice_rows_total{sync="users",outcome="invalid"}')).toBe(2);
    expect(sample(text, 'sluice_rows_total{sync="users",outcome="unchanged"}')).toBe(4);
    expect(sample(text, 'sluice_rows_total{sync="users",outcome="removed"}')).toBe(6);
    expect(sample(text, 'sluice_run_duration_seconds_count{sync="users"}')).toBe(2);
    expect(sample(text, 'sluice_run_duration_seconds_sum{sync="users"}')).toBe(5);
    expect(sample(text, 'sluice_run_duration_seconds_bucket{le="1",sync="users"}')).toBe(0);
    expect(sample(text, 'sluice_run_duration_seconds_bucket{le="5",sync="users"}')).toBe(2);
  });

  it('does not count dry runs', async () => {
    const metrics = new ServeMetrics({ processMetrics: false });
    metrics.observe(finished('users', { dry_run: true }));
    const text = await metrics.text();
    expect(text).not.toContain('sluice_runs_total{');
    expect(text).not.toContain('sluice_rows_total{');
  });

  it('counts destination requests by status, schedule lag, and reads the queue depth when scraped', async () => {
    let depth = 4;
    const metrics = new ServeMetrics({ processMetrics: false, queueDepth: async () => depth });
    metrics.observeRequest('users', 200);
    metrics.observeExchange('users', { status: 200 });
    metrics.observeRequest('users', 503);
    metrics.observeExchange('users', { status: undefined });
    metrics.observe({ event: 'schedule_fired', sync: 'users', slot: 's', lag_ms: 1200, run_id: 'r' });
    metrics.observe({ event: 'schedule_skipped', sync: 'users', slot: 's', reason: 'running' });
    metrics.observe({ event: 'scheduler_error', message: 'x' });
    let text = await metrics.text();
    expect(sample(text, 'sluice_destination_requests_total{sync="users",status="200"}')).toBe(2);
    expect(sample(text, 'sluice_destination_requests_total{sync="users",status="503"}')).toBe(1);
    expect(sample(text, 'sluice_destination_requests_total{sync="users",status="error"}')).toBe(1);
    expect(sample(text, 'sluice_schedule_lag_seconds_sum{sync="users"}')).toBe(1.2);
    expect(sample(text, 'sluice_queue_depth')).toBe(4);
    depth = 0;
    text = await metrics.text();
    expect(sample(text, 'sluice_queue_depth')).toBe(0);
  });

  it('keeps the last queue depth when the queue cannot be read', async () => {
    let fail = false;
    const metrics = new ServeMetrics({
      processMetrics: false,
      queueDepth: async () => {
        if (fail) throw new Error('queue down');
        return 2;
      },
    });
    expect(sample(await metrics.text(), 'sluice_queue_depth')).toBe(2);
    fail = true;
    expect(sample(await metrics.text(), 'sluice_queue_depth')).toBe(2);
  });

  it('keeps its metrics to its own registry: two side by side, process metrics prefixed', async () => {
    const a = new ServeMetrics();
    const b = new ServeMetrics();
    a.observe(finished('users'));
    expect(await b.text()).not.toContain('sluice_runs_total{');
    expect(await a.text()).toContain('sluice_process_resident_memory_bytes');
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
