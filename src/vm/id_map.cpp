#include "vm/id_map.h"

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "vm/child_process.h"

namespace bbox::vm {
namespace {

// One subordinate range for the inner ids 0..N-1, N at most 1000 so that
// inner 1000 stays free for the user.
IdRange low_range(const IdRange& sub) {
  return IdRange{0, sub.outer, std::min<uint32_t>(sub.count, kGuestUserId)};
}

std::vector<IdRange> one_map(uint32_t own, const IdRange& sub, bool root) {
  std::vector<IdRange> out;
  if (sub.count > 0) {
    out.push_back(low_range(sub));
  } else if (root) {
    out.push_back(IdRange{0, kOverflowId, 1});
  }
  out.push_back(IdRange{kGuestUserId, own, 1});
  return out;
}

Status write_map_file(pid_t pid, const char* name, const std::string& text) {
  std::string path = fmt::format("/proc/{}/{}", pid, name);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno_error("open " + path, errno);
  // The kernel wants the whole map in one write.
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return errno_error("write " + path, errno);
  }
  return ok_status();
}

std::vector<std::string> helper_args(const char* helper, pid_t pid,
                                     const std::vector<IdRange>& ranges) {
  std::vector<std::string> argv{helper, std::to_string(pid)};
  for (const auto& r : ranges) {
    argv.push_back(std::to_string(r.inner));
    argv.push_back(std::to_string(r.outer));
    argv.push_back(std::to_string(r.count));
  }
  return argv;
}

Status run_map_helper(const char* helper, pid_t pid, const std::vector<IdRange>& ranges) {
  std::filesystem::path program = std::filesystem::path("/usr/bin") / helper;
  if (!std::filesystem::exists(program)) {
    return Error{fmt::format("map ids: '{}' not found (install the Debian package 'uidmap')",
                             program.string())};
  }
  auto out = run_program(program, helper_args(helper, pid, ranges));
  if (!out) return out.error();
  if (!out->status.exited() || out->status.code() != 0) {
    std::string text = out->output;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return Error{fmt::format("map ids with {}: {} ({})", helper, out->status.describe(), text)};
  }
  return ok_status();
}

}  // namespace

IdRange find_subordinate_range(const std::filesystem::path& file, const std::string& name,
                               uint32_t id) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string owner, start, count;
    if (!std::getline(fields, owner, ':') || !std::getline(fields, start, ':') ||
        !std::getline(fields, count)) {
      continue;
    }
    if (owner != name && owner != std::to_string(id)) continue;
    try {
      unsigned long s = std::stoul(start), c = std::stoul(count);
      if (c > 0 && s <= UINT32_MAX && c <= UINT32_MAX - s) {
        return IdRange{0, static_cast<uint32_t>(s), static_cast<uint32_t>(c)};
      }
    } catch (const std::exception&) {
      continue;  // a malformed line is skipped, as newuidmap does
    }
  }
  return IdRange{};
}

Result<IdMapPlan> plan_id_maps(uint32_t uid, uint32_t gid, const std::string& user_name,
                               const IdRange& sub_uids, const IdRange& sub_gids) {
  bool root = uid == 0;
  if (!root && (sub_uids.count == 0 || sub_gids.count == 0)) {
    return Error{
        fmt::format("map the guest user to '{}': no subordinate ids in /etc/subuid and /etc/subgid "
                    "(ask an administrator to run: usermod --add-subuids 100000-165535 "
                    "--add-subgids 100000-165535 {})",
                    user_name, user_name)};
  }
  IdMapPlan plan;
  plan.uids = one_map(uid, sub_uids, root);
  plan.gids = one_map(gid, sub_gids, root);
  plan.write_directly = root;
  return plan;
}

Result<IdMapPlan> plan_id_maps_for_current_user() {
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  std::string name = std::to_string(uid);
  if (const passwd* pw = ::getpwuid(uid); pw != nullptr) name = pw->pw_name;
  return plan_id_maps(uid, gid, name, find_subordinate_range("/etc/subuid", name, uid),
                      find_subordinate_range("/etc/subgid", name, uid));
}

Status apply_id_maps(const IdMapPlan& plan, pid_t pid) {
  if (plan.write_directly) {
    Status s = write_map_file(pid, "uid_map", map_text(plan.uids));
    if (!s) return s;
    return write_map_file(pid, "gid_map", map_text(plan.gids));
  }
  Status s = run_map_helper("newuidmap", pid, plan.uids);
  if (!s) return s;
  return run_map_helper("newgidmap", pid, plan.gids);
}

std::string map_text(const std::vector<IdRange>& ranges) {
  std::string text;
  for (const auto& r : ranges) text += fmt::format("{} {} {}\n", r.inner, r.outer, r.count);
  return text;
}

}  // namespace bbox::vm
