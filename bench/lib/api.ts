// The store API as the benchmarks' set-up calls it: JSON in, JSON out, a key as bearer token.

/** The test gateway's card that always succeeds. */
export const CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2035, cvc: '123' };

/** Calls the API with `key`; throws with the status and body on anything but 2xx. */
export async function call(base: string, method: string, path: string, key: string, body?: unknown) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text) as any;
}
