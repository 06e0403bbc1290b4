// Settings import: the host files an agent reads at start (its settings,
// instructions, rules, skills, ...) copied into the guest home, per agent, with
// Brood Box's manifests and limits. Host files are read without following a
// symlink anywhere under the host home; a file that is too large is skipped
// without being read; a settings file that does not parse is skipped with a
// warning naming it. Nothing here fails the session.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bbox/vm/vm.h"

namespace bbox::config {
struct SettingsEntry;  // bbox/config/file_config.h (which includes this header, via session.h)
}  // namespace bbox::config

namespace bbox::guesthome {

// The sandbox user's home in the guest.
inline constexpr const char* kGuestHome = "/home/sandbox";

// The files bbox-init writes before the command starts, by absolute guest
// path. Adding a path again replaces the earlier file.
using HomeFiles = std::map<std::string, vm::GuestFile>;

enum class EntryKind {
  kFile,       // one file, copied as it is
  kDirectory,  // a tree of files, copied as it is
  kMergeFile,  // a JSON/JSONC/TOML file: filtered, then merged over the guest's copy
};

// One manifest entry.
struct SettingsItem {
  std::string category;    // settings, instructions, rules, agents, skills, commands, ...
  std::string host_path;   // relative to the host home
  std::string guest_path;  // relative to the guest home
  EntryKind kind = EntryKind::kFile;
  std::string format;                   // merge files: json, jsonc or toml
  std::vector<std::string> allow_keys;  // merge files: top-level keys kept; empty keeps all
  // Merge files: under a kept top-level key, names removed at any depth
  // (e.g. "provider" -> api_key, token): secrets that must not reach the guest.
  std::map<std::string, std::vector<std::string>> deny_nested;
  bool optional = true;  // a missing host file is not worth a message
};

// Brood Box's limits for one import.
struct SettingsLimits {
  uint64_t max_file_bytes = 1u << 20;    // per file
  uint64_t max_total_bytes = 50u << 20;  // over the whole import
  size_t max_files = 500;
  int max_depth = 8;  // directory levels below an entry's folder
};

// The manifest of a built-in agent (claude-code, codex, opencode, gemini,
// hermes); empty for any other name.
std::vector<SettingsItem> builtin_settings(const std::string& agent);

// A custom agent's `settings:` entries (already validated by config):
// guest_path defaults to host_path, kind to file.
std::vector<SettingsItem> custom_settings(const std::vector<config::SettingsEntry>& entries);

// Keeps the items whose category is not turned off in `categories`
// (settings_import.categories; a category not listed is on).
std::vector<SettingsItem> enabled_settings(const std::vector<SettingsItem>& items,
                                           const std::map<std::string, bool>& categories);

// Reads every item under `host_home` and adds the guest files to `into`.
// A merge file is merged over a file already in `into` at the same path (a
// restored credential folder may hold the agent's own settings.json).
// Warnings and notes go to the user through bbox::ui. Returns the number of
// files added.
size_t import_settings(const std::filesystem::path& host_home,
                       const std::vector<SettingsItem>& items, HomeFiles& into,
                       const SettingsLimits& limits = {});

// The guest path of a file relative to the guest home.
std::string guest_path(const std::string& relative);

}  // namespace bbox::guesthome
