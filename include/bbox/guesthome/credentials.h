// Credential persistence: an agent's login state in the guest home (e.g.
// ~/.claude/) is brought back after the session and kept on the host, per
// agent, under paths::data_dir()/agent-state/<agent>/<path> (Brood Box's
// layout, which it keeps under its config folder), then written into the
// guest home at the next session. Everything that comes back from the guest
// is untrusted: symlinks, special files, oversized files and paths with
// "." or ".." components are skipped with a warning; the caps are Brood
// Box's. The store holds folders 0700 and files 0600; each credential path
// is replaced as a whole with one rename, so a crash leaves the old state
// or the new one, never a mix.
#pragma once

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/guesthome/settings.h"
#include "bbox/vm/vm.h"

namespace bbox::guesthome {

struct CredentialLimits {
  uint64_t max_file_bytes = 64u << 10;            // per file
  size_t max_files = 100;                         // per agent
  uint64_t max_total_bytes = 100u * (64u << 10);  // the two caps above, multiplied
  int max_depth = 3;                              // path components below a credential folder
};

// paths::data_dir()/agent-state.
std::filesystem::path credential_store_root();

// The absolute guest paths to fetch after the command exits, one per
// credential path ("/home/sandbox/.claude" for ".claude/").
std::vector<std::string> credential_fetch_roots(const std::vector<std::string>& credential_paths);

// Adds the saved state of `agent` to `into` (files 0600, folders 0700).
// Nothing saved is no error; an unreadable store is.
Result<size_t> restore_credentials(const std::filesystem::path& store_root,
                                   const std::string& agent,
                                   const std::vector<std::string>& credential_paths,
                                   HomeFiles& into, const CredentialLimits& limits = {});

struct SaveSummary {
  size_t files = 0;
  uint64_t bytes = 0;
  size_t skipped = 0;
};

// Saves what came back for each credential path (`fetched` in the order of
// credential_fetch_roots). A path whose fetch failed keeps its saved state;
// a path the guest does not have is left as saved. A file whose guest path
// and content match an entry of `leave_out` is not saved. An Error when the
// store cannot be written (nothing of the old state is lost then).
Result<SaveSummary> save_credentials(const std::filesystem::path& store_root,
                                     const std::string& agent,
                                     const std::vector<std::string>& credential_paths,
                                     const std::vector<vm::FetchedTree>& fetched,
                                     const CredentialLimits& limits = {},
                                     const std::map<std::string, std::string>& leave_out = {});

// auth.seed_host_credentials: for claude-code, copies the host's
// ~/.claude/.credentials.json (never through a symlink, at most 64 KiB, valid
// JSON) into the store when none is saved, or when the saved token expired
// (claudeAiOauth.expiresAt, in ms, before `now_ms`) and the host's expires
// later. True when it wrote; false when there was nothing to do (other
// agents, no host file, a saved token still valid).
Result<bool> seed_host_credentials(const std::filesystem::path& host_home,
                                   const std::filesystem::path& store_root,
                                   const std::string& agent, int64_t now_ms);

struct SavedAgent {
  std::string agent;
  size_t files = 0;
  uint64_t bytes = 0;
  std::time_t modified = 0;  // newest file
};

// The agents with saved credentials, by name.
Result<std::vector<SavedAgent>> list_saved_credentials(const std::filesystem::path& store_root);

// Removes the saved state of one agent. An Error when there is none.
Status clear_saved_credentials(const std::filesystem::path& store_root, const std::string& agent);

// "1.5 MiB", "64.0 KiB", "200 B": sizes for listings and messages.
std::string size_text(uint64_t bytes);

}  // namespace bbox::guesthome
