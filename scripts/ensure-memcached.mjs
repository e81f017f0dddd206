// Makes sure the servers and peer clients the tests use are installed: memcached and nutcracker (servers),
// pylibmc, Django and php-memcached (libmemcached-based clients the interop tests compare against), and
// Chromium (the dashboard's browser test).
// Silent and quick when everything is there, so `pretest` stays quiet. Plain ESM, no dependencies: it
// runs on Node 20.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The Python that Debian's python3-* packages install for. `python3` on PATH may be another one (pyenv,
 * a virtualenv) that cannot see /usr/lib/python3/dist-packages. test/interop/python.ts picks the same
 * interpreter; MEMWIRE_PYTHON overrides both.
 */
const PYTHON =
  process.env.MEMWIRE_PYTHON ||
  (process.platform === 'linux' && existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

// Not every package is a binary: Python modules are checked by importing them, the PHP extension by `php -m`.
const ALL_CHECKS = [
  { pkg: 'memcached', present: async () => onPath('memcached') },
  { pkg: 'nutcracker', present: async () => onPath('nutcracker') },
  { pkg: 'python3-pylibmc', present: () => pythonImports('pylibmc') },
  { pkg: 'python3-django', present: () => pythonImports('django') },
  // Django's PyMemcacheCache backend imports pymemcache.
  { pkg: 'python3-pymemcache', present: () => pythonImports('pymemcache') },
  { pkg: 'php-cli', present: async () => onPath('php') },
  { pkg: 'php-memcached', present: phpHasMemcached },
  // The dashboard's browser test (packages/cli/test/dashboard-browser.test.ts) drives Debian's Chromium.
  { pkg: 'chromium', present: async () => onPath('chromium') },
];

// `--only=memcached` (the demo) asks for just those packages; the test suite needs them all.
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const CHECKS = only === undefined ? ALL_CHECKS : ALL_CHECKS.filter((check) => only.includes(check.pkg));

// Debian puts nutcracker in /usr/sbin, which is not on a normal user's PATH.
function onPath(name) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  return dirs.some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Runs a command without a shell; resolves with its stdout, or undefined if it failed or is missing. */
function output(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => {
      out += text;
    });
    child.once('error', () => resolve(undefined));
    child.once('close', (code) => resolve(code === 0 ? out : undefined));
  });
}

// One interpreter start for both modules (memoised): starting Python is most of the cost.
let pythonModules;
function pythonImports(module) {
  pythonModules ??= output(PYTHON, [
    '-c',
    'import importlib.util as u\nfor m in ("pylibmc", "django", "pymemcache"):\n    print(m if u.find_spec(m) else "")',
  ]).then((out) => new Set((out ?? '').split('\n').filter(Boolean)));
  return pythonModules.then((found) => found.has(module));
}

async function phpHasMemcached() {
  const out = await output('php', ['-m']);
  return (out ?? '').split('\n').some((line) => line.trim() === 'memcached');
}

async function missingPackages() {
  pythonModules = undefined;
  const present = await Promise.all(CHECKS.map((check) => check.present()));
  return CHECKS.filter((_, i) => !present[i]).map((check) => check.pkg);
}

function aptGet(args) {
  // Wait for another apt/dpkg run (a second checkout's pretest, unattended upgrades) instead of failing.
  const result = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    console.error(`ensure-memcached: \`apt-get ${args.join(' ')}\` failed`);
    process.exit(1);
  }
}

const missing = await missingPackages();
if (missing.length === 0) process.exit(0);

// Only install unasked when nothing could go wrong with permissions: root, Linux, apt.
if (process.platform === 'linux' && process.getuid?.() === 0 && onPath('apt-get')) {
  aptGet(['update']);
  aptGet(['install', '-y', '--no-install-recommends', ...missing]);
  const stillMissing = await missingPackages();
  if (stillMissing.length === 0) process.exit(0);
  console.error(
    `ensure-memcached: installed, but still not usable: ${stillMissing.join(' ')} ` +
      `(Python modules are checked with ${PYTHON}; set MEMWIRE_PYTHON to choose another interpreter)`,
  );
  process.exit(1);
}

console.error(
  `ensure-memcached: missing ${missing.join(', ')} (Python modules checked with ${PYTHON}). Install with:\n` +
    `  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`,
);
process.exit(1);
