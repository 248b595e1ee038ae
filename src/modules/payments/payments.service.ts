import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { StoreSettings } from '../stores/index.ts';
import { type GatewayResult, GatewayUnavailableError, type PaymentGateway } from './payments.port.ts';
import { createStripeGateway } from './payments.stripe.ts';
import { createTestGateway } from './payments.test-gateway.ts';

export interface GatewayRegistryDeps {
  db: Executor;
  clock: Clock;
  ids: IdGenerator;
  /** How long the slow test card (4000000000000259) takes; default 3000 ms. */
  testCardDelayMs?: number;
  /** Per-request timeout of the Stripe SDK; default 10 000 ms. */
  stripeTimeoutMs?: number;
}

export interface GatewayRegistry {
  forStore(settings: StoreSettings): PaymentGateway;
}

/** Settings the test gateway reads beyond the typed StoreSettings. */
interface TestGatewaySettings {
  test_gateway?: { webhook_secret?: string };
}

function unconfigured(message: string): PaymentGateway {
  const fail = async (): Promise<never> => {
    throw new GatewayUnavailableError(message);
  };
  return {
    name: 'stripe',
    authorize: fail,
    capture: fail,
    void: fail,
    refund: fail,
    retrieve: fail as () => Promise<GatewayResult>,
    verifyWebhook: () => {
      throw new AppError('GATEWAY_NOT_CONFIGURED', message);
    },
  };
}

/**
 * Gives each store its gateway. Stripe clients are cached per (key, api base, webhook secret), so a
 * settings change takes effect on the next call without a restart.
 */
export function createGatewayRegistry(deps: GatewayRegistryDeps): GatewayRegistry {
  const testGateways = new Map<string, PaymentGateway>();
  const stripeGateways = new Map<string, PaymentGateway>();
  return {
    forStore(settings) {
      if (settings.gateway === 'stripe') {
        const s = settings.stripe;
        if (!s?.secret_key)
          return unconfigured('The store uses Stripe but has no settings.stripe.secret_key.');
        const cacheKey = JSON.stringify([s.secret_key, s.api_base ?? '', s.webhook_secret ?? '']);
        let g = stripeGateways.get(cacheKey);
        if (!g) {
          if (stripeGateways.size > 1000) stripeGateways.clear();
          g = createStripeGateway({
            secretKey: s.secret_key,
            webhookSecret: s.webhook_secret,
            apiBase: s.api_base,
            timeoutMs: deps.stripeTimeoutMs,
          });
          stripeGateways.set(cacheKey, g);
        }
        return g;
      }
      const secret = (settings as TestGatewaySettings).test_gateway?.webhook_secret ?? '';
      let g = testGateways.get(secret);
      if (!g) {
        g = createTestGateway({
          db: deps.db,
          clock: deps.clock,
          ids: deps.ids,
          delayMs: deps.testCardDelayMs,
          webhookSecret: secret || undefined,
        });
        testGateways.set(secret, g);
      }
      return g;
    },
  };
}

export function createPaymentsModule(deps: GatewayRegistryDeps): { gateways: GatewayRegistry } {
  return { gateways: createGatewayRegistry(deps) };
}
