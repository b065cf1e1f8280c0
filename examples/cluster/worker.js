'use strict';

// One sipster worker of the cluster: answers every call it is given and
// lets the caller hang up. Run by start.js as
//   node worker.js --host 127.0.0.1 --port 5071
// Replace the 'call' handler with your application.

const { parseArgs } = require('node:util');

const sipster = require('../..'); // require('sipster') in your project

const { values } = parseArgs({
  options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string' } },
});
const host = values.host;
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0) {
  console.error('worker.js: --port <number> is required');
  process.exit(2);
}

sipster.init({
  // As many calls as this pjproject build allows (see `npx sipster doctor`).
  uaConfig: { maxCalls: sipster.build.maxCalls, userAgent: `sipster-worker/${port}` },
  logConfig: { level: 0, consoleLevel: 0 },
});
const transport = new sipster.Transport({ port, boundAddress: host });
const account = new sipster.Account({
  idUri: `sip:worker@${host}:${port}`,
  mediaConfig: { transportConfig: { boundAddress: host } },
});
account.on('call', (info, call) => {
  call.answer();
});
sipster.start();

// sipster shuts down cleanly on SIGTERM (BYE to the calls up), then exits.
process.on('exit', () => {
  account.delete();
  transport.close();
});
