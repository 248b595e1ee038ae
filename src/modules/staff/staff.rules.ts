import type { StaffRole } from './staff.tables.ts';

/** How long an invitation link works. */
export const INVITATION_TTL_MS = 7 * 86_400_000;
/** How long the first owner's set-password link works (printed on a terminal, so short). */
export const OWNER_LINK_TTL_MS = 24 * 3_600_000;

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

/** The dashboard page that takes an invitation token; `base` is the public URL of the API process. */
export function acceptLink(base: string, token: string): string {
  return `${base.replace(/\/+$/, '')}/admin/accept?token=${encodeURIComponent(token)}`;
}

/** Whether a change leaves the store without an active owner (the one invariant of roles). */
export function removesLastOwner(
  current: StaffRole,
  next: StaffRole | 'deleted',
  otherOwners: number,
): boolean {
  return current === 'owner' && next !== 'owner' && otherOwners === 0;
}

export function invitationEmail(input: { storeName: string; link: string; invitedBy: string | null }) {
  const who = input.invitedBy ? `${input.invitedBy} invited you` : 'You are invited';
  const subject = `Your ${input.storeName} dashboard invitation`;
  const text = `${who} to the ${input.storeName} dashboard.\n\nSet your password and sign in:\n${input.link}\n\nThe link works once and expires in 7 days.\n`;
  const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  const html = `<p>${esc(who)} to the ${esc(input.storeName)} dashboard.</p><p><a href="${esc(input.link)}">Set your password and sign in</a></p><p>The link works once and expires in 7 days.</p>`;
  return { subject, text, html };
}
