#include "vm/guest_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace bbox::vm {

GuestLog::GuestLog(const std::filesystem::path& path)
    : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) {}

void GuestLog::write(std::string_view text) {
  if (!fd_ || written_ + text.size() + 1 > kMaxBytes) {
    dropped_ += text.size();
    return;
  }
  std::string line(text);
  if (line.empty() || line.back() != '\n') line += '\n';
  ssize_t n = ::write(fd_.get(), line.data(), line.size());
  if (n > 0) written_ += static_cast<size_t>(n);
}

}  // namespace bbox::vm
