// Image pull benchmark. Builds a ~200 MiB image (4 gzip layers of text-like
// files that compress about as well as binaries and sources do), pushes it to
// Debian's docker-registry on 127.0.0.1, then times, each against a fresh
// destination, best of N runs:
//   skopeo   skopeo copy docker://... oci:DIR (download and verify only)
//   pull     bbox pull_image: download and verify blobs into the store
//   resolve  bbox resolve_image: pull, unpack the layers, build the ext4 root image
// and prints pull/skopeo and resolve/skopeo as ratios.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include <fmt/format.h>

#include "bbox/image/image.h"
#include "bbox/image/store.h"
#include "image/process.h"
#include "image/registry.h"
#include "image/support/image_test_helpers.h"
#include "image/support/local_registry.h"
#include "image/support/test_image_builder.h"

namespace {

using namespace bbox::image;
using namespace bbox::image::testing;
using Clock = std::chrono::steady_clock;

// Lines of random words: compresses to roughly a third, like typical layers.
std::string text_file(std::mt19937_64& rng, size_t size) {
  static const char* words[] = {"static",    "int",  "return", "void",   "struct", "const",
                                "if",        "else", "for",    "while",  "char",   "size_t",
                                "namespace", "{",    "}",      ";",      "(",      ")",
                                "0x",        "=",    "+",      "buffer", "length", "error"};
  std::string out;
  out.reserve(size + 64);
  while (out.size() < size) {
    out += words[rng() % 24];
    out += (rng() % 8 == 0) ? '\n' : ' ';
    if (rng() % 4 == 0) out += std::to_string(rng() % 100000);
  }
  out.resize(size);
  return out;
}

TestImage big_image(size_t total_mib) {
  std::mt19937_64 rng(42);
  TestImage im;
  const size_t layers = 4, per_layer = total_mib * 1048576 / layers;
  for (size_t l = 0; l < layers; ++l) {
    std::vector<TarEntry> entries;
    size_t used = 0;
    for (int i = 0; used < per_layer; ++i) {
      size_t size = 4096 + rng() % (256 * 1024);
      entries.push_back({fmt::format("usr/share/l{}/d{}/f{}", l, i % 50, i), 'f',
                         text_file(rng, size), "", 0644});
      used += size;
    }
    im.layers.push_back({make_tar(entries)});
  }
  return im;
}

template <typename F>
double best_of(int runs, F&& f) {
  double best = 1e9;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    if (!f()) return -1;
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 3;
  size_t mib = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 200;
  TempDir work;
  auto reg = LocalRegistry::start(work.path());
  if (!reg) {
    std::fprintf(stderr, "bench: %s\n", reg.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "bench: building a %zu MiB image...\n", mib);
  write_oci_layout(work.path() / "oci", big_image(mib), "1");
  if (auto s = (*reg)->push(work.path() / "oci", "1", "bench/big:1"); !s.ok()) {
    std::fprintf(stderr, "bench: push: %s\n", s.error().message.c_str());
    return 1;
  }
  std::string ref = (*reg)->host() + "/bench/big:1";
  int n = 0;
  auto fresh = [&] { return work.path() / fmt::format("run{}", n++); };

  double skopeo = best_of(runs, [&] {
    return run_program({"skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://" + ref,
                        "oci:" + fresh().string() + ":1"})
        .ok();
  });
  double pull = best_of(runs, [&] {
    Store store(fresh());
    auto r = pull_image(store, *parse_registry_ref(ref));
    if (!r) std::fprintf(stderr, "bench: %s\n", r.error().message.c_str());
    return r.ok();
  });
  double resolve = best_of(runs, [&] {
    ::setenv("XDG_DATA_HOME", fresh().c_str(), 1);
    auto r = resolve_image(ref, PullPolicy::kAlways);
    if (!r) std::fprintf(stderr, "bench: %s\n", r.error().message.c_str());
    return r.ok();
  });
  if (skopeo <= 0 || pull <= 0 || resolve <= 0) return 1;
  fmt::print("image pull, {} MiB in 4 gzip layers, loopback docker-registry, best of {}\n", mib,
             runs);
  fmt::print("  skopeo copy to an OCI dir      {:7.2f} s   1.00\n", skopeo);
  fmt::print("  bbox pull (verified blobs)     {:7.2f} s   {:.2f}\n", pull, pull / skopeo);
  fmt::print("  bbox pull + unpack + ext4      {:7.2f} s   {:.2f}\n", resolve, resolve / skopeo);
  return 0;
}
