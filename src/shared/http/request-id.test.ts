import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../metrics.ts';
import { createRequestTracer, parseTraceparent } from './request-id.ts';

function tracer(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { tracer: createRequestTracer({ logger, metrics: createMetrics() }), lines };
}

const low64 = (traceId: string) => BigInt(`0x${traceId.slice(16)}`);

describe('trace and request ids', () => {
  it('are random: consecutive ids share no prefix and no counter', () => {
    const { tracer: t } = tracer();
    const traces = Array.from({ length: 2000 }, () => t.begin(undefined, undefined));
    const traceIds = traces.map((x) => x.traceId);
    const spans = traces.map((x) => x.spanId);
    const requests = traces.map((x) => x.requestId);

    for (const x of traces) {
      expect(x.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(x.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(x.requestId).toMatch(/^req_[0-9a-f]{24}$/);
      // sampled + random trace-id flag (W3C Trace Context level 2)
      expect(x.traceparent).toBe(`00-${x.traceId}-${x.spanId}-03`);
    }
    // No per-process prefix: the high halves differ as much as the low ones.
    expect(new Set(traceIds.map((id) => id.slice(0, 16))).size).toBe(2000);
    expect(new Set(spans.map((id) => id.slice(0, 8))).size).toBeGreaterThan(1990);
    expect(new Set(requests.map((id) => id.slice(4, 14))).size).toBe(2000);

    // No counter in the low 64 bits: steps between neighbours are huge and go both ways.
    let up = 0;
    let small = 0;
    for (let i = 1; i < traceIds.length; i++) {
      const step = low64(traceIds[i]!) - low64(traceIds[i - 1]!);
      if (step > 0n) up++;
      if (step < 2n ** 40n && step > -(2n ** 40n)) small++;
    }
    expect(small).toBe(0);
    expect(up).toBeGreaterThan(800);
    expect(up).toBeLessThan(1200);

    // A sampler keeping ids whose low 64 bits fall under 10 % keeps about 10 %, not all or nothing.
    const threshold = (2n ** 64n * 10n) / 100n;
    const kept = traceIds.filter((id) => low64(id) < threshold).length;
    expect(kept).toBeGreaterThan(120);
    expect(kept).toBeLessThan(280);
  });

  it('keep the trace id of a valid incoming traceparent, with a new span id and its flags', () => {
    const { tracer: t } = tracer();
    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const a = t.begin('abc', incoming);
    const b = t.begin('abc', incoming);
    expect(a.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(a.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(a.spanId).not.toBe('b7ad6b7169203331');
    expect(a.spanId).not.toBe(b.spanId);
    expect(a.requestId).toBe('abc');
  });

  it('start a new trace for an invalid traceparent', () => {
    for (const bad of [
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
      'garbage',
    ]) {
      expect(parseTraceparent(bad)).toBeNull();
      const { tracer: t } = tracer();
      expect(t.begin(undefined, bad).traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    }
    // A later version with extra fields is read by its first four (forward compatibility).
    expect(parseTraceparent('01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future')).toEqual({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      flags: '03',
    });
  });

  it('write the span, store and key to the access log line', () => {
    const { tracer: t, lines } = tracer();
    const x = t.begin(undefined, undefined);
    t.end(x, {
      method: 'GET',
      path: '/v1/store',
      route: '/v1/store',
      status: 200,
      auth: { storeId: 'store_1', keyId: 'key_1', kind: 'secret', mode: 'test' },
    });
    expect(lines[0]).toMatchObject({
      msg: 'request',
      request_id: x.requestId,
      trace_id: x.traceId,
      span_id: x.spanId,
      store_id: 'store_1',
      key_id: 'key_1',
      status: 200,
    });
  });

  it('log requests the app makes to itself at debug, not info', () => {
    const line = { method: 'GET', path: '/v1/events', route: '/v1/events', status: 200, inProcess: true };
    const info = tracer('info');
    info.tracer.end(info.tracer.begin(undefined, undefined), line);
    info.tracer.end(info.tracer.begin(undefined, undefined), { ...line, inProcess: false });
    expect(info.lines).toHaveLength(1);
    expect(info.lines[0]).toMatchObject({ level: 30, path: '/v1/events' });
    const debug = tracer('debug');
    debug.tracer.end(debug.tracer.begin(undefined, undefined), line);
    expect(debug.lines).toEqual([expect.objectContaining({ level: 20, msg: 'request', path: '/v1/events' })]);
  });
});
