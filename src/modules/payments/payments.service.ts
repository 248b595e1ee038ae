import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { StoreSettings } from '../stores/index.ts';
import { type GatewayResult, GatewayUnavailableError, type PaymentGateway } from './payments.port.ts';
import { stripeKeyMode } from './payments.rules.ts';
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
  /** Stripe's API endpoint: operator configuration (STRIPE_API_BASE), never a store setting. Default Stripe's own. */
  stripeApiBase?: string;
}

/** Which of a store's gateways: the one an order was placed with, in the order's mode. */
export interface GatewayChoice {
  gateway: 'test' | 'stripe';
  livemode: boolean;
}

export interface GatewayRegistry {
  /** The gateway for this mode of the store. A live choice never yields the test gateway. */
  forMode(settings: StoreSettings, choice: GatewayChoice): PaymentGateway;
}

function unconfigured(
  message: string,
  code: 'GATEWAY_NOT_CONFIGURED' | 'LIVE_GATEWAY_NOT_CONFIGURED',
): PaymentGateway {
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
      throw new AppError(code, message);
    },
  };
}

/**
 * Gives each store its gateway per mode. Stripe clients are cached per (key, webhook secret), so a
 * settings change takes effect on the next call without a restart.
 */
export function createGatewayRegistry(deps: GatewayRegistryDeps): GatewayRegistry {
  const testGateways = new Map<string, PaymentGateway>();
  const stripeGateways = new Map<string, PaymentGateway>();

  function stripeFor(settings: StoreSettings, livemode: boolean): PaymentGateway {
    const mode = livemode ? 'live' : 'test';
    const creds = settings.stripe?.[mode];
    if (!creds?.secret_key) {
      return unconfigured(
        `The store has no Stripe ${mode} credentials (settings.stripe.${mode}.secret_key).`,
        livemode ? 'LIVE_GATEWAY_NOT_CONFIGURED' : 'GATEWAY_NOT_CONFIGURED',
      );
    }
    // Stripe decides the mode by the key: a key of the other mode would move money in the wrong world.
    if (stripeKeyMode(creds.secret_key) !== mode) {
      return unconfigured(
        `settings.stripe.${mode}.secret_key is not a ${mode} key.`,
        livemode ? 'LIVE_GATEWAY_NOT_CONFIGURED' : 'GATEWAY_NOT_CONFIGURED',
      );
    }
    const cacheKey = JSON.stringify([creds.secret_key, creds.webhook_secret ?? '']);
    let g = stripeGateways.get(cacheKey);
    if (!g) {
      if (stripeGateways.size > 1000) stripeGateways.clear();
      g = createStripeGateway({
        secretKey: creds.secret_key,
        webhookSecret: creds.webhook_secret,
        apiBase: deps.stripeApiBase,
        timeoutMs: deps.stripeTimeoutMs,
      });
      stripeGateways.set(cacheKey, g);
    }
    return g;
  }

  function testGateway(settings: StoreSettings): PaymentGateway {
    const secret = settings.test_gateway?.webhook_secret ?? '';
    let g = testGateways.get(secret);
    if (!g) {
      if (testGateways.size > 1000) testGateways.clear();
      g = createTestGateway({
        db: deps.db,
        clock: deps.clock,
        ids: deps.ids,
        delayMs: deps.testCardDelayMs,
        webhookSecret: secret || null,
      });
      testGateways.set(secret, g);
    }
    return g;
  }

  return {
    forMode(settings, choice) {
      if (choice.gateway === 'stripe') return stripeFor(settings, choice.livemode);
      if (choice.livemode) {
        // Unreachable through checkout (gatewayForMode refuses first); kept so no path can pair the two.
        return unconfigured('The built-in test gateway takes test keys only.', 'LIVE_GATEWAY_NOT_CONFIGURED');
      }
      return testGateway(settings);
    },
  };
}

export function createPaymentsModule(deps: GatewayRegistryDeps): { gateways: GatewayRegistry } {
  return { gateways: createGatewayRegistry(deps) };
}
