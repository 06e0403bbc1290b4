// The local image store, under paths::data_dir()/images:
//
//   oci-layout, index.json   OCI image layout over the stored manifests, so
//                            `skopeo copy oci:STORE:REF ...` can read it
//   blobs/sha256/<hex>       content-addressed blobs, verified before they land
//   roots/<hex>.ext4         read-only root images, keyed by manifest digest
//                            (tree digest for dir: images)
//   catalog.json             which reference names which digest, sizes, times
//   locks/<name>.lock        flock(2) files; catalog.lock guards catalog.json
//   tmp/                     partial downloads; removed on failure
//
// Every file appears by rename(2) from a complete temporary file, so a reader
// never sees half of anything. Several bbox processes may use one store.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"
#include "bbox/image/image.h"

namespace bbox::image {

struct StoredImage {
  std::string reference;           // canonical: "docker://registry/repo:tag", "dir:/abs/path", ...
  std::string digest;              // manifest digest, or tree digest for dir:
  std::vector<std::string> blobs;  // every blob the image needs (manifest, config, layers)
  uint64_t size = 0;               // bytes of its blobs plus its root image
  int64_t created = 0;             // unix seconds
  int64_t last_used = 0;           // unix seconds
  ImageConfig config;
};

// An exclusive flock(2) held until destruction.
class FileLock {
 public:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}

 private:
  UniqueFd fd_;
};

class Store {
 public:
  explicit Store(std::filesystem::path root) : root_(std::move(root)) {}
  // paths::data_dir()/images.
  static Store open_default();

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path blob_path(const std::string& digest) const;
  std::filesystem::path root_image_path(const std::string& digest) const;
  std::filesystem::path tmp_dir() const { return root_ / "tmp"; }

  // Creates the directories and the oci-layout file when missing.
  Status ensure_layout() const;
  // Blocks until the named lock is held (shared: several holders at once).
  // Pulls and builds hold "gc" shared; rm and prune take it exclusively, so
  // they never delete the blobs of an image still being pulled.
  Result<FileLock> lock(const std::string& name, bool shared = false) const;

  bool has_blob(const std::string& digest) const;
  // Reads a stored blob of at most max_bytes, re-verifying its digest.
  Result<std::string> read_blob(const std::string& digest, uint64_t max_bytes) const;
  // Verifies file against digest and moves it into blobs/; removes it on a mismatch.
  Status adopt_blob(const std::filesystem::path& file, const std::string& digest) const;
  Status put_blob(const std::string& data, const std::string& digest) const;

  Result<std::vector<StoredImage>> list() const;
  Result<std::optional<StoredImage>> find(const std::string& reference) const;
  // Adds or replaces the entry for image.reference.
  Status record(const StoredImage& image) const;
  Status touch(const std::string& reference) const;
  // Removes the entries named (reference or digest, unique prefix of the hex
  // allowed) and every blob and root image no remaining entry uses.
  Result<std::vector<StoredImage>> remove(const std::string& name) const;
  // Removes entries unused for at least `days` days, then unreferenced files.
  Result<std::vector<StoredImage>> prune(int days) const;

 private:
  Status garbage_collect(const std::vector<StoredImage>& kept) const;
  Status write_catalog(const std::vector<StoredImage>& images) const;
  Result<std::vector<StoredImage>> read_catalog() const;

  std::filesystem::path root_;
};

}  // namespace bbox::image
