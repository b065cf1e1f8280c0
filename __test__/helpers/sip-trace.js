'use strict';

// SIP messages as tests assert on them: one raw message parsed
// (parseSipMessage), a SIPp -trace_msg file split into the messages SIPp
// sent and received (parseMessages), and lookups in them.

// Compact header forms (RFC 3261 7.3.3 and extensions) -> full names.
const COMPACT = {
  i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length',
  c: 'content-type', f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via',
  r: 'refer-to', b: 'referred-by', o: 'event', u: 'allow-events', x: 'session-expires',
};

/**
 * Parses one raw SIP message.
 * @returns {{startLine:string, method?:string, uri?:string, status?:number,
 *   reason?:string, headers:Object<string,string[]>, body:string,
 *   cseqMethod?:string}}
 */
function parseSipMessage(raw) {
  let sep = raw.indexOf('\r\n\r\n');
  let sepLen = 4;
  if (sep < 0) {
    sep = raw.indexOf('\n\n');
    sepLen = 2;
  }
  const head = sep < 0 ? raw : raw.slice(0, sep);
  const body = sep < 0 ? '' : raw.slice(sep + sepLen);
  const lines = head.split(/\r?\n/);
  while (lines.length && lines[0].trim() === '') lines.shift();
  const startLine = (lines.shift() || '').trim();
  const headers = {};
  let last = null;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last) {
      // folded continuation line
      const vals = headers[last];
      vals[vals.length - 1] += ` ${line.trim()}`;
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) continue;
    let name = line.slice(0, i).trim().toLowerCase();
    name = COMPACT[name] || name;
    (headers[name] ||= []).push(line.slice(i + 1).trim());
    last = name;
  }
  const msg = { startLine, headers, body };
  let m;
  if ((m = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(startLine))) {
    msg.status = Number(m[1]);
    msg.reason = m[2];
  } else if ((m = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/.exec(startLine))) {
    msg.method = m[1].toUpperCase();
    msg.uri = m[2];
  }
  const cseq = headers.cseq && /^\s*(\d+)\s+(\S+)/.exec(headers.cseq[0]);
  if (cseq) {
    msg.cseq = Number(cseq[1]);
    msg.cseqMethod = cseq[2].toUpperCase();
  }
  return msg;
}

const SEPARATOR = /^-{47}(?: (.*))?$/gm;

/**
 * Parses a SIPp -trace_msg file into the messages SIPp sent and received, in
 * order. Other trace entries ("Unexpected ... message received", "Dead call
 * ...", which repeat a message already logged as received) are skipped.
 *
 * @param {string} text
 * @returns {Array<{direction:'sent'|'received', transport:string, time:string,
 *   startLine:string, method?:string, uri?:string, status?:number, reason?:string,
 *   cseq?:number, cseqMethod?:string, headers:Object<string,string[]>,
 *   body:string, raw:string}>}
 *   headers: lowercased full names (compact forms expanded) -> values in order.
 */
function parseMessages(text) {
  const out = [];
  const marks = [];
  let m;
  SEPARATOR.lastIndex = 0;
  while ((m = SEPARATOR.exec(text))) marks.push({ at: m.index, end: m.index + m[0].length, time: m[1] || '' });
  for (let k = 0; k < marks.length; k++) {
    // block = "\n<description line>\n\n<message>\n" up to the next separator
    const block = text.slice(marks[k].end + 1, k + 1 < marks.length ? marks[k + 1].at : text.length);
    const nl = block.indexOf('\n');
    if (nl < 0) continue;
    const desc = block.slice(0, nl);
    const d = /^(\S+) message (received|sent)\b/.exec(desc);
    if (!d) continue;
    let raw = block.slice(nl + 1);
    if (raw.startsWith('\n')) raw = raw.slice(1);
    if (raw.endsWith('\n')) raw = raw.slice(0, -1); // SIPp's own "\n" after the message
    out.push({ direction: d[2], transport: d[1], time: marks[k].time, ...parseSipMessage(raw), raw });
  }
  return out;
}

/**
 * Filters parsed messages: findMessages(msgs, { direction: 'received', method: 'INVITE' }),
 * { status: 200, cseqMethod: 'BYE' }, ... Every given criterion must match.
 */
function findMessages(messages, criteria = {}) {
  return messages.filter((msg) => Object.entries(criteria).every(([k, v]) => msg[k] === v));
}

/** First value of a header (case-insensitive name, compact forms accepted), or undefined. */
function header(msg, name) {
  const n = name.toLowerCase();
  const vals = msg.headers[COMPACT[n] || n];
  return vals ? vals[0] : undefined;
}

module.exports = { parseSipMessage, parseMessages, findMessages, header };
