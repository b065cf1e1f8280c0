// A typed tour of sipster: a UAS and a UAC account in one process call
// each other over 127.0.0.1, exchange audio and DTMF, hold, resume and
// hang up. `npx tsc -p examples/tsconfig.json` checks it against index.d.ts.
//
// To run it: compile to JavaScript (e.g. tsc -p examples/tsconfig.json
// --noEmit false --outDir /tmp/typed) and run the output with `sipster`
// resolvable by require().

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import * as sipster from 'sipster';
import {
  Account,
  Call,
  Media,
  Transport,
  type AccountConfig,
  type AccountConfigInput,
  type AccountInfo,
  type AccountIpChangeConfig,
  type AuthCredInfo,
  type CallInfo,
  type CallOptions,
  type CallState,
  type EpConfig,
  type EpConfigInput,
  type IncomingCallInfo,
  type LibState,
  type MediaDir,
  type MediaKind,
  type SipsterError,
  type SipsterOptions,
  type TransportConfig,
  type TransportConfigInput,
  type TransportInfo,
  type Version,
} from 'sipster';

const port = Number(process.argv[2] ?? 0);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sipster-typed-'));

// A one-second 440 Hz tone, so that the example needs no input file.
function writeTone(file: string, seconds = 1, rate = 8000): string {
  const samples = seconds * rate;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) {
    wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  }
  fs.writeFileSync(file, wav);
  return file;
}
const tone = writeTone(path.join(tmp, 'tone.wav'));

// ---- library ----------------------------------------------------------------

const defaults: EpConfig = sipster.defaultConfig('EpConfig');
const epConfig: EpConfigInput = {
  uaConfig: { userAgent: 'sipster-typed', maxCalls: defaults.uaConfig.maxCalls, threadCnt: 1 },
  logConfig: {
    level: 3,
    consoleLevel: 3,
    msgLogging: 0,
    decor: sipster.PJ_LOG_HAS_TIME | sipster.constants.PJ_LOG_HAS_SENDER,
    writer: (level: number, message: string) => {
      if (level <= 2) process.stderr.write(`pjsip[${level}] ${message.trimEnd()}\n`);
    },
  },
  medConfig: { clockRate: 8000, noVad: true, ecTailLen: 0 },
};
const sipsterOptions: SipsterOptions = { mediaTimeoutSec: 30, admissionGuard: true, handleSignals: true };
sipster.init(epConfig, sipsterOptions);

const version: Readonly<Version> = sipster.version;
const state: LibState = sipster.state;
const current: EpConfig = sipster.config;
console.log(`pjsip ${version.full} (0x${version.numeric.toString(16)}), state ${state}, ` +
  `clock ${current.medConfig.clockRate} Hz, up to ${sipster.maxCalls} calls, ` +
  `${sipster.mediaActivePorts}/${sipster.mediaMaxPorts} bridge ports`);
// How pjproject was built (what `npx sipster doctor` reports).
const build: Readonly<sipster.BuildInfo> = sipster.build;
if (build.ioqueue.startsWith('select') || build.maxCalls < 64) {
  console.log(`pjproject ${build.builtAgainst}: ${build.maxCalls} calls, ${build.ioqueue} ioqueue of ` +
    `${build.ioqueueMaxHandles} sockets, TLS ${build.tls}, SRTP ${build.srtp}: a phone build`);
}

const tpConfig: TransportConfigInput = {
  port,
  boundAddress: '127.0.0.1',
  qosType: sipster.PJ_QOS_TYPE_SIGNALLING,
  qosParams: { flags: 0 },
  tlsConfig: { method: sipster.PJSIP_TLSV1_2_METHOD, verifyServer: false },
};
const transport = new Transport(tpConfig, 'udp');
const tpInfo: TransportInfo = transport.getInfo();
const tpDefaults: TransportConfig = sipster.defaultConfig('TransportConfig');
console.log(`transport ${tpInfo.type} on ${tpInfo.localAddress} (default port ${tpDefaults.port}), ` +
  `enabled: ${transport.enabled}`);
const target = `sip:uas@${tpInfo.localAddress}`;

// ---- the answering side -----------------------------------------------------

const uasConfig: AccountConfigInput = {
  idUri: 'sip:uas@127.0.0.1',
  priority: 1,
  sipConfig: { transport },
  callConfig: { holdType: sipster.PJSUA_CALL_HOLD_TYPE_RFC3264, timerUse: sipster.PJSUA_SIP_TIMER_OPTIONAL },
  mediaConfig: {
    srtpUse: sipster.PJMEDIA_SRTP_DISABLED,
    transportConfig: { port: 0, boundAddress: '127.0.0.1' },
  },
};
const uas = new Account(uasConfig, true);

uas.on('call', (info: IncomingCallInfo, incoming: Call) => {
  const userAgent: string | undefined = info.headers['user-agent'];
  console.log(`UAS: INVITE of ${info.wholeMsg.length} bytes from ${userAgent ?? 'an unnamed agent'}`);
  console.log(`UAS: call ${info.callId} from ${info.remoteUri} (${info.srcAddress})`);
  // Created once; connected again on every `media` event, as a media
  // change (hold, resume) may re-create the stream.
  let player: Media | null = null;
  let recorder: Media | null = null;
  incoming.on('media', (medias: Media[]) => {
    const stream = medias[0];
    if (!stream) return;
    const dir: MediaDir = stream.dir;
    console.log(`UAS: media ${stream.kind} ${dir}, RTP from ${stream.rtpAddr}, RTCP from ${stream.rtcpAddr}`);
    if (!player) {
      player = sipster.createPlayer(tone);
      player.once('close', () => console.log('UAS: player closed'));
      player.waitForEof({ signal: AbortSignal.timeout(60_000) }).catch(() => {});
    }
    player.adjustRxLevel(0.5); // half volume
    recorder ??= sipster.createRecorder(path.join(tmp, 'uas.wav'), 'pcm', 1_000_000);
    player.startTransmitTo(stream);
    stream.startTransmitTo(recorder);
  });
  incoming.on('info', (info: sipster.IncomingInfo) => console.log(`UAS: INFO ${info.contentType}: ${info.body}`));
  // Transfers are opt-in: only known targets are called.
  incoming.on('transferRequest', (request: sipster.TransferRequest) => {
    if (!request.target.endsWith('@127.0.0.1')) return request.reject(403);
    const transferred: Call = request.accept();
    transferred.once('confirmed', () => console.log(`UAS: transferred to ${request.target}`));
  });
  incoming
    .collectDtmf({ count: 4, terminator: '#', timeout: 10_000, interDigitTimeout: 3000 })
    .then((digits: string) => console.log(`UAS: collected ${digits}`))
    .catch((err: Error & { digits?: string }) => console.log(`UAS: collection ended (${err.message}), got ${err.digits}`));
  incoming.waitFor('confirmed', { timeout: 5000 }).then((info: CallInfo) => console.log(`UAS: up after ${info.totalDuration} s`));
  incoming.on('dtmf', (digit: string) => {
    console.log(`UAS: DTMF ${digit}`);
  });
  incoming.once('disconnected', (last: CallInfo) => {
    console.log(`UAS: ended after ${last.connDuration.toFixed(1)} s, ${last.lastStatusCode} ${last.lastReason}`);
    player?.close();
    recorder?.close();
    done();
  });
  incoming.answer(180);
  setTimeout(() => incoming.answer(200, 'OK', { headers: { 'X-Answered-By': 'typed.ts' } }), 200);
});

// ---- the calling side -------------------------------------------------------

const creds: Partial<AuthCredInfo>[] = [
  { realm: '*', username: 'uac', dataType: sipster.PJSIP_CRED_DATA_PLAIN_PASSWD, data: 'secret' },
];
const uacConfig: AccountConfigInput = {
  idUri: 'sip:uac@127.0.0.1',
  regConfig: { registrarUri: '', timeoutSec: 120, headers: [{ hname: 'X-Reg', hvalue: '1' }] },
  sipConfig: { authCreds: creds, proxies: [] },
  presConfig: { publishEnabled: false },
  mwiConfig: { enabled: false },
  natConfig: { iceEnabled: false, sipStunUse: sipster.PJSUA_STUN_USE_DISABLED, mediaStunUse: sipster.PJSUA_STUN_USE_DISABLED },
  mediaConfig: { srtpOpt: { keyings: [] }, transportConfig: { port: 0, boundAddress: '127.0.0.1' } },
  videoConfig: { autoTransmitOutgoing: false },
};
const uac = new Account(uacConfig);
uac.modify({ callConfig: { prackUse: sipster.PJSUA_100REL_NOT_USED } });
uac.on('registering', () => console.log('UAC: registering'));
uac.on('unregistering', () => console.log('UAC: unregistering'));
uac.on('registered', () => console.log('UAC: registered'));
uac.on('unregistered', () => console.log('UAC: unregistered'));
uac.on('state', (active: boolean, statusCode: number) => console.log(`UAC: registration ${active} (${statusCode})`));
const accInfo: AccountInfo = uac.getInfo();
console.log(`UAC: ${accInfo.uri}, default: ${uac.default}, valid: ${uac.valid}, registers: ${accInfo.regIsConfigured}`);

sipster.start();

// Codecs: G.711 A-law first, Speex off.
sipster.setCodecPriority('PCMA/8000', 255);
sipster.setCodecPriority('speex', 0);
const codecs: sipster.Codec[] = sipster.codecs;
console.log(`codecs: ${codecs.filter((c) => c.priority > 0).map((c) => c.id).join(', ')}`);

const options: CallOptions = { headers: { 'X-Demo': 'typed' } };
uas.on('replaceRequest', (request: sipster.ReplaceRequest) => {
  console.log(`UAS: ${request.from} takes over call ${request.call?.getInfo().callId}`);
  request.accept().once('disconnected', () => console.log('UAS: the replacing call ended'));
});
uas.on('message', (message: sipster.IncomingMessage) => {
  console.log(`UAS: MESSAGE (${message.contentType}) from ${message.from}: ${message.body}`);
});
uac
  .sendMessage(target, 'calling you now', { headers: { 'X-Trace': 'typed' } })
  .then((result: sipster.SipResult) => console.log(`UAC: MESSAGE answered ${result.statusCode} ${result.reason}`));
const call: Call = uac.makeCall(target, options);
call.ref(); // keep the process alive until the call ends

const onState = (s: CallState, info: CallInfo): void => {
  console.log(`UAC: ${s} (${info.role}, ${info.stateText})`);
};
call.on('state', onState);
let playlist: Media | null = null;
let uacRecorder: Media | null = null;
let echo: sipster.MediaWriteStream | null = null;
call.on('media', (medias: Media[]) => {
  const stream = medias[0];
  if (!stream) return;
  if (!playlist) {
    playlist = sipster.createPlaylist([tone, tone], true);
    const kind: MediaKind = playlist.kind;
    playlist.once('eof', () => console.log(`UAC: ${kind} finished`));
  }
  uacRecorder ??= sipster.createRecorder(path.join(tmp, 'uac.wav'), 'ulaw', undefined, { sampleRate: 8000 });
  playlist.startTransmitTo(stream);
  // The far end's voice as 16 kHz PCM, and an echo of it back to the caller.
  if (!echo) {
    const listen: sipster.MediaReadStream = stream.createReadStream({ sampleRate: 16000, frameMs: 20 });
    echo = stream.createWriteStream({ sampleRate: 16000, highWaterMarkMs: 200 });
    const speaker: sipster.MediaWriteStream = echo;
    listen.on('data', (pcm: Buffer) => {
      if (!speaker.write(pcm)) listen.pause();
    });
    speaker.on('drain', () => listen.resume());
    speaker.on('mark', (name: string) => console.log(`UAC: ${name} played, ${listen.droppedFrames} frames dropped`));
    speaker.mark('first-echo');
  }
  stream.startTransmitTo(uacRecorder); // the bridge only reads sources that have a sink
});
call.once('confirmed', (info: CallInfo) => {
  console.log(`UAC: connected to ${info.remoteContact}`);
  call.dtmf('123#');
  call.dtmf('9', { method: 'info', duration: 100 }); // SIP INFO, for peers without telephone-event
  call
    .sendInfo({ contentType: 'application/json', body: '{"step":"greeting"}' })
    .then((result: sipster.SipResult) => console.log(`UAC: INFO answered ${result.statusCode}`));
  setTimeout(() => call.hold(), 1000);
  setTimeout(() => call.reinvite(), 1500);
  setTimeout(() => {
    const stream = call.medias[0];
    if (stream) console.log(`UAC: levels heard ${stream.rxLevel}, sent ${stream.txLevel}`);
    console.log(call.getStatsDump(false, '  '));
    call.hangup();
  }, 2500);
});
call.on('transferStatus', (code: number, reason: string, isFinal: boolean) => {
  console.log(`UAC: transfer ${code} ${reason}${isFinal ? ' (final)' : ''}`);
});
call.once('disconnected', () => {
  call.off('state', onState);
  uacRecorder?.close();
  console.log(`UAC: ended, active ${call.isActive}, media ${call.hasMedia}, ` +
    `${call.totalDuration.toFixed(1)} s in all, calls left ${sipster.callCount}`);
  done();
});

// ---- the end ------------------------------------------------------------------

let ended = 0;
function done(): void {
  if (++ended < 2) return;
  uac.delete();
  uas.delete();
  transport.close();
  sipster.shutdown();
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`state after shutdown: ${sipster.state}`);
}

// Errors carry a `code`, and a pjsip `status` where pjsip failed.
try {
  sipster.createPlayer(path.join(tmp, 'missing.wav'));
} catch (e) {
  const err = e as SipsterError;
  console.log(`expected failure: ${err.code} ${err.status ?? ''} ${err.message}`);
}

// ---- types that the run above does not reach ---------------------------------

// pjsua2's defaults, typed; `AccountConfigItems` has one default item per array.
const accDefaults: AccountConfig = sipster.defaultConfig('AccountConfig');
const credDefault: AuthCredInfo = sipster.defaultConfig('AuthCredInfo');
const items: AccountConfig = sipster.defaultConfig('AccountConfigItems');
void [accDefaults.regConfig.timeoutSec, credDefault.scheme, items.sipConfig.authCreds[0]?.realm];

// Not accepted by the native layer on pjproject 2.15 (see index.d.ts), typed all the same.
const ipChange: AccountIpChangeConfig = { shutdownTp: true, hangupCalls: false, reinviteFlags: 0, reinvUseUpdate: 0 };
void ipChange;

function manage(account: Account, other: Transport, ongoing: Call, media: Media, sink: Media): void {
  account.setRegistration(true);
  account.setTransport(other);
  account.default = true;
  account.unref();
  account.ref();
  account.addListener('call', (_info, c) => c.hangup(486, 'Busy Here'));
  account.prependListener('state', (active) => console.log(active));
  account.prependOnceListener('registered', () => undefined);
  account.removeListener('registered', () => undefined);
  account.emit('state', true, 200);
  other.disable();
  other.enable();
  other.unref();
  other.ref();
  ongoing.transfer('sip:elsewhere@127.0.0.1', { headers: { 'X-Why': 'demo' } });
  ongoing.update();
  ongoing.unref();
  const s: CallState = ongoing.state;
  const info: CallInfo = ongoing.getInfo();
  void [s, info.callId, ongoing.connDuration];
  ongoing.addListener('early', (i) => console.log(i.lastStatusCode));
  ongoing.prependOnceListener('incoming', () => undefined);
  ongoing.removeListener('calling', () => undefined);
  ongoing.emit('dtmf', '5');
  media.stopTransmitTo(sink);
  media.adjustRxLevel(0);
  media.unref();
  media.ref();
  media.addListener('eof', () => undefined);
  media.off('eof', () => undefined);
  media.close();
  sipster.hangupAllCalls();
  const t0: number = sipster.nowNs();
  void [t0, sipster.constants.PJSUA_STATE_RUNNING, sipster.PJSIP_TRANSPORT_RELIABLE];
  void new Transport('tcp');
  void new Transport({ tlsConfig: { caListFile: 'ca.pem', ciphers: [] } }, 'tls');
  console.log(Call.name, Media.name, call instanceof Call, media instanceof Media);
}
void manage;

// ---- wrong usages the declarations reject --------------------------------------

function rejected(account: Account, ongoing: Call, media: Media, other: Transport): void {
  // @ts-expect-error port is a number
  new Transport({ port: '5060' });
  // @ts-expect-error not a transport type
  new Transport({}, 'sctp');
  // @ts-expect-error the status code is a number
  ongoing.answer('200');
  // @ts-expect-error a transport is not a media
  media.startTransmitTo(other);
  // @ts-expect-error calls come from makeCall() and the `call` event
  new Call();
  // @ts-expect-error media objects come from the create functions and the `media` event
  new Media();
  // @ts-expect-error unknown config field
  sipster.init({ uaConfig: { maxCall: 4 } });
  // @ts-expect-error a config field of the wrong type
  sipster.init({ logConfig: { writer: (level: string) => level } });
  // @ts-expect-error sipConfig.transport must be a Transport, not its config
  new Account({ sipConfig: { transport: { port: 5060 } } });
  // @ts-expect-error the DTMF digit is a string
  ongoing.on('dtmf', (digit: number) => digit);
  // @ts-expect-error the call event gives info and a Call
  account.on('call', (info: string) => info);
  // @ts-expect-error no such event
  account.on('ringing', () => undefined);
  // @ts-expect-error `state` carries (active, statusCode)
  account.emit('state', 'active');
  // @ts-expect-error not a recorder format
  sipster.createRecorder('out.wav', 'mp3');
  // @ts-expect-error not a stream sample rate
  media.createReadStream({ sampleRate: 44100 });
  // @ts-expect-error marks are named by strings
  media.createWriteStream().mark(7);
  // @ts-expect-error the library state is read-only
  sipster.state = 'running';
  // @ts-expect-error getters are read-only
  ongoing.state = 'confirmed';
  // @ts-expect-error the media timeout is a number of seconds
  sipster.init({}, { mediaTimeoutSec: '30' });
  // @ts-expect-error unknown config kind
  sipster.defaultConfig('CallConfig');
  // @ts-expect-error not a DTMF method
  ongoing.dtmf('1', { method: 'inband' });
  // @ts-expect-error waitFor() takes a call state
  void ongoing.waitFor('answered');
}
void rejected;

// An attended transfer: the caller of `first` is connected to the callee of
// `consult`, whose dialog the REFER's Replaces names.
export function attendedTransfer(first: Call, consult: Call): void {
  first.transfer(consult, { headers: { 'X-Transfer': 'attended' } });
}
