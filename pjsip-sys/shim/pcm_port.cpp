// PCM ports: sipster's own pjmedia port in the conference bridge, with a
// lock-free single-producer/single-consumer ring between the bridge's clock
// thread and the thread that services it (see sipster.h).
//
// It is a plain pjmedia port added with pjsua_conf_add_port, so it works on
// every pjproject from 2.12 (pjsua2's AudioMediaPort exists only from 2.14).
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>

#include "internal.h"

using namespace sipster_shim;

namespace {

// Wakes the servicing thread from the clock thread without a lock: a byte
// down a non-blocking pipe, written only when that thread is asleep (at most
// one write per clock tick however many ports moved audio).
struct Waker {
  int fds[2] = {-1, -1};
  std::atomic<bool> sleeping{false};
  std::atomic<uint64_t> moves{0};

  Waker() {
    if (pipe(fds) != 0) return;
    for (int fd : fds) {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }

  void kick() {
    char byte = 1;
    ssize_t ignored = write(fds[1], &byte, 1);  // a full pipe already wakes
    (void)ignored;
  }

  // Clock thread: audio moved through a port.
  void moved() {
    moves.fetch_add(1, std::memory_order_release);
    if (sleeping.exchange(false, std::memory_order_acq_rel)) kick();
  }

  // True when audio moved since the previous call returned.
  bool wait(uint32_t timeout_ms, uint64_t &seen) {
    sleeping.store(true, std::memory_order_seq_cst);
    // Audio that moved after the previous return must not wait a tick.
    if (moves.load(std::memory_order_acquire) == seen) {
      struct pollfd pfd = {fds[0], POLLIN, 0};
      poll(&pfd, 1, static_cast<int>(timeout_ms));
    }
    sleeping.store(false, std::memory_order_seq_cst);
    char buf[64];
    while (read(fds[0], buf, sizeof buf) > 0) {
    }
    const uint64_t now = moves.load(std::memory_order_acquire);
    const bool moved = now != seen;
    seen = now;
    return moved;
  }
};

Waker &waker() {
  static Waker *instance = new Waker();  // never destroyed: the clock may outlive statics
  return *instance;
}

uint64_t g_wait_seen = 0;  // the servicing thread's own

struct PcmPort {
  pjmedia_port base;  // first: pjmedia hands us &base
  pj_pool_t *pool;
  sipster_pcm_direction direction;
  unsigned samples_per_frame;
  size_t capacity;  // frames (capture) or samples (playback)
  std::unique_ptr<int16_t[]> ring;
  std::unique_ptr<uint8_t[]> carried_audio;  // capture: per frame
  // Monotonic counters: head is the producer's, tail the consumer's.
  std::atomic<uint64_t> head{0};
  std::atomic<uint64_t> tail{0};
  std::atomic<uint64_t> overruns{0};
  // Playback: the consumer skips to here (written by the producer).
  std::atomic<uint64_t> clear_to{0};
};

// ---- clock thread ----------------------------------------------------------

pj_status_t capture_put_frame(pjmedia_port *base, pjmedia_frame *frame) {
  auto *port = reinterpret_cast<PcmPort *>(base);
  const uint64_t head = port->head.load(std::memory_order_relaxed);
  const uint64_t tail = port->tail.load(std::memory_order_acquire);
  if (head - tail >= port->capacity) {
    port->overruns.fetch_add(1, std::memory_order_relaxed);
    waker().moved();
    return PJ_SUCCESS;
  }
  const size_t slot = head % port->capacity;
  int16_t *dst = port->ring.get() + slot * port->samples_per_frame;
  const size_t bytes = port->samples_per_frame * sizeof(int16_t);
  const bool audio = frame->type == PJMEDIA_FRAME_TYPE_AUDIO && frame->buf;
  size_t copied = audio ? (frame->size < bytes ? frame->size : bytes) : 0;
  if (copied) std::memcpy(dst, frame->buf, copied);
  // A short frame, or none at all, is padded with silence.
  if (copied < bytes) std::memset(reinterpret_cast<char *>(dst) + copied, 0, bytes - copied);
  port->carried_audio[slot] = audio ? 1 : 0;
  port->head.store(head + 1, std::memory_order_release);
  waker().moved();
  return PJ_SUCCESS;
}

pj_status_t capture_get_frame(pjmedia_port *, pjmedia_frame *frame) {
  frame->type = PJMEDIA_FRAME_TYPE_NONE;
  frame->size = 0;
  return PJ_SUCCESS;
}

pj_status_t playback_get_frame(pjmedia_port *base, pjmedia_frame *frame) {
  auto *port = reinterpret_cast<PcmPort *>(base);
  uint64_t tail = port->tail.load(std::memory_order_relaxed);
  const uint64_t clear_to = port->clear_to.load(std::memory_order_acquire);
  if (clear_to > tail) tail = clear_to;
  const uint64_t head = port->head.load(std::memory_order_acquire);
  size_t available = static_cast<size_t>(head - tail);
  if (available == 0) {
    if (port->tail.load(std::memory_order_relaxed) != tail) {
      port->tail.store(tail, std::memory_order_release);
      waker().moved();
    }
    frame->type = PJMEDIA_FRAME_TYPE_NONE;
    frame->size = 0;
    return PJ_SUCCESS;
  }
  const size_t want = port->samples_per_frame;
  const size_t take = available < want ? available : want;
  auto *dst = static_cast<int16_t *>(frame->buf);
  for (size_t i = 0; i < take; ++i) dst[i] = port->ring[(tail + i) % port->capacity];
  if (take < want) std::memset(dst + take, 0, (want - take) * sizeof(int16_t));
  frame->type = PJMEDIA_FRAME_TYPE_AUDIO;
  frame->size = want * sizeof(int16_t);
  port->tail.store(tail + take, std::memory_order_release);
  waker().moved();
  return PJ_SUCCESS;
}

pj_status_t playback_put_frame(pjmedia_port *, pjmedia_frame *) { return PJ_SUCCESS; }

// Runs when the bridge lets go of the port (at once before 2.15; on the
// clock's next tick from 2.15, which queues removals).
pj_status_t pcm_on_destroy(pjmedia_port *base) {
  auto *port = reinterpret_cast<PcmPort *>(base);
  pj_pool_t *pool = port->pool;
  delete port;
  if (pool) pj_pool_release(pool);
  return PJ_SUCCESS;
}

}  // namespace

struct sipster_pcm_port {
  PcmPort *port;  // null once released
  int32_t slot;
  sipster_pcm_direction direction;
  unsigned samples_per_frame;
};

namespace {

std::mutex g_ports_mutex;  // guards g_ports only; never held across pjsua calls
std::set<sipster_pcm_port *> g_ports;

void release(sipster_pcm_port *handle) {
  if (!handle->port) return;
  if (handle->slot != PJSUA_INVALID_ID) pjsua_conf_remove_port(handle->slot);
  // Drops our reference; the port goes when the bridge's goes.
  pjmedia_port_destroy(&handle->port->base);
  handle->port = nullptr;
  handle->slot = PJSUA_INVALID_ID;
}

}  // namespace

namespace sipster_shim {
void pcm_ports_release_all() {
  std::set<sipster_pcm_port *> ports;
  {
    std::lock_guard<std::mutex> lock(g_ports_mutex);
    ports.swap(g_ports);
  }
  for (auto *handle : ports) release(handle);
}
}  // namespace sipster_shim

extern "C" {

int sipster_pcm_port_create(sipster_pcm_direction direction, uint32_t clock_rate,
                            uint32_t frame_ms, uint32_t ring_ms, sipster_pcm_port **out,
                            sipster_error *err) {
  *out = nullptr;
  if (!library_ready(err)) return err->status;
  if (clock_rate < 8000 || clock_rate > 192000 || frame_ms == 0 || frame_ms > 1000 ||
      (clock_rate * frame_ms) % 1000 != 0 || ring_ms < frame_ms)
    return set_error(err, PJ_EINVAL, "PCM port: unsupported clock rate, frame or ring size");
  waker();  // the pipe exists before the clock can touch it
  const unsigned spf = clock_rate * frame_ms / 1000;
  std::unique_ptr<PcmPort> port(new PcmPort());
  port->direction = direction;
  port->samples_per_frame = spf;
  const size_t frames = (ring_ms + frame_ms - 1) / frame_ms;
  if (direction == SIPSTER_PCM_CAPTURE) {
    port->capacity = frames;
    port->ring.reset(new int16_t[frames * spf]());
    port->carried_audio.reset(new uint8_t[frames]());
  } else {
    port->capacity = frames * spf;
    port->ring.reset(new int16_t[frames * spf]());
  }
  port->pool = pjsua_pool_create("sipster-pcm", 512, 512);
  if (!port->pool) return set_error(err, PJ_ENOMEM, "PCM port: out of memory");
  pj_str_t name = pj_str(const_cast<char *>(direction == SIPSTER_PCM_CAPTURE ? "sipster-capture"
                                                                             : "sipster-playback"));
  pjmedia_port_info_init(&port->base.info, &name, PJMEDIA_SIG_CLASS_PORT_AUD('S', 'P'), clock_rate,
                         1, 16, spf);
  const bool capture = direction == SIPSTER_PCM_CAPTURE;
  port->base.put_frame = capture ? &capture_put_frame : &playback_put_frame;
  port->base.get_frame = capture ? &capture_get_frame : &playback_get_frame;
  port->base.on_destroy = &pcm_on_destroy;
  port->base.port_data.pdata = port.get();
  pjsua_conf_port_id slot = PJSUA_INVALID_ID;
  pj_status_t status = pjsua_conf_add_port(port->pool, &port->base, &slot);
  if (status != PJ_SUCCESS) {
    pj_pool_t *pool = port->pool;
    port.reset();
    pj_pool_release(pool);
    return error_from_pj(err, "PCM port", status);
  }
  auto *handle = new sipster_pcm_port{port.release(), slot, direction, spf};
  std::lock_guard<std::mutex> lock(g_ports_mutex);
  g_ports.insert(handle);
  *out = handle;
  return 0;
}

int32_t sipster_pcm_port_conf_slot(const sipster_pcm_port *p) { return p->slot; }

uint32_t sipster_pcm_port_samples_per_frame(const sipster_pcm_port *p) {
  return p->samples_per_frame;
}

size_t sipster_pcm_port_read(sipster_pcm_port *p, int16_t *samples, size_t max_frames,
                             uint64_t *audio_flags) {
  if (audio_flags) *audio_flags = 0;
  PcmPort *port = p->port;
  if (!port || p->direction != SIPSTER_PCM_CAPTURE) return 0;
  const uint64_t tail = port->tail.load(std::memory_order_relaxed);
  const uint64_t head = port->head.load(std::memory_order_acquire);
  size_t frames = static_cast<size_t>(head - tail);
  if (frames > max_frames) frames = max_frames;
  if (audio_flags && frames > 64) frames = 64;
  const size_t spf = port->samples_per_frame;
  for (size_t i = 0; i < frames; ++i) {
    const size_t slot = (tail + i) % port->capacity;
    std::memcpy(samples + i * spf, port->ring.get() + slot * spf, spf * sizeof(int16_t));
    if (audio_flags && port->carried_audio[slot]) *audio_flags |= uint64_t(1) << i;
  }
  port->tail.store(tail + frames, std::memory_order_release);
  return frames;
}

uint64_t sipster_pcm_port_overruns(const sipster_pcm_port *p) {
  return p->port ? p->port->overruns.load(std::memory_order_relaxed) : 0;
}

size_t sipster_pcm_port_write(sipster_pcm_port *p, const int16_t *samples, size_t count) {
  PcmPort *port = p->port;
  if (!port || p->direction != SIPSTER_PCM_PLAYBACK) return 0;
  const uint64_t head = port->head.load(std::memory_order_relaxed);
  uint64_t tail = port->tail.load(std::memory_order_acquire);
  const uint64_t clear_to = port->clear_to.load(std::memory_order_relaxed);
  if (clear_to > tail) tail = clear_to;
  const size_t room = port->capacity - static_cast<size_t>(head - tail);
  const size_t n = count < room ? count : room;
  for (size_t i = 0; i < n; ++i) port->ring[(head + i) % port->capacity] = samples[i];
  port->head.store(head + n, std::memory_order_release);
  return n;
}

void sipster_pcm_port_clear(sipster_pcm_port *p) {
  PcmPort *port = p->port;
  if (!port || p->direction != SIPSTER_PCM_PLAYBACK) return;
  port->clear_to.store(port->head.load(std::memory_order_relaxed), std::memory_order_release);
}

uint64_t sipster_pcm_port_played(const sipster_pcm_port *p) {
  PcmPort *port = p->port;
  if (!port) return 0;
  return port->tail.load(std::memory_order_acquire);
}

void sipster_pcm_port_destroy(sipster_pcm_port *p) {
  if (!p) return;
  bool tracked;
  {
    std::lock_guard<std::mutex> lock(g_ports_mutex);
    tracked = g_ports.erase(p) > 0;
  }
  if (tracked) {
    ensure_thread_registered();
    release(p);
  }
  delete p;
}

int sipster_pcm_wait(uint32_t timeout_ms) { return waker().wait(timeout_ms, g_wait_seen) ? 1 : 0; }

void sipster_pcm_wake(void) { waker().kick(); }

}  // extern "C"
