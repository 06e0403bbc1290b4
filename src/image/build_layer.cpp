// Deterministic layer tars: every entry owned by 0:0 and dated kEpoch, so the
// same inputs give the same digest, whoever runs the build.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <cerrno>
#include <memory>
#include <set>

#include "image/build_steps.h"

namespace bbox::image::build {

struct LayerWriter::State {
  fs::path path;
  UniqueFd fd;
  archive* a = nullptr;
  EVP_MD_CTX* sha = nullptr;
  uint64_t size = 0;
  bool write_failed = false;
  std::set<std::string> dirs;
};

namespace {

// libarchive's write callback: to the file, through the digest.
la_ssize_t write_cb(archive*, void* data, const void* buf, size_t n) {
  auto* s = static_cast<LayerWriter::State*>(data);
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::write(s->fd.get(), static_cast<const char*>(buf) + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      s->write_failed = true;
      return -1;
    }
    done += w;
  }
  EVP_DigestUpdate(s->sha, buf, n);
  s->size += n;
  return static_cast<la_ssize_t>(n);
}

using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

EntryPtr new_entry(const std::string& path, mode_t type, unsigned mode) {
  EntryPtr e(archive_entry_new(), &archive_entry_free);
  archive_entry_set_pathname(e.get(), path.c_str());
  archive_entry_set_filetype(e.get(), type);
  archive_entry_set_perm(e.get(), mode);
  archive_entry_set_uid(e.get(), 0);
  archive_entry_set_gid(e.get(), 0);
  archive_entry_set_uname(e.get(), "root");
  archive_entry_set_gname(e.get(), "root");
  archive_entry_set_mtime(e.get(), kEpoch, 0);
  return e;
}

// A member path of an npm tarball, made relative and checked: no "..", no
// absolute path, no empty name.
std::optional<std::string> clean_member(const std::string& raw) {
  std::string out;
  size_t i = 0;
  while (i <= raw.size()) {
    size_t j = raw.find('/', i);
    if (j == std::string::npos) j = raw.size();
    std::string part = raw.substr(i, j - i);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") out += (out.empty() ? "" : "/") + part;
    i = j + 1;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace

Result<LayerWriter> LayerWriter::create(const fs::path& out) {
  auto s = std::make_unique<State>();
  s->path = out;
  s->fd.reset(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!s->fd) return errno_error("create '" + out.string() + "'", errno);
  s->sha = EVP_MD_CTX_new();
  EVP_DigestInit_ex(s->sha, EVP_sha256(), nullptr);
  s->a = archive_write_new();
  archive_write_set_format_pax_restricted(s->a);
  archive_write_set_bytes_in_last_block(s->a, 1);
  if (archive_write_open2(s->a, s.get(), nullptr, write_cb, nullptr, nullptr) != ARCHIVE_OK) {
    return Error{"start layer '" + out.string() + "': " + archive_error_string(s->a)};
  }
  return LayerWriter(s.release());
}

LayerWriter::LayerWriter(LayerWriter&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}

LayerWriter::~LayerWriter() {
  if (s_ == nullptr) return;
  if (s_->a != nullptr) archive_write_free(s_->a);
  if (s_->sha != nullptr) EVP_MD_CTX_free(s_->sha);
  delete s_;
}

Status LayerWriter::add_parents(const std::string& path) {
  for (size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    auto st = add_directory(path.substr(0, slash));
    if (!st) return st;
  }
  return ok_status();
}

Status LayerWriter::add_directory(const std::string& path, unsigned mode) {
  if (s_->dirs.count(path) != 0) return ok_status();
  auto st = add_parents(path);
  if (!st) return st;
  s_->dirs.insert(path);
  auto e = new_entry(path + "/", AE_IFDIR, mode);
  if (archive_write_header(s_->a, e.get()) != ARCHIVE_OK) {
    return Error{"write layer entry '" + path + "': " + archive_error_string(s_->a)};
  }
  return ok_status();
}

Status LayerWriter::add_symlink(const std::string& path, const std::string& target) {
  auto st = add_parents(path);
  if (!st) return st;
  auto e = new_entry(path, AE_IFLNK, 0777);
  archive_entry_set_symlink(e.get(), target.c_str());
  if (archive_write_header(s_->a, e.get()) != ARCHIVE_OK) {
    return Error{"write layer entry '" + path + "': " + archive_error_string(s_->a)};
  }
  return ok_status();
}

Status LayerWriter::add_file(const std::string& path, const std::string& content, unsigned mode) {
  auto st = add_parents(path);
  if (!st) return st;
  auto e = new_entry(path, AE_IFREG, mode);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(content.size()));
  if (archive_write_header(s_->a, e.get()) != ARCHIVE_OK ||
      archive_write_data(s_->a, content.data(), content.size()) < 0) {
    return Error{"write layer entry '" + path + "': " + archive_error_string(s_->a)};
  }
  return ok_status();
}

Result<Descriptor> LayerWriter::finish() {
  int rc = archive_write_close(s_->a);
  if (rc != ARCHIVE_OK || s_->write_failed) {
    return Error{"write layer '" + s_->path.string() + "': " + archive_error_string(s_->a)};
  }
  if (::fsync(s_->fd.get()) != 0) return errno_error("sync '" + s_->path.string() + "'", errno);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(s_->sha, out, &len);
  std::string digest = "sha256:";
  static const char* hexd = "0123456789abcdef";
  for (unsigned i = 0; i < len; ++i) {
    digest += hexd[out[i] >> 4];
    digest += hexd[out[i] & 15];
  }
  return Descriptor{"application/vnd.oci.image.layer.v1.tar", digest, s_->size};
}

Result<size_t> LayerWriter::add_from_tgz(const fs::path& tgz, const std::string& from,
                                         const std::string& to) {
  std::unique_ptr<archive, decltype(&archive_read_free)> in(archive_read_new(), &archive_read_free);
  archive_read_support_filter_gzip(in.get());
  archive_read_support_format_tar(in.get());
  if (archive_read_open_filename(in.get(), tgz.c_str(), 1 << 20) != ARCHIVE_OK) {
    return Error{"read '" + tgz.string() + "': " + archive_error_string(in.get())};
  }
  size_t files = 0;
  archive_entry* src = nullptr;
  int rc;
  while ((rc = archive_read_next_header(in.get(), &src)) == ARCHIVE_OK) {
    auto name = clean_member(archive_entry_pathname(src));
    if (!name) return Error{"read '" + tgz.string() + "': unsafe member path"};
    if (*name != from && name->rfind(from + "/", 0) != 0) continue;
    std::string rest = name->substr(from.size());
    std::string dest = to + rest;
    auto type = archive_entry_filetype(src);

    if (type == AE_IFDIR) {
      auto st = add_directory(dest);
      if (!st) return st.error();
      continue;
    }
    if (type == AE_IFLNK) {
      auto st = add_symlink(dest, archive_entry_symlink(src));
      if (!st) return st.error();
      continue;
    }
    if (type != AE_IFREG)
      return Error{"read '" + tgz.string() + "': member '" + *name +
                   "' is neither file, directory nor symlink"};
    auto st = add_parents(dest);
    if (!st) return st.error();
    unsigned mode = (archive_entry_perm(src) & 0111) != 0 ? 0755 : 0644;
    auto e = new_entry(dest, AE_IFREG, mode);
    archive_entry_set_size(e.get(), archive_entry_size(src));
    if (archive_write_header(s_->a, e.get()) != ARCHIVE_OK) {
      return Error{"write layer entry '" + dest + "': " + archive_error_string(s_->a)};
    }
    const void* buf;
    size_t n;
    la_int64_t off;
    while ((rc = archive_read_data_block(in.get(), &buf, &n, &off)) == ARCHIVE_OK) {
      if (archive_write_data(s_->a, buf, n) < 0) {
        return Error{"write layer entry '" + dest + "': " + archive_error_string(s_->a)};
      }
    }
    if (rc != ARCHIVE_EOF)
      return Error{"read '" + tgz.string() + "': " + archive_error_string(in.get())};
    ++files;
  }
  if (rc != ARCHIVE_EOF)
    return Error{"read '" + tgz.string() + "': " + archive_error_string(in.get())};
  return files;
}

}  // namespace bbox::image::build
