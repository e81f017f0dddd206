import type { ClientOptions, Value } from '@memwire/core';
import { clientPerServer, closeAll, resolveCliConfig } from '../config.js';
import { type ConfigReport, describeConfig } from './config-report.js';
import { configWarnings, type Finding, hintFor } from './findings.js';
import { probeServer, type ServerReport } from './probe.js';

/** Everything `memwire doctor` found; `--json` prints it as is. */
export interface DoctorReport {
  /** True when every server passed every check (warnings do not count). */
  ok: boolean;
  config: ConfigReport;
  servers: ServerReport[];
  /** Failures: a server unreachable, a login refused, a probe that misbehaved. */
  problems: Finding[];
  /** Risks that do not stop the cache working: clear-text credentials, rings other clients hash differently, evictions. */
  warnings: Finding[];
}

/**
 * Reads the configuration exactly as `createClient(options)` does and checks every server on its own
 * connection, all in parallel. Throws ConfigError when the configuration itself is invalid.
 *
 * @example
 * const report = await runDoctor({ servers: '127.0.0.1:11211' });
 * if (!report.ok) console.error(report.problems);
 */
export async function runDoctor(options: ClientOptions<Value> = {}): Promise<DoctorReport> {
  const config = resolveCliConfig(options);
  const clients = clientPerServer(config);
  try {
    const [warnings, probes] = await Promise.all([
      configWarnings(config),
      Promise.all([...clients].map(([server, client]) => probeServer(server, client, config.credentials))),
    ]);
    const servers = probes.map((probe) => probe.report);
    const problems = servers.flatMap((report): Finding[] => {
      if (report.error === null) return [];
      const { code, message } = report.error;
      const hint = hintFor(report.error, config.sources);
      return [{ code, server: report.server, message, ...(hint === undefined ? {} : { hint }) }];
    });
    warnings.push(...probes.flatMap((probe) => probe.warnings));
    return { ok: problems.length === 0, config: describeConfig(config), servers, problems, warnings };
  } finally {
    await closeAll(clients.values());
  }
}
