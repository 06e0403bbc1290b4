// Non-dir sources: registry pulls and local OCI/Docker archives, brought into
// the store and turned into a root image once per manifest digest.
#include <ctime>

#include "bbox/common/message.h"
#include "image/config.h"
#include "image/digest.h"
#include "image/fsutil.h"
#include "image/import.h"
#include "image/manifest.h"
#include "image/registry.h"
#include "image/sources.h"
#include "image/unpack.h"

namespace bbox::image {
namespace {

namespace fs = std::filesystem;

// The stored image's root image and config, building the root image when it
// is missing; records the image in the catalog.
Result<ResolvedImage> finish(const Store& store, const std::string& reference,
                             const std::string& canonical, const std::string& digest) {
  auto body = store.read_blob(digest, kMaxManifestBytes);
  if (!body) return body.error();
  auto manifest = parse_manifest(*body);
  if (!manifest) return manifest.error();
  auto config_blob = store.read_blob(manifest->config.digest, kMaxConfigBytes);
  if (!config_blob) return config_blob.error();
  auto config = parse_image_config_blob(*config_blob);
  if (!config) return config.error();

  auto root = ensure_root_image(store, digest, [&](const fs::path& out) -> Result<fs::path> {
    ui::info("building root image for {}", ui::quoted(canonical));
    if (Status s = unpack_and_build(store, *manifest, out); !s.ok()) return s.error();
    return out;
  });
  if (!root) return root.error().wrap("prepare image " + canonical);

  StoredImage entry;
  entry.reference = canonical;
  entry.digest = digest;
  entry.blobs = manifest->blob_digests();
  entry.blobs.push_back(digest);
  entry.size = disk_usage(*root);
  for (const auto& b : entry.blobs) entry.size += disk_usage(store.blob_path(b));
  auto previous = store.find(canonical);
  entry.created = previous.ok() && previous->has_value() && (*previous)->digest == digest
                      ? (*previous)->created
                      : std::time(nullptr);
  entry.last_used = std::time(nullptr);
  entry.config = *config;
  if (Status s = store.record(entry); !s.ok()) return s.error();
  return ResolvedImage{reference, digest, *root, *config};
}

// True when every blob of the stored image is still present.
bool complete(const Store& store, const StoredImage& im) {
  for (const auto& b : im.blobs) {
    if (!store.has_blob(b)) return false;
  }
  return store.has_blob(im.digest);
}

Result<std::string> fetch(const Store& store, const Source& source) {
  switch (source.transport) {
    case Transport::kDocker:
      return pull_image(store, source.registry);
    case Transport::kOci:
      return import_oci_layout(store, source.path, source.tag);
    case Transport::kOciArchive:
      return import_oci_archive(store, source.path, source.tag);
    case Transport::kDockerArchive:
      return import_docker_archive(store, source.path);
    case Transport::kDir:
      break;
  }
  return Error{"fetch " + source.canonical() + ": not a stored transport"};
}

}  // namespace

Result<fs::path> ensure_root_image(const Store& store, const std::string& digest,
                                   const std::function<Result<fs::path>(const fs::path&)>& make) {
  fs::path out = store.root_image_path(digest);
  auto l = store.lock("root-" + digest_hex(digest));
  if (!l) return l.error();
  std::error_code ec;
  if (fs::is_regular_file(out, ec)) return out;
  return make(out);
}

Result<ResolvedImage> resolve_stored(const Store& store, const Source& source, PullPolicy policy) {
  std::string canonical = source.canonical();
  auto gc = store.lock("gc", true);  // rm and prune wait for us
  if (!gc) return gc.error();

  // A local OCI layout is re-read every time (cheap: blobs already stored are
  // skipped), so a rebuilt image is picked up; the rest honour the policy.
  if (policy != PullPolicy::kAlways && source.transport != Transport::kOci) {
    auto found = store.find(canonical);
    if (!found) return found.error();
    if (found->has_value() && complete(store, **found)) {
      return finish(store, canonical, canonical, (*found)->digest);
    }
    if (policy == PullPolicy::kNever) {
      return Error{"resolve image " + canonical +
                   ": not in the image store and the pull policy is never"};
    }
  }
  auto digest = fetch(store, source);
  if (!digest) return digest.error();
  return finish(store, canonical, canonical, *digest);
}

}  // namespace bbox::image
