// bbox auth list|clear: what the credential store holds.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include <fmt/format.h>

#include "bbox/common/message.h"
#include "bbox/guesthome/credentials.h"
#include "guesthome/host_tree.h"

namespace bbox::guesthome {
namespace {

namespace fs = std::filesystem;

bool is_agent_folder(const fs::directory_entry& e) {
  std::error_code ec;
  std::string name = e.path().filename().string();
  return !name.empty() && name.front() != '.' && e.is_directory(ec) && !e.is_symlink(ec);
}

Result<SavedAgent> measure(int root_fd, const std::string& agent) {
  detail::OpenedPath o = detail::open_beneath(root_fd, agent);
  if (o.found != detail::Found::kDirectory) return Error{o.error};
  SavedAgent a;
  a.agent = agent;
  auto visit = [&](const detail::WalkEntry& e) {
    bool internal =
        e.depth == 0 && (e.relative == ".lock" || e.relative.rfind(".staging-", 0) == 0);
    if (internal) return detail::Visit::kSkip;
    if (e.found == detail::Found::kFile) {
      a.files += 1;
      a.bytes += static_cast<uint64_t>(e.st.st_size);
      a.modified = std::max(a.modified, e.st.st_mtime);
    }
    return detail::Visit::kContinue;
  };
  if (auto st = detail::walk_tree(o.fd.get(), visit); !st) return st.error();
  return a;
}

}  // namespace

std::string size_text(uint64_t bytes) { return detail::human_size(bytes); }

Result<std::vector<SavedAgent>> list_saved_credentials(const fs::path& store_root) {
  std::vector<SavedAgent> out;
  UniqueFd root(::open(store_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root && errno == ENOENT) return out;
  if (!root) return errno_error("read " + ui::quoted(store_root.string()), errno);
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(store_root, ec)) {
    if (is_agent_folder(e)) names.push_back(e.path().filename().string());
  }
  if (ec) return Error{"read " + ui::quoted(store_root.string()) + ": " + ec.message()};
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    auto a = measure(root.get(), name);
    if (!a) return a.error().wrap("read saved credentials of " + ui::quoted(name));
    if (a->files > 0) out.push_back(std::move(*a));
  }
  return out;
}

Status clear_saved_credentials(const fs::path& store_root, const std::string& agent) {
  std::vector<std::string> parts;
  if (!detail::plain_components(agent, &parts) || parts.size() != 1 || agent.front() == '.') {
    return Error{fmt::format("clear credentials: invalid agent name {}", ui::quoted(agent))};
  }
  fs::path dir = store_root / agent;
  std::error_code ec;
  auto st = fs::symlink_status(dir, ec);
  if (!fs::exists(st)) {
    return Error{fmt::format("clear credentials: no saved credentials for {}", ui::quoted(agent))};
  }
  fs::remove_all(dir, ec);  // removes symlinks themselves, never what they point to
  if (ec) return Error{"clear credentials of " + ui::quoted(agent) + ": " + ec.message()};
  return ok_status();
}

}  // namespace bbox::guesthome
