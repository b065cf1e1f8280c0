'use strict';

// Tests of the test helpers (__test__/helpers/*, harness/*) and validation of
// every SIPp scenario in harness/scenarios/ by running them against each
// other on 127.0.0.1. Needs `sipp` (Debian: sip-tester) and `sox`; runs as
// root for the pcap-playing scenarios (raw sockets).
//
//   node --test __test__/helpers.test.js

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const { freePort, freePorts, freeRtpPort } = require('../harness/ports');
const audio = require('./helpers/audio');
const sipp = require('../harness/sipp');
const { startRtpSink, parseRtp } = require('./helpers/rtp');

const { runSipp, startSipp, EXIT } = sipp;
const { parseMessages, findMessages, header } = require('./helpers/sip-trace');
const pcap = require('../harness/pcap');

let tmp;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-helpers-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
describe('ports', () => {
  const canBind = async (port, { tcp = true } = {}) => {
    const u = dgram.createSocket('udp4');
    await new Promise((res, rej) => {
      u.once('error', rej);
      u.bind({ port, address: '127.0.0.1', exclusive: true }, res);
    });
    let t = null;
    if (tcp) {
      t = net.createServer();
      await new Promise((res, rej) => {
        t.once('error', rej);
        t.listen({ port, host: '127.0.0.1', exclusive: true }, res);
      });
    }
    await new Promise((res) => u.close(res));
    if (t) await new Promise((res) => t.close(res));
    return true;
  };

  it('freePort() is bindable for UDP and TCP', async () => {
    const p = await freePort();
    assert.ok(p > 1024 && p < 65536);
    assert.equal(await canBind(p), true);
  });

  it('freePorts(n) gives n distinct ports', async () => {
    const ps = await freePorts(6);
    assert.equal(ps.length, 6);
    assert.equal(new Set(ps).size, 6);
    for (const p of ps) assert.equal(await canBind(p), true);
  });

  it('freeRtpPort() is even with p..p+3 free for UDP', async () => {
    const p = await freeRtpPort();
    assert.equal(p % 2, 0);
    for (let i = 0; i < 4; i++) assert.equal(await canBind(p + i, { tcp: false }), true);
    const q = await freeRtpPort();
    assert.ok(Math.abs(q - p) >= 4, 'two RTP ports do not overlap');
  });

  // Test files run side by side: two processes must never be handed the
  // same port while both live (then one's SIPp would answer the other's
  // calls). 3 x 400 ports out of 12,000 would collide about 40 times if
  // each process chose on its own.
  it('processes side by side are never handed the same port', async () => {
    const { fork } = require('node:child_process');
    const script = path.join(tmp, 'take-ports.js');
    fs.writeFileSync(script, `
      const { freePorts } = require(${JSON.stringify(path.join(__dirname, '..', 'harness', 'ports'))});
      freePorts(400).then((ports) => process.send(ports));
      process.on('message', () => process.exit(0));
    `);
    const children = [0, 1, 2].map(() => fork(script));
    try {
      const sets = await Promise.all(children.map((c) => new Promise((resolve, reject) => {
        c.once('message', resolve);
        c.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
      })));
      const all = sets.flat();
      assert.equal(all.length, 1200);
      assert.equal(new Set(all).size, 1200, 'a port was handed to two live processes');
    } finally {
      for (const c of children) c.send('bye');
      await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))));
    }
  });
});

// ---------------------------------------------------------------------------
describe('audio', () => {
  it('1000 Hz tone: write, read back, dominant frequency, rms, energy', () => {
    const f = path.join(tmp, 'tone1000.wav');
    audio.writeToneWav(f, { freq: 1000, seconds: 1 });
    const w = audio.readWav(f);
    assert.equal(w.formatTag, 1);
    assert.equal(w.channels, 1);
    assert.equal(w.sampleRate, 8000);
    assert.equal(w.bitsPerSample, 16);
    assert.equal(w.samples.length, 8000);
    assert.equal(w.dataBytes, 16000);
    assert.ok(Math.abs(audio.dominantFrequency(w.samples, 8000) - 1000) <= 20);
    assert.ok(Math.abs(audio.rms(w.samples) - 0.5 / Math.SQRT2) < 0.005);
    // a pure tone has all its power at its frequency
    const p = audio.rms(w.samples) ** 2;
    assert.ok(audio.toneEnergy(w.samples, 8000, 1000) / p > 0.95);
    assert.ok(audio.toneEnergy(w.samples, 8000, 1400) / p < 0.01);
    assert.ok(Math.abs(audio.activeSeconds(w.samples, 8000) - 1) < 0.03);
  });

  it('other rates and frequencies', () => {
    for (const [freq, rate] of [[440, 8000], [697, 8000], [1633, 8000], [3000, 8000], [440, 16000], [5000, 16000]]) {
      const f = path.join(tmp, `t${freq}_${rate}.wav`);
      audio.writeToneWav(f, { freq, seconds: 0.5, rate, amplitude: 0.3 });
      const w = audio.readWav(f);
      assert.equal(w.sampleRate, rate);
      const d = audio.dominantFrequency(w.samples, rate);
      assert.ok(Math.abs(d - freq) <= 20, `${freq} Hz at ${rate}: got ${d}`);
    }
  });

  it('two-tone mix: both tones found, nothing else', () => {
    const f = path.join(tmp, 'mix.wav');
    audio.writeToneWav(f, { freq: [770, 1336], seconds: 1, amplitude: 0.8 });
    const { samples } = audio.readWav(f);
    const p = audio.rms(samples) ** 2;
    const e770 = audio.toneEnergy(samples, 8000, 770) / p;
    const e1336 = audio.toneEnergy(samples, 8000, 1336) / p;
    assert.ok(e770 > 0.4 && e1336 > 0.4, `${e770} ${e1336}`);
    assert.ok(audio.toneEnergy(samples, 8000, 1000) / p < 0.01);
    const d = audio.dominantFrequency(samples, 8000);
    assert.ok(Math.abs(d - 770) <= 20 || Math.abs(d - 1336) <= 20, `dominant ${d}`);
    // restricting the band finds each one
    assert.ok(Math.abs(audio.dominantFrequency(samples, 8000, { maxFreq: 1000 }) - 770) <= 20);
    assert.ok(Math.abs(audio.dominantFrequency(samples, 8000, { minFreq: 1000 }) - 1336) <= 20);
  });

  it('tone sequence with silence: order, time ranges, active seconds', () => {
    const f = path.join(tmp, 'seq.wav');
    audio.writeTonesWav(f, [
      { freq: 440, seconds: 0.5 },
      { freq: 0, seconds: 0.5 },
      { freq: 880, seconds: 0.5 },
      { freq: 1320, seconds: 0.5 },
    ]);
    const { samples, sampleRate } = audio.readWav(f);
    const freqs = audio.frequenciesOverTime(samples, sampleRate, 0.25);
    assert.equal(freqs.length, 8);
    const seq = audio.toneSequence(freqs).map((r) => Math.round(r.freq / 10) * 10);
    assert.deepEqual(seq, [440, 0, 880, 1320]);
    assert.ok(Math.abs(audio.dominantFrequency(samples, sampleRate, { from: 1.0, to: 1.5 }) - 880) <= 20);
    assert.ok(Math.abs(audio.activeSeconds(samples, sampleRate) - 1.5) < 0.05);
  });

  it('silence', () => {
    const f = path.join(tmp, 'silence.wav');
    audio.writeSilenceWav(f, { seconds: 0.5 });
    const { samples } = audio.readWav(f);
    assert.equal(samples.length, 4000);
    assert.equal(audio.rms(samples), 0);
    assert.equal(audio.activeSeconds(samples, 8000), 0);
    assert.equal(audio.dominantFrequency(samples, 8000), 0);
  });

  it('readWav tolerates extra chunks and an unfinished data chunk', () => {
    const samples = new Float32Array(800).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 500 * i) / 8000));
    const wav = audio.encodeWav(samples, 8000);
    const head = wav.subarray(0, 36); // RIFF + fmt
    const data = wav.subarray(36);
    // LIST chunk with an odd size (needs a pad byte) and a fact chunk
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([5, 0, 0, 0]), Buffer.from('INFOx'), Buffer.from([0])]);
    const fact = Buffer.concat([Buffer.from('fact'), Buffer.from([4, 0, 0, 0, 32, 3, 0, 0])]);
    const full = Buffer.concat([head, list, fact, data]);
    let w = audio.readWav(full);
    assert.equal(w.samples.length, 800);
    assert.ok(Math.abs(audio.dominantFrequency(w.samples, 8000) - 500) <= 20);
    // data size 0 (recorder not closed): use the rest of the file
    const zero = Buffer.from(full);
    zero.writeUInt32LE(0, zero.length - data.length + 4);
    w = audio.readWav(zero);
    assert.equal(w.samples.length, 800);
    assert.equal(w.dataBytes, 1600);
    // garbage size
    const junk = Buffer.from(full);
    junk.writeUInt32LE(0xffffffff, junk.length - data.length + 4);
    assert.equal(audio.readWav(junk).samples.length, 800);
    assert.throws(() => audio.readWav(Buffer.from('not a wav file at all')), /RIFF/);
  });

  it('G.711: a raw tone file for SIPp', () => {
    const f = path.join(tmp, 'tone.ulaw');
    audio.writeToneG711(f, { freq: 1000, seconds: 0.5 });
    const bytes = fs.readFileSync(f);
    assert.equal(bytes.length, 4000);
    assert.ok(Math.abs(audio.dominantFrequency(audio.decodeG711(bytes, 'ulaw'), 8000) - 1000) <= 20);
  });

  describe('against sox', () => {
    let src;
    before(() => {
      try {
        execFileSync('sox', ['--version'], { stdio: 'ignore' });
      } catch {
        throw new Error('sox is required for these tests (apt-get install sox)');
      }
      src = path.join(tmp, 'sox_src.wav');
      audio.writeTonesWav(src, [
        { freq: 440, seconds: 0.4, amplitude: 0.7 },
        { freq: [697, 1209], seconds: 0.4, amplitude: 0.95 },
        { freq: 3000, seconds: 0.4, amplitude: 0.02 },
      ]);
    });

    for (const [law, tag, enc] of [['ulaw', 7, 'mu-law'], ['alaw', 6, 'a-law']]) {
      it(`${law}: readWav decodes exactly like sox, encoder agrees with sox`, () => {
        const g = path.join(tmp, `sox_${law}.wav`);
        const back = path.join(tmp, `sox_${law}_16.wav`);
        // -D: no dither, so sox's G.711 bytes come straight from the samples
        execFileSync('sox', ['-D', src, '-e', enc, g]);
        execFileSync('sox', ['-D', g, '-e', 'signed-integer', '-b', '16', back]);
        const G = audio.readWav(g); // sox writes fmt(18) + fact chunks
        const B = audio.readWav(back);
        assert.equal(G.formatTag, tag);
        assert.equal(G.bitsPerSample, 8);
        assert.equal(G.samples.length, B.samples.length);
        for (let i = 0; i < G.samples.length; i++) assert.equal(G.samples[i], B.samples[i], `sample ${i}`);
        assert.ok(Math.abs(audio.dominantFrequency(G.samples, 8000, { to: 0.4 }) - 440) <= 20);

        // the encoder (alawmulaw) gives the same bytes as sox except at step
        // boundaries, where the two round differently: neighbour codes there
        const s = audio.readWav(src).samples;
        const mine = audio.encodeG711(s, law);
        const raw = fs.readFileSync(g);
        const theirs = raw.subarray(raw.length - G.dataBytes);
        const dec = (code) => audio.decodeG711([code], law)[0] * 32768;
        let same = 0;
        for (let i = 0; i < mine.length; i++) {
          if (mine[i] === theirs[i]) same++;
          else {
            const x = s[i] * 32768;
            assert.ok(Math.abs(dec(mine[i]) - dec(theirs[i])) <= Math.abs(x) / 8 + 16, `sample ${i}: ${x}`);
          }
        }
        assert.ok(same / mine.length > 0.85, `${same}/${mine.length} identical`);
      });
    }
  });
});

// ---------------------------------------------------------------------------
describe('sipp: parseMessages', () => {
  const CRLF = (s) => s.replace(/\n/g, '\r\n');
  const trace =
    '----------------------------------------------- 2026-01-01 10:00:00.000001\n' +
    'UDP message sent (100 bytes):\n\n' +
    CRLF(
      'REGISTER sip:127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1\n' +
        'f: <sip:alice@127.0.0.1>;tag=1\nCSeq: 7 REGISTER\nExpires: 0\nX-Long: first\n  second\n' +
        'Contact: <sip:a@1>\nContact: <sip:b@1>\nContent-Length: 0\n\n',
    ) +
    '\n' +
    '----------------------------------------------- 2026-01-01 10:00:00.000002\n' +
    'UDP message received [200] bytes :\n\n' +
    CRLF('SIP/2.0 200 OK\nCSeq: 7 REGISTER\nContent-Type: application/sdp\nContent-Length: 13\n\nv=0\na=sendonly\n') +
    '\n' +
    '-----------------------------------------------\n' +
    'Unexpected UDP message received:\n\nSIP/2.0 200 OK\r\n\r\n\n';

  it('parses direction, start line, headers (compact, folded, repeated) and body', () => {
    const msgs = parseMessages(trace);
    assert.equal(msgs.length, 2, 'the "Unexpected" repeat is skipped');
    const [reg, ok] = msgs;
    assert.equal(reg.direction, 'sent');
    assert.equal(reg.transport, 'UDP');
    assert.equal(reg.time, '2026-01-01 10:00:00.000001');
    assert.equal(reg.method, 'REGISTER');
    assert.equal(reg.uri, 'sip:127.0.0.1:5060');
    assert.equal(reg.cseq, 7);
    assert.equal(reg.cseqMethod, 'REGISTER');
    assert.deepEqual(reg.headers.expires, ['0']);
    assert.deepEqual(reg.headers.from, ['<sip:alice@127.0.0.1>;tag=1']);
    assert.deepEqual(reg.headers['x-long'], ['first second']);
    assert.deepEqual(reg.headers.contact, ['<sip:a@1>', '<sip:b@1>']);
    assert.equal(header(reg, 'EXPIRES'), '0');
    assert.equal(header(reg, 'f'), '<sip:alice@127.0.0.1>;tag=1');
    assert.equal(reg.body, '');
    assert.equal(ok.direction, 'received');
    assert.equal(ok.status, 200);
    assert.equal(ok.reason, 'OK');
    assert.equal(ok.cseqMethod, 'REGISTER');
    assert.equal(ok.body, 'v=0\r\na=sendonly\r\n');
    assert.deepEqual(findMessages(msgs, { direction: 'received', status: 200 }), [ok]);
  });

  it('pcap helpers', () => {
    const g = pcap.pcapPath('g711a.pcap');
    assert.ok(path.isAbsolute(g) && fs.existsSync(g), g);
    const ms = pcap.pcapDurationMs('g711a.pcap');
    assert.ok(ms > 7000 && ms < 7100, `${ms}`);
    assert.equal(pcap.pcapDurationMs('dtmf_2833_1.pcap'), 140);
  });
});

// ---------------------------------------------------------------------------
// Scenario pairs. Each test uses its own ports, so they run concurrently.

// Starts `uas`, runs `uac` against it, then waits (up to 3 s) for the UAS to
// finish its call by itself, or stops it (servers that never end: wait=false).
async function pair(uas, uac, { uasOpts = {}, uacOpts = {}, wait = true } = {}) {
  const [pa, pb] = await freePorts(2);
  const server = await startSipp({ scenario: uas, localPort: pa, duration: 0, ...uasOpts });
  let client;
  let srv;
  try {
    client = await runSipp({ scenario: uac, remote: `127.0.0.1:${pa}`, localPort: pb, duration: 200, ...uacOpts });
  } finally {
    if (wait) {
      const t = setTimeout(() => server.stop(), 3000);
      srv = await server.done;
      clearTimeout(t);
    } else srv = await server.stop();
  }
  const show = (r) => `code ${r.code}\n${r.stderr}\n${r.errors}`;
  return { client, server: srv, c: parseMessages(client.messages), s: parseMessages(srv.messages), show };
}

describe('sipp scenarios', { concurrency: 4 }, () => {
  before(() => {
    try {
      execFileSync('sipp', ['-v'], { stdio: 'ignore' });
    } catch (e) {
      if (e.code === 'ENOENT') throw new Error('sipp is required for these tests (apt-get install sip-tester)');
    }
  });

  it('every scenario is well-formed XML with a documented header', () => {
    const files = fs.readdirSync(sipp.SCENARIO_DIR).filter((f) => f.endsWith('.xml'));
    assert.ok(files.length >= 15, files.join(' '));
    for (const f of files) {
      const text = fs.readFileSync(path.join(sipp.SCENARIO_DIR, f), 'utf8');
      assert.match(text, /^<\?xml [^>]*\?>\s*<!--[\s\S]*?Used by:[\s\S]*?Flow:[\s\S]*?-->\s*<scenario name="/, f);
    }
  });

  it('options.xml vs uas_options.xml', async () => {
    const { client, server, c, s, show } = await pair('uas_options.xml', 'options.xml');
    assert.equal(client.code, EXIT.OK, show(client));
    assert.equal(server.code, EXIT.OK, show(server));
    assert.equal(client.stats.successful, 1);
    assert.equal(c[0].method, 'OPTIONS');
    assert.equal(c[0].direction, 'sent');
    assert.equal(c[1].status, 200);
    assert.equal(s[0].method, 'OPTIONS');
    assert.equal(s[0].direction, 'received');
  });

  it('uac_message.xml vs uas_message.xml', async () => {
    const { client, server, s, show } = await pair('uas_message.xml', 'uac_message.xml');
    assert.equal(client.code, EXIT.OK, show(client));
    assert.equal(server.code, EXIT.OK, show(server));
    const [message] = findMessages(s, { direction: 'received', method: 'MESSAGE' });
    assert.equal(header(message, 'content-type'), 'text/plain');
    assert.match(message.body, /^hello from sipp/);
    assert.equal(findMessages(s, { direction: 'sent', status: 200 }).length, 1);
  });

  it('uac_call.xml vs uas_answer.xml', async () => {
    const { client, server, c, s, show } = await pair('uas_answer.xml', 'uac_call.xml', {
      uacOpts: { mediaPort: await freeRtpPort() },
    });
    assert.equal(client.code, EXIT.OK, show(client));
    assert.equal(server.code, EXIT.OK, show(server));
    assert.equal(server.stats.successful, 1);
    const invite = findMessages(c, { method: 'INVITE' })[0];
    assert.match(invite.body, /m=audio \d+ RTP\/AVP 0 8 101/);
    assert.match(invite.body, /a=rtpmap:101 telephone-event\/8000/);
    const answer = findMessages(s, { direction: 'sent', status: 200, cseqMethod: 'INVITE' })[0];
    assert.match(answer.body, /a=rtpmap:0 PCMU\/8000/);
    assert.match(answer.body, /a=rtpmap:101 telephone-event\/8000/);
    assert.match(answer.body, /a=sendrecv/);
    assert.ok(findMessages(s, { direction: 'sent', status: 180 }).length === 1);
    assert.equal(findMessages(c, { direction: 'sent', method: 'BYE' }).length, 1);
    assert.equal(findMessages(s, { direction: 'received', method: 'BYE' }).length, 1);
  });

  it('uac_call_hold.xml vs uas_answer.xml (hold, unhold, UPDATE, INFO)', async () => {
    const { client, server, s, show } = await pair('uas_answer.xml', 'uac_call_hold.xml');
    assert.equal(client.code, EXIT.OK, show(client));
    assert.equal(server.code, EXIT.OK, show(server));
    const invites = findMessages(s, { direction: 'received', method: 'INVITE' });
    assert.equal(invites.length, 3);
    assert.match(invites[1].body, /a=sendonly/);
    assert.match(invites[2].body, /a=sendrecv/);
    const answers = findMessages(s, { direction: 'sent', status: 200, cseqMethod: 'INVITE' });
    assert.match(answers[1].body, /a=recvonly/);
    assert.match(answers[2].body, /a=sendrecv/);
    assert.equal(findMessages(s, { direction: 'received', method: 'UPDATE' }).length, 1);
    assert.match(findMessages(s, { direction: 'sent', cseqMethod: 'UPDATE' })[0].body, /m=audio/);
    assert.equal(findMessages(s, { direction: 'received', method: 'INFO' }).length, 1);
  });

  it('uac_refer.xml vs uas_answer.xml (REFER, 202, NOTIFY)', async () => {
    const { client, server, s, show } = await pair('uas_answer.xml', 'uac_refer.xml', {
      uacOpts: { keys: { refer_to: 'sip:carol@127.0.0.1:5999' } },
    });
    assert.equal(client.code, EXIT.OK, show(client));
    assert.equal(server.code, EXIT.OK, show(server));
    const refer = findMessages(s, { direction: 'received', method: 'REFER' })[0];
    assert.equal(header(refer, 'refer-to'), '<sip:carol@127.0.0.1:5999>');
    assert.equal(findMessages(s, { direction: 'sent', status: 202 }).length, 1);
    const notify = findMessages(s, { direction: 'sent', method: 'NOTIFY' })[0];
    assert.equal(header(notify, 'event'), 'refer');
    assert.match(notify.body, /^SIP\/2\.0 200 OK/);
  });

  it('uac_call_wait_bye.xml vs uas_answer_hangup.xml', async () => {
    const { client, server, c, show } = await pair('uas_answer_hangup.xml', 'uac_call_wait_bye.xml', {
      uasOpts: { duration: 300 },
    });
    assert.equal(client.code, EXIT.OK, show(client));
    assert.equal(server.code, EXIT.OK, show(server));
    assert.equal(findMessages(c, { direction: 'received', method: 'BYE' }).length, 1);
    assert.equal(findMessages(c, { direction: 'sent', status: 200, cseqMethod: 'BYE' }).length, 1);
  });

  it('uac_call_wait_bye.xml vs uas_hold_hangup.xml (remote hold / resume)', async () => {
    const { client, server, c, show } = await pair('uas_hold_hangup.xml', 'uac_call_wait_bye.xml');
    assert.equal(client.code, EXIT.OK, show(client));
    assert.equal(server.code, EXIT.OK, show(server));
    const answers = findMessages(c, { direction: 'sent', status: 200, cseqMethod: 'INVITE' });
    assert.equal(answers.length, 2);
    assert.match(answers[0].body, /a=recvonly/);
    assert.match(answers[1].body, /a=sendrecv/);
  });

  for (const [uas, code, reason, replace] of [
    ['uas_busy.xml', 486, 'Busy Here'],
    ['uas_notfound.xml', 404, 'Not Found'],
    ['uas_busy.xml', 480, 'Temporarily Unavailable', { '486 Busy Here': '480 Temporarily Unavailable' }],
  ]) {
    it(`uac_call_reject.xml vs ${uas} ${replace ? JSON.stringify(replace) : ''}`, async () => {
      const { client, server, c, show } = await pair(uas, 'uac_call_reject.xml', { uasOpts: { replace } });
      assert.equal(client.code, EXIT.OK, show(client));
      assert.equal(server.code, EXIT.OK, show(server));
      const final = findMessages(c, { direction: 'received', cseqMethod: 'INVITE' }).pop();
      assert.equal(final.status, code);
      assert.equal(final.reason, reason);
      assert.equal(findMessages(c, { direction: 'sent', method: 'ACK' }).length, 1);
    });
  }

  it('uac_call.xml vs uas_busy.xml: the call fails, exit code 1', async () => {
    const { client, show } = await pair('uas_busy.xml', 'uac_call.xml');
    assert.equal(client.code, EXIT.FAILED, show(client));
    assert.equal(client.stats.failed, 1);
  });

  it('uac_call_cancel.xml vs uas_ring_noanswer.xml', async () => {
    const { client, server, c, s, show } = await pair('uas_ring_noanswer.xml', 'uac_call_cancel.xml');
    assert.equal(client.code, EXIT.OK, show(client));
    assert.equal(server.code, EXIT.OK, show(server));
    assert.equal(findMessages(s, { direction: 'received', method: 'CANCEL' }).length, 1);
    assert.equal(findMessages(c, { direction: 'received', status: 487 }).length, 1);
    assert.equal(findMessages(c, { direction: 'received', status: 200, cseqMethod: 'CANCEL' }).length, 1);
  });

  it('register_client.xml vs registrar_auth.xml, right password', async () => {
    const { client, server, s, show } = await pair('registrar_auth.xml', 'register_client.xml', {
      uacOpts: { service: 'alice', auth: { password: 'secret' } },
      wait: false,
    });
    assert.equal(client.code, EXIT.OK, show(client));
    assert.equal(server.code, EXIT.OK, show(server));
    const regs = findMessages(s, { direction: 'received', method: 'REGISTER' });
    assert.equal(regs.length, 5);
    assert.equal(header(regs[0], 'authorization'), undefined);
    assert.match(header(regs[1], 'authorization'), /^Digest username="alice", ?realm="sipster.test"/);
    assert.equal(findMessages(s, { direction: 'sent', status: 401 }).length, 2);
    const challenge = findMessages(s, { direction: 'sent', status: 401 })[0];
    assert.match(header(challenge, 'www-authenticate'), /^Digest realm="sipster.test", nonce="[^"]+"/);
    const oks = findMessages(s, { direction: 'sent', status: 200 });
    assert.equal(oks.length, 3);
    assert.match(header(oks[0], 'contact'), /^<sip:alice@127\.0\.0\.1:\d+>;expires=300$/);
    assert.equal(header(oks[0], 'expires'), '300');
    // the unregistration
    const unreg = regs.filter((m) => header(m, 'expires') === '0');
    assert.equal(unreg.length, 2);
    assert.equal(header(oks[2], 'expires'), '0');
    assert.equal(oks[2].headers.contact, undefined);
  });

  it('register_client.xml vs registrar_auth.xml, wrong password -> 403', async () => {
    const { client, server, c, show } = await pair('registrar_auth.xml', 'register_client.xml', {
      uacOpts: { service: 'alice', auth: { password: 'wrong' } },
      wait: false,
    });
    assert.equal(client.code, EXIT.FAILED, show(client));
    assert.equal(server.code, EXIT.OK, show(server));
    assert.equal(findMessages(c, { direction: 'received', status: 403 }).length, 1);
  });

  it('registrar_auth.xml with other credentials (keys)', async () => {
    const keys = { auth_user: 'bob', auth_pass: 'b0b', realm: 'example.test' };
    const { client, show } = await pair('registrar_auth.xml', 'register_client.xml', {
      uasOpts: { keys },
      uacOpts: { service: 'bob', auth: { password: 'b0b' } },
      wait: false,
    });
    assert.equal(client.code, EXIT.OK, show(client));
  });

  it('uac_call_stream.xml -> uas_answer_rtp_sink.xml: the streamed tone arrives', async () => {
    const tone = path.join(tmp, 'stream1000.ulaw');
    audio.writeToneG711(tone, { freq: 1000, seconds: 1, law: 'ulaw' });
    const sink = await startRtpSink();
    try {
      const { client, server, show } = await pair('uas_answer_rtp_sink.xml', 'uac_call_stream.xml', {
        uasOpts: { keys: { rtp_sink_port: sink.port } },
        uacOpts: { keys: { rtp_stream: `${tone},-1,0` }, duration: 1000, mediaPort: await freeRtpPort() },
      });
      assert.equal(client.code, EXIT.OK, show(client));
      assert.equal(server.code, EXIT.OK, show(server));
    } finally {
      await sink.close();
    }
    assert.ok(sink.packets.length >= 40, `${sink.packets.length} packets`);
    assert.ok(sink.packets.every((p) => p.pt === 0));
    const samples = sink.samples();
    assert.ok(Math.abs(audio.dominantFrequency(samples, 8000) - 1000) <= 20);
    assert.ok(audio.activeSeconds(samples, 8000) > 0.8);
  });

  it('uac_call_dtmf.xml -> uas_answer_rtp_sink.xml: digits 123 arrive (RFC 2833)', async () => {
    const sink = await startRtpSink();
    try {
      const { client, show } = await pair('uas_answer_rtp_sink.xml', 'uac_call_dtmf.xml', {
        uasOpts: { keys: { rtp_sink_port: sink.port } },
      });
      assert.equal(client.code, EXIT.OK, show(client));
    } finally {
      await sink.close();
    }
    assert.equal(sink.dtmf(), '123');
    assert.equal(sink.dtmf({ pt: 101 }), '123');
  });

  it('uac_call_rtp.xml -> uas_answer_rtp_sink.xml: the g711a.pcap speech arrives', async () => {
    const sink = await startRtpSink();
    try {
      const { client, show } = await pair('uas_answer_rtp_sink.xml', 'uac_call_rtp.xml', {
        uasOpts: { keys: { rtp_sink_port: sink.port } },
        uacOpts: { duration: pcap.pcapDurationMs('g711a.pcap') + 300, timeoutMs: 30000 },
      });
      assert.equal(client.code, EXIT.OK, show(client));
    } finally {
      await sink.close();
    }
    assert.ok(sink.packets.length > 200, `${sink.packets.length} packets`);
    assert.ok(sink.packets.every((p) => p.pt === 8));
    const samples = sink.samples();
    assert.ok(audio.activeSeconds(samples, 8000) > 4, `${audio.activeSeconds(samples, 8000)} s active`);
  });

  it('runSipp rejects and kills sipp after timeoutMs', async () => {
    const [pa, pb] = await freePorts(2);
    const server = await startSipp({ scenario: 'uas_answer.xml', localPort: pa, duration: 0 });
    const t0 = Date.now();
    try {
      await assert.rejects(
        runSipp({ scenario: 'uac_call_wait_bye.xml', remote: `127.0.0.1:${pa}`, localPort: pb, timeoutMs: 1500 }),
        (err) => {
          assert.match(err.message, /did not finish within 1500 ms/);
          assert.equal(err.result.timedOut, true);
          assert.equal(err.result.signal, 'SIGKILL');
          // the trace up to the kill is there
          assert.ok(findMessages(parseMessages(err.result.messages), { status: 200, cseqMethod: 'INVITE' }).length >= 1);
          return true;
        },
      );
      assert.ok(Date.now() - t0 < 4000);
    } finally {
      const r = await server.stop();
      assert.equal(r.signal, null, 'SIGTERM is enough to stop sipp');
    }
  });

  it('startSipp: stop() of an idle server; a broken scenario rejects', async () => {
    const port = await freePort();
    const idle = await startSipp({ scenario: 'uas_answer.xml', localPort: port });
    const r = await idle.stop();
    assert.equal(r.code, EXIT.OK);
    assert.equal(await idle.stop(), r, 'stop() twice is harmless');
    // uac_call_stream.xml requires the rtp_stream key
    await assert.rejects(startSipp({ scenario: 'uac_call_stream.xml', localPort: await freePort() }), (err) => {
      assert.match(err.message, /keyword not supplied/);
      return true;
    });
  });

  // Should another process hold the port, SIPp cannot bind it: startSipp
  // must fail rather than take the port's owner for SIPp.
  it('startSipp: a port held by another socket rejects instead of passing for SIPp', async () => {
    const port = await freePort();
    const squatter = dgram.createSocket('udp4');
    await new Promise((resolve) => squatter.bind(port, '127.0.0.1', resolve));
    try {
      await assert.rejects(startSipp({ scenario: 'uas_answer.xml', localPort: port }), (err) => {
        assert.match(err.message, /sipp exited before it was listening/);
        assert.equal(err.result.code, EXIT.BIND);
        return true;
      });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('parseRtp', () => {
    const pkt = Buffer.from('80e1000a000001f4deadbeef01020304', 'hex');
    assert.deepEqual({ ...parseRtp(pkt), payload: [...parseRtp(pkt).payload] }, {
      marker: true, pt: 97, seq: 10, timestamp: 500, ssrc: 0xdeadbeef, payload: [1, 2, 3, 4],
    });
    assert.equal(parseRtp(Buffer.from('00', 'hex')), null);
  });
});
