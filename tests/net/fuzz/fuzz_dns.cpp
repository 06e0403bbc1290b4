// libFuzzer target: DNS messages from the guest or the upstream resolver.
#include "fuzz/fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bbox::net::fuzz::one_dns(data, size);
  return 0;
}
