// bbox doctor: checks what a session needs on this host and names the Debian
// package for anything missing. Exits 1 when something required is missing.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"
#include "bbox/vm/vm.h"
#include "cli/commands.h"

namespace bbox::cli {
namespace {

namespace fs = std::filesystem;

bool executable(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

// Looks a program up in $PATH, then in the sbin folders (not in a normal
// user's PATH on Debian, but runnable).
std::optional<fs::path> find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && executable(fs::path(dir) / name)) return fs::path(dir) / name;
  }
  for (const char* sbin : {"/usr/sbin", "/sbin"}) {
    if (executable(fs::path(sbin) / name)) return fs::path(sbin) / name;
  }
  return std::nullopt;
}

// True when `file` (/etc/subuid or /etc/subgid) has a range for the user.
bool has_subordinate_range(const char* file, const std::string& user, uid_t id) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::string owner = line.substr(0, line.find(':'));
    if (owner == user || owner == std::to_string(id)) return true;
  }
  return false;
}

class Report {
 public:
  void ok(const std::string& what, const std::string& detail) {
    fmt::print("ok       {}: {}\n", what, ui::printable(detail));
  }
  void missing(const std::string& what, const std::string& fix) {
    fmt::print("missing  {}: {}\n", what, fix);
    failed_ = true;
  }
  void note(const std::string& what, const std::string& detail) {
    fmt::print("note     {}: {}\n", what, detail);
  }
  bool failed() const { return failed_; }

 private:
  bool failed_ = false;
};

void check_programs(Report& r) {
  struct Need {
    const char* program;
    const char* package;
  };
  for (const Need& n :
       {Need{"qemu-system-x86_64", "qemu-system-x86"}, Need{"mkfs.ext4", "e2fsprogs"},
        Need{"newuidmap", "uidmap"}, Need{"newgidmap", "uidmap"}}) {
    if (std::optional<fs::path> p = find_program(n.program)) {
      r.ok(n.program, p->string());
    } else {
      r.missing(n.program, fmt::format("install the Debian package '{}' (sudo apt-get install "
                                       "{})",
                                       n.package, n.package));
    }
  }
  const fs::path virtiofsd = "/usr/lib/qemu/virtiofsd";
  if (executable(virtiofsd))
    r.ok("virtiofsd", virtiofsd.string());
  else
    r.missing("virtiofsd",
              "install the Debian package 'qemu-system-common' (sudo apt-get "
              "install qemu-system-common)");
}

void check_ids(Report& r) {
  uid_t uid = ::getuid();
  const passwd* pw = ::getpwuid(uid);
  std::string user = pw != nullptr ? pw->pw_name : std::to_string(uid);
  for (const char* file : {"/etc/subuid", "/etc/subgid"}) {
    if (has_subordinate_range(file, user, uid)) {
      r.ok(file, "has a range for " + user);
    } else if (uid == 0) {
      // root writes its id maps directly (vm::plan_id_maps) and needs no range.
      r.ok(file, "no range for root, none needed");
    } else {
      r.missing(file, fmt::format("no range for {}: add one with 'sudo usermod --add-subuids "
                                  "100000-165535 --add-subgids 100000-165535 {}'",
                                  ui::quoted(user), user));
    }
  }
}

void check_kvm(Report& r) {
  if (::access("/dev/kvm", R_OK | W_OK) != 0) {
    r.note("/dev/kvm",
           "not usable by this user: sessions run under TCG emulation (slower); add "
           "the user to the 'kvm' group for KVM");
  } else if (::access("/sys/module/kvm_pvm", F_OK) == 0) {
    r.note("/dev/kvm", "PVM, which cannot boot the guest kernel: sessions run under TCG");
  } else {
    r.ok("/dev/kvm", "usable");
  }
}

// What `--accel auto` picks on this host, and why.
void check_accel(Report& r) {
  Result<vm::AccelChoice> choice = vm::choose_accel(vm::Accel::kAuto);
  if (!choice) {
    r.note("accel", ui::printable(choice.error().message));
  } else if (choice->accel == vm::Accel::kKvm) {
    r.ok("accel", "auto chooses kvm (" + choice->reason + ")");
  } else {
    r.note("accel", "auto chooses tcg (" + ui::printable(choice->reason) + "): slower emulation");
  }
}

}  // namespace

void add_doctor_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("doctor", "Check that this host can run sessions");
  cmd->callback([&ctx] {
    Report r;
    check_programs(r);
    check_ids(r);
    check_kvm(r);
    check_accel(r);
    std::error_code ec;
    std::filesystem::path cwd = std::filesystem::current_path(ec);
    Result<config::EffectiveConfig> cfg = config::load_config(
        {ctx.config_path(), ec ? std::nullopt : std::optional<std::filesystem::path>(cwd)});
    if (cfg) {
      r.ok("config", cfg->global_file ? cfg->global_file->string() : "built-in defaults");
      for (const auto& [name, why] : cfg->invalid_agents) r.missing("agent " + name, why);
    } else {
      r.missing("config", ui::printable(cfg.error().message));
    }
    ctx.exit_code = r.failed() ? exit_code::kError : exit_code::kOk;
  });
}

}  // namespace bbox::cli
