// Replays the saved fuzz corpus (tests/net/fuzz/corpus) through the same
// entry points as the libFuzzer targets, so every build exercises them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fuzz/fuzz_entry.h"

namespace bbox::net {
namespace {

size_t replay(const char* sub, void (*entry)(const uint8_t*, size_t)) {
  size_t n = 0;
  auto dir = std::filesystem::path(BBOX_NET_CORPUS) / sub;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    entry(bytes.data(), bytes.size());
    ++n;
  }
  return n;
}

TEST(FuzzCorpus, FramesReplayWithoutCrashing) { EXPECT_GE(replay("frame", fuzz::one_frame), 10u); }

TEST(FuzzCorpus, DnsMessagesReplayWithoutCrashing) { EXPECT_GE(replay("dns", fuzz::one_dns), 10u); }

TEST(FuzzCorpus, FilterInputsReplayWithoutCrashing) {
  EXPECT_GE(replay("filter", fuzz::one_filter), 10u);
}

}  // namespace
}  // namespace bbox::net
