// Builds test images in memory: tar layers with exact headers (libarchive,
// so hostile paths stay as written) and OCI image layouts holding them.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace bbox::image::testing {

struct TarEntry {
  std::string path;
  char type = 'f';   // f file, d directory, l symlink, h hard link, p FIFO, c char device
  std::string data;  // file content
  std::string link;  // symlink target or hard link target
  mode_t mode = 0644;
  uid_t uid = 0;
  gid_t gid = 0;
};

enum class Compression { kNone, kGzip, kZstd };

std::string make_tar(const std::vector<TarEntry>& entries, Compression c = Compression::kGzip);

struct TestLayer {
  std::string bytes;
  Compression compression = Compression::kGzip;
};

struct TestImage {
  std::vector<TestLayer> layers;
  std::vector<std::string> env;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::string user;
  bool multi_arch = false;  // wrap in an index with linux/amd64 and linux/arm64 entries
};

// Writes an OCI image layout in dir (created) with the image tagged `tag`.
// Returns the digest of the linux/amd64 image manifest.
std::string write_oci_layout(const std::filesystem::path& dir, const TestImage& image,
                             const std::string& tag);

// The three-layer busybox image most tests use: busybox and /etc in layer 1,
// whiteouts (a file and an opaque directory) and /top.txt in layer 2 (gzip),
// /etc/motd in layer 3 (zstd). Files owned by 0 except /home/user (1000).
TestImage busybox_image(bool multi_arch);

}  // namespace bbox::image::testing
