// Small helpers shared by the agents tests.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace bbox::image::build {

// A fresh directory under /tmp, removed with its contents at the end.
class TestDir {
 public:
  TestDir() {
    std::string t = "/tmp/bbox-agents-test.XXXXXX";
    path_ = ::mkdtemp(t.data());
  }
  ~TestDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The build cache the slow tests share: BBOX_BINARY_DIR/agents-cache, or
// $BBOX_AGENTS_TEST_CACHE (for running them as another user).
inline std::filesystem::path test_cache_dir() {
  const char* env = ::getenv("BBOX_AGENTS_TEST_CACHE");
  if (env != nullptr && *env != '\0') return env;
  return std::filesystem::path(BBOX_BINARY_DIR) / "agents-cache";
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// One tar member as a test sees it.
struct Member {
  std::string path;
  int type;
  unsigned mode;
  int64_t uid, gid, mtime;
  std::string content_or_target;
  int64_t size = 0;  // not compared: content_or_target says it for small files
  bool operator==(const Member& o) const {
    return path == o.path && type == o.type && mode == o.mode && uid == o.uid && gid == o.gid &&
           mtime == o.mtime && content_or_target == o.content_or_target;
  }
};

inline std::ostream& operator<<(std::ostream& o, const Member& m) {
  return o << m.path << " type=" << m.type << " mode=" << std::oct << m.mode << std::dec << " "
           << m.uid << ":" << m.gid << " t=" << m.mtime << " '" << m.content_or_target << "'";
}

// Every member of a tar (any compression): metadata, and the content of
// regular files up to `max_content` bytes.
inline std::vector<Member> read_tar(const std::filesystem::path& tar,
                                    size_t max_content = 1 << 20) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), &archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  EXPECT_EQ(archive_read_open_filename(a.get(), tar.c_str(), 65536), ARCHIVE_OK);
  std::vector<Member> out;
  archive_entry* e;
  int rc;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    Member m{archive_entry_pathname(e),
             static_cast<int>(archive_entry_filetype(e)),
             archive_entry_perm(e),
             archive_entry_uid(e),
             archive_entry_gid(e),
             archive_entry_mtime(e),
             ""};
    if (m.type == AE_IFLNK) m.content_or_target = archive_entry_symlink(e);
    if (m.type == AE_IFREG) {
      m.size = archive_entry_size(e);
      m.content_or_target.resize(std::min<size_t>(m.size, max_content));
      archive_read_data(a.get(), m.content_or_target.data(), m.content_or_target.size());
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace bbox::image::build
