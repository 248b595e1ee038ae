import { AppError } from '../app-error.ts';

/**
 * `If-Match` on admin updates (RFC 9110 §13.1.1), one parser for every module. Three forms:
 * - the resource version, `"3"` (quotes and `W/` optional): what the API has always taken;
 * - the `ETag` a GET returned (one or a list): compared strongly with the current representation's;
 * - `*`: any current representation.
 */
export type IfMatch =
  | { kind: 'version'; version: number }
  | { kind: 'etags'; etags: string[] }
  | { kind: 'any' };

const VERSION = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/;
const ENTITY_TAG = /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;

const invalid = () =>
  new AppError(
    'VALIDATION_FAILED',
    'If-Match must be the resource version (e.g. "3"), an ETag it returned, or *.',
    {
      param: 'If-Match',
    },
  );

export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  const version = VERSION.exec(header);
  if (version) return { kind: 'version', version: Number(version[1]) };
  const trimmed = header.trim();
  if (trimmed === '*') return { kind: 'any' };
  const etags: string[] = [];
  for (const part of trimmed.split(',')) {
    const tag = part.trim();
    if (!ENTITY_TAG.test(tag)) throw invalid();
    // Strong comparison: a weak tag never matches.
    if (!tag.startsWith('W/')) etags.push(tag);
  }
  return { kind: 'etags', etags };
}

/** The current representation of the resource an update targets: its ETag (as a GET returns it) and version. */
export type CurrentRepresentation = () => Promise<{ etag: string; version: number }>;

/**
 * The version an update expects, from the body's `version` and/or `If-Match`. An ETag (or `*`) is resolved
 * against the current representation: a match yields its version (the update still checks it, so a change
 * in between is a conflict), a mismatch is 409 VERSION_CONFLICT. Routes whose GET has no ETag pass no
 * `current`, and only take the version form.
 */
export async function expectedVersion(opts: {
  bodyVersion: number | undefined;
  ifMatch: string | undefined;
  current?: CurrentRepresentation;
}): Promise<number | undefined> {
  const parsed = parseIfMatch(opts.ifMatch);
  let header: number | undefined;
  if (parsed?.kind === 'version') header = parsed.version;
  else if (parsed) {
    if (!opts.current) throw invalid();
    const now = await opts.current();
    if (parsed.kind === 'etags' && !parsed.etags.includes(now.etag)) {
      throw new AppError(
        'VERSION_CONFLICT',
        'The resource changed since the ETag you sent; re-read it and retry.',
        {
          param: 'If-Match',
          extra: { current_version: now.version },
        },
      );
    }
    header = now.version;
  }
  if (opts.bodyVersion !== undefined && header !== undefined && opts.bodyVersion !== header) {
    throw new AppError('VALIDATION_FAILED', 'version and If-Match disagree; send one.', { param: 'version' });
  }
  return opts.bodyVersion ?? header;
}
