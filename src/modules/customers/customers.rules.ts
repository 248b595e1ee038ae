import type { CustomerAddressRow, CustomerRow } from './customers.tables.ts';

/** Emails are compared and stored lower-case and trimmed: `Ann@Example.com` and `ann@example.com` are one account. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export const VERIFY_EMAIL_TTL_MS = 48 * 3600 * 1000;
export const PASSWORD_RESET_TTL_MS = 3600 * 1000;

/** A message for the mail module's queue (its `enqueueEmail` input). */
export interface EmailMessage {
  storeId: string;
  to: string;
  kind: string;
  /** One message per key: a retried request does not send twice. */
  dedupeKey: string;
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function message(args: {
  storeId: string;
  to: string;
  kind: string;
  dedupeKey: string;
  subject: string;
  intro: string;
  link?: { url: string; label: string };
  outro: string;
}): EmailMessage {
  const text = [args.intro, args.link ? `${args.link.label}: ${args.link.url}` : '', args.outro]
    .filter(Boolean)
    .join('\n\n');
  const html = [
    `<p>${escapeHtml(args.intro)}</p>`,
    args.link ? `<p><a href="${escapeHtml(args.link.url)}">${escapeHtml(args.link.label)}</a></p>` : '',
    `<p>${escapeHtml(args.outro)}</p>`,
  ].join('');
  return {
    storeId: args.storeId,
    to: args.to,
    kind: args.kind,
    dedupeKey: args.dedupeKey,
    subject: args.subject,
    text,
    html,
  };
}

export function verificationEmail(a: { storeId: string; to: string; url: string; dedupeKey: string }) {
  return message({
    ...a,
    kind: 'customer.verify_email',
    subject: 'Confirm your email address',
    intro: 'Welcome! Confirm your email address to see all your orders in your account.',
    link: { url: a.url, label: 'Confirm my email' },
    outro: 'The link is valid for 48 hours. If you did not create an account, ignore this email.',
  });
}

/** Sent instead of a verification when someone signs up with an address that already has an account. */
export function accountExistsEmail(a: { storeId: string; to: string; url: string; dedupeKey: string }) {
  return message({
    ...a,
    kind: 'customer.account_exists',
    subject: 'You already have an account',
    intro:
      'Someone (hopefully you) tried to create an account with this email address, which already has one.',
    link: { url: a.url, label: 'Forgot your password? Reset it' },
    outro: 'If it was not you, you can ignore this email: nothing has changed.',
  });
}

export function passwordResetEmail(a: { storeId: string; to: string; url: string; dedupeKey: string }) {
  return message({
    ...a,
    kind: 'customer.password_reset',
    subject: 'Reset your password',
    intro: 'We received a request to reset the password of your account.',
    link: { url: a.url, label: 'Choose a new password' },
    outro: 'The link is valid for one hour and works once. If you did not ask for it, ignore this email.',
  });
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function serializeCustomer(c: CustomerRow) {
  return {
    id: c.id,
    object: 'customer' as const,
    email: c.email,
    name: c.name,
    email_verified: c.emailVerifiedAt !== null,
    email_verified_at: iso(c.emailVerifiedAt),
    version: c.version,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

export function serializeAddress(a: CustomerAddressRow) {
  return {
    id: a.id,
    object: 'customer_address' as const,
    name: a.name,
    line1: a.line1,
    line2: a.line2,
    city: a.city,
    region: a.region,
    postal_code: a.postalCode,
    country: a.country,
    phone: a.phone,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}
