// The floods' open loop, shared by the write flood (flood.ts) and the read
// flood (reads.ts): a child process sends requests at a fixed rate whatever
// the earlier ones answered, until its parent says stop, and reports what it
// got. A process of its own because in AWS every request is a Lambda of its
// own: a flood must not queue the measured requests behind its own on one
// event loop (it still shares the machine's cores and DynamoDB Local).
import { fork } from 'node:child_process';

/** What a flood process sent and got. */
export interface FloodReport {
  sent: number;
  /** Answers by status ("threw" for a request that threw). */
  statuses: Record<string, number>;
  seconds: number;
}

/**
 * In the child: sends `request(k)` for k = 0, 1, ... at `rate` a second, open
 * loop (the k-th leaves at k / rate seconds), from the parent's "started" until
 * its "stop"; then reports to the parent and calls `done`. `request` answers
 * the status, and a line to log when it is not 200 (the first such is logged).
 */
export async function runOpenLoop(rate: number, request: (k: number) => Promise<{ status: string; problem?: string }>, done: () => void): Promise<void> {
  const statuses: Record<string, number> = {};
  let firstProblem: string | undefined;
  const inFlight = new Set<Promise<void>>();
  let stop = false;
  process.on('message', (message) => {
    if (message === 'stop') stop = true;
  });
  const count = (status: string) => (statuses[status] = (statuses[status] ?? 0) + 1);
  const started = performance.now();
  let sent = 0;
  process.send!('started');
  for (let k = 0; !stop; k++) {
    const wait = started + (1000 * k) / rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (stop) break;
    sent++;
    const p: Promise<void> = request(k).then(
      ({ status, problem }) => {
        count(status);
        if (status !== '200') firstProblem ??= `${status} ${problem ?? ''}`.trim();
        inFlight.delete(p);
      },
      () => {
        count('threw');
        inFlight.delete(p);
      },
    );
    inFlight.add(p);
  }
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(inFlight);
  if (firstProblem) console.error(`flood: first answer other than 200: ${firstProblem}`);
  const report: FloodReport = { sent, statuses, seconds };
  process.send!(report, () => {
    done();
    process.exit(0);
  });
}

/** Block `block`'s flooded and control runs, one after the other, taking turns going first so that neither always follows the other. */
export async function takingTurns(block: number, flooded: () => Promise<void>, control: () => Promise<void>): Promise<void> {
  for (const run of block % 2 === 0 ? [flooded, control] : [control, flooded]) await run();
}

/** The parent's side: the reports of its floods, added up per kind of flood. */
export class FloodTally<Kind extends string> {
  readonly sides = {} as Record<Kind, FloodReport>;

  constructor(kinds: readonly Kind[]) {
    for (const kind of kinds) this.sides[kind] = { sent: 0, statuses: {}, seconds: 0 };
  }

  /**
   * Forks `script` (run with tsx) with `args`, waits for it to start and half
   * a second more (so that a lease line can fill), runs `work`, stops the flood
   * and adds its report to `kind`.
   */
  async during(kind: Kind, script: string, args: string[], work: () => Promise<void>): Promise<void> {
    const child = fork(script, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const messages: unknown[] = [];
    let notify = () => {};
    child.on('message', (m) => {
      messages.push(m);
      notify();
    });
    // A flood process that dies before it reports (its error is on stderr) fails the bench instead of leaving it waiting.
    let exit: string | undefined;
    child.on('close', (code, signal) => {
      exit = `the flood process ${script} exited (${signal ?? code}) before it reported`;
      notify();
    });
    const nextMessage = async () => {
      while (!messages.length) {
        if (exit) throw new Error(exit);
        await new Promise<void>((resolve) => (notify = resolve));
      }
      return messages.shift();
    };
    await nextMessage(); // started
    await new Promise((resolve) => setTimeout(resolve, 500));
    await work();
    child.send('stop');
    const report = (await nextMessage()) as FloodReport;
    const side = this.sides[kind];
    side.sent += report.sent;
    side.seconds += report.seconds;
    for (const [status, n] of Object.entries(report.statuses)) side.statuses[status] = (side.statuses[status] ?? 0) + n;
  }
}
