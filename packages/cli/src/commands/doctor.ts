import type { CommandContext } from '../context.js';
import { loadConfig } from '../context.js';
import type { ConfigReport } from '../doctor/config-report.js';
import type { Finding } from '../doctor/findings.js';
import type { ServerReport } from '../doctor/probe.js';
import { type DoctorReport, runDoctor } from '../doctor/run.js';
import { ExitCode } from '../exit-codes.js';
import { formatBytes, formatDuration, formatMs, formatRatio, type Output } from '../output.js';

export interface DoctorOptions {
  /** Exit 1 on warnings too. */
  strict?: boolean | undefined;
}

/** `memwire doctor`: exits 1 when a server fails a check (or, with `--strict`, on any warning). */
export async function doctorCommand(ctx: CommandContext, options: DoctorOptions): Promise<number> {
  loadConfig(ctx); // registers the credentials as secrets before anything is printed
  const report = await runDoctor(ctx.options);
  ctx.output.result(report, () => render(ctx.output, report));
  const failed = !report.ok || (options.strict === true && report.warnings.length > 0);
  return failed ? ExitCode.FAILURE : ExitCode.OK;
}

function render(output: Output, report: DoctorReport): string {
  const { c } = output;
  const section = (title: string, body: string) => `${c.bold(title)}\n${body}`;
  const sections = [
    section('Configuration, as the client reads it', renderConfig(output, report.config)),
    section('Servers', renderServers(output, report.servers)),
  ];
  if (report.problems.length > 0)
    sections.push(section('Problems', renderFindings(output, report.problems, c.red('✖'))));
  if (report.warnings.length > 0)
    sections.push(section('Warnings', renderFindings(output, report.warnings, c.yellow('!'))));
  const warnings = plural(report.warnings.length, 'warning');
  const verdict = report.ok
    ? c.green(`✔ ${plural(report.servers.length, 'server')} OK`)
    : c.red(`✖ ${plural(report.problems.length, 'problem')}`);
  sections.push(`${verdict}, ${warnings}`);
  return sections.join('\n\n');
}

function renderConfig(output: Output, config: ConfigReport): string {
  const { c } = output;
  const unset = c.dim('(not set)');
  const rows: string[][] = [
    ['servers', config.servers.value.join(', '), config.servers.source],
    ['username', config.username.value ?? unset, config.username.source],
    ['password', config.password.value ?? unset, config.password.source],
  ];
  if (config.ironcache.value !== null) {
    const iron = config.ironcache.value;
    rows.push([
      'ironcache',
      `project ${iron.projectId}, cache ${iron.cacheName}, token ${iron.token}`,
      config.ironcache.source,
    ]);
  }
  rows.push(
    ['tls', config.tls.value ? 'on' : 'off', config.tls.source],
    ['auth dialect', config.authDialect.value, config.authDialect.source],
    ['distribution', `${config.distribution.value} (${config.hash.value})`, config.distribution.source],
  );
  return output.table(
    ['setting', 'value', 'from'],
    rows.map(([name, value, source]) => [name!, value!, c.dim(source!)]),
  );
}

function renderServers(output: Output, servers: ServerReport[]): string {
  const { c } = output;
  const rows = servers.map((server) => {
    const mark = server.ok ? c.green('✔') : c.red('✖');
    if (server.error !== null && server.stats === null && server.probe === null) {
      const step =
        server.login === 'missing'
          ? 'login required'
          : server.error.step === 'login'
            ? 'login refused'
            : `${server.error.step} failed`;
      return [`${mark} ${server.server}`, { colSpan: 7, content: c.red(`${step}: ${server.error.code}`) }];
    }
    const stats = server.stats;
    const memory =
      stats === null
        ? '?'
        : `${formatBytes(stats.bytes)} / ${formatBytes(stats.limitBytes)} (${formatRatio(stats.limitBytes === 0 ? undefined : stats.bytes / stats.limitBytes)})`;
    return [
      `${mark} ${server.server}`,
      server.protocol === null ? (server.version ?? '?') : `${server.version ?? '?'} (${server.protocol})`,
      server.login === 'none' ? c.dim('none') : server.login,
      server.latencyMs === null ? '?' : formatMs(server.latencyMs.median),
      server.probe === null
        ? '?'
        : server.probe.set && server.probe.get && server.probe.delete
          ? 'ok'
          : c.red('failed'),
      stats === null ? '?' : formatRatio(stats.hitRatio),
      stats === null ? '?' : stats.evictions > 0 ? c.yellow(String(stats.evictions)) : '0',
      stats === null ? '?' : `${memory}, up ${formatDuration(stats.uptimeSeconds)}`,
    ];
  });
  return output.table(
    ['server', 'version', 'login', 'round trip', 'set/get/delete', 'hit ratio', 'evictions', 'memory'],
    rows,
  );
}

function renderFindings(output: Output, findings: Finding[], mark: string): string {
  return findings
    .map((finding) => {
      // Name the server unless the message already does.
      const where =
        finding.server !== undefined && !finding.message.includes(finding.server)
          ? `${finding.server}: `
          : '';
      const line = `  ${mark} ${finding.code}: ${where}${finding.message}`;
      return finding.hint === undefined ? line : `${line}\n    ${output.c.dim(`→ ${finding.hint}`)}`;
    })
    .join('\n');
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
