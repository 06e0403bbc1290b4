#include "guesthome/config_filter.h"

#include <cpptoml.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace bbox::guesthome::detail {
namespace {

using nlohmann::json;

constexpr int kMaxMergeDepth = 8;  // Brood Box bounds its merge the same way

// Settings nest a few levels. A file nested thousands deep (a guest saves one
// in 64 KiB) would cost gigabytes when printed indented, and overflow the
// stack when copied or printed: both recurse.
constexpr int kMaxNestingLevels = 64;  // TOML files are held to it too

Result<json> parse_json_object(const std::string& text, const std::string& kind) {
  try {
    bool too_deep = false;
    // The parser itself keeps its nesting on the heap; past the cap the
    // callback discards every value, so a bomb is read but never built.
    auto cap = [&too_deep](int depth, json::parse_event_t, json&) {
      too_deep = too_deep || depth >= kMaxNestingLevels;
      return !too_deep;
    };
    json j = json::parse(text, cap);
    if (too_deep) {
      return Error{
          fmt::format("not valid {}: nested deeper than {} levels", kind, kMaxNestingLevels)};
    }
    if (!j.is_object()) return Error{fmt::format("not a {} object at the top level", kind)};
    return j;
  } catch (const json::parse_error& e) {
    return Error{fmt::format("not valid {} (at byte {})", kind, e.byte)};
  }
}

void strip_names(json& j, const std::set<std::string>& names, int depth) {
  if (!j.is_object() || depth > kMaxMergeDepth * 4) return;
  for (const std::string& n : names) j.erase(n);
  for (auto& [key, value] : j.items()) strip_names(value, names, depth + 1);
}

json filter_json(const json& in, const SettingsItem& item) {
  json out = json::object();
  for (const auto& [key, value] : in.items()) {
    bool allowed =
        item.allow_keys.empty() ||
        std::find(item.allow_keys.begin(), item.allow_keys.end(), key) != item.allow_keys.end();
    if (allowed) out[key] = value;
  }
  for (const auto& [key, names] : item.deny_nested) {
    if (out.contains(key)) strip_names(out[key], {names.begin(), names.end()}, 0);
  }
  return out;
}

void merge_json(json& dst, const json& src, int depth) {
  for (const auto& [key, value] : src.items()) {
    if (depth < kMaxMergeDepth && value.is_object() && dst.contains(key) && dst[key].is_object()) {
      merge_json(dst[key], value, depth + 1);
    } else {
      dst[key] = value;
    }
  }
}

Result<std::string> merge_json_text(const std::string& text, const std::string& base,
                                    const SettingsItem& item, bool jsonc) {
  auto host = parse_json_object(jsonc ? strip_jsonc(text) : text, jsonc ? "JSONC" : "JSON");
  if (!host) return host.error();
  json merged = json::object();
  if (!base.empty()) {
    auto guest = parse_json_object(jsonc ? strip_jsonc(base) : base, "JSON");
    if (guest) merged = std::move(*guest);
  }
  merge_json(merged, filter_json(*host, item), 0);
  return merged.dump(2) + "\n";
}

// The index after the string starting at text[i] (', ", three of either).
size_t skip_toml_string(const std::string& text, size_t i) {
  char q = text[i];
  bool triple = text.compare(i, 3, std::string(3, q)) == 0;
  std::string end = triple ? std::string(3, q) : std::string(1, q);
  size_t j = i + end.size();
  while (j < text.size() && text.compare(j, end.size(), end) != 0) {
    j += (q == '"' && text[j] == '\\') ? 2 : 1;
  }
  return std::min(j + end.size(), text.size());
}

// The deepest nesting of arrays and inline tables outside strings and
// comments. cpptoml recurses per level, so a deep file would overflow the
// stack; the same cap as for JSON keeps it out.
int toml_nesting(const std::string& text) {
  int depth = 0, deepest = 0;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '"' || c == '\'') {
      i = skip_toml_string(text, i);
      continue;
    }
    if (c == '#') {
      i = std::min(text.find('\n', i), text.size());
      continue;
    }
    if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    if (c == ']' || c == '}') depth = std::max(0, depth - 1);
    ++i;
  }
  return deepest;
}

Result<std::shared_ptr<cpptoml::table>> parse_toml(const std::string& text) {
  if (toml_nesting(text) > kMaxNestingLevels) {
    return Error{fmt::format("not valid TOML: nested deeper than {} levels", kMaxNestingLevels)};
  }
  try {
    std::istringstream in(text);
    cpptoml::parser p(in);
    return p.parse();
  } catch (const cpptoml::parse_exception& e) {
    return Error{fmt::format("not valid TOML ({})", e.what())};
  }
}

// TOML files merge key by key at the top level: a kept host key replaces the
// guest's whole value for that key.
Result<std::string> merge_toml_text(const std::string& text, const std::string& base,
                                    const SettingsItem& item) {
  auto host = parse_toml(text);
  if (!host) return host.error();
  std::shared_ptr<cpptoml::table> merged = cpptoml::make_table();
  if (!base.empty()) {
    if (auto guest = parse_toml(base)) merged = *guest;
  }
  for (const auto& [key, value] : **host) {
    bool allowed =
        item.allow_keys.empty() ||
        std::find(item.allow_keys.begin(), item.allow_keys.end(), key) != item.allow_keys.end();
    if (allowed) merged->insert(key, value);
  }
  std::ostringstream out;
  out << *merged;
  return out.str();
}

}  // namespace

namespace {

// Copies the string literal starting at text[i] to out; returns the index after it.
size_t copy_string(const std::string& text, size_t i, std::string& out) {
  size_t j = i + 1;
  while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
  j = std::min(j + 1, text.size());
  out.append(text, i, j - i);
  return j;
}

// Comments become spaces (line breaks stay).
std::string blank_comments(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool line = text.compare(i, 2, "//") == 0, block = text.compare(i, 2, "/*") == 0;
    if (text[i] == '"') {
      i = copy_string(text, i, out);
    } else if (line || block) {
      size_t end = line ? text.find('\n', i) : text.find("*/", i + 2);
      end = end == std::string::npos ? text.size() : end + (line ? 0 : 2);
      for (; i < end; ++i) out += text[i] == '\n' ? '\n' : ' ';
    } else {
      out += text[i++];
    }
  }
  return out;
}

}  // namespace

std::string strip_jsonc(const std::string& text) {
  std::string in = blank_comments(text), out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    if (in[i] == '"') {
      i = copy_string(in, i, out);
      continue;
    }
    if (in[i] == ',') {
      size_t k = in.find_first_not_of(" \t\r\n", i + 1);
      if (k != std::string::npos && (in[k] == '}' || in[k] == ']')) {
        out += ' ';
        ++i;
        continue;
      }
    }
    out += in[i++];
  }
  return out;
}

Result<std::string> filter_and_merge(const std::string& text, const std::string& base,
                                     const SettingsItem& item) {
  if (item.format == "json") return merge_json_text(text, base, item, false);
  if (item.format == "jsonc") return merge_json_text(text, base, item, true);
  if (item.format == "toml") return merge_toml_text(text, base, item);
  return Error{
      fmt::format("unknown settings format {}: expected json, jsonc or toml", item.format)};
}

}  // namespace bbox::guesthome::detail
