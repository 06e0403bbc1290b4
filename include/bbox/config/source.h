// Provenance of an effective configuration value.
#pragma once

#include <utility>

namespace bbox::config {

enum class Source { kBuiltin, kGlobal, kWorkspace, kFlag };

// "built-in", "global", "workspace" or "flag".
const char* source_name(Source source);

template <typename T>
struct Sourced {
  T value{};
  Source source = Source::kBuiltin;

  void set(T v, Source s) {
    value = std::move(v);
    source = s;
  }
};

}  // namespace bbox::config
