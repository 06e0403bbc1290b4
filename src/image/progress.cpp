#include "image/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "bbox/common/message.h"

namespace bbox::image {
namespace {

std::string mib(uint64_t bytes) { return fmt::format("{:.1f} MiB", bytes / 1048576.0); }

}  // namespace

LayerProgress::LayerProgress(std::string label, uint64_t total)
    : label_(std::move(label)), total_(total), tty_(::isatty(2) == 1) {}

void LayerProgress::update(uint64_t done, uint64_t total) {
  done_ = done;
  if (total > 0) total_ = total;
  if (!tty_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(done_, total_);
}

void LayerProgress::draw(uint64_t done, uint64_t total) {
  constexpr int kWidth = 30;
  int filled = total > 0 ? static_cast<int>(kWidth * std::min<double>(1.0, 1.0 * done / total)) : 0;
  std::string bar(filled, '#');
  bar.resize(kWidth, ' ');
  std::string line = fmt::format("\r  {} [{}] {}{}\033[K", label_, bar, mib(done),
                                 total > 0 ? " / " + mib(total) : "");
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

void LayerProgress::finish(bool ok) {
  if (finished_) return;
  finished_ = true;
  if (tty_) {
    draw(done_, total_);
    std::fputs(ok ? "\n" : " failed\n", stderr);
  } else if (ok) {
    ui::info("pulled {} ({})", label_, mib(done_));
  }
}

}  // namespace bbox::image
