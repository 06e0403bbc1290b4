// ensure_kernel: the cached Debian cloud kernel, fetched once.
//
// Cache layout, one folder per kernel release:
//   cache_dir()/kernel/<release>/vmlinuz
//   cache_dir()/kernel/<release>/modules/<name>.ko
//   cache_dir()/kernel/<release>/modules.load   (load order, one file a line)
//   cache_dir()/kernel/current   "<release>\n<unix seconds>\n": what apt named
//                                 last and when; trusted for a day, so that most
//                                 sessions start without running apt-cache.
// A release folder appears only complete: it is built in a temporary folder
// beside it and renamed into place, under an flock so that two bbox processes
// starting at once download it only once.
#include "bbox/vm/kernel.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>

#include "bbox/common/message.h"
#include "bbox/common/paths.h"
#include "bbox/common/unique_fd.h"
#include "vm/kernel_fetch.h"

namespace bbox::vm {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNoAptHelp =
    "install Debian's apt, or pass --kernel PATH with a kernel whose virtio drivers "
    "(virtio_mmio, virtio_blk, virtio_console, virtiofs, overlay) are built in";

constexpr std::time_t kRecordLifetime = 24 * 60 * 60;

// Removes a directory tree when it goes out of scope.
class TempDir {
 public:
  static Result<TempDir> create(const fs::path& parent) {
    std::string tmpl = (parent / ".tmp-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return errno_error("create " + ui::quoted(tmpl), errno);
    return TempDir(tmpl);
  }
  TempDir(TempDir&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  explicit TempDir(fs::path p) : path_(std::move(p)) {}
  fs::path path_;
};

Result<Kernel> load_cached(const fs::path& dir, const std::string& version) {
  Kernel k;
  k.version = version;
  k.vmlinuz = dir / "vmlinuz";
  std::ifstream list(dir / "modules.load");
  if (!fs::is_regular_file(k.vmlinuz) || !list) {
    return Error{"read cached kernel " + ui::quoted(dir.string()) + ": incomplete"};
  }
  for (std::string line; std::getline(list, line);) {
    if (!line.empty()) k.modules.push_back(dir / "modules" / line);
  }
  return k;
}

// Orders release names with runs of digits compared as numbers, so that
// "6.1.0-57-cloud-amd64" is newer than "6.1.0-9-cloud-amd64".
bool older_release(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t ei = a.find_first_not_of("0123456789", i), ej = b.find_first_not_of("0123456789", j);
      std::string na = a.substr(i, ei - i), nb = b.substr(j, ej - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ei == std::string::npos ? a.size() : ei;
      j = ej == std::string::npos ? b.size() : ej;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

// The newest release already in the cache, for when apt cannot be asked.
std::optional<std::string> newest_cached(const fs::path& root) {
  std::optional<std::string> best;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.' || !fs::exists(e.path() / "modules.load")) continue;
    if (!best || older_release(*best, name)) best = name;
  }
  return best;
}

// The release in `current` when it was written less than a day ago and its
// folder is complete; otherwise nothing, and apt is asked again.
std::optional<std::string> fresh_record(const fs::path& root) {
  std::ifstream in(root / "current");
  std::string release;
  long long written = 0;
  if (!(in >> release >> written)) return std::nullopt;
  long long age = static_cast<long long>(std::time(nullptr)) - written;
  if (age < 0 || age >= kRecordLifetime) return std::nullopt;  // a clock set back counts as stale
  if (release.empty() || release[0] == '.' || release.find('/') != std::string::npos) {
    return std::nullopt;  // never a path outside the cache
  }
  if (!fs::exists(root / release / "modules.load")) return std::nullopt;
  return release;
}

// Writes `current` through a temporary file and a rename, so a reader sees the
// old record or the new one, never half of one. A failure only costs the next
// session an apt call, so it is not reported.
void write_record(const fs::path& root, const std::string& release) {
  std::string tmpl = (root / ".current-XXXXXX").string();
  // mkostemp creates a new file of mode 0600 (O_EXCL): it never opens what
  // someone else placed there.
  UniqueFd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
  if (!fd) return;
  std::string text = release + "\n" + std::to_string(std::time(nullptr)) + "\n";
  bool written = ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
  fd.reset();
  std::error_code ec;
  // rename(2) swaps the record in whole; it moves only the file made above.
  if (written) fs::rename(tmpl, root / "current", ec);
  if (!written || ec) fs::remove(tmpl, ec);
}

Result<Kernel> fetch_locked(const fs::path& root, const std::string& version) {
  fs::path dir = root / version;
  UniqueFd lock(::open((root / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock) return errno_error("lock the kernel cache", errno);
  // Blocks while another bbox downloads; released when `lock` closes.
  if (::flock(lock.get(), LOCK_EX) != 0) return errno_error("lock the kernel cache", errno);
  if (fs::exists(dir / "modules.load")) return load_cached(dir, version);

  auto work = TempDir::create(root);
  if (!work) return work.error();
  fs::path out = work->path() / "out";
  if (auto st = fetch_kernel(version, work->path(), out); !st) {
    return st.error().wrap("fetch the guest kernel");
  }
  std::error_code ec;
  fs::rename(out, dir, ec);
  if (ec) return Error{"store the kernel in " + ui::quoted(dir.string()) + ": " + ec.message()};
  return load_cached(dir, version);
}

Result<Kernel> with_override(const fs::path& vmlinuz, const fs::path& root) {
  if (!fs::is_regular_file(vmlinuz)) {
    return Error{"use kernel " + ui::quoted(vmlinuz.string()) + ": no such file"};
  }
  Kernel k;
  k.vmlinuz = vmlinuz;
  auto release = bzimage_release(vmlinuz);
  if (release) {
    k.version = *release;
    auto cached = load_cached(root / *release, *release);
    if (cached) k.modules = cached->modules;
  }
  if (k.modules.empty()) {
    ui::note("kernel {} comes without cached modules: its virtio drivers must be built in",
             ui::quoted(vmlinuz.string()));
  }
  return k;
}

}  // namespace

Result<Kernel> ensure_kernel(const std::optional<fs::path>& override_vmlinuz) {
  fs::path root = paths::cache_dir() / "kernel";
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Error{"create " + ui::quoted(root.string()) + ": " + ec.message()};
  if (override_vmlinuz) return with_override(*override_vmlinuz, root);
  if (auto recorded = fresh_record(root)) return load_cached(root / *recorded, *recorded);

  auto version = resolve_cloud_kernel_version();
  if (!version) {
    if (auto cached = newest_cached(root)) {
      ui::note("cannot ask apt for the current kernel ({}); using cached {}",
               version.error().message, *cached);
      return load_cached(root / *cached, *cached);
    }
    return Error{"find the guest kernel: " + version.error().message + "; " + kNoAptHelp};
  }
  auto kernel = fs::exists(root / *version / "modules.load")
                    ? load_cached(root / *version, *version)
                    : fetch_locked(root, *version);
  if (kernel) write_record(root, *version);
  return kernel;
}

}  // namespace bbox::vm
