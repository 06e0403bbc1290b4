#include "bbox_test/files.h"

#include <sys/stat.h>

#include <fstream>
#include <iterator>

namespace bbox::test_support {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& p, const std::string& content) {
  std::error_code ec;
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
}

void write_file(const fs::path& p, const std::string& content, mode_t mode) {
  write_file(p, content);
  ::chmod(p.c_str(), mode);
}

}  // namespace bbox::test_support
