#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include <nlohmann/json.hpp>

#include "image/digest.h"
#include "image/fsutil.h"
#include "image/import.h"
#include "image/manifest.h"
#include "image/safe_path.h"

namespace bbox::image {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kMaxArchiveBytes = 64ull << 30;

// A temporary directory in the store, removed with its contents.
class ScratchDir {
 public:
  static Result<ScratchDir> create(const Store& store) {
    if (Status s = store.ensure_layout(); !s.ok()) return s.error();
    std::string t = (store.tmp_dir() / "import-XXXXXX").string();
    if (::mkdtemp(t.data()) == nullptr) return errno_error("create " + t, errno);
    return ScratchDir(t);
  }
  ScratchDir(ScratchDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  explicit ScratchDir(fs::path p) : path_(std::move(p)) {}
  fs::path path_;
};

Status write_entry(archive* a, int dirfd, const std::string& name, const std::string& path) {
  UniqueFd fd(
      ::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) return errno_error("create " + path, errno);
  const void* buf;
  size_t len;
  la_int64_t off;
  int r;
  while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
    if (::pwrite(fd.get(), buf, len, off) != static_cast<ssize_t>(len)) {
      return errno_error("write " + path, errno);
    }
  }
  if (r != ARCHIVE_EOF) return Error{"read " + path + ": " + archive_error_string(a)};
  return ok_status();
}

// The docker save manifest.json's first image, as an OCI manifest in the store.
Result<std::string> store_docker_image(const Store& store, const fs::path& dir) {
  auto text = read_file_capped(dir / "manifest.json", kMaxManifestBytes);
  if (!text) return text.error();
  json doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array() || doc.empty() || !doc[0].is_object()) {
    return Error{"read manifest.json: not a docker save manifest"};
  }
  const json& im = doc[0];
  if (!im.contains("Config") || !im["Config"].is_string() || !im.contains("Layers")) {
    return Error{"read manifest.json: no Config or Layers"};
  }
  auto entry = [&](const std::string& rel, const char* type) -> Result<json> {
    auto comps = split_entry_path(rel);
    if (!comps || comps->empty()) return Error{"read manifest.json: bad path " + rel};
    fs::path file = dir / rel;
    auto digest = sha256_file(file);
    if (!digest) return digest.error();
    if (Status s = copy_blob_verified(store, file, *digest); !s.ok()) return s.error();
    return json{{"mediaType", type}, {"digest", *digest}, {"size", fs::file_size(file)}};
  };
  auto config = entry(im["Config"].get<std::string>(), "application/vnd.oci.image.config.v1+json");
  if (!config) return config.error();
  json layers = json::array();
  for (const auto& l : im["Layers"]) {
    if (!l.is_string()) return Error{"read manifest.json: a layer is not a path"};
    auto d = entry(l.get<std::string>(), "application/vnd.oci.image.layer.v1.tar");
    if (!d) return d.error();
    layers.push_back(*d);
  }
  json manifest{{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                {"config", *config},
                {"layers", layers}};
  std::string body = manifest.dump();
  std::string digest = sha256_digest(body);
  if (Status s = store.put_blob(body, digest); !s.ok()) return s.error();
  return digest;
}

}  // namespace

Status extract_plain_tar(const fs::path& tar, const fs::path& dir, uint64_t max_bytes) {
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), tar.c_str(), 1 << 20) != ARCHIVE_OK) {
    return Error{"read " + tar.string() + ": " + archive_error_string(a.get())};
  }
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return errno_error("open " + dir.string(), errno);
  uint64_t total = 0;
  archive_entry* e;
  int r;
  while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    std::string path = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    auto comps = split_entry_path(path);
    if (!comps)
      return Error{"read " + tar.string() + ": refuse '" + path + "': " + comps.error().message};
    if (comps->empty()) continue;
    auto parent = open_parent(root.get(), *comps);
    if (!parent)
      return Error{"read " + tar.string() + ": refuse '" + path + "': " + parent.error().message};
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFDIR) {
      if (::mkdirat(parent->get(), comps->back().c_str(), 0755) != 0 && errno != EEXIST) {
        return errno_error("create " + path, errno);
      }
      continue;
    }
    if (type != AE_IFREG || archive_entry_hardlink(e) != nullptr) continue;
    total += static_cast<uint64_t>(std::max<int64_t>(archive_entry_size(e), 0));
    if (total > max_bytes) return Error{"read " + tar.string() + ": larger than the size cap"};
    if (Status s = write_entry(a.get(), parent->get(), comps->back(), path); !s.ok()) return s;
  }
  if (r != ARCHIVE_EOF) {
    return Error{"read " + tar.string() + ": not a valid tar archive (" +
                 archive_error_string(a.get()) + ")"};
  }
  return ok_status();
}

Result<std::string> import_oci_archive(const Store& store, const fs::path& file,
                                       const std::string& tag) {
  auto scratch = ScratchDir::create(store);
  if (!scratch) return scratch.error();
  if (Status s = extract_plain_tar(file, scratch->path(), kMaxArchiveBytes); !s.ok()) {
    return s.error().wrap("import " + file.string());
  }
  return import_oci_layout(store, scratch->path(), tag);
}

Result<std::string> import_docker_archive(const Store& store, const fs::path& file) {
  auto scratch = ScratchDir::create(store);
  if (!scratch) return scratch.error();
  if (Status s = extract_plain_tar(file, scratch->path(), kMaxArchiveBytes); !s.ok()) {
    return s.error().wrap("import " + file.string());
  }
  auto digest = store_docker_image(store, scratch->path());
  if (!digest) return digest.error().wrap("import " + file.string());
  return digest;
}

}  // namespace bbox::image
