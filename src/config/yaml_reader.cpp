#include "config/yaml_reader.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "bbox/common/message.h"

namespace bbox::config::detail {

Where YamlReader::where(const YAML::Node& node) const {
  YAML::Mark m = node.Mark();
  return Where{file_, m.line + 1, m.column + 1};
}

void YamlReader::fail(const YAML::Node& node, const std::string& key,
                      const std::string& expected) const {
  throw ParseFailure{fmt::format("{}: {}: {}", where(node).str(), ui::printable(key), expected)};
}

void YamlReader::each(const YAML::Node& map, const std::string& path,
                      std::initializer_list<const char*> allowed, const EntryFn& fn) const {
  each_any(map, path, [&](const std::string& key, const std::string& sub, const YAML::Node& v) {
    bool known =
        std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; });
    if (!known) {
      std::string names;
      for (const char* a : allowed) names += names.empty() ? a : std::string(", ") + a;
      fail(v, sub, fmt::format("unknown key: expected one of {}", names));
    }
    fn(key, sub, v);
  });
}

void YamlReader::each_any(const YAML::Node& map, const std::string& path, const EntryFn& fn) const {
  if (map.IsNull()) return;
  if (!map.IsMap()) fail(map, path, "expected a mapping of keys to values");
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) fail(kv.first, path, "expected a plain key");
    std::string key = kv.first.Scalar();
    std::string sub = path.empty() ? key : path + "." + key;
    if (!seen.insert(key).second) fail(kv.first, sub, "duplicate key");
    fn(key, sub, kv.second);
  }
}

bool YamlReader::boolean(const YAML::Node& n, const std::string& path) const {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  fail(n, path, "expected true or false");
}

std::string YamlReader::string(const YAML::Node& n, const std::string& path) const {
  if (!n.IsScalar()) fail(n, path, "expected a string");
  return n.Scalar();
}

std::optional<std::string> YamlReader::optional_string(const YAML::Node& n,
                                                       const std::string& path) const {
  if (n.IsNull()) return std::nullopt;
  std::string s = string(n, path);
  if (s.empty()) return std::nullopt;
  return s;
}

int64_t YamlReader::integer(const YAML::Node& n, const std::string& path, int64_t lo,
                            int64_t hi) const {
  std::string expected = fmt::format("expected a whole number from {} to {}", lo, hi);
  if (!n.IsScalar()) fail(n, path, expected);
  const std::string& s = n.Scalar();
  if (s.empty() || s.size() > 12 ||
      !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) {
    fail(n, path, expected);
  }
  int64_t v = std::stoll(s);
  if (v < lo || v > hi) fail(n, path, expected);
  return v;
}

std::vector<std::string> YamlReader::strings(const YAML::Node& n, const std::string& path) const {
  std::vector<std::string> out;
  if (n.IsNull()) return out;
  if (!n.IsSequence()) fail(n, path, "expected a list of strings");
  for (size_t i = 0; i < n.size(); ++i) {
    out.push_back(string(n[i], fmt::format("{}[{}]", path, i)));
  }
  return out;
}

std::map<std::string, std::string> YamlReader::string_map(const YAML::Node& n,
                                                          const std::string& path) const {
  std::map<std::string, std::string> out;
  each_any(n, path, [&](const std::string& key, const std::string& sub, const YAML::Node& v) {
    out[key] = string(v, sub);
  });
  return out;
}

std::optional<uint64_t> YamlReader::size(const YAML::Node& n, const std::string& path,
                                         uint64_t max_mib) const {
  if (n.IsNull()) return std::nullopt;
  std::string s = string(n, path);
  if (s == "0" || s.empty()) return std::nullopt;
  Result<uint64_t> mib = parse_size_mib(s);
  if (!mib) fail(n, path, mib.error().message);
  if (*mib > max_mib) {
    fail(n, path,
         fmt::format("{} is more than the limit of {}", format_size_mib(*mib),
                     format_size_mib(max_mib)));
  }
  return *mib;
}

std::vector<HostEntry> YamlReader::hosts(const YAML::Node& n, const std::string& path) const {
  std::vector<HostEntry> out;
  if (n.IsNull()) return out;
  if (!n.IsSequence()) fail(n, path, "expected a list of {name, ports, protocol} entries");
  for (size_t i = 0; i < n.size(); ++i) {
    std::string item = fmt::format("{}[{}]", path, i);
    HostEntry h;
    bool named = false;
    each(n[i], item, {"name", "ports", "protocol"},
         [&](const std::string& key, const std::string& sub, const YAML::Node& v) {
           if (key == "name") {
             Result<std::string> name = validate_hostname(string(v, sub));
             if (!name) fail(v, sub, name.error().message);
             h.name = *name;
             named = true;
           } else if (key == "ports") {
             if (!v.IsSequence()) fail(v, sub, "expected a list of ports from 1 to 65535");
             for (size_t p = 0; p < v.size(); ++p) {
               h.ports.push_back(
                   static_cast<uint16_t>(integer(v[p], fmt::format("{}[{}]", sub, p), 1, 65535)));
             }
           } else {
             int64_t proto = integer(v, sub, 0, 17);
             if (proto != 0 && proto != 6 && proto != 17) {
               fail(v, sub, "expected 0 (TCP and UDP), 6 (TCP) or 17 (UDP)");
             }
             h.protocol = static_cast<uint8_t>(proto);
           }
         });
    if (!named) fail(n[i], item + ".name", "missing: expected a hostname");
    out.push_back(std::move(h));
  }
  return out;
}

std::optional<EgressProfile> YamlReader::egress_profile(const YAML::Node& n,
                                                        const std::string& path) const {
  std::optional<std::string> s = optional_string(n, path);
  if (!s) return std::nullopt;
  Result<EgressProfile> p = parse_egress_profile(*s);
  if (!p) fail(n, path, p.error().message);
  return *p;
}

SettingsImport YamlReader::settings_import(const YAML::Node& n, const std::string& path) const {
  SettingsImport s;
  each(n, path, {"enabled", "categories"},
       [&](const std::string& k, const std::string& sub, const YAML::Node& v) {
         if (k == "enabled") {
           s.enabled = boolean(v, sub);
           return;
         }
         each(v, sub,
              {"settings", "instructions", "rules", "agents", "skills", "commands", "tools",
               "plugins", "themes"},
              [&](const std::string& cat, const std::string& csub, const YAML::Node& cv) {
                s.categories[cat] = boolean(cv, csub);
              });
       });
  return s;
}

}  // namespace bbox::config::detail
