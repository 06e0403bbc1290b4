// Custom agents outside and into the global config: the standalone agent
// declaration file (`bbox agents export` prints it, `bbox agents import` reads
// it), the template `bbox agents init` writes, and the edit that puts one
// agent into the global config file.
//
// A declaration file is Brood Box's agent manifest: a YAML mapping of a
// top-level `name` plus the keys of an agents.<name> entry, e.g.
//
//   name: aider
//   image: ghcr.io/acme/aider:latest
//   command: [aider]
//   egress_profile: permissive
#pragma once

#include <filesystem>
#include <string>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"
#include "bbox/config/file_config.h"

namespace bbox::config {

struct AgentDeclaration {
  std::string name;
  AgentOverride agent;    // as parsed, for validation
  std::string body_yaml;  // the agent's keys (without name) as a YAML block mapping
};

// Parses a declaration strictly (the rules of agents.<name> in the global
// config, plus a required string `name`). Errors are shaped
// "FILE:LINE:COLUMN: KEY: what was expected". Does not validate the agent as
// a custom agent: call validate_custom_agent for that.
Result<AgentDeclaration> parse_agent_declaration(const std::string& text, const std::string& file);

// Reads a declaration file: a regular UTF-8 file of at most kMaxConfigBytes.
Result<AgentDeclaration> read_agent_declaration(const std::filesystem::path& path);

// The declaration of agents.<name> as written in a config text, for export.
// default_env is left out (its values stay on this host); *dropped_env says
// whether there was any. Errors: no such agent in the text, or a text that
// does not parse.
Result<std::string> export_agent_declaration(const std::string& config_text,
                                             const std::string& file, const std::string& name,
                                             bool* dropped_env);

// The commented declaration `bbox agents init NAME` writes: valid as it is,
// with every optional key shown commented out.
std::string agent_template_text(const std::string& name);

// How an agent went into a config text.
struct AgentEdit {
  std::string text;               // the whole new config text
  bool replaced = false;          // an agents.<name> entry was there before
  bool comments_dropped = false;  // the file had to be rewritten without its comments
};

// Puts `body_yaml` (a block mapping of agent keys) as agents.<name> into
// `config_text`, leaving every other key as it was. The entry is spliced into
// the text, so comments and formatting elsewhere survive; when the layout
// does not allow that (a flow-style agents mapping, say), the whole text is
// re-emitted and comments_dropped says so. An existing agents.<name> is an
// error unless `replace`. `config_text` may be empty (no file yet); otherwise
// it must parse.
Result<AgentEdit> put_agent(const std::string& config_text, const std::string& file,
                            const std::string& name, const std::string& body_yaml, bool replace);

// Reads `path` as UTF-8 text of at most kMaxConfigBytes; a missing file is
// an empty text.
Result<std::string> read_config_text(const std::filesystem::path& path);

// Replaces the file at `path` with `text` atomically: a temporary file in the
// same folder, written, synced, given the old file's permissions (0600 for a
// new file), then renamed over it. A symlink at `path` is followed, so the
// file it points to is replaced and the link stays. A missing folder is
// created (0700). On failure the old file is untouched and the temporary
// file removed.
Status write_file_atomically(const std::filesystem::path& path, const std::string& text);

// Serialises edits of the config file at `path`: an exclusive flock on its
// folder (created 0700 when missing), held until the fd is closed. Take it
// before reading the text to change and keep it until the write is done, or
// two edits at once each write what they read and one of them is lost.
Result<UniqueFd> lock_config_for_edit(const std::filesystem::path& path);

}  // namespace bbox::config
