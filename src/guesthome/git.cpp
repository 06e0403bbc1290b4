// Git in the guest: identity, token helper, SSH agent socket.
#include "bbox/guesthome/git.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "bbox/common/unique_fd.h"

extern char** environ;

namespace bbox::guesthome {
namespace {

constexpr size_t kMaxGitValue = 512;

// Runs git with `args` in `cwd`; returns its stdout up to 4 KiB when it exits 0.
std::string run_git(const std::vector<std::string>& args, const std::filesystem::path& cwd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return "";
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, write_end.get(), 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  std::vector<std::string> argv_s = {"git"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, "git", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  write_end.reset();
  if (rc != 0) return "";
  std::string out;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out.size() < 4096) out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "";
  return out;
}

// One line of `git config --get`, without its newline; "" for a value that
// could not be written back safely.
std::string clean_value(std::string v) {
  if (!v.empty() && v.back() == '\n') v.pop_back();
  if (v.size() > kMaxGitValue) return "";
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7f) return "";
  }
  return v;
}

// A git config value in double quotes, backslash and quote escaped.
std::string quoted_value(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The helper reads the token from its environment, which is the command's:
// the token reaches the guest over the control channel only.
constexpr const char* kHelperScript = R"(#!/bin/sh
# Written by bbox: answers git's credential requests for https://github.com
# with $GITHUB_TOKEN (or $GH_TOKEN) from the environment. No token is stored.
[ "$1" = get ] || exit 0
host=
while IFS='=' read -r key value; do
  [ -z "$key" ] && break
  [ "$key" = host ] && host=$value
done
[ "$host" = github.com ] || exit 0
token=${GITHUB_TOKEN:-$GH_TOKEN}
[ -n "$token" ] || exit 0
printf 'username=x-access-token\npassword=%s\n' "$token"
)";

void put(HomeFiles& into, const std::string& path, uint32_t mode, std::string data) {
  into[path] = vm::GuestFile{path, mode, std::move(data)};
}

}  // namespace

GitIdentity host_git_identity(const std::filesystem::path& cwd) {
  GitIdentity id;
  id.name = clean_value(run_git({"config", "--get", "user.name"}, cwd));
  id.email = clean_value(run_git({"config", "--get", "user.email"}, cwd));
  return id;
}

void add_git_files(const GitIdentity& identity, bool token_helper, HomeFiles& into) {
  std::string config = "# Written by bbox for this session.\n";
  if (!identity.name.empty() || !identity.email.empty()) {
    config += "[user]\n";
    if (!identity.name.empty()) config += "\tname = " + quoted_value(identity.name) + "\n";
    if (!identity.email.empty()) config += "\temail = " + quoted_value(identity.email) + "\n";
  }
  // The workspace belongs to another uid in the guest; git would refuse it.
  config += "[safe]\n\tdirectory = /workspace\n";
  if (token_helper) {
    config += "[credential \"https://github.com\"]\n\thelper =\n\thelper = ";
    config += std::string(kGitCredentialHelper) + "\n";
    put(into, kGitCredentialHelper, S_IFREG | 0700, kHelperScript);
  }
  put(into, guest_path(".gitconfig"), S_IFREG | 0600, config);
  put(into, guest_path(".ssh/known_hosts"), S_IFREG | 0600, forge_known_hosts());
}

std::optional<std::filesystem::path> host_ssh_agent() {
  const char* sock = std::getenv("SSH_AUTH_SOCK");
  if (sock == nullptr || sock[0] != '/') return std::nullopt;
  struct stat st {};
  if (::stat(sock, &st) != 0 || !S_ISSOCK(st.st_mode)) return std::nullopt;
  return std::filesystem::path(sock);
}

}  // namespace bbox::guesthome
