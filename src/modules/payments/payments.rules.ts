import { AppError } from '../../shared/app-error.ts';
import type { StoreSettings } from '../stores/index.ts';
import type { CardInput, GatewayResult, GatewayStatus, PaymentInput } from './payments.port.ts';

/** The documented test cards of the built-in gateway (docs/payments.md). */
export const TEST_CARDS = {
  success: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  processingError: '4000000000000119',
  slow: '4000000000000259',
  lostResponse: '4000000000003220',
} as const;

export type TestCardOutcome =
  | { kind: 'success'; slow: boolean; lostResponse: boolean; last4: string | null }
  | { kind: 'declined'; declineCode: string; message: string; last4: string | null }
  | { kind: 'failed'; declineCode: string; message: string; last4: string | null };

export function normalizeCardNumber(n: string): string {
  return n.replace(/[\s-]/g, '');
}

export function luhnValid(digits: string): boolean {
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** A card is valid through the last day of its expiry month (UTC). Two-digit years mean 20xx. */
export function cardExpired(card: Pick<CardInput, 'exp_month' | 'exp_year'>, now: Date): boolean {
  const year = card.exp_year < 100 ? 2000 + card.exp_year : card.exp_year;
  const endOfMonth = Date.UTC(year, card.exp_month, 1); // first instant of the following month
  return now.getTime() >= endOfMonth;
}

/** Why a card is unusable, or null when its data is well formed and current. */
export function cardProblem(card: CardInput, now: Date): string | null {
  const digits = normalizeCardNumber(card.number);
  if (!luhnValid(digits)) return 'The card number is not a valid card number.';
  if (!Number.isInteger(card.exp_month) || card.exp_month < 1 || card.exp_month > 12) {
    return 'The expiry month is not between 1 and 12.';
  }
  if (!Number.isInteger(card.exp_year) || card.exp_year < 0) return 'The expiry year is invalid.';
  if (cardExpired(card, now)) return 'The card has expired.';
  if (!/^\d{3,4}$/.test(card.cvc)) return 'The security code (CVC) must be 3 or 4 digits.';
  return null;
}

const DECLINED = { declineCode: 'card_declined', message: 'The card was declined.' };
const INSUFFICIENT = { declineCode: 'insufficient_funds', message: 'The card has insufficient funds.' };

/** How the built-in test gateway answers a payment input. Pure: the clock is passed in. */
export function testCardOutcome(payment: PaymentInput, now: Date): TestCardOutcome {
  if (payment.payment_method !== undefined) {
    const pm = payment.payment_method;
    const last4 = null;
    if (pm === 'pm_card_visa' || pm === 'pm_card_mastercard')
      return { kind: 'success', slow: false, lostResponse: false, last4 };
    if (pm === 'pm_card_chargeDeclined') return { kind: 'declined', ...DECLINED, last4 };
    if (pm === 'pm_card_chargeDeclinedInsufficientFunds') return { kind: 'declined', ...INSUFFICIENT, last4 };
    return {
      kind: 'declined',
      declineCode: 'invalid_payment_method',
      message: `Unknown payment method ${pm}.`,
      last4,
    };
  }
  if (!payment.card) {
    return {
      kind: 'declined',
      declineCode: 'invalid_card',
      message: 'No card or payment_method was given.',
      last4: null,
    };
  }
  const problem = cardProblem(payment.card, now);
  const digits = normalizeCardNumber(payment.card.number);
  const last4 = /^\d{4,}$/.test(digits) ? digits.slice(-4) : null;
  if (problem) return { kind: 'declined', declineCode: 'invalid_card', message: problem, last4 };
  switch (digits) {
    case TEST_CARDS.declined:
      return { kind: 'declined', ...DECLINED, last4 };
    case TEST_CARDS.insufficientFunds:
      return { kind: 'declined', ...INSUFFICIENT, last4 };
    case TEST_CARDS.processingError:
      return {
        kind: 'failed',
        declineCode: 'processing_error',
        message: 'An error occurred while processing the card.',
        last4,
      };
    case TEST_CARDS.slow:
      return { kind: 'success', slow: true, lostResponse: false, last4 };
    case TEST_CARDS.lostResponse:
      return { kind: 'success', slow: false, lostResponse: true, last4 };
    default:
      return { kind: 'success', slow: false, lostResponse: false, last4 };
  }
}

/**
 * Stripe never receives card numbers from us; for convenience the documented test card numbers map to
 * Stripe's test payment methods. Any other number gives null.
 */
export function stripeTokenForTestCard(card: CardInput): string | null {
  switch (normalizeCardNumber(card.number)) {
    case TEST_CARDS.success:
      return 'pm_card_visa';
    case TEST_CARDS.declined:
      return 'pm_card_chargeDeclined';
    case TEST_CARDS.insufficientFunds:
      return 'pm_card_chargeDeclinedInsufficientFunds';
    case TEST_CARDS.processingError:
      return 'pm_card_chargeDeclinedProcessingError';
    default:
      return null;
  }
}

const LIVE: ReadonlySet<GatewayStatus> = new Set(['captured', 'authorized', 'processing']);

/**
 * Of all the payment attempts of one order, the one that tells its state: the latest that took money
 * (captured, authorized or processing), else the latest attempt. Input in creation order.
 */
export function pickOrderPayment<T extends { status: GatewayStatus }>(attempts: readonly T[]): T | undefined {
  for (let i = attempts.length - 1; i >= 0; i--) if (LIVE.has(attempts[i]!.status)) return attempts[i];
  return attempts[attempts.length - 1];
}

export const NOT_FOUND: GatewayResult = {
  status: 'not_found',
  reference: null,
  amountAuthorized: 0,
  amountCaptured: 0,
  amountRefunded: 0,
};

// ——— test and live (DESIGN §1.6) ———

/** The mode a Stripe secret or restricted key belongs to, read from its prefix; null for anything else. */
export function stripeKeyMode(key: string): 'test' | 'live' | null {
  const m = /^(?:sk|rk)_(test|live)_/.exec(key);
  return m ? (m[1] as 'test' | 'live') : null;
}

/**
 * The gateway a checkout of this mode pays through. Test mode uses the store's choice (`test` by default);
 * live mode is Stripe with live credentials or nothing: a live key never reaches the test gateway.
 */
export function gatewayForMode(settings: StoreSettings, livemode: boolean): 'test' | 'stripe' {
  if (!livemode) return settings.gateway ?? 'test';
  const live = settings.stripe?.live;
  if (!live?.secret_key || stripeKeyMode(live.secret_key) !== 'live') {
    throw new AppError(
      'LIVE_GATEWAY_NOT_CONFIGURED',
      'Live keys pay only through Stripe: set settings.stripe.live.secret_key (sk_live_…), or use a test key.',
    );
  }
  return 'stripe';
}

const TEST_CARD_NUMBERS: ReadonlySet<string> = new Set(Object.values(TEST_CARDS));

/** Test card numbers move no money: with a live key they are refused before any order is made. */
export function assertPaymentFitsMode(payment: PaymentInput, livemode: boolean): void {
  if (livemode && payment.card && TEST_CARD_NUMBERS.has(normalizeCardNumber(payment.card.number))) {
    throw new AppError(
      'TEST_CARD_IN_LIVE_MODE',
      'This is a test card number and the key is a live key; pay with a real card, or use a test key (pk_test_…).',
      { param: 'payment.card.number' },
    );
  }
}
