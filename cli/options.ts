// Parsers for option values: each refuses a bad value with one sentence naming the rule, which
// commander reports as `error: option '--x <n>' argument 'y' is invalid. <rule>` and we exit 2.

import { InvalidArgumentError } from "commander";
import parseDuration from "parse-duration";

function number(value: string, rule: string, ok: (n: number) => boolean): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !ok(n)) throw new InvalidArgumentError(rule);
  return n;
}

export const positiveNumber = (value: string) => number(value, "It must be a number greater than 0.", (n) => n > 0);
export const nonNegativeNumber = (value: string) => number(value, "It must be a number, 0 or more.", (n) => n >= 0);
export const positiveInteger = (value: string) =>
  number(value, "It must be a whole number greater than 0.", (n) => Number.isInteger(n) && n > 0);
export const nonNegativeInteger = (value: string) =>
  number(value, "It must be a whole number, 0 or more.", (n) => Number.isInteger(n) && n >= 0);

/** A share from 0 up to (not including) 1, e.g. 0.125. */
export const share = (value: string) => number(value, "It must be a number between 0 and 1, e.g. 0.125.", (n) => n >= 0 && n < 1);

export function oneOf<T extends string>(values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value)) throw new InvalidArgumentError(`It must be one of: ${values.join(", ")}.`);
    return value as T;
  };
}

/** "30m", "1h30m", "90s" -> milliseconds. */
export function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === null || !Number.isFinite(ms) || ms <= 0) throw new InvalidArgumentError("It must be a duration like 30s, 10m or 1h30m.");
  return ms;
}
