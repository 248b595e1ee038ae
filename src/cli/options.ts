import { currencySchema } from '../shared/money.ts';
import { CliError } from './errors.ts';

/** One option of a command: how it reads in the help, and the rule its value must meet. */
export interface OptionSpec<T = unknown> {
  /** Placeholder in the help, e.g. `N`; absent for a flag. */
  value?: string;
  description: string;
  required?: boolean;
  parse?: (raw: string, flag: string) => T;
}

export const integer =
  (min: number, max: number) =>
  (raw: string, flag: string): number => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new CliError(`${flag} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`);
    }
    return n;
  };

export const oneOf =
  <V extends string>(...values: V[]) =>
  (raw: string, flag: string): V => {
    if (!(values as string[]).includes(raw)) {
      throw new CliError(`${flag} must be ${values.join(' or ')} (got ${JSON.stringify(raw)})`);
    }
    return raw as V;
  };

/** The same rule as `POST /v1/stores`. */
export const currency = (raw: string, flag: string): string => {
  const parsed = currencySchema.safeParse(raw);
  if (!parsed.success)
    throw new CliError(`${flag} ${parsed.error.issues[0]!.message} (got ${JSON.stringify(raw)})`);
  return parsed.data;
};

export const nonEmpty = (raw: string, flag: string): string => {
  const v = raw.trim();
  if (!v || v.length > 200) throw new CliError(`${flag} must be 1 to 200 characters`);
  return v;
};
