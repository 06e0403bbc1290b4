#include "vm/kernel_fetch.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "bbox/common/message.h"
#include "bbox/common/unique_fd.h"
#include "vm/kernel_modules.h"

namespace bbox::vm {
namespace {

namespace fs = std::filesystem;

// Reads two pipes to their ends together, so a child filling one while we
// wait on the other cannot stall.
void read_both(int out_fd, int err_fd, std::string* out, std::string* err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {out, err};
  int open = 2;
  char buf[4096];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        fds[i].fd = -1;  // end of file or error: poll ignores it from now on
        --open;
      }
    }
  }
}

std::string last_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  size_t nl = s.rfind('\n');
  return ui::printable(nl == std::string::npos ? s : s.substr(nl + 1));
}

// The child side of run_program: never returns.
[[noreturn]] void exec_child(const std::vector<std::string>& argv, const fs::path& cwd, int out_fd,
                             int err_fd, int report_fd) {
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(err_fd, STDERR_FILENO);
  int null = ::open("/dev/null", O_RDONLY);
  if (null >= 0) ::dup2(null, STDIN_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  if (::chdir(cwd.c_str()) == 0) ::execvp(args[0], args.data());
  int err = errno;
  // The report pipe is close-on-exec: the parent sees errno only on failure.
  (void)!::write(report_fd, &err, sizeof err);
  ::_exit(127);
}

}  // namespace

Result<std::string> run_program(const std::vector<std::string>& argv, const fs::path& cwd,
                                bool stdout_to_stderr) {
  int out[2], err[2], report[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 ||
      ::pipe2(report, O_CLOEXEC) != 0) {
    return errno_error("run " + ui::quoted(argv[0]), errno);
  }
  UniqueFd out_r(out[0]), out_w(out[1]), err_r(err[0]), err_w(err[1]);
  UniqueFd rep_r(report[0]), rep_w(report[1]);
  pid_t pid = ::fork();
  if (pid < 0) return errno_error("run " + ui::quoted(argv[0]), errno);
  if (pid == 0) {
    exec_child(argv, cwd, stdout_to_stderr ? STDERR_FILENO : out_w.get(),
               stdout_to_stderr ? STDERR_FILENO : err_w.get(), rep_w.get());
  }
  out_w.reset();
  err_w.reset();
  rep_w.reset();

  int exec_errno = 0;
  bool exec_failed = ::read(rep_r.get(), &exec_errno, sizeof exec_errno) == sizeof exec_errno;
  std::string output, errors;
  read_both(out_r.get(), err_r.get(), &output, &errors);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (exec_failed) return errno_error("run " + ui::quoted(argv[0]), exec_errno);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string why = errors.empty() ? "it failed" : last_line(errors);
    return Error{"run " + ui::quoted(argv[0] + " " + argv[1]) + ": " + why};
  }
  return output;
}

Result<std::string> parse_kernel_depends(const std::string& apt_output) {
  std::istringstream in(apt_output);
  const std::string key = "Depends: linux-image-";
  for (std::string line; std::getline(in, line);) {
    size_t at = line.find(key);
    if (at == std::string::npos) continue;
    std::string version = line.substr(at + key.size());
    while (!version.empty() && std::isspace(static_cast<unsigned char>(version.back()))) {
      version.pop_back();
    }
    // The version becomes a directory name: allow only what Debian uses.
    bool clean =
        !version.empty() && version.find("..") == std::string::npos &&
        version.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.+-_") == std::string::npos;
    if (clean) return version;
  }
  return Error{
      "resolve the cloud kernel: apt knows no linux-image-cloud-amd64 (are its package lists "
      "fetched? 'apt-get update')"};
}

Result<std::string> resolve_cloud_kernel_version() {
  auto out = run_program({"apt-cache", "depends", "linux-image-cloud-amd64"}, "/", false);
  if (!out) return out.error();
  return parse_kernel_depends(*out);
}

namespace {

Result<fs::path> download_deb(const std::string& version, const fs::path& work) {
  std::vector<std::string> argv = {"apt-get", "download"};
  // As root apt drops to the _apt user, which cannot write to our cache.
  if (::geteuid() == 0) argv.insert(argv.end(), {"-o", "APT::Sandbox::User=root"});
  argv.push_back("linux-image-" + version);
  // apt's own chatter (Get:, Fetched, N: lines) stays out of the user's
  // terminal; a failure still shows apt's last line.
  auto got = run_program(argv, work, false);
  if (!got) return got.error();
  for (const auto& e : fs::directory_iterator(work)) {
    if (e.path().extension() == ".deb") return e.path();
  }
  return Error{"download linux-image-" + version + ": apt-get left no package"};
}

Status copy_modules(const fs::path& lib_modules, const fs::path& out) {
  auto index = index_modules(lib_modules);
  if (!index) return index.error();
  std::map<std::string, ModuleDeps> deps;
  for (const auto& [name, path] : *index) {
    auto d = module_dependencies(path);
    if (!d) return d.error();
    deps.emplace(name, std::move(*d));
  }
  auto order = load_order(kWantedModules, deps);
  if (!order) return order.error();

  fs::create_directories(out / "modules");
  std::ofstream list(out / "modules.load");
  for (const auto& name : *order) {
    std::error_code ec;
    fs::copy_file(index->at(name), out / "modules" / (name + ".ko"), ec);
    if (ec) return Error{"copy module " + ui::quoted(name) + ": " + ec.message()};
    list << name << ".ko\n";
  }
  if (!list.flush()) return Error{"write modules.load: cannot write"};
  return ok_status();
}

}  // namespace

Status fetch_kernel(const std::string& version, const fs::path& work, const fs::path& out) {
  ui::info("downloading the guest kernel linux-image-{} from Debian (about 30 MB, once)",
           version);
  auto deb = download_deb(version, work);
  if (!deb) return deb.error();
  fs::path unpacked = work / "unpacked";
  auto x = run_program({"dpkg-deb", "-x", deb->string(), unpacked.string()}, work, false);
  if (!x) return x.error();

  fs::path vmlinuz = unpacked / "boot" / ("vmlinuz-" + version);
  if (!fs::is_regular_file(vmlinuz)) return Error{"unpack the kernel: no boot/vmlinuz-" + version};
  fs::create_directories(out);
  std::error_code ec;
  fs::copy_file(vmlinuz, out / "vmlinuz", ec);
  if (ec) return Error{"copy vmlinuz: " + ec.message()};
  return copy_modules(unpacked / "lib" / "modules" / version, out);
}

Result<std::string> bzimage_release(const fs::path& vmlinuz) {
  std::ifstream in(vmlinuz, std::ios::binary);
  char head[0x210] = {};
  if (!in.read(head, sizeof head)) return Error{"not a bzImage (too short)"};
  if (std::memcmp(head + 0x202, "HdrS", 4) != 0) return Error{"not a bzImage (no HdrS)"};
  unsigned offset =
      static_cast<unsigned char>(head[0x20e]) | (static_cast<unsigned char>(head[0x20f]) << 8);
  if (offset == 0) return Error{"bzImage carries no version"};
  char version[128] = {};
  in.seekg(offset + 0x200);
  if (!in.read(version, sizeof version - 1)) return Error{"bzImage version out of range"};
  std::string v(version);
  return v.substr(0, v.find(' '));
}

}  // namespace bbox::vm
