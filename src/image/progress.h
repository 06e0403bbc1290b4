// Download progress: a bar per layer on a terminal, one line per layer otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace bbox::image {

class LayerProgress {
 public:
  // label: what is shown ("layer 2/5 3f4a9c2b1d0e"); total may be 0 (unknown).
  LayerProgress(std::string label, uint64_t total);
  void update(uint64_t done, uint64_t total);
  // Ends the bar and prints the final line.
  void finish(bool ok);

 private:
  void draw(uint64_t done, uint64_t total);

  std::string label_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace bbox::image
