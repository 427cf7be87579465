// npm start's numeric settings are checked before anything starts (infra/local/start-env.ts).
import { describe, expect, it } from 'vitest';
import { localEnvProblems } from '../../infra/local/start-env.js';

describe("npm start's numeric settings", () => {
  it('accepts what is unset, and values within the rules', () => {
    expect(localEnvProblems({})).toEqual([]);
    expect(localEnvProblems({ PORT: '0', DYNAMODB_PORT: '8000', HISTORY_MAX_AGE_DAYS: '0.01', HISTORY_MAX_BYTES: '3000', LEASE_MS: '20000', LEASE_WAIT_MS: '8000', LEASE_QUEUE_MAX: '16' })).toEqual([]);
  });

  it('names each variable that is empty, not a number, fractional where whole, or out of range, with its value and rule', () => {
    const problems = localEnvProblems({ PORT: '', DYNAMODB_PORT: '70000', HISTORY_MAX_AGE_DAYS: '0', HISTORY_MAX_BYTES: '16MiB', LEASE_MS: '1.5', LEASE_QUEUE_MAX: '-1' });
    expect(problems).toEqual([
      'PORT="" must be a port number from 0 (any free port) to 65535.',
      'DYNAMODB_PORT="70000" must be a port number from 1 to 65535.',
      'HISTORY_MAX_AGE_DAYS="0" must be a number of days above 0, at most 3650.',
      'HISTORY_MAX_BYTES="16MiB" must be a whole number of bytes from 1 to 1073741824 (1 GiB).',
      'LEASE_MS="1.5" must be a whole number of milliseconds from 1 to 900000.',
      'LEASE_QUEUE_MAX="-1" must be a whole number from 1 to 1000.',
    ]);
  });
});
