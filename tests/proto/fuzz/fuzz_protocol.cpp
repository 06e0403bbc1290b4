// libFuzzer target for the control protocol: every decoder the host runs on
// bytes from the guest, and the frame reader fed in pieces. Whatever a decoder
// accepts must re-encode to the same bytes.
//   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja
//   ninja -C build-fuzz bbox_fuzz_proto && build-fuzz/tests/proto/fuzz/bbox_fuzz_proto
#include <algorithm>
#include <cstdlib>

#include "bbox/proto/protocol.h"

namespace {

template <typename T>
void round_trip(std::string_view p) {
  T m;
  if (bbox::proto::decode(p, &m) && bbox::proto::encode(m) != p) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view p(reinterpret_cast<const char*>(data), size);
  round_trip<bbox::proto::Hello>(p);
  round_trip<bbox::proto::Winsize>(p);
  round_trip<bbox::proto::ExecRequest>(p);
  round_trip<bbox::proto::ExitStatus>(p);
  round_trip<bbox::proto::FileChunk>(p);
  round_trip<bbox::proto::FileError>(p);

  // The first byte sets the piece size the reader is fed with.
  bbox::proto::FrameReader reader;
  size_t step = size > 0 ? (data[0] % 16) + 1 : 1;
  size_t total = 0;
  for (size_t i = 1; i < size; i += step) {
    reader.feed(reinterpret_cast<const char*>(data) + i, std::min(step, size - i));
    while (auto f = reader.next()) {
      total += bbox::proto::kHeaderSize + f->payload.size();
      if (f->payload.size() > bbox::proto::kMaxPayload) std::abort();
    }
  }
  if (total > size) std::abort();
  return 0;
}
