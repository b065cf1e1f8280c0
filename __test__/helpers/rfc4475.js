'use strict';

// The RFC 4475 torture messages for the malformed-SIP tests: what the RFC
// says about each (as expectations for a SIP user agent: sipster is a UAS
// here, not a proxy or registrar), how to rewrite them for a loopback test
// bed, plus garbage datagrams and truncation points. Pure functions, used by
// malformed-sip.test.js and its fixture.
//
// category:
//   valid    - a well-formed request: it must be handled, i.e. get a final
//              response (RFC 3261 8.2.1: a UAS that does not support a
//              method MUST answer 405, an unknown one 501).
//   invalid  - a malformed request: a 4xx-6xx response or none at all;
//              never a 2xx (and an INVITE must never be answered).
//   lenient  - the RFC allows either rejecting it (usually 400) or processing
//              it liberally: any final response or none.
//   response - a (stray) response: a UA has no transaction for it and must
//              drop it silently.
// codes: what the RFC (or RFC 3261) says a careful element answers; the
//   tests report deviations from these and assert the category.
// request: whether the message is a request (only requests can be answered).

const fs = require('node:fs');
const path = require('node:path');

// The project's shared test data sits beside the repository (../shared).
const DATA_DIR =
  process.env.RFC4475_DIR ||
  [path.join(__dirname, '..', '..', '..', 'shared', 'testdata', 'rfc4475'), '/work/shared/testdata/rfc4475'].find((d) =>
    fs.existsSync(d),
  ) ||
  path.join(__dirname, '..', '..', '..', 'shared', 'testdata', 'rfc4475');
const HOST = '127.0.0.1';
const UAS_PORT = 5080; // the sipster UAS (in the private namespace)
const SENDER_PORT = 5060; // the raw sender; also the default Via port

const E = (section, category, extra = {}) => ({ section, category, request: category !== 'response', ...extra });

const EXPECTATIONS = {
  // 3.1.1 Valid messages
  'wsinv.dat': E('3.1.1.1 A Short Tortuous INVITE', 'valid', { method: 'INVITE' }),
  'intmeth.dat': E('3.1.1.2 Wide Range of Valid Characters', 'valid', { codes: [501, 405] }),
  'esc01.dat': E('3.1.1.3 Valid Use of the % Escaping Mechanism', 'valid', { method: 'INVITE' }),
  'escnull.dat': E('3.1.1.4 Escaped Nulls in URIs', 'valid'),
  'esc02.dat': E('3.1.1.5 Use of % When It Is Not an Escape', 'valid', { codes: [501, 405] }),
  'lwsdisp.dat': E('3.1.1.6 Message with No LWS between Display Name and <', 'valid'),
  'longreq.dat': E('3.1.1.7 Long Values in Header Fields', 'valid', { method: 'INVITE' }),
  'dblreq.dat': E('3.1.1.8 Extra Trailing Octets in a UDP Datagram', 'valid'),
  'semiuri.dat': E('3.1.1.9 Semicolon-Separated Parameters in URI User Part', 'valid'),
  'transports.dat': E('3.1.1.10 Varied and Unknown Transport Types', 'valid'),
  'mpart01.dat': E('3.1.1.11 Multipart MIME Message', 'valid'),
  'unreason.dat': E('3.1.1.12 Unusual Reason Phrase', 'response'),
  'noreason.dat': E('3.1.1.13 Empty Reason Phrase', 'response'),
  // 3.1.2 Invalid messages
  'badinv01.dat': E('3.1.2.1 Extraneous Header Field Separators', 'invalid', { method: 'INVITE', codes: [400] }),
  'clerr.dat': E('3.1.2.2 Content Length Larger Than Message', 'invalid', { method: 'INVITE', codes: [400] }),
  'ncl.dat': E('3.1.2.3 Negative Content-Length', 'invalid', { method: 'INVITE', codes: [400] }),
  'scalar02.dat': E('3.1.2.4 Request Scalar Fields with Overlarge Values', 'invalid', { codes: [400] }),
  'scalarlg.dat': E('3.1.2.5 Response Scalar Fields with Overlarge Values', 'response'),
  'quotbal.dat': E('3.1.2.6 Unterminated Quoted String in Display Name', 'lenient', { method: 'INVITE', codes: [400] }),
  'ltgtruri.dat': E('3.1.2.7 <> Enclosing Request-URI', 'lenient', { method: 'INVITE', codes: [400] }),
  'lwsruri.dat': E('3.1.2.8 Malformed SIP Request-URI (embedded LWS)', 'lenient', { method: 'INVITE', codes: [400] }),
  'lwsstart.dat': E('3.1.2.9 Multiple SP Separating Request-Line Elements', 'lenient', { method: 'INVITE' }),
  'trws.dat': E('3.1.2.10 SP Characters at End of Request-Line', 'lenient'),
  'escruri.dat': E('3.1.2.11 Escaped Headers in SIP Request-URI', 'lenient', { method: 'INVITE' }),
  'baddate.dat': E('3.1.2.12 Invalid Time Zone in Date Header Field', 'lenient', { method: 'INVITE' }),
  'regbadct.dat': E('3.1.2.13 Failure to Enclose name-addr URI in <>', 'lenient'),
  'badaspec.dat': E('3.1.2.14 Spaces within addr-spec', 'lenient', { codes: [400] }),
  'baddn.dat': E('3.1.2.15 Non-token Characters in Display Name', 'lenient', { codes: [400] }),
  'badvers.dat': E('3.1.2.16 Unknown Protocol Version', 'invalid', { codes: [505] }),
  'mismatch01.dat': E('3.1.2.17 Start Line and CSeq Method Mismatch', 'invalid', { codes: [400] }),
  'mismatch02.dat': E('3.1.2.18 Unknown Method with CSeq Method Mismatch', 'invalid', { codes: [501, 400] }),
  'bigcode.dat': E('3.1.2.19 Overlarge Response Code', 'response'),
  // 3.2 Transaction layer semantics
  'badbranch.dat': E('3.2.1 Missing Transaction Identifier', 'lenient'),
  // 3.3 Application-layer semantics
  'insuf.dat': E('3.3.1 Missing Required Header Fields', 'invalid', { method: 'INVITE', codes: [400] }),
  // Well-formed, but pjsip's parser knows no such URI scheme and drops the
  // datagram before any module could answer 416: held to 'lenient'.
  'unkscm.dat': E('3.3.2 Request-URI with Unknown Scheme', 'lenient', { codes: [416] }),
  'novelsc.dat': E('3.3.3 Request-URI with Known but Atypical Scheme', 'lenient', { codes: [416] }),
  'unksm2.dat': E('3.3.4 Unknown URI Schemes in Header Fields', 'valid'),
  'bext01.dat': E('3.3.5 Proxy-Require and Require', 'valid', { codes: [420] }),
  'invut.dat': E('3.3.6 Unknown Content-Type', 'valid', { method: 'INVITE', codes: [415] }),
  // Same: pjsip's parser rejects the unknown Authorization scheme.
  'regaut01.dat': E('3.3.7 Unknown Authorization Scheme', 'lenient'),
  'multi01.dat': E('3.3.8 Multiple Values in Single Value Required Fields', 'invalid', { method: 'INVITE', codes: [400] }),
  'mcl01.dat': E('3.3.9 Multiple Content-Length Values', 'invalid', { codes: [400] }),
  'bcast.dat': E('3.3.10 200 OK Response with Broadcast Via Header Field Value', 'response'),
  'zeromf.dat': E('3.3.11 Max-Forwards of Zero', 'valid'),
  'cparam01.dat': E('3.3.12 REGISTER with a Contact Header Parameter', 'valid'),
  'cparam02.dat': E('3.3.13 REGISTER with a url-parameter', 'valid'),
  'regescrt.dat': E('3.3.14 REGISTER with a URL Escaped Header', 'invalid', { codes: [400] }),
  'sdp01.dat': E('3.3.15 Unacceptable Accept Offering', 'valid', { method: 'INVITE', codes: [406] }),
  // 3.4 Backward compatibility
  'inv2543.dat': E('3.4.1 INVITE with RFC 2543 Syntax', 'valid', { method: 'INVITE' }),
  // Not from RFC 4475: a request line without SIP version, no Via, no CSeq.
  'test.dat': E('(extra) no SIP-Version, Via or CSeq', 'invalid', { method: 'INVITE' }),
};

function classify(file) {
  return EXPECTATIONS[file] || E('(unknown file)', 'lenient');
}


// ---- rewriting -----------------------------------------------------------------

// Hosts the torture messages name: domain names, documentation and other
// IPv4 addresses, each with an optional port. Not inside a token (so the
// escaped user part "user%40example.com" stays as it is).
const HOST_RE =
  /(?<![A-Za-z0-9.%_-])(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+(?:com|net|org|edu)|(?:\d{1,3}\.){3}\d{1,3})(?::(\d{1,5}))?(?![A-Za-z0-9-])/g;

function headerName(line) {
  const m = /^([^:\s]+)\s*:/.exec(line);
  return m ? m[1].toLowerCase() : null;
}

/**
 * Rewrites one torture message (a Buffer) for the loopback test bed.
 * @returns {Buffer}
 */
function rewrite(buf, { recvPort = UAS_PORT, sendPort = SENDER_PORT } = {}) {
  // latin1 keeps every byte as one char, so binary parts survive.
  let text = buf.toString('latin1');
  if (!text.includes('\r\n')) text = text.replace(/\n/g, '\r\n');
  let sep = text.indexOf('\r\n\r\n');
  if (sep < 0) sep = text.length;
  const head = text.slice(0, sep);
  let body = text.slice(sep);
  const lines = head.split('\r\n');
  let current = null;
  const rewritten = lines.map((line, i) => {
    if (i === 0) {
      // Request-URI: its last host is the receiver (127.0.0.1:recvPort);
      // a status line has none.
      const matches = [...line.matchAll(HOST_RE)];
      let k = 0;
      return line.replace(HOST_RE, () => (++k === matches.length ? `${HOST}:${recvPort}` : HOST));
    }
    if (!/^[ \t]/.test(line)) current = headerName(line);
    const own = current === 'via' || current === 'v' || current === 'contact' || current === 'm';
    return line.replace(HOST_RE, (all, port) => {
      if (port === undefined) return HOST;
      return `${HOST}:${own ? sendPort : recvPort}`;
    });
  });
  let newHead = rewritten.join('\r\n');
  // SDP bodies carry addresses too (c=, o=): rewrite them and keep a
  // correct Content-Length correct (a wrong one, e.g. clerr's, stays wrong).
  if (/^(content-type|c)\s*:\s*application\/sdp/im.test(head) && sep < text.length) {
    const oldBody = body.slice(4);
    const newBody = oldBody.replace(HOST_RE, HOST);
    const delta = newBody.length - oldBody.length;
    if (delta !== 0) {
      newHead = newHead.replace(/^((?:content-length|l)[ \t]*:[ \t]*)(\d+)/gim, (all, prefix, n) =>
        Number(n) === oldBody.length ? `${prefix}${Number(n) + delta}` : all,
      );
    }
    body = `\r\n\r\n${newBody}`;
  }
  return Buffer.from(newHead + body, 'latin1');
}

// A small deterministic PRNG, so garbage is the same on every run.
function prng(seed) {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function garbageCases() {
  const rand = prng(4475);
  const cases = [];
  for (let i = 0; i < 12; i++) {
    const n = 1 + Math.floor(rand() * 1400);
    const b = Buffer.alloc(n);
    for (let k = 0; k < n; k++) b[k] = Math.floor(rand() * 256);
    cases.push([`random-${i}-${n}B`, b]);
  }
  // Random printable text with SIP-ish tokens
  const tokens = ['INVITE', 'SIP/2.0', 'Via:', 'Call-ID:', 'CSeq:', '\r\n', ':', ';', ' ', 'sip:', '<', '>', '@', '127.0.0.1', '\r\n\r\n', 'Content-Length: 99999'];
  for (let i = 0; i < 8; i++) {
    let s = '';
    const n = 5 + Math.floor(rand() * 60);
    for (let k = 0; k < n; k++) s += tokens[Math.floor(rand() * tokens.length)];
    cases.push([`tokens-${i}`, Buffer.from(s, 'latin1')]);
  }
  const inv = (headers, body = '') =>
    Buffer.from(
      `INVITE sip:user@${HOST}:${UAS_PORT} SIP/2.0\r\n${headers}\r\n\r\n${body}`,
      'latin1',
    );
  const base = (cid) =>
    `Via: SIP/2.0/UDP ${HOST}:${SENDER_PORT};branch=z9hG4bK-g-${cid}\r\nFrom: <sip:g@${HOST}>;tag=g${cid}\r\nTo: <sip:user@${HOST}>\r\nCall-ID: garbage-${cid}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContact: <sip:g@${HOST}:${SENDER_PORT}>`;
  cases.push(
    ['empty-datagram', Buffer.alloc(0)],
    ['crlf-keepalive', Buffer.from('\r\n\r\n')],
    ['nul-bytes-512', Buffer.alloc(512)],
    ['oversize-60000B', Buffer.alloc(60000, 0x41)],
    ['request-line-only', Buffer.from(`INVITE sip:user@${HOST}:${UAS_PORT} SIP/2.0\r\n\r\n`)],
    ['status-line-only', Buffer.from('SIP/2.0 200 OK\r\n\r\n')],
    ['no-colon-header', inv(`${base('nocolon')}\r\nThis header has no colon\r\nContent-Length: 0`)],
    ['huge-content-length', inv(`${base('hugecl')}\r\nContent-Length: 18446744073709551617`)],
    ['negative-cseq', inv(base('negcseq').replace('CSeq: 1 INVITE', 'CSeq: -1 INVITE') + '\r\nContent-Length: 0')],
    ['cseq-overflow', inv(base('cseqof').replace('CSeq: 1 INVITE', 'CSeq: 99999999999999999999 INVITE') + '\r\nContent-Length: 0')],
    ['nul-in-header', inv(`${base('nulhdr')}\r\nSubject: a\u0000b\r\nContent-Length: 0`)],
    ['oversize-header-50000B', inv(`${base('bighdr')}\r\nX-Big: ${'x'.repeat(50000)}\r\nContent-Length: 0`)],
    ['many-vias-300', inv(`${Array.from({ length: 300 }, (_, k) => `Via: SIP/2.0/UDP 127.0.0.${(k % 250) + 1}:5060;branch=z9hG4bK-many-${k}`).join('\r\n')}\r\n${base('manyvia').split('\r\n').slice(1).join('\r\n')}\r\nContent-Length: 0`)],
    ['sdp-garbage', inv(`${base('sdpgarb')}\r\nContent-Type: application/sdp\r\nContent-Length: 40`, 'v=9\r\nm=audio -1 RTP/AVP 999999999999\r\nx\r\n'.padEnd(40, 'z'))],
    ['sdp-bad-port', inv(`${base('sdpport')}\r\nContent-Type: application/sdp\r\nContent-Length: 85`, `v=0\r\no=- 1 1 IN IP4 ${HOST}\r\ns=-\r\nc=IN IP4 ${HOST}\r\nt=0 0\r\nm=audio 99999 RTP/AVP 0\r\n`.padEnd(85, ' '))],
    ['binary-prefix', Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x01]), inv(`${base('binpre')}\r\nContent-Length: 0`)])],
  );
  return cases;
}

// Cut points of a message: a third of it, at the end of its headers (no
// blank line), and half way into its body when it has one.
function truncations(buf) {
  const text = buf.toString('latin1');
  const sep = text.indexOf('\r\n\r\n');
  const cuts = new Set([Math.floor(buf.length / 3)]);
  if (sep > 0) cuts.add(sep);
  if (sep > 0 && buf.length - (sep + 4) > 4) cuts.add(sep + 4 + Math.floor((buf.length - sep - 4) / 2));
  return [...cuts].filter((c) => c > 0 && c < buf.length).sort((a, b) => a - b);
}

// argv[2]: JSON { phases: ['rfc4475', 'garbage', 'truncated'], files: [...] }

/** The datagram of every item, by id: RFC files, garbage cases, 'file@cut' truncations. */
function buildItems(dataDir = DATA_DIR) {
  const files = fs.readdirSync(dataDir).filter((f) => f.endsWith('.dat')).sort();
  const rfc = files.map((file) => ({ id: file, buf: rewrite(fs.readFileSync(path.join(dataDir, file))) }));
  const garbage = garbageCases().map(([id, buf]) => ({ id, buf }));
  const truncated = [];
  for (const { id: file, buf } of rfc) {
    const e = classify(file);
    if (e.category !== 'valid' || !e.request) continue;
    for (const cut of truncations(buf)) {
      truncated.push({ id: `${file}@${cut}`, file, cut, of: buf.length, method: buf.toString('latin1').split(' ')[0], buf: buf.subarray(0, cut) });
    }
  }
  return { rfc4475: rfc, garbage, truncated };
}

module.exports = { EXPECTATIONS, classify, rewrite, garbageCases, truncations, buildItems, DATA_DIR, HOST, UAS_PORT, SENDER_PORT };
