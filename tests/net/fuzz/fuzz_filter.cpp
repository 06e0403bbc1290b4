// libFuzzer target: the whole EgressFilter (see fuzz::one_filter).
#include "fuzz/fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bbox::net::fuzz::one_filter(data, size);
  return 0;
}
