#include "image/support/test_image_builder.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "image/digest.h"
#include "image/process.h"

namespace bbox::image::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

la_ssize_t append(archive*, void* user, const void* buf, size_t n) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

void add_entry(archive* a, const TarEntry& t) {
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                             archive_entry_free);
  archive_entry_set_pathname(e.get(), t.path.c_str());
  archive_entry_set_uid(e.get(), t.uid);
  archive_entry_set_gid(e.get(), t.gid);
  archive_entry_set_mtime(e.get(), 1700000000, 0);
  archive_entry_set_perm(e.get(), t.mode);
  switch (t.type) {
    case 'd':
      archive_entry_set_filetype(e.get(), AE_IFDIR);
      break;
    case 'l':
      archive_entry_set_filetype(e.get(), AE_IFLNK);
      archive_entry_set_symlink(e.get(), t.link.c_str());
      break;
    case 'h':
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_hardlink(e.get(), t.link.c_str());
      break;
    case 'p':
      archive_entry_set_filetype(e.get(), AE_IFIFO);
      break;
    case 'c':
      archive_entry_set_filetype(e.get(), AE_IFCHR);
      archive_entry_set_rdev(e.get(), makedev(1, 3));
      break;
    default:
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_size(e.get(), t.data.size());
  }
  archive_write_header(a, e.get());
  if (t.type == 'f') archive_write_data(a, t.data.data(), t.data.size());
}

std::string media_type(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "application/vnd.oci.image.layer.v1.tar";
    case Compression::kGzip:
      return "application/vnd.oci.image.layer.v1.tar+gzip";
    case Compression::kZstd:
      return "application/vnd.oci.image.layer.v1.tar+zstd";
  }
  return "";
}

std::string put_blob(const fs::path& dir, const std::string& data) {
  std::string digest = sha256_digest(data);
  std::ofstream(dir / "blobs" / "sha256" / digest.substr(7), std::ios::binary) << data;
  return digest;
}

json descriptor(const std::string& type, const std::string& digest, size_t size) {
  return json{{"mediaType", type}, {"digest", digest}, {"size", size}};
}

std::string read_busybox() {
  std::ifstream in("/bin/busybox", std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

std::string make_tar(const std::vector<TarEntry>& entries, Compression c) {
  std::string out;
  std::unique_ptr<archive, int (*)(archive*)> a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  if (c == Compression::kGzip) archive_write_add_filter_gzip(a.get());
  archive_write_open(a.get(), &out, nullptr, append, nullptr);
  for (const auto& t : entries) add_entry(a.get(), t);
  archive_write_close(a.get());
  // Debian 12's libarchive writes zstd frames its own zstd tool rejects: compress
  // with the zstd program instead.
  if (c == Compression::kZstd) {
    auto z = run_program({"zstd", "-q", "-c"}, out);
    return z.ok() ? *z : std::string();
  }
  return out;
}

std::string write_oci_layout(const fs::path& dir, const TestImage& image, const std::string& tag) {
  fs::create_directories(dir / "blobs" / "sha256");
  std::ofstream(dir / "oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  json layers = json::array(), diff_ids = json::array();
  for (const auto& l : image.layers) {
    layers.push_back(descriptor(media_type(l.compression), put_blob(dir, l.bytes), l.bytes.size()));
    diff_ids.push_back(sha256_digest(l.bytes));  // not checked by bbox; kept well-formed
  }
  auto manifest_for = [&](const std::string& arch) {
    json cfg{{"Env", image.env}, {"Cmd", image.cmd}};
    if (!image.working_dir.empty()) cfg["WorkingDir"] = image.working_dir;
    if (!image.user.empty()) cfg["User"] = image.user;
    json config{{"architecture", arch},
                {"os", "linux"},
                {"config", cfg},
                {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
    std::string cb = config.dump();
    json m{{"schemaVersion", 2},
           {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
           {"config",
            descriptor("application/vnd.oci.image.config.v1+json", put_blob(dir, cb), cb.size())},
           {"layers", layers}};
    std::string mb = m.dump();
    return std::make_pair(put_blob(dir, mb), mb.size());
  };
  auto [amd64, amd64_size] = manifest_for("amd64");
  json top = descriptor("application/vnd.oci.image.manifest.v1+json", amd64, amd64_size);
  if (image.multi_arch) {
    auto [arm64, arm64_size] = manifest_for("arm64");
    auto entry = [](std::string d, size_t s, const char* arch) {
      json e = descriptor("application/vnd.oci.image.manifest.v1+json", d, s);
      e["platform"] = {{"os", "linux"}, {"architecture", arch}};
      return e;
    };
    json index{
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.oci.image.index.v1+json"},
        {"manifests", {entry(arm64, arm64_size, "arm64"), entry(amd64, amd64_size, "amd64")}}};
    std::string ib = index.dump();
    top = descriptor("application/vnd.oci.image.index.v1+json", put_blob(dir, ib), ib.size());
  }
  top["annotations"] = {{"org.opencontainers.image.ref.name", tag}};
  std::ofstream(dir / "index.json") << json{{"schemaVersion", 2}, {"manifests", {top}}}.dump();
  return amd64;
}

TestImage busybox_image(bool multi_arch) {
  TestImage im;
  im.multi_arch = multi_arch;
  im.env = {"PATH=/bin", "GREETING=hello from the image"};
  im.cmd = {"/bin/sh"};
  im.working_dir = "/home/user";
  im.layers.push_back({make_tar({
      {"bin", 'd', "", "", 0755},
      {"bin/busybox", 'f', read_busybox(), "", 0755},
      {"bin/sh", 'l', "", "busybox", 0777},
      {"bin/cat", 'h', "", "bin/busybox"},
      {"etc", 'd', "", "", 0755},
      {"etc/passwd", 'f', "root:x:0:0:root:/root:/bin/sh\n", "", 0644},
      {"etc/old.txt", 'f', "lower layer\n", "", 0644},
      {"opt/gone", 'd', "", "", 0755},
      {"opt/gone/a.txt", 'f', "a\n", "", 0600},
      {"home/user", 'd', "", "", 0750, 1000, 1000},
      {"dev/null", 'c'},
  })});
  im.layers.push_back({make_tar({
      {"etc/.wh.old.txt", 'f'},
      {"opt/gone/.wh..wh..opq", 'f'},
      {"opt/gone/new.txt", 'f', "new\n", "", 0644},
      {"top.txt", 'f', "top layer\n", "", 0644},
  })});
  im.layers.push_back({make_tar({{"etc/motd", 'f', "zstd layer\n", "", 0644}}, Compression::kZstd),
                       Compression::kZstd});
  return im;
}

}  // namespace bbox::image::testing
