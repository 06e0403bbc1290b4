// Sending files the host asks for (kFileGet): a regular file, a symlink, or a
// directory tree, as FileData frames followed by one FileEnd.
#pragma once

#include <cstdint>
#include <string>

namespace bbox::guest {

// `root` is an absolute guest path. Entries are sent with paths relative to
// it ("" for the root itself); symlinks are sent, never followed. Ends with a
// FileEnd frame: empty on success, else the error.
void send_files(uint32_t channel, const std::string& root);

}  // namespace bbox::guest
