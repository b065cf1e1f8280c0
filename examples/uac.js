'use strict';

// UAC: registers (when asked), calls a SIP URI, sends DTMF digits once the
// call is answered, hangs up after a few seconds and exits.
//
//   node examples/uac.js <destination-uri>
//        [--registrar sip:host[:port] --user u --password p]
//        [--digits 1234] [--seconds 5] [--bind 127.0.0.1]
//
// For instance, against SIPp's built-in UAS:
//   sipp -sn uas -i 127.0.0.1 -p 5070
//   node examples/uac.js sip:test@127.0.0.1:5070 --digits 1234

const path = require('node:path');
const { parseArgs } = require('node:util');
const sipster = require('..');

const usage = `usage: node ${path.relative(process.cwd(), __filename)} <destination-uri>
       [--registrar sip:host[:port] --user u --password p]
       [--digits 1234] [--seconds 5] [--bind address]`;

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      registrar: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string', default: '' },
      digits: { type: 'string' },
      seconds: { type: 'string', default: '5' },
      bind: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (err) {
  console.error(`${err.message}\n${usage}`);
  process.exit(1);
}
const opts = args.values;
const destination = args.positionals[0];
const seconds = Number(opts.seconds);
if (opts.help || !destination || args.positionals.length > 1 || !(seconds > 0)) {
  console.error(usage);
  process.exit(opts.help ? 0 : 1);
}
if (!/^sips?:/.test(destination) || (opts.registrar && !/^sips?:/.test(opts.registrar))) {
  console.error(`the destination and the registrar are SIP URIs, e.g. sip:test@127.0.0.1:5070\n${usage}`);
  process.exit(1);
}

// The host part of a SIP URI (sip:user@host:port;params).
function hostOf(uri) {
  const m = /^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^:;?>]+)/.exec(uri);
  return m ? m[1] : '';
}

// Bind to loopback for a loopback destination, else to every interface.
const bind = opts.bind !== undefined ? opts.bind
  : /^(127\.|localhost$)/.test(hostOf(destination)) ? '127.0.0.1' : '';

sipster.init({
  logConfig: {
    level: 3,
    consoleLevel: 1,
    writer: (level, message) => process.stderr.write(`pjsip: ${message.trimEnd()}\n`),
  },
});

const transport = new sipster.Transport({ boundAddress: bind });
const local = transport.getInfo().localName;
const user = opts.user || 'sipster';

const account = new sipster.Account({
  idUri: opts.registrar ? `sip:${user}@${hostOf(opts.registrar)}` : `sip:${user}@${local}`,
  regConfig: { registrarUri: opts.registrar || '' },
  sipConfig: {
    transport,
    authCreds: opts.user ? [{ realm: '*', username: opts.user, data: opts.password }] : [],
  },
  mediaConfig: { transportConfig: { boundAddress: bind } },
});
let registered = false;

sipster.start();
console.log(`SIP on ${local} (pjsip ${sipster.version.full})`);

if (opts.registrar) {
  console.log(`Registering with ${opts.registrar} as ${user}`);
  const giveUp = setTimeout(() => {
    console.error('No answer from the registrar');
    finish(1);
  }, 10000);
  account.on('state', (active, statusCode) => {
    clearTimeout(giveUp);
    if (active && !registered) {
      registered = true;
      console.log(`Registered (${statusCode})`);
      call();
    } else if (!active && !registered) {
      console.error(`Registration failed: ${statusCode} ${account.getInfo().regStatusText}`);
      finish(1);
    }
  });
} else {
  call();
}

function call() {
  console.log(`Calling ${destination}`);
  let answered = false;
  let timer = null;
  let c;
  try {
    c = account.makeCall(destination);
  } catch (err) {
    console.error(`Cannot call ${destination}: ${err.message}`);
    finish(1);
    return;
  }
  c.on('state', (state, info) => {
    const status = info.lastStatusCode ? ` (${info.lastStatusCode} ${info.lastReason})` : '';
    console.log(`Call state: ${state}${status}`);
  });
  c.on('dtmf', (digit) => console.log(`DTMF received: ${digit}`));
  c.on('confirmed', () => {
    answered = true;
    if (opts.digits) {
      // RFC 2833 only: the answer's SDP must offer telephone-event.
      try {
        c.dtmf(opts.digits);
        console.log(`Sent DTMF ${opts.digits}`);
      } catch (err) {
        console.error(`Cannot send DTMF: ${err.message}`);
      }
    }
    console.log(`Hanging up in ${seconds} s`);
    timer = setTimeout(() => c.hangup(), seconds * 1000);
  });
  c.on('disconnected', (info) => {
    clearTimeout(timer);
    console.log(`Call ended after ${info.connDuration.toFixed(1)} s`);
    finish(answered ? 0 : 1);
  });
}

// Unregisters when registered, then releases everything so that the
// process can exit.
function finish(code) {
  process.exitCode = code;
  const done = () => {
    account.delete();
    transport.close();
    sipster.shutdown();
  };
  if (!registered) return done();
  console.log('Unregistering');
  const timeout = setTimeout(done, 5000);
  account.once('unregistered', () => {
    clearTimeout(timeout);
    console.log('Unregistered');
    done();
  });
  account.setRegistration(false);
}

process.on('SIGINT', () => {
  sipster.shutdown();
  process.exit(130);
});
