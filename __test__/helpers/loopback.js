'use strict';

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

module.exports = { LOOPBACK_MEDIA, loopbackAccount };
