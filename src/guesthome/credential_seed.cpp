// Seeding (auth.seed_host_credentials, off by default): Claude Code's OAuth
// login on the host (~/.claude/.credentials.json) is copied into the store
// when none is saved, or when the saved token has expired and the host's
// expires later, as Brood Box does. Other agents have nothing to seed.
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bbox/common/message.h"
#include "bbox/guesthome/credentials.h"
#include "guesthome/host_tree.h"
#include "guesthome/store_fs.h"

namespace bbox::guesthome {
namespace {

namespace fs = std::filesystem;

constexpr const char* kClaudeCredentials = ".claude/.credentials.json";

// claudeAiOauth.expiresAt (milliseconds since the epoch), or 0.
int64_t expires_at(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("claudeAiOauth")) return 0;
  const auto& oauth = j["claudeAiOauth"];
  if (!oauth.is_object() || !oauth.contains("expiresAt")) return 0;
  const auto& e = oauth["expiresAt"];
  return e.is_number_integer() ? e.get<int64_t>() : 0;
}

// Reads `rel` beneath `dir` without following symlinks; nothing when absent.
Result<std::optional<std::string>> read_optional(const fs::path& dir, const std::string& rel,
                                                 uint64_t max) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return std::optional<std::string>{};
  detail::OpenedPath o = detail::open_beneath(fd.get(), rel);
  if (o.found == detail::Found::kMissing) return std::optional<std::string>{};
  if (o.found != detail::Found::kFile) {
    return Error{fmt::format("{}: not a regular file", ui::quoted(rel))};
  }
  auto data = detail::read_bounded(o.fd.get(), max);
  if (!data) return data.error().wrap("read " + ui::quoted(rel));
  return std::optional<std::string>{std::move(*data)};
}

Status write_seed(const fs::path& store_root, const std::string& agent, const std::string& data) {
  auto root = detail::make_private_dir(store_root);
  if (!root) return root.error();
  auto dir = detail::make_dirs_beneath(root->get(), {agent, ".claude"});
  if (!dir) return dir.error();
  std::string tmp = fmt::format(".seed-{}.tmp", ::getpid());
  ::unlinkat(dir->get(), tmp.c_str(), 0);
  if (auto st = detail::write_new_file(dir->get(), tmp, data); !st) return st;
  // rename replaces the old file in one step: a reader sees the old or the new.
  if (::renameat(dir->get(), tmp.c_str(), dir->get(), ".credentials.json") != 0) {
    int err = errno;
    ::unlinkat(dir->get(), tmp.c_str(), 0);
    return errno_error("replace '.credentials.json'", err);
  }
  return ok_status();
}

}  // namespace

Result<bool> seed_host_credentials(const fs::path& host_home, const fs::path& store_root,
                                   const std::string& agent, int64_t now_ms) {
  if (agent != "claude-code") return false;
  CredentialLimits limits;
  auto host = read_optional(host_home, kClaudeCredentials, limits.max_file_bytes);
  if (!host) return host.error().wrap("seed credentials from the host");
  if (!*host) return false;
  if (!nlohmann::json::accept(**host)) {
    return Error{"seed credentials from the host: '~/.claude/.credentials.json' is not valid JSON"};
  }
  auto stored = read_optional(store_root / agent, kClaudeCredentials, limits.max_file_bytes);
  if (stored && *stored) {
    int64_t stored_exp = expires_at(**stored);
    if (stored_exp > now_ms || expires_at(**host) <= stored_exp) return false;
  }
  if (auto st = write_seed(store_root, agent, **host); !st) {
    return st.error().wrap("seed credentials from the host");
  }
  return true;
}

}  // namespace bbox::guesthome
