export {
  type AuthorizeInput,
  type CardInput,
  type GatewayResult,
  type GatewayStatus,
  GatewayTimeoutError,
  GatewayUnavailableError,
  type PaymentGateway,
  type PaymentInput,
  type RefundResult,
  type WebhookEvent,
} from './payments.port.ts';
export {
  assertPaymentFitsMode,
  cardProblem,
  gatewayForMode,
  luhnValid,
  stripeKeyMode,
  TEST_CARDS,
} from './payments.rules.ts';
export {
  createGatewayRegistry,
  createPaymentsModule,
  type GatewayChoice,
  type GatewayRegistry,
  type GatewayRegistryDeps,
} from './payments.service.ts';
export {
  DEFAULT_TEST_CARD_DELAY_MS,
  signTestWebhook,
  TEST_SIGNATURE_HEADER,
} from './payments.test-gateway.ts';
