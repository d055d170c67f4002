// Types for report.mjs, so the unit tests stay strict.
export interface PairRow {
  name: string;
  n: number;
  ours: number;
  peer: number;
  ratio: number;
  minRatio: number;
  maxRatio: number;
  goal: number | undefined;
}
export interface BenchRun {
  date: string;
  machine: { cores: number; cpuModel: string; memGiB: number; kernel: string; node: string };
  versions: { plugin: string; kubectl: string; server: string; runtime: string };
  floorMs?: number;
  rows: PairRow[];
  throughput?: { mib: number; n: number; ours: number; peer: number; ratio: number; minRatio: number; maxRatio: number; rssMiB: number; goal?: number; rssGoalMiB?: number };
  phaseRuns: number;
  phaseCommand: string;
  phases: Array<[string, number[]]>;
  commands: string[];
  notes: string[];
}
export function median(xs: number[]): number;
export function ms(x: number): string;
export function ratioStr(r: number): string;
export function pairRow(name: string, ours: number[], peer: number[], goal: number | undefined): PairRow;
export function renderBenchmarks(run: BenchRun): string;
