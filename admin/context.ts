import type { AdminClient, AdminSession } from '../packages/sdk/src/admin.ts';

/** What every screen gets: the API client, the session, and navigation. */
export interface Ctx {
  api: AdminClient;
  session: AdminSession;
  /** Goes to a dashboard path (`/admin/...`), adding a history entry. */
  go(path: string): void;
  /** Whether the signed-in role may write (staff and owners). */
  canWrite: boolean;
  isOwner: boolean;
}

export type Screen = (root: HTMLElement, ctx: Ctx, params: Record<string, string>) => Promise<void> | void;
