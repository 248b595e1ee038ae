// Every table, for drizzle-kit. Modules own their tables; this file only gathers them.

export * from '../modules/analytics/analytics.tables.ts';
export * from '../modules/bulk/bulk.tables.ts';
export * from '../modules/cart/cart.tables.ts';
export * from '../modules/catalog/catalog.tables.ts';
export * from '../modules/customers/customers.tables.ts';
export * from '../modules/events/events.tables.ts';
export * from '../modules/idempotency/idempotency.tables.ts';
export * from '../modules/inventory/inventory.tables.ts';
export * from '../modules/jobs/jobs.tables.ts';
export * from '../modules/mail/mail.tables.ts';
export * from '../modules/orders/orders.tables.ts';
export * from '../modules/payments/payments.tables.ts';
export * from '../modules/pricing/pricing.tables.ts';
export * from '../modules/search/search.tables.ts';
export * from '../modules/sessions/sessions.tables.ts';
export * from '../modules/staff/staff.tables.ts';
export * from '../modules/stores/stores.tables.ts';
export * from '../modules/webhooks/webhooks.tables.ts';
