// What the figures were measured on: every result records it, since absolute
// milliseconds mean little without it.
import os from 'node:os';

export interface Machine {
  os: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews latencies. */
  loadAverage: { start: number; end: number };
}

export function machine(loadAtStart: number): Machine {
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadAverage: { start: loadAtStart, end: os.loadavg()[0]! },
  };
}

export const describeMachine = (m: Machine) =>
  `${m.os}; ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB; Node ${m.node}; load average ${m.loadAverage.start.toFixed(2)} at start, ${m.loadAverage.end.toFixed(2)} at end`;
