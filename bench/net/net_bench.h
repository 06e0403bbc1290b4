// Pieces of bbox_bench_net shared between its files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "netns.h"

namespace bbox::net::bench {

inline constexpr uint16_t kPort = 18080;
inline constexpr int kConnects = 200;

struct Measured {
  double download_s = -1;  // seconds for the whole download, on the server's clock
  double connect_ms = -1;  // mean connect, on the client's clock
  std::string error;       // why there is no figure
};

// Boots a busybox microVM (TCG) behind a switch started in `host`, with
// gateway port kPort opened, and runs the static probe there.
Measured measure_vm(const test::Netns& host, const std::filesystem::path& dir, uint64_t bytes);

}  // namespace bbox::net::bench
