// Strict reading of yaml-cpp nodes: every mapping is checked against the
// keys it may hold, every scalar against the type it must have, and every
// failure names the file, line, column and key. Internal to src/config.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bbox/config/file_config.h"

namespace bbox::config::detail {

// Thrown inside the parser only; parse_config_text turns it into an Error.
struct ParseFailure {
  std::string message;
};

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  Where where(const YAML::Node& node) const;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& key,
                         const std::string& expected) const;

  // Calls fn(key path, value) for each entry of a mapping (a null value counts
  // as an empty mapping). Keys outside `allowed` and repeated keys fail.
  using EntryFn =
      std::function<void(const std::string& key, const std::string& path, const YAML::Node& value)>;
  void each(const YAML::Node& map, const std::string& path,
            std::initializer_list<const char*> allowed, const EntryFn& fn) const;
  // Like each() but any key is allowed (maps keyed by names).
  void each_any(const YAML::Node& map, const std::string& path, const EntryFn& fn) const;

  bool boolean(const YAML::Node& n, const std::string& path) const;
  std::string string(const YAML::Node& n, const std::string& path) const;
  // Empty string means "unset", as in Brood Box.
  std::optional<std::string> optional_string(const YAML::Node& n, const std::string& path) const;
  int64_t integer(const YAML::Node& n, const std::string& path, int64_t lo, int64_t hi) const;
  std::vector<std::string> strings(const YAML::Node& n, const std::string& path) const;
  std::map<std::string, std::string> string_map(const YAML::Node& n, const std::string& path) const;
  // A size in Brood Box syntax, bounded by max_mib; 0 means unset.
  std::optional<uint64_t> size(const YAML::Node& n, const std::string& path,
                               uint64_t max_mib) const;
  // Each item must be a mapping {name, ports, protocol}.
  std::vector<HostEntry> hosts(const YAML::Node& n, const std::string& path) const;
  std::optional<EgressProfile> egress_profile(const YAML::Node& n, const std::string& path) const;
  SettingsImport settings_import(const YAML::Node& n, const std::string& path) const;

 private:
  std::string file_;
};

}  // namespace bbox::config::detail
