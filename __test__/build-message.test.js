'use strict';

// Without pjproject, the build stops with one message saying what is
// missing, how to install it, and which variables point the build elsewhere.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

test('building without pjproject prints the install message', { timeout: 300000 }, () => {
  const root = path.join(__dirname, '..');
  const env = { ...process.env, PKG_CONFIG_LIBDIR: '/nonexistent', PKG_CONFIG_PATH: '/nonexistent' };
  delete env.PJPROJECT_LIB_DIR;
  delete env.PJPROJECT_INCLUDE_DIR;
  const result = spawnSync(
    'cargo',
    ['build', '--quiet', '-p', 'pjsip-sys', '--target-dir', path.join(root, 'target', 'no-pjproject')],
    { cwd: root, env, encoding: 'utf8' },
  );
  assert.notEqual(result.status, 0);
  const out = result.stderr;
  assert.match(out, /sipster needs pjproject \(pjsua2\) 2\.12 or newer/);
  assert.match(out, /pkg-config found no libpjproject/);
  for (const hint of ['Debian, Ubuntu:  no package', 'docs/pjproject.md', './configure --enable-shared', 'dnf install pjproject-devel',
    'apk add pjproject-dev', 'brew install pjproject', 'PKG_CONFIG_PATH', 'PJPROJECT_LIB_DIR', 'PJPROJECT_INCLUDE_DIR']) {
    assert.ok(out.includes(hint), `message lacks ${hint}`);
  }
  // Debian and Ubuntu have no such package: the message must not send users to one.
  assert.doesNotMatch(out, /libpjproject-dev/);
  assert.doesNotMatch(out, /panicked/);
});
