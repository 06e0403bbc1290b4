// The OCI image layout the local builds write into, and the image config and
// manifest of each built image.
#include <fstream>

#include "image/build_steps.h"

namespace bbox::image::build {
namespace {

using nlohmann::json;

constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kConfigType = "application/vnd.oci.image.config.v1+json";
constexpr const char* kRefName = "org.opencontainers.image.ref.name";

json descriptor_json(const Descriptor& d) {
  return json{{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
}

Result<json> read_json_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"read '" + path.string() + "': cannot open"};
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) return Error{"read '" + path.string() + "': not valid JSON"};
  return j;
}

bool valid_digest(const std::string& d) {
  if (d.size() != 71 || d.rfind("sha256:", 0) != 0) return false;
  return d.find_first_not_of("0123456789abcdef", 7) == std::string::npos;
}

}  // namespace

Result<OciLayout> OciLayout::open(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir / "blobs" / "sha256", ec);
  if (ec) return Error{"create '" + dir.string() + "': " + ec.message()};
  if (!fs::exists(dir / "oci-layout")) {
    auto st = write_file_atomic(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    if (!st) return st.error();
  }
  if (!fs::exists(dir / "index.json")) {
    auto lock = FileLock::acquire(dir / "index.lock");
    if (!lock) return lock.error();
    if (!fs::exists(dir / "index.json")) {
      json index{{"schemaVersion", 2}, {"manifests", json::array()}};
      auto st = write_file_atomic(dir / "index.json", index.dump(2) + "\n");
      if (!st) return st.error();
    }
  }
  return OciLayout(dir);
}

fs::path OciLayout::blob_path(const std::string& digest) const {
  return dir_ / "blobs" / "sha256" / digest.substr(7);
}

Result<Descriptor> OciLayout::add_blob_file(const fs::path& file, const std::string& media_type,
                                            std::optional<std::string> digest) {
  if (!digest) {
    auto d = sha256_file(file);
    if (!d) return d.error();
    digest = *d;
  }
  std::error_code ec;
  uint64_t size = fs::file_size(file, ec);
  if (ec) return Error{"read '" + file.string() + "': " + ec.message()};
  fs::rename(file, blob_path(*digest), ec);
  if (ec) return Error{"store blob " + *digest + ": " + ec.message()};
  return Descriptor{media_type, *digest, size};
}

Result<Descriptor> OciLayout::add_blob_text(const std::string& text,
                                            const std::string& media_type) {
  std::string digest = sha256_text(text);
  if (!fs::exists(blob_path(digest))) {
    auto st = write_file_atomic(blob_path(digest), text);
    if (!st) return st.error();
  }
  return Descriptor{media_type, digest, text.size()};
}

Result<std::string> OciLayout::read_blob(const std::string& digest) const {
  if (!valid_digest(digest)) return Error{"read blob: bad digest '" + digest + "'"};
  std::ifstream in(blob_path(digest), std::ios::binary);
  if (!in) return Error{"read blob " + digest + ": not in '" + dir_.string() + "'"};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (sha256_text(text) != digest) return Error{"read blob " + digest + ": digest mismatch"};
  return text;
}

Status OciLayout::tag(const std::string& name, const Descriptor& manifest) {
  auto lock = FileLock::acquire(dir_ / "index.lock");
  if (!lock) return lock.error();
  auto index = read_json_file(dir_ / "index.json");
  if (!index) return index.error();

  json kept = json::array();
  for (const auto& m : (*index)["manifests"]) {
    if (m.value("annotations", json::object()).value(kRefName, "") != name) kept.push_back(m);
  }
  json d = descriptor_json(manifest);
  d["annotations"] = {{kRefName, name}};
  kept.push_back(d);
  (*index)["manifests"] = kept;
  return write_file_atomic(dir_ / "index.json", index->dump(2) + "\n");
}

std::optional<Descriptor> OciLayout::find(const std::string& name) const {
  auto index = read_json_file(dir_ / "index.json");
  if (!index || !index->contains("manifests")) return std::nullopt;
  for (const auto& m : (*index)["manifests"]) {
    if (m.value("annotations", json::object()).value(kRefName, "") != name) continue;
    std::string digest = m.value("digest", "");
    if (!valid_digest(digest) || !fs::exists(blob_path(digest))) return std::nullopt;
    return Descriptor{m.value("mediaType", ""), digest, m.value("size", uint64_t{0})};
  }
  return std::nullopt;
}

Result<Descriptor> write_image(OciLayout& layout, const ImagePlan& plan) {
  json diff_ids = json::array(), layers = json::array(), history = json::array();
  for (const auto& l : plan.layers) {
    diff_ids.push_back(l.digest);  // uncompressed layers: diff_id == digest
    layers.push_back(descriptor_json(l));
  }
  for (const auto& h : plan.history) history.push_back({{"created_by", h}});

  json config{
      {"architecture", "amd64"},
      {"os", "linux"},
      {"created", "2024-01-01T00:00:00Z"},
      {"config", {{"Env", plan.env}, {"WorkingDir", "/workspace"}, {"Labels", plan.labels}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
      {"history", history}};
  auto cfg = layout.add_blob_text(config.dump(), kConfigType);
  if (!cfg) return cfg.error();

  json manifest{{"schemaVersion", 2},
                {"mediaType", kManifestType},
                {"config", descriptor_json(*cfg)},
                {"layers", layers}};
  return layout.add_blob_text(manifest.dump(), kManifestType);
}

static Result<json> read_manifest(const OciLayout& layout, const std::string& name) {
  auto m = layout.find(name);
  if (!m) return Error{"find image '" + name + "': not built"};
  auto text = layout.read_blob(m->digest);
  if (!text) return text.error();
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Error{"read manifest of '" + name + "': not valid JSON"};
  return j;
}

Result<json> read_image_config(const OciLayout& layout, const std::string& name) {
  auto manifest = read_manifest(layout, name);
  if (!manifest) return manifest.error();
  auto text = layout.read_blob((*manifest)["config"].value("digest", ""));
  if (!text) return text.error();
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Error{"read config of '" + name + "': not valid JSON"};
  return j;
}

Result<std::vector<Descriptor>> read_image_layers(const OciLayout& layout,
                                                  const std::string& name) {
  auto manifest = read_manifest(layout, name);
  if (!manifest) return manifest.error();
  std::vector<Descriptor> out;
  for (const auto& l : (*manifest)["layers"]) {
    out.push_back({l.value("mediaType", ""), l.value("digest", ""), l.value("size", uint64_t{0})});
  }
  return out;
}

}  // namespace bbox::image::build
