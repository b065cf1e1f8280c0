// Internal to the shim: players and playlists (player.cpp).
#ifndef SIPSTER_SHIM_PLAYER_H
#define SIPSTER_SHIM_PLAYER_H

#include "library.h"

namespace sipster_shim {

class ShimPlayer : public pj::AudioMediaPlayer {
 public:
  ShimPlayer(uint64_t key, bool no_loop) : key(key), no_loop(no_loop) {}
  const uint64_t key;
  const bool no_loop;
  void onEof2() override;
};

}  // namespace sipster_shim

struct sipster_player {
  sipster_shim::ShimPlayer *player;
};

#endif  // SIPSTER_SHIM_PLAYER_H
