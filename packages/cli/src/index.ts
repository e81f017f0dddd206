export type { BenchResult, Latency } from './commands/bench.js';
export {
  DASHBOARD_DEFAULTS,
  type DashboardHandler,
  type DashboardOptions,
  dashboardHandler,
} from './dashboard/handler.js';
export type { Sample, ServerSample, SlabSample } from './dashboard/sampler.js';
export type { ConfigReport, Setting } from './doctor/config-report.js';
export type { Finding } from './doctor/findings.js';
export type { ServerReport } from './doctor/probe.js';
export { type DoctorReport, runDoctor } from './doctor/run.js';
export { ExitCode } from './exit-codes.js';
export type { Streams } from './output.js';
export { main } from './program.js';
