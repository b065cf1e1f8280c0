// Type declarations for sipster: a SIP user agent for Node.js over pjsua2.
// Hand-written; they describe what index.js exports. The native binding's
// own (generated) typings are in native.d.ts and are not part of the API.

/// <reference types="node" />

import { EventEmitter } from 'node:events';
import { Readable, Writable } from 'node:stream';

// ---- helpers -------------------------------------------------------------------

/**
 * Every field optional, at every depth: what `init()`, `new Transport()`,
 * `new Account()` and `Account#modify()` accept. Fields left out keep
 * pjsua2's own defaults. Functions and `Transport` objects are kept as is;
 * array items are partial too (each item starts from pjsua2's default item).
 */
export type DeepPartial<T> = T extends (...args: any[]) => any
  ? T
  : T extends Transport
    ? T
    : T extends ReadonlyArray<infer U>
      ? Array<DeepPartial<U>>
      : T extends object
        ? { [K in keyof T]?: DeepPartial<T[K]> }
        : T;

/**
 * What sipster throws. Argument mistakes are `TypeError`s
 * (`ERR_INVALID_ARG_TYPE` for a wrong type, `ERR_INVALID_ARG_VALUE` for the
 * right type with a value the call cannot take) or `RangeError`s
 * (`ERR_OUT_OF_RANGE`); pjsip
 * failures are `Error`s with code `ERR_PJSIP`; calls made in the wrong
 * state (library not initialized, call ended, media closed) are `Error`s
 * with code `ERR_SIPSTER_STATE`. A type-only description: no such class is
 * exported.
 */
export interface SipsterError extends Error {
  /** Which kind of failure this is. */
  code:
    | 'ERR_INVALID_ARG_TYPE'
    | 'ERR_INVALID_ARG_VALUE'
    | 'ERR_OUT_OF_RANGE'
    | 'ERR_PJSIP'
    | 'ERR_SIPSTER_STATE';
  /** The pjsip status (`pj_status_t`) for `ERR_PJSIP` and `ERR_SIPSTER_STATE`. */
  status?: number;
}

// ---- endpoint config -----------------------------------------------------------

/** User agent settings (pjsua2 `UaConfig`). */
export interface UaConfig {
  /** Most calls at once; the library clamps it to its compile-time limit (see `maxCalls`). */
  maxCalls: number;
  /** Worker threads polling pjsip; must be at least 1. */
  threadCnt: number;
  /** Must stay `false`: sipster runs pjsip on its own threads. */
  mainThreadOnly: boolean;
  /** DNS servers for SRV/A lookups; empty uses the system resolver. */
  nameserver: string[];
  /** The `User-Agent` header value; empty lets pjsip pick one. */
  userAgent: string;
  /** STUN servers, as `host[:port]`. */
  stunServer: string[];
  /** Also try IPv6 STUN resolution. */
  stunTryIpv6: boolean;
  /** Keep going when no STUN server answers. */
  stunIgnoreFailure: boolean;
  /** Put the detected NAT type in SDP: 0 no, 1 basic, 2 detailed. */
  natTypeInSdp: number;
  /** Accept MWI NOTIFYs that no subscription asked for. */
  mwiUnsolicitedEnabled: boolean;
  /** Use UPnP to find a public address. */
  enableUpnp: boolean;
  /** Network interface UPnP uses; empty for any. */
  upnpIfName: string;
}

/** Logging settings (pjsua2 `LogConfig`). */
export interface LogConfig {
  /** Non-zero to log every SIP message sent and received. */
  msgLogging: number;
  /** Verbosity of log lines produced (0 none ... 6 most). */
  level: number;
  /** Verbosity of what reaches the console (or `writer`). */
  consoleLevel: number;
  /** Which parts a line carries: a sum of the `PJ_LOG_HAS_*` constants. */
  decor: number;
  /** Also append log lines to this file; empty for none. */
  filename: string;
  /** Extra open flags for `filename` (e.g. append). */
  fileFlags: number;
  /**
   * Receives log lines on the JS thread instead of the console. Only
   * accepted by `init()`; the `config` getter never has it.
   */
  writer?: (level: number, message: string) => void;
}

/** Media engine settings (pjsua2 `MediaConfig`). */
export interface MediaConfig {
  /** Conference bridge clock rate, in Hz. */
  clockRate: number;
  /** Sound device clock rate in Hz; 0 follows `clockRate`. */
  sndClockRate: number;
  /** Audio channels of the bridge. */
  channelCount: number;
  /** Bridge frame length, in ms. */
  audioFramePtime: number;
  /** Most ports the conference bridge holds (see `mediaMaxPorts`). */
  maxMediaPorts: number;
  /** Give the media endpoint its own ioqueue. */
  hasIoqueue: boolean;
  /** Media worker threads. */
  threadCnt: number;
  /** Codec quality/complexity, 1 (fast) ... 10 (best). */
  quality: number;
  /** Packet length in ms; 0 uses each codec's default. */
  ptime: number;
  /** Turn voice activity detection off. */
  noVad: boolean;
  /** iLBC mode: 20 or 30 ms. */
  ilbcMode: number;
  /** Percentage of sent packets to drop (for testing). */
  txDropPct: number;
  /** Percentage of received packets to drop (for testing). */
  rxDropPct: number;
  /** Echo canceller options (`PJMEDIA_ECHO_*` flags). */
  ecOptions: number;
  /** Echo canceller tail, in ms; 0 disables it. */
  ecTailLen: number;
  /** Sound device capture latency, in ms. */
  sndRecLatency: number;
  /** Sound device playback latency, in ms. */
  sndPlayLatency: number;
  /** Initial jitter buffer prefetch, in ms; -1 for the default. */
  jbInit: number;
  /** Smallest jitter buffer prefetch, in ms; -1 for the default. */
  jbMinPre: number;
  /** Largest jitter buffer prefetch, in ms; -1 for the default. */
  jbMaxPre: number;
  /** Jitter buffer size, in ms; -1 for the default. */
  jbMax: number;
  /** Jitter buffer discard algorithm (`pjmedia_jb_discard_algo`). */
  jbDiscardAlgo: number;
  /**
   * Seconds of idleness before the sound device closes; -1 never. sipster
   * uses -1 unless told otherwise, as the bridge clock must keep running.
   */
  sndAutoCloseTime: number;
  /** Use native video preview where the device has one. */
  vidPreviewEnableNative: boolean;
  /** Clock the bridge from software rather than the sound device. */
  sndUseSwClock: boolean;
}

/** The endpoint config (pjsua2 `EpConfig`), as `init()` takes it and `config` returns it. */
export interface EpConfig {
  /** User agent settings. */
  uaConfig: UaConfig;
  /** Logging settings. */
  logConfig: LogConfig;
  /** Media engine settings. */
  medConfig: MediaConfig;
}

// ---- transport config ------------------------------------------------------------

/** QoS parameters (pjlib `pj_qos_params`); the names are pjsua2's own. */
export interface QosParams {
  /** Which of the other fields are set (`PJ_QOS_PARAM_HAS_*` bits). */
  flags: number;
  /** DSCP value for the socket's packets. */
  dscp_val: number;
  /** Socket priority (`SO_PRIORITY`). */
  so_prio: number;
  /** WMM priority. */
  wmm_prio: number;
}

/** One socket option applied to a transport's socket. */
export interface SockOpt {
  /** Option level, e.g. `SOL_SOCKET`. */
  level: number;
  /** Option name, e.g. `SO_RCVBUF`. */
  optName: number;
  /** Length of the value in bytes (4 for an integer). */
  optLen: number;
  /** Integer value (present when `optLen` is 4). */
  optVal?: number;
}

/** TLS settings of a transport (pjsua2 `TlsConfig`). */
export interface TlsConfig {
  /** File with the trusted CA certificates. */
  caListFile: string;
  /** File with this side's certificate. */
  certFile: string;
  /** File with this side's private key. */
  privKeyFile: string;
  /** Password of the private key. */
  password: string;
  /** Trusted CA certificates, inline (PEM). */
  caBuf: string;
  /** This side's certificate, inline (PEM). */
  certBuf: string;
  /** This side's private key, inline (PEM). */
  privKeyBuf: string;
  /** TLS protocol version(s): one of the `PJSIP_*_METHOD` constants; 0 for the default. */
  method: number;
  /** Allowed cipher suite ids; empty for the library's default list. */
  ciphers: number[];
  /** Check the server's certificate (client side). */
  verifyServer: boolean;
  /** Check the client's certificate (server side). */
  verifyClient: boolean;
  /** Refuse clients without a certificate (server side). */
  requireClientCert: boolean;
  /** Handshake timeout, in ms; 0 for none. */
  msecTimeout: number;
  /** QoS traffic type of TLS sockets (a `PJ_QOS_TYPE_*` constant). */
  qosType: number;
  /** Low-level QoS parameters of TLS sockets. */
  qosParams: QosParams;
  /** Carry on when QoS settings cannot be applied. */
  qosIgnoreError: boolean;
  /** Socket options of TLS sockets. */
  sockOptParams: SockOpt[];
  /** Carry on when a socket option cannot be applied. */
  sockOptIgnoreError: boolean;
  /** How to find the certificate in an OS store (`pj_ssl_cert_lookup_type`). */
  certLookupType: number;
  /** What to look up in the OS store. */
  certLookupKeyword: string;
}

/** Socket settings of a SIP transport or of a call's RTP (pjsua2 `TransportConfig`). */
export interface TransportConfig {
  /** Port to bind; 0 lets the OS pick. */
  port: number;
  /** How many ports above `port` may be tried when it is taken; 0 for just `port`. */
  portRange: number;
  /** Address to advertise in SIP messages (e.g. behind NAT); empty for the bound one. */
  publicAddress: string;
  /** Local address to bind; empty for all interfaces. */
  boundAddress: string;
  /** QoS traffic type (a `PJ_QOS_TYPE_*` constant). */
  qosType: number;
  /** Low-level QoS parameters. */
  qosParams: QosParams;
  /** TLS settings (TLS transports only). */
  tlsConfig: TlsConfig;
  /** Socket options applied to the socket. */
  sockOptParams: SockOpt[];
}

/** Transport kinds `new Transport()` accepts. */
export type TransportType = 'udp' | 'tcp' | 'tls' | 'udp6' | 'tcp6' | 'tls6';

// ---- account config ----------------------------------------------------------------

/** An extra SIP header for requests an account sends. */
export interface SipHeader {
  /** Header name. */
  hname: string;
  /** Header value. */
  hvalue: string;
}

/** A credential for digest authentication (pjsua2 `AuthCredInfo`). */
export interface AuthCredInfo {
  /** Authentication scheme (`digest`). */
  scheme: string;
  /** Realm the credential is for; `*` for any. */
  realm: string;
  /** User name. */
  username: string;
  /** What `data` holds: a `PJSIP_CRED_DATA_*` constant (plain password by default). */
  dataType: number;
  /** The password, or its digest, per `dataType`. */
  data: string;
  /** AKA: permanent subscriber key. */
  akaK: string;
  /** AKA: operator variant key. */
  akaOp: string;
  /** AKA: authentication management field. */
  akaAmf: string;
}

/** Registration settings (pjsua2 `AccountRegConfig`). */
export interface AccountRegConfig {
  /** Registrar to REGISTER with; empty for an account that does not register. */
  registrarUri: string;
  /** Register as soon as the account is created. */
  registerOnAdd: boolean;
  /** Requested registration lifetime (`Expires`), in seconds. */
  timeoutSec: number;
  /** Seconds before retrying a failed registration; 0 for no retry. */
  retryIntervalSec: number;
  /** Seconds before the first retry; 0 uses `retryIntervalSec`. */
  firstRetryIntervalSec: number;
  /** Random spread added to retry intervals, in seconds. */
  randomRetryIntervalSec: number;
  /** Refresh this many seconds before the registration expires. */
  delayBeforeRefreshSec: number;
  /** Hang up the account's calls when re-registration fails. */
  dropCallsOnFail: boolean;
  /** How long to wait for the unregistration answer at removal, in ms. */
  unregWaitMsec: number;
  /** Which proxies REGISTER goes through (`PJSUA_REG_USE_*` bits). */
  proxyUse: number;
  /** Extra parameters for the Contact header of REGISTER. */
  contactParams: string;
  /** Extra headers for REGISTER requests. */
  headers: SipHeader[];
}

/** SIP settings (pjsua2 `AccountSipConfig`). */
export interface AccountSipConfig {
  /** Outbound proxies, in order, as SIP URIs. */
  proxies: string[];
  /** A Contact header to use instead of the generated one. */
  contactForced: string;
  /** Extra parameters for the Contact header. */
  contactParams: string;
  /** Extra parameters for the Contact URI. */
  contactUriParams: string;
  /** Send an empty Authorization header in the first request. */
  authInitialEmpty: boolean;
  /** Digest algorithm for that empty Authorization header. */
  authInitialAlgorithm: string;
  /** Id of the transport to bind the account to; -1 for none. Prefer `transport`. */
  transportId: number;
  /** Credentials for digest authentication. */
  authCreds: AuthCredInfo[];
  /** Binds the account to this transport (sipster's addition: sets `transportId`). */
  transport?: Transport;
}

/** Call settings (pjsua2 `AccountCallConfig`). */
export interface AccountCallConfig {
  /** How hold is signalled: a `PJSUA_CALL_HOLD_TYPE_*` constant. */
  holdType: number;
  /** Reliable provisional responses (100rel): a `PJSUA_100REL_*` constant. */
  prackUse: number;
  /** Session timers (RFC 4028): a `PJSUA_SIP_TIMER_*` constant. */
  timerUse: number;
  /** Smallest session interval accepted (`Min-SE`), in seconds. */
  timerMinSESec: number;
  /** Session interval requested (`Session-Expires`), in seconds. */
  timerSessExpiresSec: number;
}

/** Presence settings (pjsua2 `AccountPresConfig`). */
export interface AccountPresConfig {
  /** PUBLISH the account's presence. */
  publishEnabled: boolean;
  /** Queue PUBLISH requests while one is pending. */
  publishQueue: boolean;
  /** How long to wait for the unpublication at removal, in ms. */
  publishShutdownWaitMsec: number;
  /** Tuple id for PIDF documents; empty for a random one. */
  pidfTupleId: string;
  /** Extra headers for presence requests. */
  headers: SipHeader[];
}

/** Message waiting indication settings (pjsua2 `AccountMwiConfig`). */
export interface AccountMwiConfig {
  /** Subscribe to message summary (MWI) events. */
  enabled: boolean;
  /** Requested MWI subscription lifetime, in seconds. */
  expirationSec: number;
}

/** NAT traversal settings (pjsua2 `AccountNatConfig`). */
export interface AccountNatConfig {
  /** STUN for SIP: a `PJSUA_STUN_*` constant. */
  sipStunUse: number;
  /** STUN for media: a `PJSUA_STUN_*` constant. */
  mediaStunUse: number;
  /** UPnP for SIP (`pjsua_upnp_use`). */
  sipUpnpUse: number;
  /** UPnP for media (`pjsua_upnp_use`). */
  mediaUpnpUse: number;
  /** NAT64: a `PJSUA_NAT64_*` constant. */
  nat64Opt: number;
  /** Use ICE for media. */
  iceEnabled: boolean;
  /** Trickle ICE mode (`pj_ice_sess_trickle`). */
  iceTrickle: number;
  /** Most host candidates to gather; -1 for no limit. */
  iceMaxHostCands: number;
  /** Nominate ICE pairs aggressively. */
  iceAggressiveNomination: boolean;
  /** Delay before nominating a pair (controlling side), in ms. */
  iceNominatedCheckDelayMsec: number;
  /** How long to wait for nomination (controlled side), in ms. */
  iceWaitNominationTimeoutMsec: number;
  /** Leave RTCP out of ICE. */
  iceNoRtcp: boolean;
  /** Always send a re-INVITE/UPDATE after ICE negotiation. */
  iceAlwaysUpdate: boolean;
  /** Use TURN relays. */
  turnEnabled: boolean;
  /** TURN server, as `host[:port]`. */
  turnServer: string;
  /** Transport to the TURN server: a `PJ_TURN_TP_*` constant. */
  turnConnType: number;
  /** TURN user name. */
  turnUserName: string;
  /** What `turnPassword` holds (`PJ_STUN_PASSWD_*`). */
  turnPasswordType: number;
  /** TURN password. */
  turnPassword: string;
  /** Rewrite the Contact from what the registrar saw (0 off, 1 on, 2 on without unregistering). */
  contactRewriteUse: number;
  /** How a Contact rewrite is done (`PJSUA_CONTACT_REWRITE_*` bits). */
  contactRewriteMethod: number;
  /** Rewrite the Via sent-by from what the server saw. */
  viaRewriteUse: number;
  /** Rewrite the SDP addresses from what the server saw. */
  sdpNatRewriteUse: number;
  /** SIP outbound (RFC 5626) use. */
  sipOutboundUse: number;
  /** SIP outbound `+sip.instance`; empty for a generated one. */
  sipOutboundInstanceId: string;
  /** SIP outbound `reg-id`; empty for a generated one. */
  sipOutboundRegId: string;
  /** Interval between UDP keep-alive packets, in seconds; 0 for none. */
  udpKaIntervalSec: number;
  /** Payload of UDP keep-alive packets. */
  udpKaData: string;
  /** Put the source port seen by the server in the Contact. */
  contactUseSrcPort: number;
}

/** SRTP options (pjsua2 `SrtpOpt`). */
export interface SrtpOpt {
  /**
   * Crypto suites, flattened as pjsua2 serialises them: `key, name, flags`
   * for each suite in turn. Empty for every suite the library has.
   */
  cryptos: Array<string | number>;
  /** Key exchange methods in order of preference (`pjmedia_srtp_keying_method`). */
  keyings: number[];
}

/** Media settings of an account (pjsua2 `AccountMediaConfig`). */
export interface AccountMediaConfig {
  /** Lock the codec after negotiation by re-offering only it. */
  lockCodecEnabled: boolean;
  /** Send keep-alive packets on the media stream. */
  streamKaEnabled: boolean;
  /** SRTP: a `PJMEDIA_SRTP_*` constant. */
  srtpUse: number;
  /** Require secure signalling (SIPS/TLS) for SRTP: 0 no, 1 TLS, 2 end to end. */
  srtpSecureSignaling: number;
  /** SRTP crypto suites and keying methods. */
  srtpOpt: SrtpOpt;
  /** IPv6 for media: a `PJSUA_IPV6_*` constant. */
  ipv6Use: number;
  /** Sockets of the calls' RTP/RTCP (`port` is where RTP ports start). */
  transportConfig: TransportConfig;
  /** Multiplex RTP and RTCP on one port (RFC 5761). */
  rtcpMuxEnabled: boolean;
  /** Use a loopback media transport instead of sockets. */
  useLoopMedTp: boolean;
  /** Have the loopback transport send back what it receives. */
  enableLoopback: boolean;
  /** Send RTCP XR reports. */
  rtcpXrEnabled: boolean;
}

/** Video settings of an account (pjsua2 `AccountVideoConfig`); sipster only handles audio. */
export interface AccountVideoConfig {
  /** Show incoming video at once. */
  autoShowIncoming: boolean;
  /** Send video at once on outgoing calls. */
  autoTransmitOutgoing: boolean;
  /** Flags of video windows. */
  windowFlags: number;
  /** Capture device id; -1 for the default. */
  defaultCaptureDevice: number;
  /** Render device id; -2 for the default. */
  defaultRenderDevice: number;
  /** Video rate control method. */
  rateControlMethod: number;
  /** Video bandwidth for rate control, in bps. */
  rateControlBandwidth: number;
  /** Keyframes sent at the start of a stream. */
  startKeyframeCount: number;
  /** Interval between those start keyframes, in ms. */
  startKeyframeInterval: number;
}

/** What the account does when the IP address changes (pjsua2 `AccountIpChangeConfig`). */
export interface AccountIpChangeConfig {
  /** Close the transport the account uses. */
  shutdownTp: boolean;
  /** Hang up the account's calls. */
  hangupCalls: boolean;
  /** Flags of the re-INVITE sent to keep calls up (`pjsua_call_flag`). */
  reinviteFlags: number;
  /** Send UPDATE rather than re-INVITE. */
  reinvUseUpdate: number;
}

/** An account's config (pjsua2 `AccountConfig`). */
export interface AccountConfig {
  /** Account priority among matching accounts; higher wins. */
  priority: number;
  /** The account's address of record, e.g. `sip:alice@example.com`. */
  idUri: string;
  /** Registration settings. */
  regConfig: AccountRegConfig;
  /** SIP settings (proxies, credentials, transport). */
  sipConfig: AccountSipConfig;
  /** Call settings (hold, 100rel, session timers). */
  callConfig: AccountCallConfig;
  /** Presence settings. */
  presConfig: AccountPresConfig;
  /** Message waiting indication settings. */
  mwiConfig: AccountMwiConfig;
  /** NAT traversal settings. */
  natConfig: AccountNatConfig;
  /** Media settings (SRTP, RTP ports). */
  mediaConfig: AccountMediaConfig;
  /** Video settings. */
  videoConfig: AccountVideoConfig;
  /**
   * IP change behaviour. pjproject 2.15's config serialisation leaves this
   * section out, so the current native layer refuses it ("unknown field").
   */
  ipChangeConfig?: AccountIpChangeConfig;
}

/** What `init()` accepts. */
export type EpConfigInput = DeepPartial<EpConfig>;

/** sipster's own settings, beside pjsua2's endpoint config (second argument of `init()`). */
export interface SipsterOptions {
  /**
   * Hang up a confirmed call after this many seconds without incoming RTP
   * (0 to 86400; 0, the default, never does).
   */
  mediaTimeoutSec?: number;
  /**
   * Refuse new calls with 503 while no media sockets are left for them,
   * rather than letting pjlib abort the process. On by default.
   */
  admissionGuard?: boolean;
  /**
   * On SIGINT, SIGTERM or SIGHUP that the application does not handle
   * itself, shut down (BYE to live calls, recordings finished, libDestroy)
   * and then let the signal end the process as Node would have. On by
   * default; `false` leaves signals alone.
   */
  handleSignals?: boolean;
}

/** Sample rates of PCM streams and recorders (the bridge resamples). */
export type PcmSampleRate = 8000 | 16000 | 24000 | 32000 | 48000;
/** Frame lengths of PCM streams, in milliseconds. */
export type PcmFrameMs = 10 | 20 | 40 | 60;

/** Options of `Media#createReadStream()`. */
export interface ReadStreamOptions {
  /** Samples per second (default 8000). */
  sampleRate?: PcmSampleRate;
  /** Milliseconds per chunk (default 20). */
  frameMs?: PcmFrameMs;
  /** Most audio held while nobody reads (default 2000); older frames are dropped. */
  maxBufferMs?: number;
}

/** Options of `Media#createWriteStream()`. */
export interface WriteStreamOptions {
  /** Samples per second (default 8000). */
  sampleRate?: PcmSampleRate;
  /** Milliseconds per frame played (default 20). */
  frameMs?: PcmFrameMs;
  /** `write()` returns false once more than this is queued (default 400). */
  highWaterMarkMs?: number;
}

/** Options of `createRecorder()`. */
export interface RecorderOptions {
  /** The file's sample rate: 8000 for `ulaw`/`alaw`, the bridge's for `pcm`, by default. */
  sampleRate?: PcmSampleRate;
}
/** What `new Transport()` accepts. */
export type TransportConfigInput = DeepPartial<TransportConfig>;
/** What `new Account()` and `Account#modify()` accept. */
export type AccountConfigInput = DeepPartial<AccountConfig>;

// ---- info objects ------------------------------------------------------------------

/** The pjsip library version. */
export interface Version {
  /** Major number. */
  major: number;
  /** Minor number. */
  minor: number;
  /** Revision number. */
  rev: number;
  /** Suffix such as `-dev`; often empty. */
  suffix: string;
  /** The whole version as text, e.g. `2.15.1`. */
  full: string;
  /** `0xMMIIRR00`: major, minor and revision packed in one integer. */
  numeric: number;
}

/** Library states, as `state` names them. */
export type LibState = 'null' | 'created' | 'init' | 'starting' | 'running' | 'closing';

/** A snapshot of a transport. */
export interface TransportInfo {
  /** pjsua transport id. */
  id: number;
  /** Transport type name, e.g. `UDP` or `TCP`. */
  type: string;
  /** A one-line description. */
  info: string;
  /** `PJSIP_TRANSPORT_RELIABLE`/`SECURE`/`DATAGRAM` bits. */
  flags: number;
  /** The bound address and port. */
  localAddress: string;
  /** The advertised address and port. */
  localName: string;
  /** How many pjsip objects hold the transport. */
  usageCount: number;
}

/** A snapshot of an account. */
export interface AccountInfo {
  /** pjsua account id. */
  id: number;
  /** The account's URI. */
  uri: string;
  /** Whether this is the default account. */
  isDefault: boolean;
  /** Whether a registrar is configured. */
  regIsConfigured: boolean;
  /** Whether the account is registered right now. */
  regIsActive: boolean;
  /** Seconds left on the registration; negative when there is none. */
  regExpiresSec: number;
  /** SIP status of the last registration attempt (0 before any). */
  regStatus: number;
  /** Text of that status. */
  regStatusText: string;
  /** The account's own presence status. */
  onlineStatus: boolean;
}

/** Call states. */
export type CallState =
  | 'null'
  | 'calling'
  | 'incoming'
  | 'early'
  | 'connecting'
  | 'confirmed'
  | 'disconnected';

/** A snapshot of a call. */
export interface CallInfo {
  /** The call's state. */
  state: CallState;
  /** The state as pjsip words it. */
  stateText: string;
  /** `uac` for calls placed here, `uas` for calls received. */
  role: 'uac' | 'uas';
  /** Last SIP status code of the dialog. */
  lastStatusCode: number;
  /** Reason phrase of that status. */
  lastReason: string;
  /** Local URI (From of our calls, To of received ones). */
  localUri: string;
  /** Local Contact. */
  localContact: string;
  /** Remote URI. */
  remoteUri: string;
  /** Remote Contact. */
  remoteContact: string;
  /** The dialog's Call-ID. */
  callId: string;
  /** Source address and port of the initial INVITE (received calls). */
  srcAddress: string;
  /** Seconds since the call was answered (0 before). */
  connDuration: number;
  /** Seconds since the call began, set-up included. */
  totalDuration: number;
  /** Whether the call has active media. */
  hasMedia: boolean;
  /** Whether the call's INVITE session is up. */
  isActive: boolean;
}

/** What an account's `call` event says about an incoming call. */
export interface IncomingCallInfo {
  /** Where the INVITE came from (address and port). */
  srcAddress: string;
  /** Local URI (the INVITE's To). */
  localUri: string;
  /** Local Contact. */
  localContact: string;
  /** Remote URI (the INVITE's From). */
  remoteUri: string;
  /** Remote Contact. */
  remoteContact: string;
  /** The Call-ID. */
  callId: string;
  /**
   * *New.* The INVITE's headers, as Node's `http.IncomingMessage.headers`:
   * lowercased full names (compact forms expanded), a repeated header's
   * values joined with `', '` in order. Parsed on first read.
   */
  readonly headers: Record<string, string>;
  /** *New.* The INVITE as received. */
  readonly wholeMsg: string;
}

/** An out-of-dialog MESSAGE received by an account. */
export interface IncomingMessage {
  /** The From header. */
  from: string;
  /** The To header. */
  to: string;
  /** The body's MIME type. */
  contentType: string;
  body: string;
  /** The headers, as `IncomingCallInfo.headers`. */
  headers: Record<string, string>;
  /** The MESSAGE as received. */
  wholeMsg: string;
}

/**
 * *New.* A request that sipster holds until the application answers it:
 * exactly one of `accept()` and `reject()`, within 30 s (the sender gives
 * up at 32 s; one left unanswered is declined with 603). A second answer,
 * or one after the call has ended, throws `ERR_SIPSTER_STATE`.
 */
export interface HeldRequest {
  /** The headers, as `IncomingCallInfo.headers`. */
  readonly headers: Record<string, string>;
  /** The request as received. */
  readonly wholeMsg: string;
  /** Accepts the request and returns the new call. */
  accept(): Call;
  /** Declines the request with `statusCode` (300 to 699; 603 when left out). */
  reject(statusCode?: number): void;
}

/**
 * *New.* A REFER from the call's peer, held while the call has a
 * `'transferRequest'` listener (without one it is declined with 603).
 * `accept()` answers 202 and places the new call to `target`; its progress
 * goes to the transferor in NOTIFYs.
 */
export interface TransferRequest extends HeldRequest {
  /** The Refer-To URI (with its header parameters, e.g. `?Replaces=...`). */
  readonly target: string;
}

/**
 * *New.* An INVITE with Replaces (RFC 3891) for one of the account's calls,
 * held while the account has a `'replaceRequest'` listener (without one it
 * is declined with 603). `accept()` answers it and returns the new call;
 * the replaced call then ends (BYE, or 487 while it was ringing).
 */
export interface ReplaceRequest extends HeldRequest {
  /** The call to be replaced. */
  readonly call: Call | undefined;
  /** The From header of the new INVITE. */
  readonly from: string;
  /** Its To header. */
  readonly to: string;
}

/** When an IVR helper gives up. */
export interface WaitOptions {
  /** Milliseconds; rejects with `ERR_SIPSTER_TIMEOUT` after them. */
  timeout?: number;
  /** Rejects with an `AbortError` when aborted. */
  signal?: AbortSignal;
}

/** What `Call#collectDtmf()` waits for. */
export interface CollectDtmfOptions extends WaitOptions {
  count?: number;
  /** A digit that ends the input, e.g. `'#'`. */
  terminator?: string;
  /** Milliseconds of silence after a digit that end the input. */
  interDigitTimeout?: number;
}

/** An INFO received in a call (not `application/dtmf-relay`: that is a `dtmf` event). */
export interface IncomingInfo {
  contentType: string;
  body: string;
  /** The headers, as `IncomingCallInfo.headers`. */
  headers: Record<string, string>;
}

/** What `Call#sendInfo()` sends. */
export interface OutgoingInfo {
  /** The body's MIME type, e.g. `'application/json'`. */
  contentType: string;
  body?: string;
  /** Extra SIP headers, name to value. */
  headers?: Record<string, string>;
}

/** Options of `Account#sendMessage()`. */
export interface SendMessageOptions {
  /** The body's MIME type; `'text/plain'` by default. */
  contentType?: string;
  /** Extra SIP headers, name to value. */
  headers?: Record<string, string>;
}

/** The final response to a request sipster sent. */
export interface SipResult {
  statusCode: number;
  reason: string;
}

/** How `Call#dtmf()` sends its digits. */
export interface DtmfOptions {
  /** `'rfc2833'` (in the audio, the default) or `'info'` (SIP INFO requests). */
  method?: 'rfc2833' | 'info';
  /** Milliseconds per digit; pjsua's default (160) when left out. */
  duration?: number;
}

/** Optional extras for call operations. */
export interface CallOptions {
  /** Extra SIP headers for the request or response, name to value. */
  headers?: Record<string, string>;
}

/** Media direction from this side of the call. */
export type MediaDir = 'none' | 'outbound' | 'inbound' | 'bidirectional' | 'unknown';

/** What a `Media` object stands for. */
export type MediaKind = 'stream' | 'player' | 'playlist' | 'recorder';

/** Recording formats `createRecorder()` accepts. */
export type RecorderFormat = 'ulaw' | 'alaw' | 'pcm';

// ---- classes -----------------------------------------------------------------------

/** A SIP transport: a listening socket (UDP by default) used by accounts and calls. */
export class Transport {
  /** Internal (makes the type nominal). */
  private _native;
  /**
   * Creates, binds and enables a transport. Needs `init()` first.
   * @param config socket settings; unset fields keep pjsua2's defaults
   * @param type `udp` (default), `tcp`, `tls`, or the same with `6` for IPv6
   */
  constructor(config?: TransportConfigInput, type?: TransportType);
  /** Creates a transport of `type` with default settings. */
  constructor(type: TransportType);
  /** Returns a snapshot of the transport. */
  getInfo(): TransportInfo;
  /** Enables the transport again after `disable()`. */
  enable(): void;
  /** Stops using the transport for sending and drops what it receives (the socket stays open). */
  disable(): void;
  /** Whether the transport is enabled. */
  readonly enabled: boolean;
  /** Keeps the Node.js process alive while the transport exists (the initial state). */
  ref(): void;
  /** Lets the process exit even though the transport exists. */
  unref(): void;
  /** Releases the socket once pjsip no longer uses it; the object is unusable afterwards. */
  close(): void;
}

/** A SIP account: an identity that registers (optionally), receives and places calls. */
export class Account extends EventEmitter {
  /** Internal (makes the type nominal). */
  private _native;
  /**
   * Adds an account; it registers at once when `regConfig.registrarUri` is set.
   * Needs `init()` and at least one transport.
   * @param config account settings; unset fields keep pjsua2's defaults
   * @param isDefault make it the account for requests no other account matches
   */
  constructor(config: AccountConfigInput, isDefault?: boolean);
  /** Changes the account's settings; fields left out keep their current values. */
  modify(config: AccountConfigInput): void;
  /** Returns a snapshot of the account. */
  getInfo(): AccountInfo;
  /** Refreshes the registration (`true`) or unregisters (`false`). */
  setRegistration(renew: boolean): void;
  /** Sends all of the account's requests through `transport`. */
  setTransport(transport: Transport): void;
  /** Places a call to `destination` (a SIP URI); events follow on the returned `Call`. */
  makeCall(destination: string, options?: CallOptions): Call;
  /**
   * *New.* Sends an out-of-dialog MESSAGE (RFC 3428). Settles with the final
   * response, whatever its code (pjsip's own 408 when none comes); rejects
   * only when the request cannot be sent (a bad URI, no route).
   */
  sendMessage(uri: string, body: string, options?: SendMessageOptions): Promise<SipResult>;
  /** Whether the account still exists in pjsua. */
  readonly valid: boolean;
  /** Whether this is the default account; only `true` may be assigned. */
  default: boolean;
  /** Keeps the Node.js process alive while the account exists (the initial state). */
  ref(): void;
  /** Lets the process exit even though the account exists. */
  unref(): void;
  /** Removes the account (unregistering it when registered); the object is unusable afterwards. */
  delete(): void;

  /** Registration has started. */
  on(event: 'registering', listener: () => void): this;
  /** Unregistration has started. */
  on(event: 'unregistering', listener: () => void): this;
  /** Registration has succeeded. */
  on(event: 'registered', listener: () => void): this;
  /** The account is no longer registered (unregistered, or registration failed). */
  on(event: 'unregistered', listener: () => void): this;
  /** The registration state changed: whether it is active, and the SIP status of the last attempt. */
  on(event: 'state', listener: (active: boolean, statusCode: number) => void): this;
  /** A call has arrived; answer or hang up `call`. */
  on(event: 'call', listener: (info: IncomingCallInfo, call: Call) => void): this;
  /** *New.* An out-of-dialog MESSAGE has arrived (pjsua answered it 200). */
  on(event: 'message', listener: (message: IncomingMessage) => void): this;
  on(event: 'replaceRequest', listener: (request: ReplaceRequest) => void): this;

  /** Like `on('registering')`, once. */
  once(event: 'registering', listener: () => void): this;
  /** Like `on('unregistering')`, once. */
  once(event: 'unregistering', listener: () => void): this;
  /** Like `on('registered')`, once. */
  once(event: 'registered', listener: () => void): this;
  /** Like `on('unregistered')`, once. */
  once(event: 'unregistered', listener: () => void): this;
  /** Like `on('state')`, once. */
  once(event: 'state', listener: (active: boolean, statusCode: number) => void): this;
  /** Like `on('call')`, once. */
  once(event: 'call', listener: (info: IncomingCallInfo, call: Call) => void): this;
  once(event: 'message', listener: (message: IncomingMessage) => void): this;
  once(event: 'replaceRequest', listener: (request: ReplaceRequest) => void): this;

  /** Same as `on()`. */
  addListener(event: 'registering', listener: () => void): this;
  /** Same as `on()`. */
  addListener(event: 'unregistering', listener: () => void): this;
  /** Same as `on()`. */
  addListener(event: 'registered', listener: () => void): this;
  /** Same as `on()`. */
  addListener(event: 'unregistered', listener: () => void): this;
  /** Same as `on()`. */
  addListener(event: 'state', listener: (active: boolean, statusCode: number) => void): this;
  /** Same as `on()`. */
  addListener(event: 'call', listener: (info: IncomingCallInfo, call: Call) => void): this;
  addListener(event: 'message', listener: (message: IncomingMessage) => void): this;
  addListener(event: 'replaceRequest', listener: (request: ReplaceRequest) => void): this;

  /** Like `on()`, but the listener goes first. */
  prependListener(event: 'registering', listener: () => void): this;
  /** Like `on()`, but the listener goes first. */
  prependListener(event: 'unregistering', listener: () => void): this;
  /** Like `on()`, but the listener goes first. */
  prependListener(event: 'registered', listener: () => void): this;
  /** Like `on()`, but the listener goes first. */
  prependListener(event: 'unregistered', listener: () => void): this;
  /** Like `on()`, but the listener goes first. */
  prependListener(event: 'state', listener: (active: boolean, statusCode: number) => void): this;
  /** Like `on()`, but the listener goes first. */
  prependListener(event: 'call', listener: (info: IncomingCallInfo, call: Call) => void): this;
  prependListener(event: 'message', listener: (message: IncomingMessage) => void): this;
  prependListener(event: 'replaceRequest', listener: (request: ReplaceRequest) => void): this;

  /** Like `once()`, but the listener goes first. */
  prependOnceListener(event: 'registering', listener: () => void): this;
  /** Like `once()`, but the listener goes first. */
  prependOnceListener(event: 'unregistering', listener: () => void): this;
  /** Like `once()`, but the listener goes first. */
  prependOnceListener(event: 'registered', listener: () => void): this;
  /** Like `once()`, but the listener goes first. */
  prependOnceListener(event: 'unregistered', listener: () => void): this;
  /** Like `once()`, but the listener goes first. */
  prependOnceListener(event: 'state', listener: (active: boolean, statusCode: number) => void): this;
  /** Like `once()`, but the listener goes first. */
  prependOnceListener(event: 'call', listener: (info: IncomingCallInfo, call: Call) => void): this;
  prependOnceListener(event: 'message', listener: (message: IncomingMessage) => void): this;
  prependOnceListener(event: 'replaceRequest', listener: (request: ReplaceRequest) => void): this;

  /** Removes a listener. */
  off(event: 'registering', listener: () => void): this;
  /** Removes a listener. */
  off(event: 'unregistering', listener: () => void): this;
  /** Removes a listener. */
  off(event: 'registered', listener: () => void): this;
  /** Removes a listener. */
  off(event: 'unregistered', listener: () => void): this;
  /** Removes a listener. */
  off(event: 'state', listener: (active: boolean, statusCode: number) => void): this;
  /** Removes a listener. */
  off(event: 'call', listener: (info: IncomingCallInfo, call: Call) => void): this;
  off(event: 'message', listener: (message: IncomingMessage) => void): this;
  off(event: 'replaceRequest', listener: (request: ReplaceRequest) => void): this;

  /** Same as `off()`. */
  removeListener(event: 'registering', listener: () => void): this;
  /** Same as `off()`. */
  removeListener(event: 'unregistering', listener: () => void): this;
  /** Same as `off()`. */
  removeListener(event: 'registered', listener: () => void): this;
  /** Same as `off()`. */
  removeListener(event: 'unregistered', listener: () => void): this;
  /** Same as `off()`. */
  removeListener(event: 'state', listener: (active: boolean, statusCode: number) => void): this;
  /** Same as `off()`. */
  removeListener(event: 'call', listener: (info: IncomingCallInfo, call: Call) => void): this;
  removeListener(event: 'message', listener: (message: IncomingMessage) => void): this;
  removeListener(event: 'replaceRequest', listener: (request: ReplaceRequest) => void): this;

  /** Calls the `registering` listeners; true if there were any. */
  emit(event: 'registering'): boolean;
  /** Calls the `unregistering` listeners; true if there were any. */
  emit(event: 'unregistering'): boolean;
  /** Calls the `registered` listeners; true if there were any. */
  emit(event: 'registered'): boolean;
  /** Calls the `unregistered` listeners; true if there were any. */
  emit(event: 'unregistered'): boolean;
  /** Calls the `state` listeners; true if there were any. */
  emit(event: 'state', active: boolean, statusCode: number): boolean;
  /** Calls the `call` listeners; true if there were any. */
  emit(event: 'call', info: IncomingCallInfo, call: Call): boolean;
  emit(event: 'message', message: IncomingMessage): boolean;
  emit(event: 'replaceRequest', request: ReplaceRequest): boolean;
}

/**
 * One SIP call (dialog). Calls come from `Account#makeCall()` and the
 * account's `call` event; they cannot be constructed. Once `disconnected`,
 * getters keep the last values and methods throw.
 */
export class Call extends EventEmitter {
  /** Internal (makes the type nominal). */
  private _native;
  /** Not constructible: see `Account#makeCall()` and the `call` event. */
  private constructor();
  /**
   * Responds to an incoming INVITE: 200 by default; 1xx to ring, 3xx-6xx to refuse.
   * @param statusCode SIP status code
   * @param reason reason phrase instead of the standard one
   * @param options extra headers of this response (not repeated on later answers)
   */
  answer(statusCode?: number, reason?: string, options?: CallOptions): void;
  /**
   * Ends the call in any state (CANCEL, BYE or a final response as fits).
   * Without `statusCode` pjsua picks: BYE for a confirmed call, 603 for a
   * ringing incoming call, CANCEL (reported as 487) for an outgoing one.
   * @param statusCode status for an incoming call not yet answered
   * @param reason reason phrase; also the `lastReason` of `disconnected`
   * @param options extra headers of the request or response
   */
  hangup(statusCode?: number, reason?: string, options?: CallOptions): void;
  /** Puts the call on hold with a re-INVITE. */
  hold(options?: CallOptions): void;
  /** Sends a re-INVITE that also takes the call off hold. */
  reinvite(options?: CallOptions): void;
  /** Sends an UPDATE request. */
  update(options?: CallOptions): void;
  /**
   * Asks the peer to call `destination` instead (REFER); progress arrives as
   * `transferStatus`. A URI makes a blind transfer; *new*: another `Call`
   * makes an attended one, a REFER whose Refer-To replaces that call's
   * dialog (RFC 3891 Replaces with its Call-ID and tags).
   */
  transfer(destination: string | Call, options?: CallOptions): void;
  /**
   * Sends DTMF digits (`0-9`, `*`, `#`, `A-D`): as RFC 2833 events in the
   * audio (the default; needs the call's `media`), or with
   * `method: 'info'` as one SIP INFO (`application/dtmf-relay`) per digit,
   * for peers without telephone-event.
   */
  dtmf(digits: string, options?: DtmfOptions): void;
  /**
   * *New.* Sends an INFO in the call's dialog. Settles with the final
   * response, whatever its code (487 if the call ends first); rejects only
   * when it cannot be sent.
   */
  sendInfo(info: OutgoingInfo): Promise<SipResult>;
  /**
   * *New.* Resolves with the call's info when it reaches `state` (at once
   * if it is there). Rejects with `code: 'ERR_SIPSTER_CALL_ENDED'` (and
   * `err.info`, the disconnect info) when the call ends first, with
   * `ERR_SIPSTER_TIMEOUT` after `timeout` ms, or with an `AbortError`.
   */
  waitFor(state: CallState, options?: WaitOptions): Promise<CallInfo>;
  /**
   * *New.* Collects DTMF digits: up to `count`, or until `terminator` (not
   * included), or until `interDigitTimeout` ms pass after a digit; one
   * digit when none of these is given. Rejects as `waitFor()`, with the
   * digits so far in `err.digits`.
   */
  collectDtmf(options?: CollectDtmfOptions): Promise<string>;
  /**
   * Returns a text report on the call. After `disconnected` it is the
   * report captured when the call ended.
   * @param inclMediaStats include media statistics (default true)
   * @param indent indentation of the lines (default two spaces)
   */
  getStatsDump(inclMediaStats?: boolean, indent?: string): string;
  /** Returns a snapshot of the call (the last one once it has ended). */
  getInfo(): CallInfo;
  /**
   * The call's state: as of the last `state` event while the call has a
   * `state` listener, pjsua's current state otherwise (sipster sends JS only
   * the call events that have listeners, and always the end of the call).
   */
  readonly state: CallState;
  /** The call's audio media from the last `media` event (a copy). */
  readonly medias: Media[];
  /** Seconds since the call was answered (0 before). */
  readonly connDuration: number;
  /** Seconds since the call began, set-up included. */
  readonly totalDuration: number;
  /** Whether the call has active media. */
  readonly hasMedia: boolean;
  /** Whether the call's INVITE session is up. */
  readonly isActive: boolean;
  /** Keeps the Node.js process alive until the call ends. */
  ref(): void;
  /** Lets the process exit during the call (the initial state). */
  unref(): void;

  /** The state changed; `info` is a snapshot taken at that moment. */
  on(event: 'state', listener: (state: CallState, info: CallInfo) => void): this;
  /** The call entered the named state. */
  on(event: 'calling' | 'incoming' | 'early' | 'connecting' | 'confirmed' | 'disconnected', listener: (info: CallInfo) => void): this;
  /** A DTMF digit arrived (RFC 2833 or SIP INFO), reported as it starts. */
  on(event: 'dtmf', listener: (digit: string) => void): this;
  /**
   * The call's audio media changed; `medias` is the current list. A change
   * (hold, resume, re-negotiation) may re-create a stream, which drops its
   * bridge connections: connect players and recorders again here each time.
   */
  on(event: 'media', listener: (medias: Media[]) => void): this;
  /** The peer reported progress of a transfer: SIP status, reason, and whether it is the last report. */
  on(event: 'transferStatus', listener: (code: number, reason: string, isFinal: boolean) => void): this;
  /** *New.* An INFO other than DTMF arrived in the dialog (answered 200). */
  on(event: 'info', listener: (info: IncomingInfo) => void): this;
  on(event: 'transferRequest', listener: (request: TransferRequest) => void): this;

  /** Like `on('state')`, once. */
  once(event: 'state', listener: (state: CallState, info: CallInfo) => void): this;
  /** Like `on()` for a state name, once. */
  once(event: 'calling' | 'incoming' | 'early' | 'connecting' | 'confirmed' | 'disconnected', listener: (info: CallInfo) => void): this;
  /** Like `on('dtmf')`, once. */
  once(event: 'dtmf', listener: (digit: string) => void): this;
  /** Like `on('media')`, once. */
  once(event: 'media', listener: (medias: Media[]) => void): this;
  /** Like `on('transferStatus')`, once. */
  once(event: 'transferStatus', listener: (code: number, reason: string, isFinal: boolean) => void): this;
  once(event: 'info', listener: (info: IncomingInfo) => void): this;
  once(event: 'transferRequest', listener: (request: TransferRequest) => void): this;

  /** Same as `on()`. */
  addListener(event: 'state', listener: (state: CallState, info: CallInfo) => void): this;
  /** Same as `on()`. */
  addListener(event: 'calling' | 'incoming' | 'early' | 'connecting' | 'confirmed' | 'disconnected', listener: (info: CallInfo) => void): this;
  /** Same as `on()`. */
  addListener(event: 'dtmf', listener: (digit: string) => void): this;
  /** Same as `on()`. */
  addListener(event: 'media', listener: (medias: Media[]) => void): this;
  /** Same as `on()`. */
  addListener(event: 'transferStatus', listener: (code: number, reason: string, isFinal: boolean) => void): this;
  addListener(event: 'info', listener: (info: IncomingInfo) => void): this;
  addListener(event: 'transferRequest', listener: (request: TransferRequest) => void): this;

  /** Like `on()`, but the listener goes first. */
  prependListener(event: 'state', listener: (state: CallState, info: CallInfo) => void): this;
  /** Like `on()`, but the listener goes first. */
  prependListener(event: 'calling' | 'incoming' | 'early' | 'connecting' | 'confirmed' | 'disconnected', listener: (info: CallInfo) => void): this;
  /** Like `on()`, but the listener goes first. */
  prependListener(event: 'dtmf', listener: (digit: string) => void): this;
  /** Like `on()`, but the listener goes first. */
  prependListener(event: 'media', listener: (medias: Media[]) => void): this;
  /** Like `on()`, but the listener goes first. */
  prependListener(event: 'transferStatus', listener: (code: number, reason: string, isFinal: boolean) => void): this;
  prependListener(event: 'info', listener: (info: IncomingInfo) => void): this;
  prependListener(event: 'transferRequest', listener: (request: TransferRequest) => void): this;

  /** Like `once()`, but the listener goes first. */
  prependOnceListener(event: 'state', listener: (state: CallState, info: CallInfo) => void): this;
  /** Like `once()`, but the listener goes first. */
  prependOnceListener(event: 'calling' | 'incoming' | 'early' | 'connecting' | 'confirmed' | 'disconnected', listener: (info: CallInfo) => void): this;
  /** Like `once()`, but the listener goes first. */
  prependOnceListener(event: 'dtmf', listener: (digit: string) => void): this;
  /** Like `once()`, but the listener goes first. */
  prependOnceListener(event: 'media', listener: (medias: Media[]) => void): this;
  /** Like `once()`, but the listener goes first. */
  prependOnceListener(event: 'transferStatus', listener: (code: number, reason: string, isFinal: boolean) => void): this;
  prependOnceListener(event: 'info', listener: (info: IncomingInfo) => void): this;
  prependOnceListener(event: 'transferRequest', listener: (request: TransferRequest) => void): this;

  /** Removes a listener. */
  off(event: 'state', listener: (state: CallState, info: CallInfo) => void): this;
  /** Removes a listener. */
  off(event: 'calling' | 'incoming' | 'early' | 'connecting' | 'confirmed' | 'disconnected', listener: (info: CallInfo) => void): this;
  /** Removes a listener. */
  off(event: 'dtmf', listener: (digit: string) => void): this;
  /** Removes a listener. */
  off(event: 'media', listener: (medias: Media[]) => void): this;
  /** Removes a listener. */
  off(event: 'transferStatus', listener: (code: number, reason: string, isFinal: boolean) => void): this;
  off(event: 'info', listener: (info: IncomingInfo) => void): this;
  off(event: 'transferRequest', listener: (request: TransferRequest) => void): this;

  /** Same as `off()`. */
  removeListener(event: 'state', listener: (state: CallState, info: CallInfo) => void): this;
  /** Same as `off()`. */
  removeListener(event: 'calling' | 'incoming' | 'early' | 'connecting' | 'confirmed' | 'disconnected', listener: (info: CallInfo) => void): this;
  /** Same as `off()`. */
  removeListener(event: 'dtmf', listener: (digit: string) => void): this;
  /** Same as `off()`. */
  removeListener(event: 'media', listener: (medias: Media[]) => void): this;
  /** Same as `off()`. */
  removeListener(event: 'transferStatus', listener: (code: number, reason: string, isFinal: boolean) => void): this;
  removeListener(event: 'info', listener: (info: IncomingInfo) => void): this;
  removeListener(event: 'transferRequest', listener: (request: TransferRequest) => void): this;

  /** Calls the `state` listeners; true if there were any. */
  emit(event: 'state', state: CallState, info: CallInfo): boolean;
  /** Calls the listeners of a state name; true if there were any. */
  emit(event: 'calling' | 'incoming' | 'early' | 'connecting' | 'confirmed' | 'disconnected', info: CallInfo): boolean;
  /** Calls the `dtmf` listeners; true if there were any. */
  emit(event: 'dtmf', digit: string): boolean;
  /** Calls the `media` listeners; true if there were any. */
  emit(event: 'media', medias: Media[]): boolean;
  /** Calls the `transferStatus` listeners; true if there were any. */
  emit(event: 'transferStatus', code: number, reason: string, isFinal: boolean): boolean;
  emit(event: 'info', info: IncomingInfo): boolean;
  emit(event: 'transferRequest', request: TransferRequest): boolean;
}

/**
 * An audio source or sink of the conference bridge: a call's audio stream,
 * a player, a playlist or a recorder. Connect them with `startTransmitTo()`.
 * Media objects come from `createPlayer()`, `createPlaylist()`,
 * `createRecorder()` and the call's `media` event; they cannot be constructed.
 */
export class Media extends EventEmitter {
  /** Internal (makes the type nominal). */
  private _native;
  /** Not constructible: see `createPlayer()`, `createRecorder()` and the `media` event. */
  private constructor();
  /** Starts sending this media's audio to `sink`. */
  startTransmitTo(sink: Media): void;
  /** Stops sending this media's audio to `sink`. */
  stopTransmitTo(sink: Media): void;
  /**
   * Scales what this media transmits into the bridge (a player's output, or
   * what a call's stream receives from the remote party): 1 unchanged, 0 silent.
   */
  adjustTxLevel(level: number): void;
  /**
   * Scales what this media receives from the bridge (what a recorder records,
   * or for a call's stream what the remote party hears): 1 unchanged, 0 silent.
   */
  adjustRxLevel(level: number): void;
  /** Last level (0-100) of what this media transmitted into the bridge. */
  readonly txLevel: number;
  /** Last level (0-100) of what this media received from the bridge. */
  readonly rxLevel: number;
  /** Direction of a call's stream from this side; `none` for players and recorders. */
  readonly dir: MediaDir;
  /** Remote RTP address and port of a call's stream; empty otherwise. */
  readonly rtpAddr: string;
  /** Remote RTCP address and port of a call's stream; empty otherwise. */
  readonly rtcpAddr: string;
  /** What the media stands for. */
  readonly kind: MediaKind;
  /**
   * Releases a player or recorder now (a recorder completes its file); for a
   * call's stream it only detaches this object. Methods throw afterwards.
   */
  close(): void;
  /** Keeps the Node.js process alive while the media exists. */
  ref(): void;
  /** Lets the process exit even though the media exists. */
  unref(): void;
  /**
   * What this media transmits into the bridge as raw 16-bit little-endian
   * mono PCM, one frame per chunk: the far end's voice for a call, the
   * file for a player. Ends when the media closes or the call ends.
   */
  createReadStream(options?: ReadStreamOptions): MediaReadStream;
  /**
   * Raw 16-bit little-endian mono PCM played into this media in real time:
   * to the far end for a call, into the file for a recorder.
   */
  createWriteStream(options?: WriteStreamOptions): MediaWriteStream;
  /**
   * *New.* Resolves at the player's next `eof`. Rejects with
   * `ERR_SIPSTER_STATE` when the player is closed, with
   * `ERR_SIPSTER_CALL_ENDED` when every media it transmits to has ended (a
   * caller who hung up mid-prompt), or with an `AbortError` from `signal`.
   */
  waitForEof(options?: { signal?: AbortSignal }): Promise<void>;

  /**
   * A player or playlist reached its end: once with `noLoop`; a looping one
   * reports each time it wraps around.
   */
  on(event: 'eof', listener: () => void): this;
  /** *New.* A player or recorder was closed. */
  on(event: 'close', listener: () => void): this;
  /** Like `on('eof')`, once. */
  once(event: 'eof', listener: () => void): this;
  once(event: 'close', listener: () => void): this;
  /** Same as `on()`. */
  addListener(event: 'eof', listener: () => void): this;
  addListener(event: 'close', listener: () => void): this;
  /** Like `on()`, but the listener goes first. */
  prependListener(event: 'eof', listener: () => void): this;
  prependListener(event: 'close', listener: () => void): this;
  /** Like `once()`, but the listener goes first. */
  prependOnceListener(event: 'eof', listener: () => void): this;
  prependOnceListener(event: 'close', listener: () => void): this;
  /** Removes a listener. */
  off(event: 'eof', listener: () => void): this;
  off(event: 'close', listener: () => void): this;
  /** Same as `off()`. */
  removeListener(event: 'eof', listener: () => void): this;
  removeListener(event: 'close', listener: () => void): this;
  /** Calls the `eof` listeners; true if there were any. */
  emit(event: 'eof'): boolean;
  emit(event: 'close'): boolean;
}

/** A media's audio as PCM: see `Media#createReadStream()`. */
export class MediaReadStream extends Readable {
  private constructor();
  /** Samples per second of the chunks. */
  readonly sampleRate: PcmSampleRate;
  /** Milliseconds per chunk. */
  readonly frameMs: PcmFrameMs;
  /** Frames dropped because nobody read them within `maxBufferMs`. */
  readonly droppedFrames: number;
}

/** PCM played into a media: see `Media#createWriteStream()`. */
export class MediaWriteStream extends Writable {
  private constructor();
  /** Samples per second of what is written. */
  readonly sampleRate: PcmSampleRate;
  /** Milliseconds per frame played. */
  readonly frameMs: PcmFrameMs;
  /** Audio queued ahead of playback, in milliseconds. */
  readonly queuedMs: number;
  /** Drops everything queued and not yet played (barge-in); pending marks are emitted. */
  clear(): void;
  /** Emits `'mark'` with `name` once the audio written before it has played. */
  mark(name: string): void;
  on(event: 'mark', listener: (name: string) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'mark', listener: (name: string) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

// ---- functions -------------------------------------------------------------------

/**
 * Creates and initializes the library (`libCreate()` + `libInit()`). Call it
 * before anything else; a second call throws unless `shutdown()` came between.
 * @param epConfig endpoint settings; unset fields keep pjsua2's defaults
 * @param options sipster's own settings
 */
export function init(epConfig?: EpConfigInput, options?: SipsterOptions): void;

/** Completes start-up (`libStart()`) once transports and accounts are set up. */
export function start(): void;

/**
 * Hangs up all calls, removes accounts, closes players and recorders and
 * destroys the library. Harmless when not initialized; also runs at exit.
 */
export function shutdown(): void;

/** Hangs up every call. */
export function hangupAllCalls(): void;

/** A codec and its priority. */
export interface Codec {
  /** pjsua2's id, e.g. `'PCMA/8000/1'`. */
  id: string;
  /** 0 to 255; higher is preferred, 0 is disabled. */
  priority: number;
}

/**
 * Sets the priority of every codec whose id starts with `idOrPrefix`
 * (`'PCMA'`, `'opus/48000'`). SDP offers and answers list codecs by
 * priority; 0 disables a codec.
 * @param priority 0 to 255
 */
export function setCodecPriority(idOrPrefix: string, priority: number): void;

/**
 * Creates a player of a WAV file.
 * @param filename the WAV file
 * @param noLoop play once and emit `eof` at the end instead of looping
 */
export function createPlayer(filename: string, noLoop?: boolean): Media;

/**
 * Creates a player of several WAV files, one after the other.
 * @param filenames the WAV files, in order (at least one)
 * @param noLoop play the list once and emit `eof` at the end instead of looping
 */
export function createPlaylist(filenames: string[], noLoop?: boolean): Media;

/**
 * Creates a recorder writing a WAV file.
 * @param filename the file to write
 * @param format sample encoding: `ulaw` (default), `alaw` or `pcm`
 * @param maxSize largest file size in bytes; no limit when left out
 * @param options the file's sample rate
 */
export function createRecorder(
  filename: string,
  format?: RecorderFormat,
  maxSize?: number,
  options?: RecorderOptions,
): Media;

/** pjsua2's default endpoint config; works before `init()`. */
export function defaultConfig(kind: 'EpConfig'): EpConfig;
/** pjsua2's default account config; works before `init()`. */
export function defaultConfig(kind: 'AccountConfig'): AccountConfig;
/** pjsua2's default transport config; works before `init()`. */
export function defaultConfig(kind: 'TransportConfig'): TransportConfig;
/** pjsua2's default credential; works before `init()`. */
export function defaultConfig(kind: 'AuthCredInfo'): AuthCredInfo;
/** The default account config with one default item in each array of objects. */
export function defaultConfig(kind: 'AccountConfigItems'): AccountConfig;

/** Monotonic clock of the library, in nanoseconds. */
export function nowNs(): number;

// ---- properties ------------------------------------------------------------------

/** Version of the pjsip library in use. */
export const version: Readonly<Version>;

/**
 * *New.* How the pjproject that sipster was compiled against was built:
 * the compile-time limits of its `config_site.h`, and the linked library's
 * ioqueue. What `npx sipster doctor` reports; works before `init()`.
 */
export interface BuildInfo {
  /** The pjproject version of the headers sipster was compiled with. */
  builtAgainst: string;
  /** The ioqueue of the linked library: `'select'`, `'epoll'`, ... */
  ioqueue: string;
  /** `PJSUA_MAX_CALLS`: `uaConfig.maxCalls` is clamped to it. */
  maxCalls: number;
  /** `PJSUA_MAX_CONF_PORTS`: ports of the conference bridge. */
  maxMediaPorts: number;
  /** `PJ_IOQUEUE_MAX_HANDLES`: sockets an ioqueue watches (a call's audio takes 2). */
  ioqueueMaxHandles: number;
  /** Whether SIP over TLS is built in (OpenSSL found). */
  tls: boolean;
  /** Whether SRTP is built in. */
  srtp: boolean;
}
export const build: Readonly<BuildInfo>;
/** The whole endpoint config in force (needs `init()`). */
export const config: EpConfig;
/** The library's state. */
export const state: LibState;
/** Ports in use on the conference bridge (0 before `init()`). */
export const mediaActivePorts: number;
/** Most ports the conference bridge holds (0 before `init()`). */
export const mediaMaxPorts: number;
/** Most simultaneous calls the library allows (0 before `init()`). */
export const maxCalls: number;
/** Calls in progress. */
export const callCount: number;
/** The codecs, best first (needs `init()`). */
export const codecs: Codec[];

// ---- constants -------------------------------------------------------------------

/** The pjsip constants sipster exports, by name. */
export interface Constants {
  /** TLS method: TLS 1.0. */
  PJSIP_TLSV1_METHOD: number;
  /** TLS method: TLS 1.1. */
  PJSIP_TLSV1_1_METHOD: number;
  /** TLS method: TLS 1.2. */
  PJSIP_TLSV1_2_METHOD: number;
  /** TLS method: TLS 1.3. */
  PJSIP_TLSV1_3_METHOD: number;
  /** TLS method: SSL 2. */
  PJSIP_SSLV2_METHOD: number;
  /** TLS method: SSL 3. */
  PJSIP_SSLV3_METHOD: number;
  /** TLS method: negotiate the best version. */
  PJSIP_SSLV23_METHOD: number;
  /** Log decoration: day name. */
  PJ_LOG_HAS_DAY_NAME: number;
  /** Log decoration: year. */
  PJ_LOG_HAS_YEAR: number;
  /** Log decoration: month. */
  PJ_LOG_HAS_MONTH: number;
  /** Log decoration: day of month. */
  PJ_LOG_HAS_DAY_OF_MON: number;
  /** Log decoration: time. */
  PJ_LOG_HAS_TIME: number;
  /** Log decoration: microseconds. */
  PJ_LOG_HAS_MICRO_SEC: number;
  /** Log decoration: sender. */
  PJ_LOG_HAS_SENDER: number;
  /** Log decoration: trailing newline. */
  PJ_LOG_HAS_NEWLINE: number;
  /** Log decoration: carriage return. */
  PJ_LOG_HAS_CR: number;
  /** Log decoration: space after the sender. */
  PJ_LOG_HAS_SPACE: number;
  /** Log decoration: terminal colours. */
  PJ_LOG_HAS_COLOR: number;
  /** Log decoration: level name. */
  PJ_LOG_HAS_LEVEL_TEXT: number;
  /** Log decoration: thread id. */
  PJ_LOG_HAS_THREAD_ID: number;
  /** Log decoration: mark thread switches. */
  PJ_LOG_HAS_THREAD_SWC: number;
  /** Log decoration: indentation. */
  PJ_LOG_HAS_INDENT: number;
  /** QoS type: best effort. */
  PJ_QOS_TYPE_BEST_EFFORT: number;
  /** QoS type: background. */
  PJ_QOS_TYPE_BACKGROUND: number;
  /** QoS type: video. */
  PJ_QOS_TYPE_VIDEO: number;
  /** QoS type: voice. */
  PJ_QOS_TYPE_VOICE: number;
  /** QoS type: control. */
  PJ_QOS_TYPE_CONTROL: number;
  /** QoS type: signalling. */
  PJ_QOS_TYPE_SIGNALLING: number;
  /** Credential data: plain password. */
  PJSIP_CRED_DATA_PLAIN_PASSWD: number;
  /** Credential data: digest of user, realm and password. */
  PJSIP_CRED_DATA_DIGEST: number;
  /** Credential data: AKA. */
  PJSIP_CRED_DATA_EXT_AKA: number;
  /** SRTP: off. */
  PJMEDIA_SRTP_DISABLED: number;
  /** SRTP: offered, not required. */
  PJMEDIA_SRTP_OPTIONAL: number;
  /** SRTP: required. */
  PJMEDIA_SRTP_MANDATORY: number;
  /** Hold signalled as in RFC 3264 (`a=sendonly`). */
  PJSUA_CALL_HOLD_TYPE_RFC3264: number;
  /** Hold signalled as in RFC 2543 (`c=0.0.0.0`). */
  PJSUA_CALL_HOLD_TYPE_RFC2543: number;
  /** Session timers: off. */
  PJSUA_SIP_TIMER_INACTIVE: number;
  /** Session timers: when the peer supports them. */
  PJSUA_SIP_TIMER_OPTIONAL: number;
  /** Session timers: required of the peer. */
  PJSUA_SIP_TIMER_REQUIRED: number;
  /** Session timers: always, even if the peer does not announce them. */
  PJSUA_SIP_TIMER_ALWAYS: number;
  /** 100rel: not used. */
  PJSUA_100REL_NOT_USED: number;
  /** 100rel: required. */
  PJSUA_100REL_MANDATORY: number;
  /** 100rel: when the peer supports it. */
  PJSUA_100REL_OPTIONAL: number;
  /** STUN: the global setting. */
  PJSUA_STUN_USE_DEFAULT: number;
  /** STUN: off. */
  PJSUA_STUN_USE_DISABLED: number;
  /** STUN: retry on failure. */
  PJSUA_STUN_RETRY_ON_FAILURE: number;
  /** IPv6 media: off. */
  PJSUA_IPV6_DISABLED: number;
  /** IPv6 media: on. */
  PJSUA_IPV6_ENABLED: number;
  /** NAT64: off. */
  PJSUA_NAT64_DISABLED: number;
  /** NAT64: on. */
  PJSUA_NAT64_ENABLED: number;
  /** Contact rewrite: unregister the old contact and register the new one separately. */
  PJSUA_CONTACT_REWRITE_UNREGISTER: number;
  /** Contact rewrite: swap the bindings within one REGISTER of the current session. */
  PJSUA_CONTACT_REWRITE_NO_UNREG: number;
  /** Contact rewrite: also rewrite on final responses other than 2xx. */
  PJSUA_CONTACT_REWRITE_ALWAYS_UPDATE: number;
  /** REGISTER through the outbound proxies. */
  PJSUA_REG_USE_OUTBOUND_PROXY: number;
  /** REGISTER through the account's proxies. */
  PJSUA_REG_USE_ACC_PROXY: number;
  /** `err.status` of an `ERR_SIPSTER_STATE` error. */
  PJ_EINVALIDOP: number;
  /** `err.status` of an OS error n (errno) is `PJ_ERRNO_START_SYS + n`. */
  PJ_ERRNO_START_SYS: number;
  /** `err.status` of an operation on a call whose dialog has ended. */
  PJSIP_ESESSIONTERMINATED: number;
  /** Library state: not created. */
  PJSUA_STATE_NULL: number;
  /** Library state: created. */
  PJSUA_STATE_CREATED: number;
  /** Library state: initialized. */
  PJSUA_STATE_INIT: number;
  /** Library state: starting. */
  PJSUA_STATE_STARTING: number;
  /** Library state: running. */
  PJSUA_STATE_RUNNING: number;
  /** Library state: closing. */
  PJSUA_STATE_CLOSING: number;
  /** Call state: none yet. */
  PJSIP_INV_STATE_NULL: number;
  /** Call state: INVITE sent. */
  PJSIP_INV_STATE_CALLING: number;
  /** Call state: INVITE received. */
  PJSIP_INV_STATE_INCOMING: number;
  /** Call state: provisional response. */
  PJSIP_INV_STATE_EARLY: number;
  /** Call state: answered, awaiting ACK. */
  PJSIP_INV_STATE_CONNECTING: number;
  /** Call state: established. */
  PJSIP_INV_STATE_CONFIRMED: number;
  /** Call state: ended. */
  PJSIP_INV_STATE_DISCONNECTED: number;
  /** Transport type: UDP. */
  PJSIP_TRANSPORT_UDP: number;
  /** Transport type: TCP. */
  PJSIP_TRANSPORT_TCP: number;
  /** Transport type: TLS. */
  PJSIP_TRANSPORT_TLS: number;
  /** Transport type flag: IPv6. */
  PJSIP_TRANSPORT_IPV6: number;
  /** Transport type: UDP over IPv6. */
  PJSIP_TRANSPORT_UDP6: number;
  /** Transport type: TCP over IPv6. */
  PJSIP_TRANSPORT_TCP6: number;
  /** Transport type: TLS over IPv6. */
  PJSIP_TRANSPORT_TLS6: number;
  /** Transport flag: reliable (stream). */
  PJSIP_TRANSPORT_RELIABLE: number;
  /** Transport flag: secure. */
  PJSIP_TRANSPORT_SECURE: number;
  /** Transport flag: datagram. */
  PJSIP_TRANSPORT_DATAGRAM: number;
  /** Media direction: none. */
  PJMEDIA_DIR_NONE: number;
  /** Media direction: sending. */
  PJMEDIA_DIR_ENCODING: number;
  /** Media direction: receiving. */
  PJMEDIA_DIR_DECODING: number;
  /** Media direction: both. */
  PJMEDIA_DIR_ENCODING_DECODING: number;
  /** TURN transport: UDP. */
  PJ_TURN_TP_UDP: number;
  /** TURN transport: TCP. */
  PJ_TURN_TP_TCP: number;
  /** TURN transport: TLS. */
  PJ_TURN_TP_TLS: number;
}

/** All exported constants in one frozen object. */
export const constants: Readonly<Constants>;

/** TLS method: TLS 1.0. */
export const PJSIP_TLSV1_METHOD: number;
/** TLS method: TLS 1.1. */
export const PJSIP_TLSV1_1_METHOD: number;
/** TLS method: TLS 1.2. */
export const PJSIP_TLSV1_2_METHOD: number;
/** TLS method: TLS 1.3. */
export const PJSIP_TLSV1_3_METHOD: number;
/** TLS method: SSL 2. */
export const PJSIP_SSLV2_METHOD: number;
/** TLS method: SSL 3. */
export const PJSIP_SSLV3_METHOD: number;
/** TLS method: negotiate the best version. */
export const PJSIP_SSLV23_METHOD: number;
/** Log decoration: day name. */
export const PJ_LOG_HAS_DAY_NAME: number;
/** Log decoration: year. */
export const PJ_LOG_HAS_YEAR: number;
/** Log decoration: month. */
export const PJ_LOG_HAS_MONTH: number;
/** Log decoration: day of month. */
export const PJ_LOG_HAS_DAY_OF_MON: number;
/** Log decoration: time. */
export const PJ_LOG_HAS_TIME: number;
/** Log decoration: microseconds. */
export const PJ_LOG_HAS_MICRO_SEC: number;
/** Log decoration: sender. */
export const PJ_LOG_HAS_SENDER: number;
/** Log decoration: trailing newline. */
export const PJ_LOG_HAS_NEWLINE: number;
/** Log decoration: carriage return. */
export const PJ_LOG_HAS_CR: number;
/** Log decoration: space after the sender. */
export const PJ_LOG_HAS_SPACE: number;
/** Log decoration: terminal colours. */
export const PJ_LOG_HAS_COLOR: number;
/** Log decoration: level name. */
export const PJ_LOG_HAS_LEVEL_TEXT: number;
/** Log decoration: thread id. */
export const PJ_LOG_HAS_THREAD_ID: number;
/** Log decoration: mark thread switches. */
export const PJ_LOG_HAS_THREAD_SWC: number;
/** Log decoration: indentation. */
export const PJ_LOG_HAS_INDENT: number;
/** QoS type: best effort. */
export const PJ_QOS_TYPE_BEST_EFFORT: number;
/** QoS type: background. */
export const PJ_QOS_TYPE_BACKGROUND: number;
/** QoS type: video. */
export const PJ_QOS_TYPE_VIDEO: number;
/** QoS type: voice. */
export const PJ_QOS_TYPE_VOICE: number;
/** QoS type: control. */
export const PJ_QOS_TYPE_CONTROL: number;
/** QoS type: signalling. */
export const PJ_QOS_TYPE_SIGNALLING: number;
/** Credential data: plain password. */
export const PJSIP_CRED_DATA_PLAIN_PASSWD: number;
/** Credential data: digest of user, realm and password. */
export const PJSIP_CRED_DATA_DIGEST: number;
/** Credential data: AKA. */
export const PJSIP_CRED_DATA_EXT_AKA: number;
/** SRTP: off. */
export const PJMEDIA_SRTP_DISABLED: number;
/** SRTP: offered, not required. */
export const PJMEDIA_SRTP_OPTIONAL: number;
/** SRTP: required. */
export const PJMEDIA_SRTP_MANDATORY: number;
/** Hold signalled as in RFC 3264 (`a=sendonly`). */
export const PJSUA_CALL_HOLD_TYPE_RFC3264: number;
/** Hold signalled as in RFC 2543 (`c=0.0.0.0`). */
export const PJSUA_CALL_HOLD_TYPE_RFC2543: number;
/** Session timers: off. */
export const PJSUA_SIP_TIMER_INACTIVE: number;
/** Session timers: when the peer supports them. */
export const PJSUA_SIP_TIMER_OPTIONAL: number;
/** Session timers: required of the peer. */
export const PJSUA_SIP_TIMER_REQUIRED: number;
/** Session timers: always, even if the peer does not announce them. */
export const PJSUA_SIP_TIMER_ALWAYS: number;
/** 100rel: not used. */
export const PJSUA_100REL_NOT_USED: number;
/** 100rel: required. */
export const PJSUA_100REL_MANDATORY: number;
/** 100rel: when the peer supports it. */
export const PJSUA_100REL_OPTIONAL: number;
/** STUN: the global setting. */
export const PJSUA_STUN_USE_DEFAULT: number;
/** STUN: off. */
export const PJSUA_STUN_USE_DISABLED: number;
/** STUN: retry on failure. */
export const PJSUA_STUN_RETRY_ON_FAILURE: number;
/** IPv6 media: off. */
export const PJSUA_IPV6_DISABLED: number;
/** IPv6 media: on. */
export const PJSUA_IPV6_ENABLED: number;
/** NAT64: off. */
export const PJSUA_NAT64_DISABLED: number;
/** NAT64: on. */
export const PJSUA_NAT64_ENABLED: number;
/** Contact rewrite: unregister the old contact and register the new one separately. */
export const PJSUA_CONTACT_REWRITE_UNREGISTER: number;
/** Contact rewrite: swap the bindings within one REGISTER of the current session. */
export const PJSUA_CONTACT_REWRITE_NO_UNREG: number;
/** Contact rewrite: also rewrite on final responses other than 2xx. */
export const PJSUA_CONTACT_REWRITE_ALWAYS_UPDATE: number;
/** REGISTER through the outbound proxies. */
export const PJSUA_REG_USE_OUTBOUND_PROXY: number;
/** REGISTER through the account's proxies. */
export const PJSUA_REG_USE_ACC_PROXY: number;
export const PJ_EINVALIDOP: number;
export const PJ_ERRNO_START_SYS: number;
export const PJSIP_ESESSIONTERMINATED: number;
/** Library state: not created. */
export const PJSUA_STATE_NULL: number;
/** Library state: created. */
export const PJSUA_STATE_CREATED: number;
/** Library state: initialized. */
export const PJSUA_STATE_INIT: number;
/** Library state: starting. */
export const PJSUA_STATE_STARTING: number;
/** Library state: running. */
export const PJSUA_STATE_RUNNING: number;
/** Library state: closing. */
export const PJSUA_STATE_CLOSING: number;
/** Call state: none yet. */
export const PJSIP_INV_STATE_NULL: number;
/** Call state: INVITE sent. */
export const PJSIP_INV_STATE_CALLING: number;
/** Call state: INVITE received. */
export const PJSIP_INV_STATE_INCOMING: number;
/** Call state: provisional response. */
export const PJSIP_INV_STATE_EARLY: number;
/** Call state: answered, awaiting ACK. */
export const PJSIP_INV_STATE_CONNECTING: number;
/** Call state: established. */
export const PJSIP_INV_STATE_CONFIRMED: number;
/** Call state: ended. */
export const PJSIP_INV_STATE_DISCONNECTED: number;
/** Transport type: UDP. */
export const PJSIP_TRANSPORT_UDP: number;
/** Transport type: TCP. */
export const PJSIP_TRANSPORT_TCP: number;
/** Transport type: TLS. */
export const PJSIP_TRANSPORT_TLS: number;
/** Transport type flag: IPv6. */
export const PJSIP_TRANSPORT_IPV6: number;
/** Transport type: UDP over IPv6. */
export const PJSIP_TRANSPORT_UDP6: number;
/** Transport type: TCP over IPv6. */
export const PJSIP_TRANSPORT_TCP6: number;
/** Transport type: TLS over IPv6. */
export const PJSIP_TRANSPORT_TLS6: number;
/** Transport flag: reliable (stream). */
export const PJSIP_TRANSPORT_RELIABLE: number;
/** Transport flag: secure. */
export const PJSIP_TRANSPORT_SECURE: number;
/** Transport flag: datagram. */
export const PJSIP_TRANSPORT_DATAGRAM: number;
/** Media direction: none. */
export const PJMEDIA_DIR_NONE: number;
/** Media direction: sending. */
export const PJMEDIA_DIR_ENCODING: number;
/** Media direction: receiving. */
export const PJMEDIA_DIR_DECODING: number;
/** Media direction: both. */
export const PJMEDIA_DIR_ENCODING_DECODING: number;
/** TURN transport: UDP. */
export const PJ_TURN_TP_UDP: number;
/** TURN transport: TCP. */
export const PJ_TURN_TP_TCP: number;
/** TURN transport: TLS. */
export const PJ_TURN_TP_TLS: number;
