import autocannon from 'autocannon';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
}

/** Drives `url` over loopback with N connections for a bounded duration, cycling through `paths`. */
export async function load(opts: {
  url: string;
  paths: string[];
  headers?: Record<string, string>;
  connections?: number;
  durationSec?: number;
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT';
  body?: (i: number) => string;
  headersFor?: (i: number) => Record<string, string>;
  /** Overrides `paths` when every request needs its own path. */
  pathFor?: (i: number) => string;
  /** Counts responses by status code, to check outcomes (e.g. no oversell) after the run. */
  statuses?: Map<number, number>;
}): Promise<LoadResult> {
  let i = 0;
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections ?? 50,
    duration: opts.durationSec ?? 10,
    headers: opts.headers,
    requests: [
      {
        method: opts.method ?? 'GET',
        setupRequest: (req) => {
          const n = i++;
          const path = opts.pathFor ? opts.pathFor(n) : opts.paths[n % opts.paths.length]!;
          const headers = opts.headersFor ? { ...req.headers, ...opts.headersFor(n) } : req.headers;
          return { ...req, path, headers, ...(opts.body ? { body: opts.body(n) } : {}) };
        },
        onResponse: (status) => {
          if (opts.statuses) opts.statuses.set(status, (opts.statuses.get(status) ?? 0) + 1);
        },
      },
    ],
  });
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
