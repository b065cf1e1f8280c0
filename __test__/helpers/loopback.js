'use strict';

const { before, after } = require('node:test');

const { freePort } = require('../../harness/ports');
const { incomingCalls } = require('./events');

// Media stays on loopback: pjsua otherwise offers the host's address in SDP.
const LOOPBACK_MEDIA = { transportConfig: { boundAddress: '127.0.0.1' } };

// A UDP transport and an account bound to 127.0.0.1 for SIP and RTP, for
// tests whose library is already initialised. `port` 0 picks a free one.
function loopbackAccount(sipster, { idUri, port = 0 }) {
  const transport = new sipster.Transport({ port, boundAddress: '127.0.0.1' });
  const account = new sipster.Account({ idUri, mediaConfig: LOOPBACK_MEDIA });
  const localAddress = transport.getInfo().localAddress;
  return { transport, account, localAddress, port: Number(localAddress.split(':').pop()) };
}

// A test file's UAS: before its tests, a loopback account on a free port
// whose incoming calls queue up in `uas.calls` (helpers/events.js), and the
// library started; after them, all of it closed. Fields are set by the
// time the tests run.
function loopbackUas(sipster, { idUri }) {
  const uas = {};
  before(async () => {
    Object.assign(uas, loopbackAccount(sipster, { idUri, port: await freePort() }));
    uas.calls = incomingCalls(uas.account);
    sipster.start();
  });
  after(() => {
    uas.account.delete();
    uas.transport.close();
    sipster.shutdown();
  });
  return uas;
}

module.exports = { LOOPBACK_MEDIA, loopbackAccount, loopbackUas };
