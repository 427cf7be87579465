// Bounded exponential backoff with full jitter (AWS Architecture Blog,
// "Exponential Backoff And Jitter"): attempt n waits a random time in
// [0, min(maxMs, baseMs * 2^n)).

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const backoffDelay = (attempt: number, { baseMs, maxMs }: BackoffOptions, random: () => number = Math.random): number =>
  Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
