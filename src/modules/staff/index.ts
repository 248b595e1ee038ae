/**
 * Staff: the people who run a store from the dashboard. Staff users sign in with email and password (the
 * sessions module, audience `staff`) and act on the admin API with a role: `owner` (everything), `staff`
 * (everything but staff and API keys), `read_only` (reads). Owners invite by email; the first owner gets a
 * one-time set-password link from the CLI or the root token.
 */
export { staffRoutes } from './staff.routes.ts';
export {
  createStaffService,
  type EnqueueEmail,
  type SessionTokens,
  type StaffClaims,
  type StaffService,
  type StaffSessions,
} from './staff.service.ts';
export { staffSessionsFrom } from './staff.sessions.ts';
export { STAFF_ROLES, type StaffRole } from './staff.tables.ts';
