// Checks every publishable package the way a registry consumer sees it: publint on the packed
// tarball's layout, and `npm pack --dry-run` holding only the build, README, LICENSE and package.json.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = new URL('..', import.meta.url).pathname;
const allowed = /^(dist\/.+|bin\/memwire\.mjs|README\.md|LICENSE|package\.json|CHANGELOG\.md)$/;
let problems = 0;
for (const name of readdirSync(join(root, 'packages'))) {
  const pkgDir = join(root, 'packages', name);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  const { messages } = await publint({ pkgDir, level: 'suggestion', strict: true, pack: 'npm' });
  for (const message of messages) {
    problems++;
    console.error(`${pkg.name}: ${formatMessage(message, pkg)}`);
  }
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: pkgDir, encoding: 'utf8' }),
  );
  for (const file of packed.files) {
    if (!allowed.test(file.path)) {
      problems++;
      console.error(`${pkg.name}: the tarball should not contain ${file.path}`);
    }
  }
  for (const needed of ['README.md', 'LICENSE', 'dist/index.mjs', 'dist/index.cjs']) {
    if (!packed.files.some((file) => file.path === needed)) {
      problems++;
      console.error(`${pkg.name}: the tarball lacks ${needed}`);
    }
  }
  console.log(`${pkg.name}: ${packed.files.length} files, ${packed.size} bytes packed`);
}
if (problems > 0) {
  console.error(`publint: ${problems} problem(s)`);
  process.exit(1);
}
