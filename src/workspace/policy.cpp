// The three exclusion tiers: secrets (never negatable), performance excludes
// and the user's patterns.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "bbox/common/message.h"
#include "bbox/common/unique_fd.h"
#include "bbox/workspace/exclude.h"

namespace bbox::workspace {
namespace {

constexpr size_t kMaxIgnoreFile = 1 << 20;

// Reads <workspace>/.broodboxignore. Missing is fine; anything but a regular
// file is an error, because silently dropping the user's exclusions could
// copy files into the VM that the user meant to keep out.
Result<std::string> read_broodboxignore(const std::filesystem::path& workspace) {
  std::string name = (workspace / ".broodboxignore").string();
  // Safety: O_NOFOLLOW refuses a symlink; O_NONBLOCK keeps a FIFO from
  // blocking the open; fstat below then rejects anything not regular.
  UniqueFd fd(::open(name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::string();
    if (errno == ELOOP) {
      return Error{"read '.broodboxignore': it is a symlink; bbox reads only a regular file"};
    }
    return errno_error("read '.broodboxignore'", errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("read '.broodboxignore'", errno);
  if (!S_ISREG(st.st_mode)) {
    return Error{"read '.broodboxignore': not a regular file; bbox reads only a regular file"};
  }
  if (static_cast<size_t>(st.st_size) > kMaxIgnoreFile) {
    return Error{"read '.broodboxignore': larger than 1 MiB"};
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read '.broodboxignore'", errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return text;
}

}  // namespace

const std::vector<std::string>& secret_patterns() {
  static const std::vector<std::string> kSecrets = {".env*",
                                                    "*.pem",
                                                    "*.key",
                                                    "*.p12",
                                                    "*.pfx",
                                                    "*.jks",
                                                    "*.keystore",
                                                    "*.truststore",
                                                    "id_rsa*",
                                                    "id_ed25519*",
                                                    "id_ecdsa*",
                                                    "id_dsa*",
                                                    ".ssh",
                                                    ".aws",
                                                    ".gcp",
                                                    ".gcloud",
                                                    ".azure",
                                                    "**/.config/gcloud",
                                                    "credentials.json",
                                                    ".git-credentials",
                                                    ".netrc",
                                                    "_netrc",
                                                    ".npmrc",
                                                    ".yarnrc.yml",
                                                    ".pypirc",
                                                    "**/.docker/config.json",
                                                    "**/.kube/config",
                                                    ".gnupg",
                                                    ".pgpass",
                                                    ".vault-token",
                                                    "*.tfstate*",
                                                    "*.tfvars",
                                                    ".terraform",
                                                    "**/.config/gh/hosts.yml",
                                                    "age-key.txt",
                                                    "*.age",
                                                    ".broodbox.yaml",
                                                    "**/.config/broodbox"};
  return kSecrets;
}

const std::vector<std::string>& performance_excludes() {
  static const std::vector<std::string> kPerf = {
      "node_modules/", "vendor/", "__pycache__/", "target/", "build/", "dist/", ".venv/", ".tox/"};
  return kPerf;
}

ExclusionPolicy::ExclusionPolicy() {
  for (const auto& p : secret_patterns()) secrets_.add_line(p);
  for (const auto& p : performance_excludes()) user_.add_line(p);
}

Result<ExclusionPolicy> ExclusionPolicy::for_workspace(const std::filesystem::path& workspace,
                                                       const std::vector<std::string>& extra) {
  ExclusionPolicy policy;
  auto text = read_broodboxignore(workspace);
  if (!text) return text.error();
  policy.add_user_buffer(*text);
  for (const auto& line : extra) policy.add_user_line(line);
  return policy;
}

bool ExclusionPolicy::is_secret_entry(std::string_view path, bool is_dir) const {
  return secrets_.match_one(path, is_dir) == Verdict::kExcluded;
}

ExcludeReason ExclusionPolicy::classify_entry(std::string_view path, bool is_dir) const {
  if (is_secret_entry(path, is_dir)) return ExcludeReason::kSecret;
  if (user_.match_one(path, is_dir) == Verdict::kExcluded) return ExcludeReason::kPattern;
  return ExcludeReason::kNone;
}

ExcludeReason ExclusionPolicy::classify(std::string_view path, bool is_dir) const {
  for (size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    ExcludeReason r = classify_entry(path.substr(0, slash), true);
    if (r != ExcludeReason::kNone) return r;
  }
  return classify_entry(path, is_dir);
}

}  // namespace bbox::workspace
