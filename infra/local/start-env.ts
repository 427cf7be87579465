// What `npm start` reads as numbers from its environment, checked before anything
// starts. The functions take their defaults for a value that is unset or not a
// number (in AWS the stack sets these, checked at synth), so locally a mistyped
// value would otherwise be dropped without a word.
import { HISTORY_LIMITS } from '../settings.js';

interface NumberRule {
  name: string;
  /** The smallest value allowed, and the largest. */
  min: number;
  max: number;
  integer: boolean;
  /** What the variable must be, for the message. */
  rule: string;
}

const RULES: NumberRule[] = [
  { name: 'PORT', min: 0, max: 65_535, integer: true, rule: 'a port number from 0 (any free port) to 65535' },
  { name: 'DYNAMODB_PORT', min: 1, max: 65_535, integer: true, rule: 'a port number from 1 to 65535' },
  // Fractions and sizes below the stack's minimum are allowed here: they make the history's limits easy to try.
  { name: 'HISTORY_MAX_AGE_DAYS', min: Number.MIN_VALUE, max: HISTORY_LIMITS.maxAgeDays.max, integer: false, rule: `a number of days above 0, at most ${HISTORY_LIMITS.maxAgeDays.max}` },
  { name: 'HISTORY_MAX_BYTES', min: 1, max: HISTORY_LIMITS.maxBytes.max, integer: true, rule: `a whole number of bytes from 1 to ${HISTORY_LIMITS.maxBytes.max} (1 GiB)` },
  { name: 'LEASE_MS', min: 1, max: 900_000, integer: true, rule: 'a whole number of milliseconds from 1 to 900000' },
  { name: 'LEASE_WAIT_MS', min: 1, max: 900_000, integer: true, rule: 'a whole number of milliseconds from 1 to 900000' },
  { name: 'LEASE_QUEUE_MAX', min: 1, max: 1_000, integer: true, rule: 'a whole number from 1 to 1000' },
];

/** One line per variable that is set and breaks its rule, naming it, its value and the rule. */
export function localEnvProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  for (const { name, min, max, integer, rule } of RULES) {
    const raw = env[name];
    if (raw === undefined) continue;
    const value = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      problems.push(`${name}=${JSON.stringify(raw.slice(0, 40))} must be ${rule}.`);
    }
  }
  return problems;
}
