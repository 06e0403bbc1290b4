// Finding a session's QEMU and virtiofsd by their command lines, which any
// user may read in /proc. Used after run_vm to prove nothing outlived it.
#include <dirent.h>

#include <cctype>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bbox/vm/vm.h"
#include "vm/qemu.h"
#include "vm/virtiofs.h"

namespace bbox::vm {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> read_cmdline(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  size_t start = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] != '\0') continue;
    args.push_back(all.substr(start, i - start));
    start = i + 1;
  }
  return args;
}

bool is_vm_program(const std::string& argv0) {
  std::string name = fs::path(argv0).filename().string();
  return name == fs::path(kQemuPath).filename().string() ||
         name == fs::path(kVirtiofsdPath).filename().string();
}

bool mentions(const std::vector<std::string>& args, const std::string& session,
              const std::string& source) {
  for (const auto& a : args) {
    if (a.find(session) != std::string::npos) return true;
    if (a == source) return true;
  }
  return false;
}

}  // namespace

std::vector<pid_t> find_vm_processes(const fs::path& session_dir, const fs::path& shared_dir) {
  std::string session = fs::absolute(session_dir).lexically_normal().string();
  if (session.back() != '/') session += '/';
  std::string source = virtiofsd_args(fs::absolute(shared_dir), 0)[3];

  std::vector<pid_t> found;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* e = ::readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
    std::vector<std::string> args = read_cmdline(e->d_name);
    if (args.empty() || !is_vm_program(args[0])) continue;
    if (mentions(args, session, source)) found.push_back(static_cast<pid_t>(std::stoi(e->d_name)));
  }
  ::closedir(proc);
  return found;
}

}  // namespace bbox::vm
