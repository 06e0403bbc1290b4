#include "session/harness.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace bbox::testing {
namespace {

namespace fs = std::filesystem;

std::string slurp_fd(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

}  // namespace

TempDir::TempDir() {
  std::string templ = (fs::temp_directory_path() / "bbox-test-XXXXXX").string();
  path_ = ::mkdtemp(templ.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

// ctest runs tests of this suite in parallel processes; the first to get the
// lock builds the tree, the others wait and then find it built.
fs::path busybox_rootfs() {
  const fs::path busybox = "/bin/busybox";
  if (!fs::exists(busybox)) return {};
  fs::path root = fs::path(BBOX_BINARY_DIR) / "test-rootfs-busybox";
  fs::path lock_path = root.string() + ".lock";
  int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0 || ::flock(lock, LOCK_EX) != 0) return {};
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }
  } unlock{lock};
  if (fs::exists(root / "bin/sh")) return root;
  fs::path tmp = root.string() + ".tmp";
  fs::remove_all(tmp);
  fs::remove_all(root);
  for (const char* d : {"bin", "etc", "tmp", "proc", "sys", "dev", "run", "workspace"}) {
    fs::create_directories(tmp / d);
  }
  fs::copy_file(busybox, tmp / "bin/busybox");
  std::string install = "chroot " + tmp.string() + " /bin/busybox --install -s /bin";
  if (std::system(install.c_str()) != 0) return {};  // the caller fails the test
  write_file(tmp / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  write_file(tmp / "etc/group", "root:x:0:\n");
  fs::rename(tmp, root);
  return root;
}

namespace {

// In the child: sets up the environment and execs bbox. Never returns.
[[noreturn]] void exec_bbox(const fs::path& cwd, const fs::path& home,
                            const std::vector<std::string>& args) {
    if (::chdir(cwd.c_str()) != 0) ::_exit(120);
    ::setenv("HOME", home.c_str(), 1);
    ::setenv("XDG_CONFIG_HOME", (home / ".config").c_str(), 1);
    ::setenv("XDG_DATA_HOME", (home / ".local/share").c_str(), 1);
    ::setenv("XDG_CACHE_HOME", (fs::path(BBOX_BINARY_DIR) / "test-cache").c_str(), 1);
    ::setenv("NO_COLOR", "1", 1);
    std::string bin = std::string(BBOX_BINARY_DIR) + "/bbox";
    std::vector<char*> argv{bin.data()};
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(121);
}

}  // namespace

int start_bbox(const fs::path& cwd, const fs::path& home, const std::vector<std::string>& args) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    exec_bbox(cwd, home, args);
  }
  return pid;
}

int wait_bbox(int pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

RunOutput run_bbox(const fs::path& cwd, const fs::path& home,
                   const std::vector<std::string>& args) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    exec_bbox(cwd, home, args);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  RunOutput r;
  std::thread err_reader([&] { r.err = slurp_fd(err_pipe[0]); });
  r.out = slurp_fd(out_pipe[0]);
  err_reader.join();
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
}

}  // namespace bbox::testing
