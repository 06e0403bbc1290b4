// SHA-256 of file contents with OpenSSL EVP (SHA-NI where the CPU has it),
// and git's blob SHA-1 for patch index lines. Streams; never loads a file.
#pragma once

#include <string>

#include "bbox/common/result.h"

namespace bbox::workspace {

// Hex SHA-256 of everything readable from fd, from offset 0.
Result<std::string> sha256_fd(int fd);
// Hex SHA-1 of "blob <size>\0" + contents: git's object id for the file.
Result<std::string> git_blob_id_fd(int fd);
std::string git_blob_id(const std::string& content);

}  // namespace bbox::workspace
