#include "bbox/image/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <set>

#include <nlohmann/json.hpp>

#include "bbox/common/paths.h"
#include "image/config.h"
#include "image/digest.h"
#include "image/fsutil.h"
#include "image/safe_path.h"
#include "image/userns.h"

namespace bbox::image {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kMaxCatalog = 64ull << 20;

json to_json(const StoredImage& im) {
  return json{{"reference", im.reference},
              {"digest", im.digest},
              {"blobs", im.blobs},
              {"size", im.size},
              {"created", im.created},
              {"last_used", im.last_used},
              {"config", config_to_json(im.config)}};
}

Result<StoredImage> from_json(const json& j) {
  try {
    StoredImage im;
    im.reference = j.at("reference").get<std::string>();
    im.digest = j.at("digest").get<std::string>();
    im.blobs = j.value("blobs", std::vector<std::string>{});
    im.size = j.value("size", uint64_t{0});
    im.created = j.value("created", int64_t{0});
    im.last_used = j.value("last_used", int64_t{0});
    auto c = config_from_json(j.value("config", json::object()));
    if (!c) return c.error();
    im.config = std::move(*c);
    if (!valid_digest(im.digest)) return Error{"bad digest " + im.digest};
    for (const auto& b : im.blobs) {
      if (!valid_digest(b)) return Error{"bad blob digest " + b};
    }
    return im;
  } catch (const json::exception& e) {
    return Error{e.what()};
  }
}

bool matches(const StoredImage& im, const std::string& name) {
  if (im.reference == name || im.digest == name) return true;
  std::string hex = name.rfind("sha256:", 0) == 0 ? name.substr(7) : name;
  return hex.size() >= 6 && digest_hex(im.digest).rfind(hex, 0) == 0;
}

// The OCI image layout's index.json: one entry per stored manifest.
json oci_index(const std::vector<StoredImage>& images, const Store& store) {
  json manifests = json::array();
  for (const auto& im : images) {
    if (!store.has_blob(im.digest)) continue;  // dir: images have no manifest
    std::error_code ec;
    auto size = fs::file_size(store.blob_path(im.digest), ec);
    manifests.push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                         {"digest", im.digest},
                         {"size", ec ? 0 : size},
                         {"annotations", {{"org.opencontainers.image.ref.name", im.reference}}}});
  }
  return json{{"schemaVersion", 2}, {"manifests", manifests}};
}

}  // namespace

Store Store::open_default() { return Store(paths::data_dir() / "images"); }

fs::path Store::blob_path(const std::string& digest) const {
  return root_ / "blobs" / "sha256" / digest_hex(digest);
}

fs::path Store::root_image_path(const std::string& digest) const {
  return root_ / "roots" / (digest_hex(digest) + ".ext4");
}

Status Store::ensure_layout() const {
  std::error_code ec;
  for (const char* d : {"blobs/sha256", "roots", "locks", "tmp"}) {
    fs::create_directories(root_ / d, ec);
    if (ec) return Error{"create " + (root_ / d).string() + ": " + ec.message()};
  }
  if (!fs::exists(root_ / "oci-layout")) {
    return write_file_atomic(root_ / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  }
  return ok_status();
}

Result<FileLock> Store::lock(const std::string& name, bool shared) const {
  if (Status s = ensure_layout(); !s.ok()) return s.error();
  fs::path file = root_ / "locks" / (name + ".lock");
  UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd) return errno_error("open lock " + file.string(), errno);
  while (::flock(fd.get(), shared ? LOCK_SH : LOCK_EX) != 0) {
    if (errno != EINTR) return errno_error("lock " + file.string(), errno);
  }
  return FileLock(std::move(fd));
}

bool Store::has_blob(const std::string& digest) const {
  std::error_code ec;
  return valid_digest(digest) && fs::is_regular_file(blob_path(digest), ec);
}

Result<std::string> Store::read_blob(const std::string& digest, uint64_t max_bytes) const {
  if (!valid_digest(digest)) return Error{"read blob: invalid digest " + digest};
  auto data = read_file_capped(blob_path(digest), max_bytes);
  if (!data) return data.error();
  if (sha256_digest(*data) != digest) {
    return Error{"read blob " + digest + ": stored content does not match its digest"};
  }
  return data;
}

Status Store::adopt_blob(const fs::path& file, const std::string& digest) const {
  auto actual = sha256_file(file);
  if (actual && *actual == digest && valid_digest(digest)) {
    if (::rename(file.c_str(), blob_path(digest).c_str()) == 0) return ok_status();
    int e = errno;
    ::unlink(file.c_str());
    return errno_error("store blob " + digest, e);
  }
  ::unlink(file.c_str());
  if (!actual) return actual.error();
  return Error{"verify blob " + digest + ": content has digest " + *actual + "; refusing it"};
}

Status Store::put_blob(const std::string& data, const std::string& digest) const {
  if (!valid_digest(digest) || sha256_digest(data) != digest) {
    return Error{"verify blob " + digest + ": content does not match its digest; refusing it"};
  }
  if (Status s = ensure_layout(); !s.ok()) return s;
  return write_file_atomic(blob_path(digest), data);
}

Result<std::vector<StoredImage>> Store::read_catalog() const {
  std::vector<StoredImage> out;
  fs::path file = root_ / "catalog.json";
  if (!fs::exists(file)) return out;
  auto text = read_file_capped(file, kMaxCatalog);
  if (!text) return text.error();
  json doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.contains("images") || !doc["images"].is_array()) {
    return Error{"read " + file.string() + ": not a bbox image catalog"};
  }
  for (const auto& j : doc["images"]) {
    auto im = from_json(j);
    if (!im) return im.error().wrap("read " + file.string());
    out.push_back(std::move(*im));
  }
  return out;
}

Status Store::write_catalog(const std::vector<StoredImage>& images) const {
  json list = json::array();
  for (const auto& im : images) list.push_back(to_json(im));
  json doc{{"version", 1}, {"images", list}};
  if (Status s = write_file_atomic(root_ / "catalog.json", doc.dump(2) + "\n"); !s.ok()) return s;
  return write_file_atomic(root_ / "index.json", oci_index(images, *this).dump(2) + "\n");
}

Result<std::vector<StoredImage>> Store::list() const {
  auto l = lock("catalog");
  if (!l) return l.error();
  return read_catalog();
}

Result<std::optional<StoredImage>> Store::find(const std::string& reference) const {
  auto images = list();
  if (!images) return images.error();
  for (auto& im : *images) {
    if (im.reference == reference) return std::optional<StoredImage>(std::move(im));
  }
  return std::optional<StoredImage>();
}

Status Store::record(const StoredImage& image) const {
  auto l = lock("catalog");
  if (!l) return l.error();
  auto images = read_catalog();
  if (!images) return images.error();
  std::erase_if(*images, [&](const StoredImage& im) { return im.reference == image.reference; });
  images->push_back(image);
  return write_catalog(*images);
}

Status Store::touch(const std::string& reference) const {
  auto l = lock("catalog");
  if (!l) return l.error();
  auto images = read_catalog();
  if (!images) return images.error();
  for (auto& im : *images) {
    if (im.reference == reference) im.last_used = std::time(nullptr);
  }
  return write_catalog(*images);
}

Result<std::vector<StoredImage>> Store::remove(const std::string& name) const {
  auto gc = lock("gc");
  if (!gc) return gc.error();
  std::vector<StoredImage> removed, kept;
  {
    auto l = lock("catalog");
    if (!l) return l.error();
    auto images = read_catalog();
    if (!images) return images.error();
    for (auto& im : *images) (matches(im, name) ? removed : kept).push_back(std::move(im));
    if (removed.empty()) return Error{"remove image " + name + ": no such image in the store"};
    if (Status s = write_catalog(kept); !s.ok()) return s.error();
  }
  if (Status s = garbage_collect(kept); !s.ok()) return s.error();
  return removed;
}

Result<std::vector<StoredImage>> Store::prune(int days) const {
  auto gc = lock("gc");
  if (!gc) return gc.error();
  std::vector<StoredImage> removed, kept;
  {
    auto l = lock("catalog");
    if (!l) return l.error();
    auto images = read_catalog();
    if (!images) return images.error();
    int64_t cutoff = std::time(nullptr) - int64_t{days} * 86400;
    for (auto& im : *images) {
      (std::max(im.last_used, im.created) <= cutoff ? removed : kept).push_back(std::move(im));
    }
    if (Status s = write_catalog(kept); !s.ok()) return s.error();
  }
  if (Status s = garbage_collect(kept); !s.ok()) return s.error();
  return removed;
}

// Deletes blobs and root images that no kept entry names, and stale
// temporary files. Called with the "gc" lock held exclusively.
Status Store::garbage_collect(const std::vector<StoredImage>& kept) const {
  std::set<std::string> blobs, roots;
  for (const auto& im : kept) {
    roots.insert(digest_hex(im.digest) + ".ext4");
    for (const auto& b : im.blobs) blobs.insert(digest_hex(b));
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ / "blobs" / "sha256", ec)) {
    if (!blobs.count(e.path().filename().string())) fs::remove(e.path(), ec);
  }
  for (const auto& e : fs::directory_iterator(root_ / "roots", ec)) {
    if (!roots.count(e.path().filename().string())) fs::remove(e.path(), ec);
  }
  // Leftovers of interrupted pulls. Unpacked trees hold subordinate-owned
  // files when bbox is not root: remove them with the powers that made them.
  // Best effort: a failure here leaves only temporary files behind.
  if (fs::is_empty(tmp_dir(), ec) || ec) return ok_status();
  (void)run_as_image_root([&]() -> Status {
    UniqueFd tmp(::open(tmp_dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!tmp) return errno_error("open " + tmp_dir().string(), errno);
    return empty_dir_at(tmp.get(), [](const std::string&) { return false; });
  });
  return ok_status();
}

}  // namespace bbox::image
