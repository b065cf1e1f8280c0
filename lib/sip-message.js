'use strict';

// The headers of a received SIP message as Node's http.IncomingMessage has
// them: keyed by lowercased full names (RFC 3261 compact forms expanded),
// the values of a repeated header joined with ', ' in order.

// RFC 3261 7.3.3 and the later RFCs' compact forms (IANA's SIP header list).
const COMPACT = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

function parseHeaders(wholeMsg) {
  const headers = {};
  if (typeof wholeMsg !== 'string' || !wholeMsg) return headers;
  const end = wholeMsg.search(/\r?\n\r?\n/);
  const lines = (end < 0 ? wholeMsg : wholeMsg.slice(0, end)).split(/\r?\n/);
  let name = null;
  let value = '';
  const flush = () => {
    if (name === null) return;
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    name = null;
  };
  // lines[0] is the request or status line.
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (/^[ \t]/.test(line)) {
      if (name !== null) value += ` ${line.trim()}`; // a folded continuation
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const raw = line.slice(0, colon).trim().toLowerCase();
    name = COMPACT[raw] || raw;
    value = line.slice(colon + 1).trim();
  }
  flush();
  return headers;
}

// The 'call' event's info: the call's identity, the INVITE as received
// (`wholeMsg`), and its `headers`, parsed on first read (most handlers never
// look). `headers` is an own accessor whose getter every info shares: a
// getter written in the literal would be a new function per call, which
// leaves each info in V8's slow dictionary mode (3x the cost to make).
const parsedHeaders = new WeakMap();
function inviteHeaders() {
  let headers = parsedHeaders.get(this);
  if (headers === undefined) {
    headers = parseHeaders(this.wholeMsg);
    parsedHeaders.set(this, headers);
  }
  return headers;
}
const HEADERS = { get: inviteHeaders, enumerable: true, configurable: true };

function incomingCallInfo({ srcAddress, localUri, localContact, remoteUri, remoteContact, callId }, wholeMsg) {
  const info = { srcAddress, localUri, localContact, remoteUri, remoteContact, callId, wholeMsg };
  return Object.defineProperty(info, 'headers', HEADERS);
}

// An out-of-dialog MESSAGE as the 'message' event gives it.
function messageFromRequest(wholeMsg) {
  const headers = parseHeaders(wholeMsg);
  const blank = /\r?\n\r?\n/.exec(wholeMsg);
  return {
    from: headers.from ?? '',
    to: headers.to ?? '',
    contentType: headers['content-type'] ?? '',
    body: blank ? wholeMsg.slice(blank.index + blank[0].length) : '',
    headers,
    wholeMsg,
  };
}

// Final responses to the requests sent with a token (MESSAGE, INFO): a
// promise per token. A response can come before its promise is filed when
// the request is sent from inside a handler (loop signalling).
class Responses {
  constructor() {
    this._waiting = new Map();
    this._early = new Map();
  }

  // Runs `send` (checks, then the native send, which returns the token) and
  // gives the promise of its final response; a throw becomes a rejection.
  request(send) {
    try {
      return this.expect(send());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  expect(token) {
    const result = this._early.get(token);
    if (result) {
      this._early.delete(token);
      return Promise.resolve(result);
    }
    return new Promise((resolve) => this._waiting.set(token, resolve));
  }

  settle(token, result) {
    const resolve = this._waiting.get(token);
    if (!resolve) {
      this._early.set(token, result);
      return;
    }
    this._waiting.delete(token);
    resolve(result);
  }

  // The dialog ended first: pjsip will report nothing more.
  settleAll(result) {
    for (const resolve of this._waiting.values()) resolve(result);
    this._waiting.clear();
  }
}

module.exports = { parseHeaders, incomingCallInfo, messageFromRequest, Responses };
