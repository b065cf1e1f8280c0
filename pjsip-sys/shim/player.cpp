// Players and playlists, and the conference bridge's connections and
// levels: the C ABI of sipster_player and sipster_conf_* (see sipster.h for
// the conventions).
#include <memory>

#include "player.h"

using namespace pj;

namespace sipster_shim {

// pjsua2 calls this at every wrap of a looping player too; `eof` is for
// the end of a non-looping one.
void ShimPlayer::onEof2() {
  if (!no_loop) return;
  quietly([&] {
    auto ev = make_event(SIPSTER_EVENT_PLAYER_EOF, key);
    emit(ev);
  });
}

}  // namespace sipster_shim

using namespace sipster_shim;

extern "C" {

int sipster_player_create(const char *const *files, size_t count, int no_loop, uint64_t key,
                          sipster_player **out, sipster_error *err) {
  *out = nullptr;
  if (!library_ready(err)) return err->status;
  const char *op = count > 1 ? "createPlaylist" : "createPlayer";
  return guarded(err, op, [&] {
    std::unique_ptr<ShimPlayer> player(new ShimPlayer(key, no_loop != 0));
    unsigned options = no_loop ? PJMEDIA_FILE_NO_LOOP : 0;
    if (count == 1) {
      player->createPlayer(nonnull(files[0]), options);
    } else {
      StringVector names;
      for (size_t i = 0; i < count; ++i) names.push_back(nonnull(files[i]));
      player->createPlaylist(names, "", options);
    }
    *out = new sipster_player{player.release()};
    current_library()->track(current_library()->players, *out);
  });
}

int32_t sipster_player_conf_slot(const sipster_player *p) {
  if (!p->player) return PJSUA_INVALID_ID;
  return p->player->getPortId();
}

void sipster_player_destroy(sipster_player *p) {
  if (!p) return;
  Library *lib = current_library();
  if (lib && lib->untrack(lib->players, p)) {
    ensure_thread_registered();
    quietly([&] { delete p->player; });
  }
  delete p;
}

int sipster_conf_connect(int32_t source, int32_t sink, sipster_error *err) {
  if (!library_ready(err)) return err->status;
  pj_status_t status = pjsua_conf_connect(source, sink);
  return status == PJ_SUCCESS ? 0 : error_from_pj(err, "startTransmitTo", status);
}

int sipster_conf_disconnect(int32_t source, int32_t sink, sipster_error *err) {
  if (!library_ready(err)) return err->status;
  pj_status_t status = pjsua_conf_disconnect(source, sink);
  return status == PJ_SUCCESS ? 0 : error_from_pj(err, "stopTransmitTo", status);
}

// Levels are seen from the media, as pjsua2's AudioMedia sees them: what a
// media transmits enters the bridge (the bridge port's rx), what it
// receives leaves the bridge (the port's tx).
int sipster_conf_adjust_level(int32_t slot, int media_tx, float level, sipster_error *err) {
  if (!library_ready(err)) return err->status;
  pj_status_t status =
      media_tx ? pjsua_conf_adjust_rx_level(slot, level) : pjsua_conf_adjust_tx_level(slot, level);
  return status == PJ_SUCCESS
             ? 0
             : error_from_pj(err, media_tx ? "adjustTxLevel" : "adjustRxLevel", status);
}

int sipster_conf_signal_level(int32_t slot, uint32_t *tx_level, uint32_t *rx_level,
                              sipster_error *err) {
  if (!library_ready(err)) return err->status;
  unsigned to_port = 0, from_port = 0;
  pj_status_t status = pjsua_conf_get_signal_level(slot, &to_port, &from_port);
  if (status != PJ_SUCCESS) return error_from_pj(err, "signal level", status);
  // 0..100, as pjsua2 reports them.
  *tx_level = from_port * 100 / 255;
  *rx_level = to_port * 100 / 255;
  return 0;
}

}  // extern "C"
