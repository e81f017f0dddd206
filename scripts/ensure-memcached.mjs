// Makes sure the servers the tests start are installed. Silent when they already are, so `pretest` stays quiet.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

// Each package ships a binary of the same name, which is how we tell whether it is installed.
const DEBIAN_PACKAGES = ['memcached'];

function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function missingPackages() {
  return DEBIAN_PACKAGES.filter((name) => !onPath(name));
}

function aptGet(args) {
  const result = spawnSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    console.error(`ensure-memcached: \`apt-get ${args.join(' ')}\` failed`);
    process.exit(1);
  }
}

const missing = missingPackages();
if (missing.length === 0) process.exit(0);

// Only install unasked when nothing could go wrong with permissions: root, Linux, apt.
if (process.platform === 'linux' && process.getuid?.() === 0 && onPath('apt-get')) {
  aptGet(['update']);
  aptGet(['install', '-y', ...missing]);
  const stillMissing = missingPackages();
  if (stillMissing.length === 0) process.exit(0);
  console.error(`ensure-memcached: installed, but still not on PATH: ${stillMissing.join(' ')}`);
  process.exit(1);
}

const command =
  process.platform === 'darwin'
    ? `brew install ${missing.join(' ')}`
    : `sudo apt-get install -y ${missing.join(' ')}`;
console.error(`ensure-memcached: ${missing.join(', ')} not found on PATH. Install with:\n  ${command}`);
process.exit(1);
