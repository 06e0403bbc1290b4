// Credential persistence: restore before the session, save after it.
#include "bbox/guesthome/credentials.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "bbox/common/message.h"
#include "bbox/common/paths.h"
#include "guesthome/host_tree.h"
#include "guesthome/store_fs.h"

namespace bbox::guesthome {
namespace {

namespace fs = std::filesystem;
using detail::Found;

std::string trimmed(const std::string& p) {
  std::string s = p;
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

bool valid_agent(const std::string& agent) {
  std::vector<std::string> parts;
  return detail::plain_components(agent, &parts) && parts.size() == 1 && agent.front() != '.';
}

// Adds the tree at `o` (a credential path of the store) to `into`.
size_t restore_path(detail::OpenedPath& o, const std::string& rel, const CredentialLimits& limits,
                    HomeFiles& into, uint64_t& total) {
  size_t files = 0;
  auto add = [&](const std::string& path, int fd) {
    auto data = detail::read_bounded(fd, limits.max_file_bytes);
    if (!data || total + data->size() > limits.max_total_bytes) return;
    total += data->size();
    into[path] = vm::GuestFile{path, S_IFREG | 0600, std::move(*data)};
    ++files;
  };
  std::string root = guest_path(rel);
  if (o.found == Found::kFile) {
    add(root, o.fd.get());
    return files;
  }
  into[root] = vm::GuestFile{root, S_IFDIR | 0700, ""};
  auto visit = [&](const detail::WalkEntry& e) {
    if (files >= limits.max_files) return detail::Visit::kStop;
    std::string path = root + "/" + e.relative;
    if (e.found == Found::kDirectory) {
      if (e.depth + 1 >= limits.max_depth) return detail::Visit::kSkip;
      into[path] = vm::GuestFile{path, S_IFDIR | 0700, ""};
    } else if (e.found == Found::kFile) {
      add(path, e.fd);
    }
    return detail::Visit::kContinue;
  };
  if (auto st = detail::walk_tree(o.fd.get(), visit); !st) {
    ui::warning("restore credentials {}: {}", ui::quoted(rel), st.error().message);
  }
  return files;
}

}  // namespace

fs::path credential_store_root() { return paths::data_dir() / "agent-state"; }

std::vector<std::string> credential_fetch_roots(const std::vector<std::string>& credential_paths) {
  std::vector<std::string> out;
  for (const std::string& p : credential_paths) out.push_back(guest_path(p));
  return out;
}

Result<size_t> restore_credentials(const fs::path& store_root, const std::string& agent,
                                   const std::vector<std::string>& credential_paths,
                                   HomeFiles& into, const CredentialLimits& limits) {
  if (!valid_agent(agent)) return Error{"restore credentials: invalid agent name"};
  UniqueFd root(::open(store_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root && errno == ENOENT) return size_t{0};
  if (!root) return errno_error("open " + ui::quoted(store_root.string()), errno);
  size_t files = 0;
  uint64_t total = 0;
  for (const std::string& p : credential_paths) {
    detail::OpenedPath o = detail::open_beneath(root.get(), agent + "/" + trimmed(p));
    if (o.found == Found::kError) return Error{"restore credentials: " + o.error};
    if (o.found != Found::kFile && o.found != Found::kDirectory) continue;
    files += restore_path(o, trimmed(p), limits, into, total);
  }
  return files;
}

}  // namespace bbox::guesthome
