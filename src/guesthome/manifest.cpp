// Which host settings each agent gets, as Brood Box defines them: the
// agent's own settings file filtered to keys that carry no secrets and no
// host-only state (MCP servers on the host are unreachable from the guest),
// its instruction files, and its folders of rules, agents, skills and
// commands. Every entry is optional.
#include <fmt/format.h>

#include "bbox/config/file_config.h"
#include "bbox/guesthome/settings.h"

namespace bbox::guesthome {
namespace {

SettingsItem file(const char* category, const char* host, const char* guest = nullptr) {
  return SettingsItem{category, host, guest ? guest : host, EntryKind::kFile, "", {}, {}, true};
}

SettingsItem folder(const char* category, const char* path) {
  return SettingsItem{category, path, path, EntryKind::kDirectory, "", {}, {}, true};
}

SettingsItem merged(const char* path, const char* format, std::vector<std::string> keys) {
  return SettingsItem{"settings",      path, path, EntryKind::kMergeFile, format,
                      std::move(keys), {},   true};
}

std::vector<SettingsItem> claude_code() {
  return {merged(".claude/settings.json", "json",
                 {"permissions", "model", "preferredNotifChannel", "hasCompletedOnboarding",
                  "autoUpdaterStatus"}),
          file("instructions", ".claude/CLAUDE.md"),
          folder("rules", ".claude/rules"),
          folder("agents", ".claude/agents"),
          folder("skills", ".claude/skills"),
          folder("commands", ".claude/commands")};
}

std::vector<SettingsItem> codex() {
  return {merged(".codex/config.toml", "toml",
                 {"model", "provider", "approval_mode", "features", "profiles", "tui",
                  "disable_response_storage", "full_auto_error_mode"}),
          file("instructions", ".codex/AGENTS.md"),
          file("instructions", ".codex/AGENTS.override.md"), folder("skills", ".agents/skills"),
          folder("commands", ".codex/prompts")};
}

std::vector<SettingsItem> opencode() {
  SettingsItem config = merged(".config/opencode/opencode.json", "jsonc",
                               {"provider", "models", "agent", "tools", "plugin", "theme",
                                "command", "instructions", "formatter", "shell", "permission"});
  // Provider entries may carry keys and tokens: those names go at any depth.
  config.deny_nested["provider"] = {"api_key",     "apiKey",       "secret",
                                    "token",       "password",     "credentials",
                                    "accessToken", "access_token", "client_secret"};
  return {config,
          file("settings", ".config/opencode/tui.json"),
          file("instructions", ".config/opencode/AGENTS.md"),
          file("instructions", ".claude/CLAUDE.md"),
          folder("agents", ".config/opencode/agents"),
          folder("skills", ".config/opencode/skills"),
          folder("skills", ".claude/skills"),
          folder("skills", ".agents/skills"),
          folder("commands", ".config/opencode/commands"),
          folder("tools", ".config/opencode/tools"),
          folder("plugins", ".config/opencode/plugins"),
          folder("themes", ".config/opencode/themes")};
}

std::vector<SettingsItem> gemini() {
  return {merged(".gemini/settings.json", "json",
                 {"general", "ui", "model", "modelConfigs", "context", "agents", "skills",
                  "useWriteTodos", "experimental", "output", "privacy"}),
          file("instructions", ".gemini/GEMINI.md"),
          // A CLAUDE.md kept for Claude Code serves Gemini too.
          file("instructions", ".claude/CLAUDE.md", ".gemini/CLAUDE.md"),
          folder("agents", ".gemini/agents"), folder("skills", ".gemini/skills"),
          folder("skills", ".agents/skills"), folder("commands", ".gemini/commands")};
}

std::vector<SettingsItem> hermes() {
  return {file("instructions", ".hermes/SOUL.md"), folder("skills", ".hermes/skills"),
          folder("skills", ".agents/skills")};
}

EntryKind kind_of(const std::string& kind) {
  if (kind == "directory") return EntryKind::kDirectory;
  if (kind == "merge-file") return EntryKind::kMergeFile;
  return EntryKind::kFile;
}

}  // namespace

std::vector<SettingsItem> builtin_settings(const std::string& agent) {
  if (agent == "claude-code") return claude_code();
  if (agent == "codex") return codex();
  if (agent == "opencode") return opencode();
  if (agent == "gemini") return gemini();
  if (agent == "hermes") return hermes();
  return {};
}

std::vector<SettingsItem> custom_settings(const std::vector<config::SettingsEntry>& entries) {
  std::vector<SettingsItem> out;
  for (const config::SettingsEntry& e : entries) {
    SettingsItem item;
    item.category = e.category;
    item.host_path = e.host_path;
    item.guest_path = e.guest_path.empty() ? e.host_path : e.guest_path;
    item.kind = kind_of(e.kind);
    item.format = e.format.empty() && item.kind == EntryKind::kMergeFile ? "json" : e.format;
    item.allow_keys = e.allow_keys;
    item.optional = e.optional;
    out.push_back(std::move(item));
  }
  return out;
}

std::vector<SettingsItem> enabled_settings(const std::vector<SettingsItem>& items,
                                           const std::map<std::string, bool>& categories) {
  std::vector<SettingsItem> out;
  for (const SettingsItem& item : items) {
    auto it = categories.find(item.category);
    if (it == categories.end() || it->second) out.push_back(item);
  }
  return out;
}

std::string guest_path(const std::string& relative) {
  std::string rel = relative;
  while (!rel.empty() && rel.back() == '/') rel.pop_back();
  return std::string(kGuestHome) + "/" + rel;
}

}  // namespace bbox::guesthome
