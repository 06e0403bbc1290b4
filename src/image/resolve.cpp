// resolve_image: from a reference to a stored root image.
#include <ctime>
#include <functional>

#include "bbox/image/image.h"
#include "bbox/image/store.h"
#include "image/digest.h"
#include "image/fsutil.h"
#include "image/sources.h"
#include "image/tree.h"

namespace bbox::image {
namespace {

namespace fs = std::filesystem;

Result<ResolvedImage> resolve_dir(const Store& store, const std::string& reference,
                                  const std::string& path_text) {
  std::error_code ec;
  fs::path dir = fs::absolute(path_text, ec);
  if (ec || !fs::is_directory(dir, ec)) {
    return Error{"resolve image " + reference + ": " + path_text + " is not a directory"};
  }
  auto gc = store.lock("gc", true);
  if (!gc) return gc.error();
  auto tree = walk_tree(dir);
  if (!tree) return tree.error().wrap("resolve image " + reference);
  const std::string& digest = tree->listing_digest;
  auto root = ensure_root_image(store, digest,
                                [&](const fs::path& out) { return build_root_image(dir, out); });
  if (!root) return root.error();

  StoredImage entry;
  entry.reference = "dir:" + dir.string();
  entry.digest = digest;
  entry.size = disk_usage(*root);
  entry.created = entry.last_used = std::time(nullptr);
  if (Status s = store.record(entry); !s.ok()) return s.error();
  return ResolvedImage{reference, digest, *root, {}};
}

}  // namespace

Result<std::string> canonical_reference(const std::string& reference) {
  auto source = parse_source(reference);
  if (!source) return source.error();
  return source->canonical();
}

Result<PullPolicy> parse_pull_policy(const std::string& text) {
  if (text == "always") return PullPolicy::kAlways;
  if (text == "if-not-present" || text == "missing") return PullPolicy::kIfNotPresent;
  if (text == "never") return PullPolicy::kNever;
  return Error{"read pull policy '" + text + "': expected always, if-not-present or never"};
}

Result<ResolvedImage> resolve_image(const std::string& reference, PullPolicy policy) {
  Store store = Store::open_default();
  if (Status s = store.ensure_layout(); !s.ok()) return s.error();
  auto source = parse_source(reference);
  if (!source) return source.error();
  if (source->transport == Transport::kDir) return resolve_dir(store, reference, source->path);
  auto resolved = resolve_stored(store, *source, policy);
  if (resolved) resolved->reference = reference;
  return resolved;
}

}  // namespace bbox::image
