#include "vm/cpio.h"

#include <sys/stat.h>

#include <cstdio>

namespace bbox::vm {
namespace {

void pad4(std::string* s) {
  while (s->size() % 4 != 0) s->push_back('\0');
}

void hex8(std::string* s, uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08X", v);
  s->append(buf, 8);
}

}  // namespace

void CpioWriter::add(std::string_view path, uint32_t mode, std::string_view data, uint32_t rmajor,
                     uint32_t rminor) {
  // newc header: magic then 13 fields of 8 hex digits.
  out_ += "070701";
  hex8(&out_, path == "TRAILER!!!" ? 0 : next_ino_++);
  hex8(&out_, mode);
  hex8(&out_, 0);                      // uid
  hex8(&out_, 0);                      // gid
  hex8(&out_, S_ISDIR(mode) ? 2 : 1);  // nlink
  hex8(&out_, 0);                      // mtime
  hex8(&out_, static_cast<uint32_t>(data.size()));
  hex8(&out_, 0);  // devmajor
  hex8(&out_, 0);  // devminor
  hex8(&out_, rmajor);
  hex8(&out_, rminor);
  hex8(&out_, static_cast<uint32_t>(path.size() + 1));  // name size with its NUL
  hex8(&out_, 0);                                       // check
  out_.append(path.data(), path.size());
  out_.push_back('\0');
  pad4(&out_);
  out_.append(data.data(), data.size());
  pad4(&out_);
}

void CpioWriter::add_directory(std::string_view path, uint32_t perms) {
  add(path, S_IFDIR | perms, {}, 0, 0);
}

void CpioWriter::add_file(std::string_view path, std::string_view data, uint32_t perms) {
  add(path, S_IFREG | perms, data, 0, 0);
}

void CpioWriter::add_char_device(std::string_view path, uint32_t major, uint32_t minor,
                                 uint32_t perms) {
  add(path, S_IFCHR | perms, {}, major, minor);
}

std::string CpioWriter::finish() && {
  add("TRAILER!!!", 0, {}, 0, 0);
  return std::move(out_);
}

}  // namespace bbox::vm
