// Settings import: reading each manifest item from the host home into guest
// files, within Brood Box's limits.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include "bbox/common/message.h"
#include "bbox/guesthome/settings.h"
#include "guesthome/config_filter.h"
#include "guesthome/host_tree.h"

namespace bbox::guesthome {
namespace {

using detail::Found;

std::string shown(const std::string& rel) { return ui::quoted("~/" + rel); }

class Importer {
 public:
  Importer(int home_fd, const SettingsLimits& limits, HomeFiles& into)
      : home_fd_(home_fd), limits_(limits), into_(into) {}

  void run(const SettingsItem& item) {
    detail::OpenedPath o = detail::open_beneath(home_fd_, item.host_path);
    switch (o.found) {
      case Found::kMissing:
        if (!item.optional) ui::warning("settings {} not found: skipped", shown(item.host_path));
        return;
      case Found::kSymlink:
        ui::note("skipping settings {}: a symlink (settings are never read through one)",
                 shown(item.host_path));
        return;
      case Found::kError:
        ui::warning("skipping settings {}: {}", shown(item.host_path), o.error);
        return;
      case Found::kOther:
        ui::note("skipping settings {}: not a regular file or folder", shown(item.host_path));
        return;
      case Found::kFile:
      case Found::kDirectory:
        break;
    }
    bool want_dir = item.kind == EntryKind::kDirectory;
    if ((o.found == Found::kDirectory) != want_dir) {
      ui::warning("skipping settings {}: expected a {}", shown(item.host_path),
                  want_dir ? "folder" : "file");
      return;
    }
    if (want_dir) {
      folder(item, o.fd.get());
    } else {
      file(item, item.host_path, item.guest_path, o.fd.get(), o.st);
    }
  }

  size_t added() const { return added_; }

 private:
  // True when one more file of `size` bytes fits the count and total limits.
  bool fits(uint64_t size) {
    if (stopped_) return false;
    if (files_ + 1 > limits_.max_files || total_ + size > limits_.max_total_bytes) {
      ui::warning("settings import stopped at {} files ({}): the limit is {} files, {} in all",
                  files_, detail::human_size(total_), limits_.max_files,
                  detail::human_size(limits_.max_total_bytes));
      stopped_ = true;
      return false;
    }
    return true;
  }

  void file(const SettingsItem& item, const std::string& host_rel, const std::string& guest_rel,
            int fd, const struct stat& st) {
    auto data = detail::read_bounded(fd, limits_.max_file_bytes);
    if (!data) {
      ui::warning("skipping settings file {}: {}", shown(host_rel), data.error().message);
      return;
    }
    std::string path = guest_path(guest_rel);
    if (item.kind == EntryKind::kMergeFile) {
      auto it = into_.find(path);
      auto merged = detail::filter_and_merge(*data, it == into_.end() ? "" : it->second.data, item);
      if (!merged) {
        ui::warning("skipping settings file {}: {}", shown(host_rel), merged.error().message);
        return;
      }
      data = std::move(*merged);
    }
    if (!fits(data->size())) return;
    uint32_t perm = (st.st_mode & S_IXUSR) != 0 ? 0700 : 0600;
    into_[path] = vm::GuestFile{path, S_IFREG | perm, std::move(*data)};
    files_ += 1;
    total_ += into_[path].data.size();
    added_ += 1;
  }

  void folder(const SettingsItem& item, int dir_fd) {
    auto visit = [&](const detail::WalkEntry& e) {
      std::string host_rel = item.host_path + "/" + e.relative;
      if (stopped_) return detail::Visit::kStop;
      if (e.found == Found::kSymlink) {
        ui::note("skipping settings {}: a symlink (settings are never read through one)",
                 shown(host_rel));
      } else if (e.found == Found::kDirectory && e.depth + 1 >= limits_.max_depth) {
        ui::note("skipping settings folder {}: more than {} levels deep", shown(host_rel),
                 limits_.max_depth);
        return detail::Visit::kSkip;
      } else if (e.found == Found::kFile) {
        file(item, host_rel, item.guest_path + "/" + e.relative, e.fd, e.st);
      }
      return detail::Visit::kContinue;
    };
    if (auto st = detail::walk_tree(dir_fd, visit); !st) {
      ui::warning("settings folder {} read in part: {}", shown(item.host_path), st.error().message);
    }
  }

  int home_fd_;
  const SettingsLimits& limits_;
  HomeFiles& into_;
  size_t files_ = 0, added_ = 0;
  uint64_t total_ = 0;
  bool stopped_ = false;
};

}  // namespace

size_t import_settings(const std::filesystem::path& host_home,
                       const std::vector<SettingsItem>& items, HomeFiles& into,
                       const SettingsLimits& limits) {
  if (items.empty()) return 0;
  // The home folder itself is trusted and may be a symlink; below it, nothing is followed.
  UniqueFd home(::open(host_home.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!home) {
    ui::warning("skipping settings import: {}",
                errno_error("open " + ui::quoted(host_home.string()), errno).message);
    return 0;
  }
  Importer importer(home.get(), limits, into);
  for (const SettingsItem& item : items) importer.run(item);
  return importer.added();
}

}  // namespace bbox::guesthome
