#!/usr/bin/env node
'use strict';

// The sipster command: `sipster doctor [--json]` (see lib/doctor.js).

const USAGE = `usage: sipster doctor [--json]

  doctor   what to know about the pjproject in use before going live:
           versions, limits, TLS and SRTP, codecs, and warnings naming the
           config_site.h line to change. --json prints it as one object.`;

const [command, ...args] = process.argv.slice(2);
if (command !== 'doctor' || args.some((a) => a !== '--json')) {
  console.error(USAGE);
  process.exit(command === undefined || command === '--help' ? 0 : 2);
}

let sipster;
try {
  sipster = require('..');
} catch (err) {
  console.error(`sipster cannot load its native addon: ${err.message}`);
  console.error('Is pjproject installed where the addon was built against? See README.md, "Install".');
  process.exit(1);
}
const { diagnose, describe } = require('../lib/doctor');
const report = diagnose(sipster);
console.log(args.includes('--json') ? JSON.stringify(report, null, 2) : describe(report));
