// libFuzzer target: guest Ethernet frames.
#include "fuzz/fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bbox::net::fuzz::one_frame(data, size);
  return 0;
}
