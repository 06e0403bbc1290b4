#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <nlohmann/json.hpp>

#include "image/digest.h"
#include "image/fsutil.h"
#include "image/import.h"
#include "image/manifest.h"

namespace bbox::image {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path layout_blob(const fs::path& dir, const std::string& digest) {
  return dir / "blobs" / "sha256" / digest_hex(digest);
}

// Picks the index entry named by tag, or the only entry when tag is empty.
Result<std::string> pick_entry(const fs::path& dir, const std::string& tag) {
  auto text = read_file_capped(dir / "index.json", kMaxManifestBytes);
  if (!text) return text.error();
  json index = json::parse(*text, nullptr, false);
  if (index.is_discarded() || !index.contains("manifests") || !index["manifests"].is_array()) {
    return Error{"read " + (dir / "index.json").string() + ": not an OCI index"};
  }
  std::vector<std::string> names, digests;
  for (const auto& m : index["manifests"]) {
    if (!m.is_object() || !m.contains("digest") || !m["digest"].is_string()) continue;
    std::string name;
    if (m.contains("annotations") && m["annotations"].is_object()) {
      name = m["annotations"].value("org.opencontainers.image.ref.name", "");
    }
    names.push_back(name);
    digests.push_back(m["digest"].get<std::string>());
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (!tag.empty() && names[i] == tag) return digests[i];
  }
  if (tag.empty() && digests.size() == 1) return digests[0];
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + (n.empty() ? "(untagged)" : n);
  std::string want = tag.empty() ? "give a tag: oci:" + dir.string() + ":TAG" : "no tag " + tag;
  return Error{"pick image in " + dir.string() + ": " + want +
               " (it holds: " + (all.empty() ? std::string("nothing") : all) + ")"};
}

}  // namespace

Status copy_blob_verified(const Store& store, const fs::path& src, const std::string& digest) {
  if (!valid_digest(digest)) return Error{"copy blob: unsupported digest " + digest};
  if (store.has_blob(digest)) return ok_status();
  UniqueFd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!in) return errno_error("read blob " + src.string(), errno);
  std::string tmp = (store.tmp_dir() / "blob-XXXXXX").string();
  UniqueFd out(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!out) return errno_error("create " + tmp, errno);
  Sha256 hash;
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) break;
    if (n < 0 || ::write(out.get(), buf.data(), n) != n) {
      int e = errno;
      ::unlink(tmp.c_str());
      return errno_error("copy blob " + digest, e);
    }
    hash.update(buf.data(), static_cast<size_t>(n));
  }
  std::string actual = hash.finish();
  if (actual != digest) {
    ::unlink(tmp.c_str());
    return Error{"verify blob " + digest + " from " + src.string() + ": content has digest " +
                 actual + "; refusing it"};
  }
  ::fchmod(out.get(), 0644);
  if (::rename(tmp.c_str(), store.blob_path(digest).c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return errno_error("store blob " + digest, e);
  }
  return ok_status();
}

Result<std::string> import_oci_layout(const Store& store, const fs::path& dir,
                                      const std::string& tag) {
  auto context = "import " + dir.string();
  auto digest = pick_entry(dir, tag);
  if (!digest) return digest.error();
  if (!valid_digest(*digest)) return Error{context + ": unsupported digest " + *digest};
  auto body = read_file_capped(layout_blob(dir, *digest), kMaxManifestBytes);
  if (!body) return body.error().wrap(context);
  if (sha256_digest(*body) != *digest) {
    return Error{context + ": manifest " + *digest + " does not match its digest"};
  }
  if (is_index("", *body)) {
    auto entry = pick_platform(*body);
    if (!entry) return entry.error().wrap(context);
    *digest = entry->digest;
    body = read_file_capped(layout_blob(dir, *digest), kMaxManifestBytes);
    if (!body) return body.error().wrap(context);
  }
  auto manifest = parse_manifest(*body);
  if (!manifest) return manifest.error().wrap(context);
  for (const auto& b : manifest->blob_digests()) {
    if (Status s = copy_blob_verified(store, layout_blob(dir, b), b); !s.ok()) {
      return s.error().wrap(context);
    }
  }
  if (Status s = store.put_blob(*body, *digest); !s.ok()) return s.error().wrap(context);
  return *digest;
}

}  // namespace bbox::image
