// Unix stream sockets: the listening ends bbox owns in the session directory
// (control channel, vhost-user for virtiofsd) and client connections (QMP).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string_view>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"

namespace bbox::vm {

// Binds and listens at `path` (removing a stale socket first) and sets the
// socket file's mode to `mode`. Fails when the path is too long for a unix
// socket address.
Result<UniqueFd> listen_unix(const std::filesystem::path& path, mode_t mode);

// Connects to a listening socket at `path`.
Result<UniqueFd> connect_unix(const std::filesystem::path& path);

// Accepts one connection, waiting at most `timeout`; an empty UniqueFd when
// none came in time.
Result<UniqueFd> accept_with_timeout(int listen_fd, std::chrono::milliseconds timeout);

// Writes all of `data`, retrying on EINTR and short writes; polls when the
// descriptor is non-blocking.
Status write_all(int fd, std::string_view data);

}  // namespace bbox::vm
