/*
 * sipster shim: a C ABI over pjproject's pjsua2 C++ API.
 *
 * Conventions
 *  - Errors: every function that can fail takes `sipster_error *err` as its
 *    last argument and returns 0 on success or a pj_status_t on failure; on
 *    failure `err->status` holds that status and `err->message` says which
 *    operation failed and why. No C++ exception ever crosses this boundary.
 *  - Ownership: a handle returned through an out-parameter belongs to the
 *    caller until it is passed to its `*_destroy` function. Strings passed in
 *    are borrowed NUL-terminated UTF-8. Strings returned through `char **` are
 *    malloc'd and freed with sipster_string_free().
 *  - Borrowed out-data (infos, events) is handed to a visitor/sink callback;
 *    its pointers are valid only for the duration of that callback.
 *  - Threads: any thread may call in; unknown threads are registered with
 *    pjlib on first use. Handles are destroyed only by the thread that owns
 *    the library (the one that called sipster_lib_init). Events arrive on
 *    pjsip's own threads: the sink must copy what it needs and return at once.
 */
#ifndef SIPSTER_SHIM_H
#define SIPSTER_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* pjlib/pjsip status numbers that Rust compares with: the shim checks each
 * against the installed headers at compile time (static_assert). */
#define SIPSTER_PJ_EINVAL 70004                 /* PJ_EINVAL */
#define SIPSTER_PJ_EINVALIDOP 70013             /* PJ_EINVALIDOP */
#define SIPSTER_PJSIP_ESESSIONTERMINATED 171140 /* PJSIP_ESESSIONTERMINATED */
#define SIPSTER_PJ_EUNKNOWN 70001               /* PJ_EUNKNOWN */
#define SIPSTER_PJ_ERRNO_START_SYS 120000       /* PJ_ERRNO_START_SYS: + errno */

typedef struct sipster_error {
  int32_t status;
  char message[512];
} sipster_error;

typedef struct sipster_transport sipster_transport;
typedef struct sipster_account sipster_account;
typedef struct sipster_call sipster_call;
typedef struct sipster_player sipster_player;
typedef struct sipster_pcm_port sipster_pcm_port;

typedef struct sipster_header {
  const char *name;
  const char *value;
} sipster_header;

/* Optional parameters of a call operation; zeroed means "library default". */
typedef struct sipster_call_op {
  int32_t status_code;
  const char *reason;
  const sipster_header *headers;
  size_t header_count;
} sipster_call_op;

typedef struct sipster_version {
  int32_t major;
  int32_t minor;
  int32_t rev;
  uint32_t numeric;
  const char *suffix;
  const char *full;
} sipster_version;

/* How the pjproject that sipster was compiled against was configured: its
 * headers' compile-time limits (config_site.h), and the linked library's
 * ioqueue. */
typedef struct sipster_build_info {
  const char *built_against;    /* PJ_VERSION of the headers */
  const char *ioqueue;          /* pj_ioqueue_name(): "select", "epoll", ... */
  uint32_t max_calls;           /* PJSUA_MAX_CALLS */
  uint32_t max_conf_ports;      /* PJSUA_MAX_CONF_PORTS */
  uint32_t ioqueue_max_handles; /* PJ_IOQUEUE_MAX_HANDLES */
  int32_t has_tls;              /* PJ_HAS_SSL_SOCK && PJSIP_HAS_TLS_TRANSPORT */
  int32_t has_srtp;             /* PJMEDIA_HAS_SRTP */
} sipster_build_info;

typedef struct sipster_transport_info {
  int32_t id;
  int32_t type;
  const char *type_name;
  const char *info;
  uint32_t flags;
  const char *local_address;
  const char *local_name;
  uint32_t usage_count;
} sipster_transport_info;

typedef struct sipster_account_info {
  int32_t id;
  int32_t is_default;
  const char *uri;
  int32_t reg_is_configured;
  int32_t reg_is_active;
  int32_t reg_expires_sec;
  int32_t reg_status;
  const char *reg_status_text;
  int32_t online_status;
} sipster_account_info;

/* A call's info. sipster_call_get_info sets every string. In the events
 * (SIPSTER_EVENT_INCOMING_CALL, SIPSTER_EVENT_CALL_STATE) an identity string
 * (local_uri to src_address) is NULL when it is what the call's previous
 * event said, or empty in its first event: the identity crosses about once
 * per call, not at every state. */
typedef struct sipster_call_info {
  int32_t state; /* pjsip_inv_state */
  const char *state_text;
  int32_t role; /* 0 = UAC, 1 = UAS */
  int32_t last_status_code;
  const char *last_reason;
  const char *local_uri;
  const char *local_contact;
  const char *remote_uri;
  const char *remote_contact;
  const char *call_id;
  const char *src_address; /* set for incoming calls only */
  double connect_duration; /* seconds */
  double total_duration;   /* seconds */
  int32_t has_media;
  int32_t is_active;
} sipster_call_info;

typedef struct sipster_stream_info {
  uint32_t index; /* index of the media line in the SDP */
  int32_t dir;    /* pjmedia_dir */
  int32_t status; /* pjsua_call_media_status */
  int32_t conf_slot;
  const char *rtp_addr;
  const char *rtcp_addr;
} sipster_stream_info;

typedef enum sipster_event_kind {
  SIPSTER_EVENT_LOG = 1,        /* code = level, text = line */
  SIPSTER_EVENT_REG_STARTED,    /* source = account, flag = 1 renew / 0 unregister */
  SIPSTER_EVENT_REG_STATE,      /* source = account, code = SIP status, flag = active, expires */
  SIPSTER_EVENT_INCOMING_CALL,  /* source = account, call (now the sink's), call_key, call_info,
                                   text = the INVITE as received */
  SIPSTER_EVENT_CALL_STATE,     /* source = call key, call_info */
  SIPSTER_EVENT_CALL_MEDIA,     /* source = call key, streams */
  SIPSTER_EVENT_DTMF,           /* source = call key, text = digit */
  SIPSTER_EVENT_PLAYER_EOF,     /* source = player key */
  SIPSTER_EVENT_TRANSFER_STATUS, /* source = call key, code = SIP status of the NOTIFY'd progress,
                                   flag = final */
  SIPSTER_EVENT_MESSAGE,         /* source = account, text = the MESSAGE as received (answered 200) */
  SIPSTER_EVENT_MESSAGE_STATUS,  /* source = account, token = the send's token, code = final
                                    status, text = reason */
  SIPSTER_EVENT_INFO,            /* source = call key, text = the INFO as received (answered 200) */
  SIPSTER_EVENT_INFO_STATUS,     /* source = call key, token = the send's token, code = final
                                    status, text = reason */
  SIPSTER_EVENT_TRANSFER_REQUEST, /* source = call key, token, text = the REFER as received (held:
                                     see sipster_held_request_decide) */
  SIPSTER_EVENT_REPLACE_REQUEST   /* source = account key, call_key = the call it would replace,
                                     token, text = the INVITE as received (held) */
} sipster_event_kind;

typedef struct sipster_event {
  sipster_event_kind kind;
  uint64_t source;
  int64_t timestamp_ns; /* CLOCK_MONOTONIC when the pjsip callback ran */
  int32_t code;
  int32_t flag;
  int32_t expires;
  const char *text;
  sipster_call *call;
  uint64_t call_key;
  uint64_t token; /* a held request's (sipster_held_request_decide), or a send's */
  const sipster_call_info *call_info;
  const sipster_stream_info *streams;
  size_t stream_count;
} sipster_event;

typedef void (*sipster_event_sink)(void *ctx, const sipster_event *event);
typedef void (*sipster_transport_info_visitor)(void *ctx, const sipster_transport_info *info);
typedef void (*sipster_account_info_visitor)(void *ctx, const sipster_account_info *info);
typedef void (*sipster_constant_visitor)(void *ctx, const char *name, int64_t value);
typedef void (*sipster_call_info_visitor)(void *ctx, const sipster_call_info *info);

/* ---- library ---------------------------------------------------------- */

/* A process-wide unique key (< 2^53) for the objects that report events. */
uint64_t sipster_next_key(void);

/* Monotonic clock in nanoseconds, the clock of sipster_event.timestamp_ns. */
int64_t sipster_now_ns(void);

/* The default-constructed pjsua2 config `kind` ("EpConfig", "AccountConfig",
 * "TransportConfig", "AuthCredInfo", or "AccountConfigItems": an AccountConfig
 * with one default element in each array of objects) as pjsua2 JSON. */
int sipster_default_config(const char *kind, char **json_out, sipster_error *err);

/* Visits every library constant that configs use (TLS methods, log
 * decoration flags, QoS types, credential data types, SRTP use, ...). */
void sipster_constants(sipster_constant_visitor visit, void *ctx);

/* libCreate + libInit with the given EpConfig JSON; installs the null audio
 * device. `sink` receives every event; log lines go to it when
 * `log_to_sink` is non-zero, else to pjsua2's own console writer. */
int sipster_lib_init(const char *ep_config_json, int log_to_sink, sipster_event_sink sink,
                     void *sink_ctx, sipster_error *err);
/* sipster's own options. `media_timeout_ms`: hang up a confirmed call whose
 * audio received no RTP for this long (0 = never). `admission_guard`:
 * answer new INVITEs 503 while the media ioqueue lacks sockets for them. */
void sipster_set_options(uint32_t media_timeout_ms, int admission_guard);
int sipster_lib_start(sipster_error *err);
/* Hangs up and releases every call, player, recorder and account still
 * alive, then libDestroy. Handles not yet destroyed become inert. */
int sipster_lib_destroy(sipster_error *err);
/* pjsua_state, or -1 when the library was never created. */
int32_t sipster_lib_state(void);
void sipster_lib_version(sipster_version *out);
/* Needs no init(). */
void sipster_build_info_get(sipster_build_info *out);
/* The EpConfig in force, as pjsua2 JSON. */
int sipster_lib_config(char **json_out, sipster_error *err);
uint32_t sipster_media_active_ports(void);
uint32_t sipster_media_max_ports(void);
/* The conference bridge's clock rate (medConfig.clockRate). */
uint32_t sipster_media_clock_rate(void);
uint32_t sipster_max_calls(void);
uint32_t sipster_call_count(void);
/* The codecs pjmedia has, best first: visit(ctx, id, priority), ids as
 * pjsua2 names them ("PCMA/8000/1"). */
int sipster_codecs(sipster_constant_visitor visit, void *ctx, sipster_error *err);
/* Priority 0..255 of every codec whose id starts with id_prefix; 0 disables. */
int sipster_codec_set_priority(const char *id_prefix, uint8_t priority, sipster_error *err);
int sipster_hangup_all_calls(sipster_error *err);
/* Decides on a held request (SIPSTER_EVENT_TRANSFER_REQUEST or _REPLACE_REQUEST)
 * on the library's thread: a status >= 300 declines it with that status;
 * 202 accepts a REFER and 200 an INVITE with Replaces, and the new call
 * (placed to the REFER's target, or the replacing dialog, answered) comes
 * out in *new_call_out, reporting events under `new_call_key`. */
int sipster_held_request_decide(uint64_t token, int status_code, uint64_t new_call_key,
                                sipster_call **new_call_out, sipster_error *err);
void sipster_string_free(char *s);

/* ---- transport -------------------------------------------------------- */

/* `type` is a pjsip_transport_type_e (UDP, TCP, TLS, optionally | IPV6). */
int sipster_transport_create(int32_t type, const char *config_json, sipster_transport **out,
                             sipster_error *err);
int32_t sipster_transport_id(const sipster_transport *t);
int sipster_transport_get_info(const sipster_transport *t, sipster_transport_info_visitor visit,
                               void *ctx, sipster_error *err);
int sipster_transport_set_enabled(sipster_transport *t, int enabled, sipster_error *err);
int sipster_transport_is_enabled(const sipster_transport *t);
void sipster_transport_destroy(sipster_transport *t);

/* ---- account ---------------------------------------------------------- */

int sipster_account_create(const char *config_json, int make_default, uint64_t key,
                           sipster_account **out, sipster_error *err);
int sipster_account_modify(sipster_account *a, const char *config_json, sipster_error *err);
int sipster_account_get_info(const sipster_account *a, sipster_account_info_visitor visit,
                             void *ctx, sipster_error *err);
int sipster_account_set_registration(sipster_account *a, int renew, sipster_error *err);
int sipster_account_set_transport(sipster_account *a, const sipster_transport *t,
                                  sipster_error *err);
int sipster_account_set_default(sipster_account *a, sipster_error *err);
/* Sends an out-of-dialog MESSAGE to `to`; its final response (or pjsip's
 * 408) comes as SIPSTER_EVENT_MESSAGE_STATUS with this token. */
int sipster_account_send_message(sipster_account *a, const char *to, const char *content_type,
                                 const char *body, const sipster_header *headers,
                                 size_t header_count, uint64_t token, sipster_error *err);
/* Which of the account's optional events the owner wants (none at creation). */
#define SIPSTER_ACCOUNT_INTEREST_REPLACE_REQUEST (1u << 0) /* INVITEs with Replaces are held */
#define SIPSTER_ACCOUNT_INTEREST_MESSAGE (1u << 1)         /* MESSAGEs are copied and sent */
void sipster_account_set_interest(sipster_account *a, uint32_t mask);
int sipster_account_is_default(const sipster_account *a);
int sipster_account_is_valid(const sipster_account *a);
/* Places a call; the new call reports events under `call_key`. */
int sipster_account_make_call(sipster_account *a, const char *dest_uri, const sipster_call_op *op,
                              uint64_t call_key, sipster_call **out, sipster_error *err);
/* Deletes the account (pjsua unregisters it first when registered). */
void sipster_account_destroy(sipster_account *a);

/* ---- call ------------------------------------------------------------- */

/* Which of a call's events the owner wants (a bit mask; all at creation).
 * Events outside the mask are neither copied nor sent. DISCONNECTED is
 * always sent: the owner's bookkeeping of the call's end depends on it. */
#define SIPSTER_INTEREST_STATE(state) (1u << (state)) /* pjsip_inv_state */
#define SIPSTER_INTEREST_DTMF (1u << 8)
#define SIPSTER_INTEREST_TRANSFER_STATUS (1u << 9)
#define SIPSTER_INTEREST_INFO (1u << 10)
/* REFERs in the call are held for the owner's decision, not declined. */
#define SIPSTER_INTEREST_TRANSFER_REQUEST (1u << 11)
#define SIPSTER_INTEREST_ALL 0xffffffffu
void sipster_call_set_interest(sipster_call *c, uint32_t mask);

/* A call handle stays valid after the call ended; operations then fail with
 * PJSIP_ESESSIONTERMINATED and touch nothing of pjsua's. */
int sipster_call_is_finished(const sipster_call *c);
int sipster_call_get_info(const sipster_call *c, sipster_call_info_visitor visit, void *ctx,
                          sipster_error *err);
int sipster_call_answer(sipster_call *c, const sipster_call_op *op, sipster_error *err);
int sipster_call_hangup(sipster_call *c, const sipster_call_op *op, sipster_error *err);
int sipster_call_hold(sipster_call *c, const sipster_call_op *op, sipster_error *err);
/* Re-INVITE that releases a hold (the SDP goes back to sendrecv). */
int sipster_call_reinvite(sipster_call *c, const sipster_call_op *op, sipster_error *err);
int sipster_call_update(sipster_call *c, const sipster_call_op *op, sipster_error *err);
int sipster_call_transfer(sipster_call *c, const char *dest_uri, const sipster_call_op *op,
                          sipster_error *err);
/* Sends DTMF digits: method_info 0 = RFC 2833 in the audio stream (needs
 * active audio), 1 = one SIP INFO (application/dtmf-relay) per digit;
 * duration_ms 0 = pjsua's default. */
/* Attended transfer: a REFER to c's peer whose Refer-To replaces `other`'s
 * dialog (RFC 3891 Replaces with its Call-ID, to-tag and from-tag). */
int sipster_call_transfer_replaces(sipster_call *c, const sipster_call *other,
                                   const sipster_call_op *op, sipster_error *err);
int sipster_call_dial_dtmf(sipster_call *c, const char *digits, int method_info,
                           uint32_t duration_ms, sipster_error *err);
/* Sends an INFO in the call's dialog with this body and headers; its final
 * response comes as SIPSTER_EVENT_INFO_STATUS with this token. */
int sipster_call_send_info(sipster_call *c, const char *content_type, const char *body,
                           const sipster_header *headers, size_t header_count, uint64_t token,
                           sipster_error *err);
/* Once the call has ended: its getStatsDump() text as captured at the end,
 * indent "", or NULL before the end. Free with sipster_string_free. */
char *sipster_call_final_stats(const sipster_call *c, int with_media);
int sipster_call_stats_dump(const sipster_call *c, int with_media, const char *indent, char **out,
                            sipster_error *err);
/* Conference slot of the call's audio stream at SDP index `media_index`. */
int sipster_call_conf_slot(const sipster_call *c, uint32_t media_index, int32_t *slot_out,
                           sipster_error *err);
void sipster_call_destroy(sipster_call *c);

/* ---- players and the conference bridge ---------------------------------- */

/* One file, or a playlist when `count` > 1. Events come under `key`. */
int sipster_player_create(const char *const *files, size_t count, int no_loop, uint64_t key,
                          sipster_player **out, sipster_error *err);
int32_t sipster_player_conf_slot(const sipster_player *p);
void sipster_player_destroy(sipster_player *p);

/* ---- PCM ports: audio between the bridge and the caller ---------------
 *
 * A PCM port is a port of sipster's own in the conference bridge, in the
 * format asked for (16-bit mono PCM at `clock_rate`, `frame_ms` frames);
 * the bridge resamples and re-frames. Audio crosses between the bridge's
 * clock thread and one other thread through a lock-free single-producer,
 * single-consumer ring: the clock thread never blocks, locks or allocates.
 *
 * A CAPTURE port receives what the bridge sends it (connect a media to its
 * slot); the caller reads whole frames out. A PLAYBACK port plays what the
 * caller writes into the bridge (connect its slot to a media); when its
 * queue is empty it adds nothing (silence). Each ring has one reader and
 * one writer thread at a time: the caller serialises its side. */

typedef enum sipster_pcm_direction {
  SIPSTER_PCM_CAPTURE = 0,
  SIPSTER_PCM_PLAYBACK = 1
} sipster_pcm_direction;

/* `ring_ms`: the ring's size; a capture port drops frames the reader has
 * not taken once it is full, a playback port accepts no more than it holds. */
int sipster_pcm_port_create(sipster_pcm_direction direction, uint32_t clock_rate,
                            uint32_t frame_ms, uint32_t ring_ms, sipster_pcm_port **out,
                            sipster_error *err);
/* The port's bridge slot, or -1 once released (by destroy or shutdown). */
int32_t sipster_pcm_port_conf_slot(const sipster_pcm_port *p);
uint32_t sipster_pcm_port_samples_per_frame(const sipster_pcm_port *p);
/* CAPTURE: copies up to `max_frames` whole frames into `samples` (room for
 * max_frames * samples_per_frame values); returns the number of frames.
 * `audio_flags` (optional) gets bit i set when frame i carried audio, clear
 * when the bridge had nothing to send it (the frame is then silence). */
size_t sipster_pcm_port_read(sipster_pcm_port *p, int16_t *samples, size_t max_frames,
                             uint64_t *audio_flags);
/* CAPTURE: frames dropped because the ring was full. */
uint64_t sipster_pcm_port_overruns(const sipster_pcm_port *p);
/* PLAYBACK: queues up to `count` samples; returns how many were taken. */
size_t sipster_pcm_port_write(sipster_pcm_port *p, const int16_t *samples, size_t count);
/* PLAYBACK: drops what is queued and not yet played. */
void sipster_pcm_port_clear(sipster_pcm_port *p);
/* PLAYBACK: samples taken off the queue so far (played or cleared). */
uint64_t sipster_pcm_port_played(const sipster_pcm_port *p);
/* Removes the port from the bridge and frees the handle. */
void sipster_pcm_port_destroy(sipster_pcm_port *p);

/* Waits until the clock thread moved audio through any PCM port since the
 * previous call returned, or `timeout_ms` passed, or sipster_pcm_wake().
 * Returns 1 when audio moved, 0 otherwise. Meant for one thread: the one
 * that services the rings. */
int sipster_pcm_wait(uint32_t timeout_ms);
void sipster_pcm_wake(void);

int sipster_conf_connect(int32_t source, int32_t sink, sipster_error *err);
int sipster_conf_disconnect(int32_t source, int32_t sink, sipster_error *err);
/* level: 1.0 unchanged, 0 muted. Seen from the media, as in pjsua2: `media_tx`
 * is what the slot puts into the bridge, else what the bridge gives it. */
int sipster_conf_adjust_level(int32_t slot, int media_tx, float level, sipster_error *err);
/* Last levels (0..100) of what the slot put into the bridge (tx) and what
 * the bridge gave it (rx), as pjsua2's getTxLevel/getRxLevel. */
int sipster_conf_signal_level(int32_t slot, uint32_t *tx_level, uint32_t *rx_level,
                              sipster_error *err);

/* Signalling on Node's own thread. When sipster_lib_init ran on Node's main
 * thread (Linux), unless SIPSTER_SIGNALLING=threads is in the environment or
 * uaConfig.threadCnt is above 1, pjsua runs no worker thread and this
 * watches pjsip's sockets and timers on that thread's libuv loop instead.
 * When there is something to do, run_poll is called right there, from
 * libuv's callback, in two phases:
 * - SIPSTER_POLL_PJSIP, outside any N-API scope: it calls sipster_loop_poll()
 *   and must not call JS; it returns nonzero if events wait for delivery.
 * - SIPSTER_POLL_DELIVER, only then, inside an N-API handle scope and
 *   callback scope opened on `napi_env` (that thread's napi_env): it calls
 *   the JS handlers. When it returns, an exception left pending is reported
 *   as uncaught, and microtasks run; if it returned nonzero (a handler threw
 *   and events remain) it is called again at once, in new scopes.
 * Call this right after sipster_lib_init, on the same thread. Returns 1 if
 * signalling now runs on the loop, 0 if pjsua keeps its worker thread. */
enum { SIPSTER_POLL_PJSIP = 0, SIPSTER_POLL_DELIVER = 1 };
typedef int (*sipster_poll_runner)(int phase);
int sipster_lib_attach_loop(sipster_poll_runner run_poll, void *napi_env);
void sipster_loop_poll(void);

#ifdef __cplusplus
}
#endif

#endif /* SIPSTER_SHIM_H */
