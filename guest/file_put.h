// Writing the files the host sends before the command (kFilePut): imported
// settings, restored credentials, git configuration for the sandbox user.
//
// A path is accepted only when it is absolute, under /home/sandbox (not that
// directory itself) and made of plain components (no "", "." or ".."). The
// walk goes from the root directory one component at a time with O_NOFOLLOW,
// so a symlink anywhere on the way (the image may hold one) is refused rather
// than followed; missing parents are created 0700 and owned by the sandbox
// user. Regular files are written to a temporary name beside the target and
// renamed over it, so an existing hard link to elsewhere is never written
// through. Only regular files and directories; the owner is the sandbox user;
// the permission bits are kept without setuid and setgid.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "bbox/common/unique_fd.h"
#include "bbox/proto/protocol.h"

namespace bbox::guest {

// The directory all put paths must be under.
inline constexpr const char* kPutRoot = "/home/sandbox";

class FilePutter {
 public:
  // `root_fd` stands for "/" (the guest's root directory in bbox-init, a
  // temporary directory in tests); it must stay open while this object lives.
  // Files and created parents are owned by uid:gid.
  FilePutter(int root_fd, uid_t uid, gid_t gid) : root_(root_fd), uid_(uid), gid_(gid) {}
  ~FilePutter();
  FilePutter(const FilePutter&) = delete;
  FilePutter& operator=(const FilePutter&) = delete;

  // One kFilePut frame: starts a file, or continues the current one when
  // the path is the same as the previous frame's.
  void add(const proto::FileChunk& chunk);
  // Ends the batch: the last file is completed.
  void finish();
  // The files that failed since the last call, one error each.
  std::vector<proto::FileError> take_errors();

 private:
  void start(const proto::FileChunk& chunk);
  void complete();
  void fail(const std::string& what);
  bool open_parent(const std::vector<std::string>& parts, std::string* error);
  void make_directory(const std::string& name, uint32_t mode);
  void begin_regular(const std::string& name, const std::string& data);
  void discard_temporary();

  int root_;
  uid_t uid_;
  gid_t gid_;
  std::vector<proto::FileError> errors_;

  // The file in progress.
  std::string path_;
  bool active_ = false;
  bool failed_ = false;
  uint32_t mode_ = 0;
  UniqueFd parent_;
  UniqueFd temp_;
  std::string name_;
  std::string temp_name_;
};

// Splits a put path into its components below kPutRoot. False when it is
// not absolute, not strictly under kPutRoot, or has "", "." or ".." parts.
bool split_put_path(const std::string& path, std::vector<std::string>* parts);

}  // namespace bbox::guest
