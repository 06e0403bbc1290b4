#include "vm/guest_files.h"

#include <poll.h>

#include <string_view>

namespace bbox::vm {
namespace {

using Clock = std::chrono::steady_clock;

// Adds one chunk: a new entry, or more data for the entry it continues.
bool add_chunk(FetchedTree& tree, proto::FileChunk chunk, size_t* budget) {
  if (!is_safe_relative_path(chunk.path)) {
    tree.error = "the guest sent an unsafe path";
    return false;
  }
  bool continues = !tree.entries.empty() && tree.entries.back().path == chunk.path;
  // A new entry costs its path and its bookkeeping too: empty files and
  // folders would otherwise come free, a million of them in the 30 seconds.
  size_t cost = chunk.data.size() + (continues ? 0 : chunk.path.size() + kFetchEntryBytes);
  if (cost > *budget) {
    tree.error = "the guest sent more than the fetch limit";
    return false;
  }
  *budget -= cost;
  if (continues) {
    tree.entries.back().data += chunk.data;
  } else {
    tree.entries.push_back(GuestFile{std::move(chunk.path), chunk.mode, std::move(chunk.data)});
  }
  return true;
}

// Handles the frames read so far. True once the fetch is over.
bool take_frames(ControlChannel& control, uint32_t channel, FetchedTree& tree, size_t* budget) {
  while (auto f = control.next()) {
    if (f->channel != channel) continue;
    if (f->type == proto::Type::kFileEnd) {
      tree.error = f->payload;
      return true;
    }
    if (f->type != proto::Type::kFileData) continue;
    proto::FileChunk chunk;
    if (!proto::decode(f->payload, &chunk)) {
      tree.error = "the guest sent a malformed file chunk";
      return true;
    }
    if (!add_chunk(tree, std::move(chunk), budget)) return true;
  }
  return false;
}

}  // namespace

bool is_safe_relative_path(const std::string& path) {
  if (path.empty()) return true;
  if (path.front() == '/' || path.back() == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (part.find('\0') != std::string_view::npos) return false;
    start = end + 1;
  }
  return true;
}

FetchedTree fetch_guest_tree(ControlChannel& control, ChildProcess& qemu, uint32_t channel,
                             const std::string& root, Clock::time_point deadline, size_t* budget) {
  FetchedTree tree;
  tree.root = root;
  control.send(proto::Type::kFileGet, channel, root);
  while (true) {
    if (take_frames(control, channel, tree, budget)) break;
    if (control.broken() || qemu.poll_exit()) {
      tree.error = "the VM stopped during the fetch";
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      tree.error = "the guest did not answer in time";
      break;
    }
    pollfd p{control.fd(), static_cast<short>(POLLIN | (control.wants_write() ? POLLOUT : 0)), 0};
    ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 200)));
    control.flush();
    control.read_available();
  }
  if (!tree.error.empty()) tree.entries.clear();
  return tree;
}

}  // namespace bbox::vm
