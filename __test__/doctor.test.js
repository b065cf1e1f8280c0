'use strict';

// `npx sipster doctor` (issue 11): it runs, reports what the linked
// pjproject is, and warns with the config_site.h line to change when a
// stock limit would bite a server.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const path = require('node:path');

const sipster = require('..');
const { warningsFor } = require('../lib/doctor');

const BIN = path.join(__dirname, '..', 'bin', 'sipster.js');
const literally = (text) => String(text).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('doctor --json: versions, limits, TLS/SRTP and codecs of the linked pjproject; exit code 0', () => {
  const report = JSON.parse(execFileSync(process.execPath, [BIN, 'doctor', '--json'], { encoding: 'utf8' }));
  assert.deepEqual(Object.keys(report), ['pjproject', 'limits', 'tls', 'srtp', 'codecs', 'warnings']);
  assert.equal(report.pjproject.version, sipster.version.full);
  assert.match(report.pjproject.builtAgainst, /^\d+\.\d+/);
  assert.deepEqual(report.limits, {
    maxCalls: sipster.build.maxCalls,
    maxMediaPorts: sipster.build.maxMediaPorts,
    ioqueue: sipster.build.ioqueue,
    ioqueueMaxHandles: sipster.build.ioqueueMaxHandles,
  });
  assert.ok(['select', 'epoll', 'kqueue', 'iocp', 'uring'].some((name) => report.limits.ioqueue.includes(name)), report.limits.ioqueue);
  assert.equal(typeof report.tls, 'boolean');
  assert.ok(report.codecs.some((c) => c.id === 'PCMU/8000/1' && c.priority > 0));
  // The warnings follow the limits found.
  const warned = (text) => report.warnings.some((w) => w.includes(text));
  assert.equal(warned('#define PJSUA_MAX_CALLS'), report.limits.maxCalls < 64);
  assert.equal(warned('--enable-epoll'), report.limits.ioqueue === 'select' && report.limits.ioqueueMaxHandles <= 1024);
  assert.equal(warned('without TLS'), !report.tls);
});

test('doctor in words says the same; a wrong argument prints the usage with exit code 2', () => {
  const text = execFileSync(process.execPath, [BIN, 'doctor'], { encoding: 'utf8' });
  assert.match(text, new RegExp(`^pjproject ${literally(sipster.version.full)} `));
  assert.match(text, new RegExp(`calls at once: +${sipster.build.maxCalls} \\(PJSUA_MAX_CALLS\\)`));
  assert.match(text, new RegExp(`ioqueue: +${literally(sipster.build.ioqueue)}, ${sipster.build.ioqueueMaxHandles} sockets`));
  const wrong = spawnSync(process.execPath, [BIN, 'doctr'], { encoding: 'utf8' });
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /^usage: sipster doctor \[--json\]/);
});

test('the warnings: a stock build gets the exact config_site.h lines, a server build none', () => {
  const stock = { builtAgainst: '2.15.1', ioqueue: 'select', maxCalls: 4, maxMediaPorts: 254, ioqueueMaxHandles: 64, tls: true, srtp: true };
  const warnings = warningsFor({ version: '2.15.1', build: stock, openFiles: 1024 });
  assert.equal(warnings.length, 2, warnings.join('\n'));
  assert.match(warnings[0], /4 calls at once .*"#define PJSUA_MAX_CALLS 1024" to pjlib\/include\/pj\/config_site\.h/);
  assert.match(warnings[1], /select ioqueue watches at most 64 sockets.*--enable-epoll.*"#define PJ_IOQUEUE_MAX_HANDLES 8192"/);

  const server = { ...stock, ioqueue: 'epoll', maxCalls: 1024, maxMediaPorts: 2112, ioqueueMaxHandles: 8192 };
  assert.deepEqual(warningsFor({ version: '2.15.1', build: server, openFiles: 65536 }), []);
  const others = warningsFor({ version: '2.17', build: { ...server, ioqueueMaxHandles: 1024, maxMediaPorts: 254, tls: false }, openFiles: 512 });
  assert.deepEqual(others.map((w) => w.split(' ').slice(0, 4).join(' ')), [
    'sipster was compiled against',
    'the ioqueue watches at',
    'the conference bridge has',
    'this process may open',
    'pjproject was built without',
  ]);
});
