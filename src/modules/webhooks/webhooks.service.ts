import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction, pgErrorCode, type Tx } from '../../shared/db.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Metrics } from '../../shared/metrics.ts';
import { writeTogether } from '../../shared/write-together.ts';
import {
  API_VERSION,
  type appendEvent,
  type EventConsumer,
  type EventRecord,
  eventEnvelope,
} from '../events/index.ts';
import { type PostResult, refusedAddressOf, type WebhookClient } from './webhooks.net.ts';
import * as repo from './webhooks.repo.ts';
import {
  checkWebhookUrl,
  isSuccess,
  type PrivateAddressPolicy,
  planAfterAttempt,
  SECRET_OVERLAP_MS,
  signingSecrets,
} from './webhooks.rules.ts';
import type { DeliveryState } from './webhooks.tables.ts';

export type { AttemptRow, DeliveryRow, EndpointRow, Scope } from './webhooks.repo.ts';

/** `whsec_` + base64 of 32 random bytes: the Standard Webhooks secret form every verifier takes. */
export const newSigningSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export interface DeliveryTuning {
  /** Deliveries in flight at once in this process (lanes: each sends its deliveries one after another). */
  concurrency: number;
  /** Deliveries in flight at once per endpoint, across processes (lanes under a live lease). */
  perEndpoint: number;
  /** Deliveries one lane takes per claim: more means fewer claims and settlements per delivery. */
  perLane: number;
  /** How long a claimed delivery is held; longer than the POST timeout, so only a dead worker loses one. */
  leaseMs: number;
}

export const DEFAULT_TUNING: DeliveryTuning = {
  concurrency: 32,
  perEndpoint: 4,
  perLane: 50,
  leaseMs: 30_000,
};

export function createWebhooksService(deps: {
  db: Executor;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  metrics: Metrics;
  client: WebhookClient;
  /** The events module's `append` (the app's ids and clock): `webhook_endpoint.disabled` is an event. */
  appendEvent: typeof appendEvent;
  policy: PrivateAddressPolicy;
  tuning?: Partial<DeliveryTuning>;
  /** In [0, 1): the retry jitter. */
  random?: () => number;
}) {
  const { db, clock, ids, logger, metrics, client } = deps;
  const tuning = { ...DEFAULT_TUNING, ...deps.tuning };
  const random = deps.random ?? Math.random;
  const workerId = `${process.pid}-${randomBytes(4).toString('hex')}`;
  /** Lanes in flight in this process: one POST at a time each. */
  const inFlight = new Set<Promise<void>>();
  let claims = 0;

  // ---------------------------------------------------------------------------------- endpoints

  async function assertUrlAllowed(url: string, livemode: boolean): Promise<void> {
    const check = checkWebhookUrl(url, { livemode, policy: deps.policy });
    if (!check.ok) throw new AppError('WEBHOOK_URL_NOT_ALLOWED', check.message, { param: 'url' });
    if (!check.literal) {
      const refused = await refusedAddressOf(check.host, deps.policy);
      if (refused) throw new AppError('WEBHOOK_URL_NOT_ALLOWED', refused, { param: 'url' });
    }
  }

  async function getEndpoint(scope: repo.Scope, id: string): Promise<repo.EndpointRow> {
    const row = await repo.findEndpoint(db, scope, id);
    if (!row) throw new AppError('WEBHOOK_ENDPOINT_NOT_FOUND', `No webhook endpoint ${id}.`, { param: 'id' });
    return row;
  }

  /** Disables an endpoint in the caller's transaction: its pending deliveries are cancelled. */
  async function disableEndpoint(
    tx: Tx,
    row: repo.EndpointRow,
    reason: 'gone' | 'failing',
    now: Date,
  ): Promise<repo.EndpointRow> {
    const updated = await repo.updateEndpoint(tx, row.id, {
      disabled: true,
      disabledReason: reason,
      updatedAt: now,
    });
    await repo.cancelPendingDeliveries(tx, row.id, now, `endpoint disabled (${reason})`);
    await writeTogether(tx, [
      deps.appendEvent(tx, {
        storeId: row.storeId,
        livemode: row.livemode,
        type: 'webhook_endpoint.disabled',
        object: serializeEndpoint(updated),
        createdAt: now,
      }),
    ]);
    metrics.webhookEndpointsDisabled.inc({ reason });
    logger.warn({ endpoint_id: row.id, store_id: row.storeId, reason }, 'webhook endpoint disabled');
    return updated;
  }

  const endpoints = {
    async create(
      scope: repo.Scope,
      input: { url: string; enabledEvents: string[]; description: string | null; disabled: boolean },
    ) {
      await assertUrlAllowed(input.url, scope.livemode);
      const now = clock.now();
      return repo.insertEndpoint(db, {
        id: ids('webhookEndpoint'),
        storeId: scope.storeId,
        livemode: scope.livemode,
        url: input.url,
        description: input.description,
        enabledEvents: input.enabledEvents,
        disabled: input.disabled,
        secret: newSigningSecret(),
        createdAt: now,
        updatedAt: now,
      });
    },
    list: (scope: repo.Scope, page: { limit: number; before: string | null }) =>
      repo.listEndpoints(db, scope, page),
    get: getEndpoint,
    async update(
      scope: repo.Scope,
      id: string,
      input: {
        expectedVersion: number | undefined;
        url?: string;
        enabledEvents?: string[];
        description?: string | null;
        disabled?: boolean;
      },
    ) {
      if (input.url !== undefined) await assertUrlAllowed(input.url, scope.livemode);
      return inTransaction(db, async (tx) => {
        const row = await repo.findEndpoint(tx, scope, id, true);
        if (!row)
          throw new AppError('WEBHOOK_ENDPOINT_NOT_FOUND', `No webhook endpoint ${id}.`, { param: 'id' });
        if (input.expectedVersion !== undefined && input.expectedVersion !== row.version) {
          throw new AppError('VERSION_CONFLICT', 'The webhook endpoint changed since you read it.', {
            extra: { current_version: row.version },
          });
        }
        const now = clock.now();
        const updated = await repo.updateEndpoint(tx, id, {
          url: input.url,
          enabledEvents: input.enabledEvents,
          description: input.description,
          disabled: input.disabled,
          // A person enabling or disabling it clears the platform's reason and the failure streak.
          ...(input.disabled !== undefined ? { disabledReason: null, failingSince: null } : {}),
          updatedAt: now,
        });
        if (input.disabled === true && !row.disabled) {
          await repo.cancelPendingDeliveries(tx, id, now, 'endpoint disabled');
        }
        return updated;
      });
    },
    async delete(scope: repo.Scope, id: string) {
      if (!(await repo.deleteEndpoint(db, scope, id))) {
        throw new AppError('WEBHOOK_ENDPOINT_NOT_FOUND', `No webhook endpoint ${id}.`, { param: 'id' });
      }
    },
    /** A new secret; the previous one keeps signing beside it for 24 hours. */
    async rotateSecret(scope: repo.Scope, id: string) {
      return inTransaction(db, async (tx) => {
        const row = await repo.findEndpoint(tx, scope, id, true);
        if (!row)
          throw new AppError('WEBHOOK_ENDPOINT_NOT_FOUND', `No webhook endpoint ${id}.`, { param: 'id' });
        const now = clock.now();
        return repo.updateEndpoint(tx, id, {
          secret: newSigningSecret(),
          previousSecret: row.secret,
          previousSecretExpiresAt: new Date(now.getTime() + SECRET_OVERLAP_MS),
          updatedAt: now,
        });
      });
    },
  };

  // ---------------------------------------------------------------------------------- delivery log

  const deliveries = {
    async list(
      scope: repo.Scope,
      endpointId: string,
      page: { state?: DeliveryState; limit: number; before: string | null },
    ) {
      await getEndpoint(scope, endpointId);
      return repo.listDeliveries(db, { endpointId, ...page });
    },
    async get(scope: repo.Scope, endpointId: string, id: string) {
      await getEndpoint(scope, endpointId);
      const d = await repo.findDelivery(db, endpointId, id);
      if (!d)
        throw new AppError('WEBHOOK_DELIVERY_NOT_FOUND', `No delivery ${id}.`, { param: 'delivery_id' });
      return { delivery: d, attempts: await repo.listAttempts(db, id) };
    },
    /** Makes one delivery due now (whatever its state), unless it is in flight. */
    async retry(scope: repo.Scope, endpointId: string, id: string) {
      await getEndpoint(scope, endpointId);
      const d = await repo.findDelivery(db, endpointId, id);
      if (!d)
        throw new AppError('WEBHOOK_DELIVERY_NOT_FOUND', `No delivery ${id}.`, { param: 'delivery_id' });
      await repo.requeueDeliveries(db, { endpointId, id, now: clock.now() });
      return (await repo.findDelivery(db, endpointId, id))!;
    },
    /** Every failed (or cancelled) delivery of the endpoint for events since `since`, due now again. */
    async redeliver(scope: repo.Scope, endpointId: string, since: Date) {
      await getEndpoint(scope, endpointId);
      const r = await repo.requeueDeliveries(db, { endpointId, failedSince: since, now: clock.now() });
      return r.length;
    },
    /** A `webhook.test` event to this endpoint only, delivered like any other. */
    async sendTest(scope: repo.Scope, endpointId: string) {
      const endpoint = await getEndpoint(scope, endpointId);
      const now = clock.now();
      const eventId = ids('event');
      // Sent directly, never stored in the event log: no other endpoint sees it.
      const payload = JSON.stringify(
        eventEnvelope({
          id: eventId,
          storeId: endpoint.storeId,
          livemode: endpoint.livemode,
          type: 'webhook.test',
          apiVersion: API_VERSION,
          data: { object: { object: 'ping', webhook_endpoint: endpoint.id, url: endpoint.url } },
          createdAt: now,
        }),
      );
      const [d] = await repo.insertDelivery(db, {
        id: ids('webhookDelivery'),
        storeId: endpoint.storeId,
        livemode: endpoint.livemode,
        endpointId: endpoint.id,
        eventId,
        eventType: 'webhook.test',
        payload,
        nextAttemptAt: now,
        createdAt: now,
        updatedAt: now,
      });
      return d!;
    },
  };

  // ---------------------------------------------------------------------------------- fan-out

  /**
   * Subscribed to the events relay: runs inside its claiming transaction, so deliveries commit with it; once
   * they did, the worker is woken to send them.
   */
  const consumer: EventConsumer = async (tx: Tx, events: EventRecord[]) => {
    const n = await repo.fanOut(
      tx,
      events.map((e) => ({
        id: e.id,
        storeId: e.storeId,
        livemode: e.livemode,
        type: e.type,
        payload: JSON.stringify(eventEnvelope(e)),
      })),
      clock.now(),
    );
    return n > 0 ? wake : undefined;
  };

  // ---------------------------------------------------------------------------------- delivery

  /**
   * Claims due deliveries in a short transaction, as lanes each held with a lease; nothing is sent in it.
   * `lanes`: how many lanes this claim may open (one POST in flight each).
   */
  async function claimDue(lanes: number): Promise<repo.ClaimedDelivery[]> {
    if (lanes <= 0) return [];
    const prefix = `${workerId}:${++claims}:`;
    return inTransaction(db, async (tx) => {
      const now = clock.now();
      const endpointIds = await repo.lockDueEndpoints(tx, now);
      return repo.claimLanes(tx, {
        endpointIds,
        now,
        until: new Date(now.getTime() + tuning.leaseMs),
        perEndpoint: tuning.perEndpoint,
        lanes,
        perLane: tuning.perLane,
        lanePrefix: prefix,
      });
    });
  }

  function headersFor(d: repo.DeliveryRow, e: repo.EndpointRow, now: Date): Record<string, string> {
    // During a rotation's overlap both secrets sign: receivers on either one verify (space-separated, per spec).
    const signature = signingSecrets({ ...e, now })
      .map((s) => new Webhook(s).sign(d.eventId, now, d.payload))
      .join(' ');
    return {
      'content-type': 'application/json',
      'user-agent': 'Crowdstart-Webhooks/1.0',
      'webhook-id': d.eventId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature,
    };
  }

  interface Sent {
    claimed: repo.ClaimedDelivery;
    startedAt: Date;
    post: PostResult;
  }

  /**
   * One lane: its POSTs one after another (on the endpoint's kept-alive connections), outside any
   * transaction, then every outcome in one short transaction. The lane stops at the first failure (the
   * receiver is likely down: the rest wait for the next claim rather than each spending a timeout) and before
   * a POST that could outlast the lease; what it did not send is given back, its attempt not counted.
   */
  async function runLane(lane: repo.ClaimedDelivery[]): Promise<void> {
    const e = lane[0]!.endpoint;
    const laneId = lane[0]!.lane;
    const leaseEnds = lane[0]!.delivery.lockedUntil!.getTime();
    if (e.disabled) {
      await inTransaction(db, (tx) =>
        repo.cancelPendingDeliveries(tx, e.id, clock.now(), 'endpoint disabled'),
      );
      return;
    }
    const sent: Sent[] = [];
    const unsent: repo.ClaimedDelivery[] = [];
    for (const c of lane) {
      const startedAt = clock.now();
      const stop =
        (sent.length > 0 && !isSuccess(sent[sent.length - 1]!.post.result)) ||
        (sent.length > 0 && startedAt.getTime() + client.timeoutMs > leaseEnds);
      if (stop) {
        unsent.push(c);
        continue;
      }
      const post = await client.post({
        url: e.url,
        headers: headersFor(c.delivery, e, startedAt),
        body: c.delivery.payload,
        livemode: e.livemode,
      });
      metrics.webhookLatency.observe(post.latencyMs / 1000);
      sent.push({ claimed: c, startedAt, post });
    }
    const outcomes = await inTransaction(db, async (tx) => {
      const now = clock.now();
      await repo.insertAttempts(
        tx,
        sent.map((s) => ({
          id: ids('webhookAttempt'),
          deliveryId: s.claimed.delivery.id,
          startedAt: s.startedAt,
          statusCode: s.post.result.status ?? null,
          error: s.post.result.error ?? null,
          latencyMs: s.post.latencyMs,
          responseBody: s.post.responseBody,
        })),
      );
      const failed = sent.some((s) => !isSuccess(s.post.result));
      // A failure starts (or continues) the endpoint's failure streak; the row update also orders concurrent
      // completions on one endpoint. A success touches the endpoint only to end a streak or, at most once a
      // minute, to record the last success: the common path stays one statement lighter.
      const failingSince = failed ? await repo.markFailing(tx, e.id, now) : null;
      const plans = sent.map((s) => ({
        sent: s,
        plan: planAfterAttempt({
          result: s.post.result,
          attemptsMade: s.claimed.delivery.attempts,
          now,
          random: random(),
          failingSince,
        }),
      }));
      const settled = await repo.settleDeliveries(tx, {
        lane: laneId,
        now,
        settlements: [
          ...plans.map(({ sent: s, plan }) => ({
            id: s.claimed.delivery.id,
            state: plan.state,
            nextAttemptAt: plan.nextAttemptAt,
            statusCode: s.post.result.status ?? null,
            error: s.post.result.error ?? null,
          })),
          ...unsent.map((c) => ({
            id: c.delivery.id,
            state: 'pending' as const,
            nextAttemptAt: null,
            statusCode: null,
            error: null,
            unsent: { previousAttemptAt: c.previousAttemptAt },
          })),
        ],
      });
      // Lease lost (this worker was presumed dead and another took over): the attempt is logged, nothing else.
      const mine = plans.filter((p) => settled.has(p.sent.claimed.delivery.id));
      if (
        mine.some((p) => p.plan.state === 'succeeded') &&
        !failed &&
        (e.failingSince || !e.lastSuccessAt || now.getTime() - e.lastSuccessAt.getTime() > 60_000)
      ) {
        await repo.updateEndpointHealth(tx, e.id, { failingSince: null, lastSuccessAt: now });
      }
      const disable = mine.find((p) => p.plan.disableEndpoint)?.plan.disableEndpoint;
      if (disable) {
        const endpoint = await repo.findEndpoint(
          tx,
          { storeId: e.storeId, livemode: e.livemode },
          e.id,
          true,
        );
        if (endpoint && !endpoint.disabled) await disableEndpoint(tx, endpoint, disable, now);
      }
      return plans.map((p) =>
        settled.has(p.sent.claimed.delivery.id)
          ? p.plan.state === 'pending'
            ? 'retrying'
            : p.plan.state
          : 'lease-lost',
      );
    });
    for (const outcome of outcomes) metrics.webhookDeliveries.inc({ outcome });
    logger.debug(
      { endpoint_id: e.id, lane: laneId, sent: sent.length, unsent: unsent.length, outcomes },
      'webhook lane',
    );
  }

  function track(lane: repo.ClaimedDelivery[]): Promise<void> {
    const p: Promise<void> = runLane(lane)
      .catch((err) => {
        // The endpoint (and its deliveries) was deleted while the POSTs were in flight: nothing to record.
        if (pgErrorCode(err) === '23503') return;
        logger.error({ err, delivery_id: lane[0]?.delivery.id }, 'webhook delivery failed to settle');
      })
      .finally(() => {
        inFlight.delete(p);
        // A lane is done: its slot (and its endpoint's) is free, so look for more now rather than at the next poll.
        wake();
      });
    inFlight.add(p);
    return p;
  }

  /**
   * The worker task: claims as many lanes as there are free slots and starts them without waiting, so the
   * next poll can start more while slow receivers are still answering. Answers the deliveries claimed.
   */
  async function deliverDue(): Promise<number> {
    const claimed = await claimDue(tuning.concurrency - inFlight.size);
    const lanes = new Map<string, repo.ClaimedDelivery[]>();
    for (const c of claimed) {
      const lane = lanes.get(c.lane);
      if (lane) lane.push(c);
      else lanes.set(c.lane, [c]);
    }
    // Not awaited: the task returns so the next poll can claim more while these POSTs are in flight.
    for (const lane of lanes.values()) void track(lane);
    return claimed.length;
  }

  // Wake-ups (a lane done, deliveries fanned out): only once the worker loop runs (`pump`), one claim at a time.
  let awake = false;
  let pumping: Promise<void> | null = null;
  let again = false;
  function wake(): void {
    if (!awake) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = (async () => {
      do {
        again = false;
        await deliverDue();
      } while (again && awake);
    })()
      .catch((err) => logger.error({ err }, 'webhook delivery wake-up failed'))
      .finally(() => {
        pumping = null;
      });
  }

  /** Delivers until nothing is due, waiting for every POST (tests and the CLI). */
  async function deliverAll(maxRounds = 1000): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxRounds; i++) {
      const n = await deliverDue();
      total += n;
      if (n === 0 && inFlight.size === 0) break;
      // Claimed some: look for more at once; claimed none: wait until a slot frees up.
      if (n === 0) await Promise.race(inFlight);
    }
    await Promise.allSettled([...inFlight]);
    return total;
  }

  return {
    endpoints,
    deliveries,
    consumer,
    deliverDue,
    /**
     * The worker task: a poll, which also turns on the wake-ups (a lane done or new deliveries fanned out
     * start a claim at once), so a burst flows without waiting for the next poll.
     */
    async pump(): Promise<void> {
      awake = true;
      wake();
      await pumping;
    },
    deliverAll,
    /** Claims without sending (tests: a worker that dies holding its lease). */
    claimDue,
    inFlightCount: () => inFlight.size,
    /** Waits for the POSTs in flight (shutdown). */
    async drain(): Promise<void> {
      awake = false;
      await pumping;
      await Promise.allSettled([...inFlight]);
    },
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;

// ---------------------------------------------------------------------------------- serializers

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function serializeEndpoint(r: repo.EndpointRow, opts: { secret?: boolean } = {}) {
  return {
    id: r.id,
    object: 'webhook_endpoint' as const,
    url: r.url,
    description: r.description,
    enabled_events: r.enabledEvents,
    disabled: r.disabled,
    disabled_reason: r.disabledReason,
    livemode: r.livemode,
    ...(opts.secret ? { secret: r.secret } : {}),
    version: r.version,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

export function serializeDelivery(d: repo.DeliveryRow) {
  return {
    id: d.id,
    object: 'webhook_delivery' as const,
    endpoint_id: d.endpointId,
    event_id: d.eventId,
    event_type: d.eventType,
    livemode: d.livemode,
    state: d.state,
    attempts: d.attempts,
    next_attempt_at: d.state === 'pending' ? d.nextAttemptAt.toISOString() : null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    last_attempt_at: iso(d.lastAttemptAt),
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
  };
}

export function serializeAttempt(a: repo.AttemptRow) {
  return {
    id: a.id,
    object: 'webhook_attempt' as const,
    started_at: a.startedAt.toISOString(),
    status_code: a.statusCode,
    error: a.error,
    latency_ms: a.latencyMs,
    response_body: a.responseBody,
  };
}
