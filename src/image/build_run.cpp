// Processes, hashes, locks and temporary directories for the image builds.
#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <cerrno>
#include <fstream>

#include "image/build_steps.h"

extern char** environ;

namespace bbox::image::build {
namespace {

// The last non-empty line of a log file, for error messages.
std::string last_log_line(const fs::path& log) {
  std::ifstream in(log, std::ios::binary);
  in.seekg(0, std::ios::end);
  auto size = static_cast<int64_t>(in.tellg());
  in.seekg(std::max<int64_t>(0, size - 4096));
  std::string tail((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  auto nl = tail.rfind('\n');
  return nl == std::string::npos ? tail : tail.substr(nl + 1);
}

std::string hex(const unsigned char* p, unsigned n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

// Feeds a file through a digest; returns the raw digest bytes.
Result<std::string> digest_file(const fs::path& file, const EVP_MD* md) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return errno_error("read '" + file.string() + "'", errno);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, md, nullptr);
  std::string buf(1 << 20, '\0');
  ssize_t n;
  while ((n = ::read(fd.get(), buf.data(), buf.size())) > 0) EVP_DigestUpdate(ctx, buf.data(), n);
  int err = errno;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx, out, &len);
  EVP_MD_CTX_free(ctx);
  if (n < 0) return errno_error("read '" + file.string() + "'", err);
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace

Status run_logged(const std::vector<std::string>& argv, const fs::path& log,
                  const std::vector<std::string>& extra_env, const fs::path& stdout_file) {
  UniqueFd out, so;
  if (!log.empty()) {
    out.reset(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!out) return errno_error("open '" + log.string() + "'", errno);
  }
  if (!stdout_file.empty()) {
    so.reset(::open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!so) return errno_error("open '" + stdout_file.string() + "'", errno);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  // dup2 clears FD_CLOEXEC on the child's copies; the originals close at exec.
  posix_spawn_file_actions_adddup2(&actions, so ? so.get() : out ? out.get() : 2, 1);
  if (out) posix_spawn_file_actions_adddup2(&actions, out.get(), 2);

  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  for (const auto& e : extra_env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  // posix_spawnp: no fork of a possibly multi-threaded bbox, no shell.
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return errno_error("run " + argv[0], rc);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return errno_error("wait for " + argv[0], errno);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ok_status();
  std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                      : "died of signal " + std::to_string(WTERMSIG(status));
  std::string last = log.empty() ? "" : last_log_line(log);
  return Error{argv[0] + " " + how + (last.empty() ? "" : " (" + last + ")")};
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Result<std::string> sha256_file(const fs::path& file) {
  auto raw = digest_file(file, EVP_sha256());
  if (!raw) return raw.error();
  return "sha256:" + hex(reinterpret_cast<const unsigned char*>(raw->data()), raw->size());
}

std::string sha256_text(const std::string& text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(text.data(), text.size(), out, &len, EVP_sha256(), nullptr);
  return "sha256:" + hex(out, len);
}

Result<std::string> sha512_integrity(const fs::path& file) {
  auto raw = digest_file(file, EVP_sha512());
  if (!raw) return raw.error();
  std::string b64(4 * ((raw->size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                          reinterpret_cast<const unsigned char*>(raw->data()),
                          static_cast<int>(raw->size()));
  b64.resize(n);
  return "sha512-" + b64;
}

Status write_file_atomic(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Error{"write '" + tmp.string() + "': cannot write"};
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Error{"rename into '" + path.string() + "': " + ec.message()};
  }
  return ok_status();
}

Result<FileLock> FileLock::acquire(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) return errno_error("open lock '" + path.string() + "'", errno);
  // flock: advisory, released by the kernel when the fd closes, also if bbox dies.
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return errno_error("lock '" + path.string() + "'", errno);
  }
  return FileLock(std::move(fd));
}

Result<TempDir> TempDir::create(const fs::path& parent, const std::string& prefix) {
  std::error_code ec;
  fs::create_directories(parent, ec);
  std::string tmpl = (parent / (prefix + ".XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) return errno_error("create '" + tmpl + "'", errno);
  return TempDir(tmpl);
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace bbox::image::build
