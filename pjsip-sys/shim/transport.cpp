// Transports, and the gate that disables one. pjsua cannot disable a
// transport (pjsua_transport_set_enable is a stub), so a module at the
// front of pjsip's pipeline drops what a disabled transport receives and
// refuses what would be sent through it. A transport is recognised by type
// and local port (TCP/TLS connections share the listener's port). Also the
// C ABI of sipster_transport (see sipster.h for the conventions).
#include "library.h"

using namespace pj;

namespace sipster_shim {
namespace {

struct DisabledTransport {
  int type;
  pj_sockaddr addr;
};

std::mutex g_disabled_mutex;
std::vector<DisabledTransport> g_disabled;
std::atomic<bool> g_any_disabled{false};

bool transport_disabled(const pjsip_transport *tp) {
  if (!g_any_disabled.load() || !tp) return false;
  std::lock_guard<std::mutex> lock(g_disabled_mutex);
  for (const auto &d : g_disabled) {
    if (d.type != tp->key.type) continue;
    if (pj_sockaddr_get_port(&d.addr) != pj_sockaddr_get_port(&tp->local_addr)) continue;
    if (!pj_sockaddr_has_addr(&d.addr) || pj_sockaddr_cmp(&d.addr, &tp->local_addr) == 0)
      return true;
  }
  return false;
}

pj_bool_t gate_on_rx(pjsip_rx_data *rdata) {
  return transport_disabled(rdata->tp_info.transport) ? PJ_TRUE : PJ_FALSE;
}

pj_status_t gate_on_tx(pjsip_tx_data *tdata) {
  return transport_disabled(tdata->tp_info.transport) ? PJSIP_ETPNOTAVAIL : PJ_SUCCESS;
}

void set_transport_gate(TransportId id, bool enabled) {
  pjsua_transport_info info;
  pj_status_t status = pjsua_transport_get_info(id, &info);
  if (status != PJ_SUCCESS) fail(status, "unknown transport");
  std::lock_guard<std::mutex> lock(g_disabled_mutex);
  for (auto it = g_disabled.begin(); it != g_disabled.end();) {
    bool same = it->type == info.type && pj_sockaddr_cmp(&it->addr, &info.local_addr) == 0;
    it = same ? g_disabled.erase(it) : it + 1;
  }
  if (!enabled) g_disabled.push_back(DisabledTransport{info.type, info.local_addr});
  g_any_disabled.store(!g_disabled.empty());
}

pjsip_module g_gate_module;

}  // namespace

void register_transport_gate() {
  register_module(g_gate_module, "mod-sipster-transport-gate",
                  PJSIP_MOD_PRIORITY_TRANSPORT_LAYER - 2, &gate_on_rx, &gate_on_rx, &gate_on_tx);
}

void clear_transport_gates() {
  std::lock_guard<std::mutex> lock(g_disabled_mutex);
  g_disabled.clear();
  g_any_disabled.store(false);
}

}  // namespace sipster_shim

using namespace sipster_shim;

extern "C" {

int sipster_transport_create(int32_t type, const char *config_json, sipster_transport **out,
                             sipster_error *err) {
  *out = nullptr;
  if (!library_ready(err)) return err->status;
  return guarded(err, "new Transport", [&] {
    TransportConfig config;
    JsonDocument doc;
    doc.loadString(nonnull(config_json));
    doc.readObject(config);
    Library *lib = current_library();
    TransportId id =
        lib->endpoint.transportCreate(static_cast<pjsip_transport_type_e>(type), config);
    *out = new sipster_transport{id, true, -1};
    if (loop_signalling_active()) {
      pjsua_transport_info info;
      bool udp = type == PJSIP_TRANSPORT_UDP || type == PJSIP_TRANSPORT_UDP6;
      if (udp && pjsua_transport_get_info(id, &info) == PJ_SUCCESS)
        (*out)->watched_fd = loop_signalling_watch_udp(info);
      if ((*out)->watched_fd < 0) loop_signalling_need_worker();
    }
    lib->track(lib->transports, *out);
  });
}

int32_t sipster_transport_id(const sipster_transport *t) { return t->id; }

int sipster_transport_get_info(const sipster_transport *t, sipster_transport_info_visitor visit,
                               void *ctx, sipster_error *err) {
  if (!library_ready(err)) return err->status;
  return guarded(err, "Transport.getInfo", [&] {
    TransportInfo ti = current_library()->endpoint.transportGetInfo(t->id);
    sipster_transport_info info;
    info.id = ti.id;
    info.type = ti.type;
    info.type_name = ti.typeName.c_str();
    info.info = ti.info.c_str();
    info.flags = ti.flags;
    info.local_address = ti.localAddress.c_str();
    info.local_name = ti.localName.c_str();
    info.usage_count = ti.usageCount;
    visit(ctx, &info);
  });
}

int sipster_transport_set_enabled(sipster_transport *t, int enabled, sipster_error *err) {
  if (!library_ready(err)) return err->status;
  return guarded(err, enabled ? "Transport.enable" : "Transport.disable", [&] {
    set_transport_gate(t->id, enabled != 0);
    t->enabled = enabled != 0;
  });
}

int sipster_transport_is_enabled(const sipster_transport *t) { return t->enabled ? 1 : 0; }

void sipster_transport_destroy(sipster_transport *t) {
  if (!t) return;
  Library *lib = current_library();
  if (lib && lib->untrack(lib->transports, t)) {
    ensure_thread_registered();
    loop_signalling_unwatch(t->watched_fd);
    quietly([&] { lib->endpoint.transportClose(t->id); });
  }
  delete t;
}

}  // extern "C"
