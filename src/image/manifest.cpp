#include "image/manifest.h"

#include <nlohmann/json.hpp>

#include "image/digest.h"

namespace bbox::image {
namespace {

using nlohmann::json;

constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

Result<Descriptor> descriptor(const json& j, const char* what) {
  if (!j.is_object() || !j.contains("digest") || !j["digest"].is_string()) {
    return Error{std::string("read manifest: ") + what + " has no digest"};
  }
  Descriptor d;
  d.digest = j["digest"].get<std::string>();
  if (!valid_digest(d.digest)) {
    return Error{std::string("read manifest: ") + what + " has an unsupported digest " + d.digest};
  }
  d.media_type = j.value("mediaType", "");
  if (j.contains("size") && j["size"].is_number_unsigned()) d.size = j["size"].get<uint64_t>();
  return d;
}

bool supported_layer(const std::string& type) {
  return type.empty() || type == "application/vnd.oci.image.layer.v1.tar" ||
         type == "application/vnd.oci.image.layer.v1.tar+gzip" ||
         type == "application/vnd.oci.image.layer.v1.tar+zstd" ||
         type == "application/vnd.docker.image.rootfs.diff.tar.gzip" ||
         type == "application/vnd.docker.image.rootfs.diff.tar";
}

}  // namespace

std::vector<std::string> Manifest::blob_digests() const {
  std::vector<std::string> out{config.digest};
  for (const auto& l : layers) out.push_back(l.digest);
  return out;
}

const char* manifest_accept() {
  return "application/vnd.oci.image.index.v1+json, "
         "application/vnd.docker.distribution.manifest.list.v2+json, "
         "application/vnd.oci.image.manifest.v1+json, "
         "application/vnd.docker.distribution.manifest.v2+json";
}

bool is_index(const std::string& media_type, const std::string& body) {
  if (media_type == kOciIndex || media_type == kDockerList) return true;
  if (media_type == kOciManifest || media_type == kDockerManifest) return false;
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return false;
  std::string t = doc.value("mediaType", "");
  if (t == kOciIndex || t == kDockerList) return true;
  return doc.contains("manifests") && !doc.contains("layers");
}

Result<Descriptor> pick_platform(const std::string& body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.contains("manifests") || !doc["manifests"].is_array()) {
    return Error{"read image index: not a JSON index"};
  }
  const json& list = doc["manifests"];
  std::vector<std::string> seen;
  for (const auto& m : list) {
    const json p = m.value("platform", json::object());
    std::string os = p.value("os", ""), arch = p.value("architecture", "");
    if (os == "linux" && arch == "amd64") return descriptor(m, "the linux/amd64 entry");
    if (list.size() == 1 && os.empty()) return descriptor(m, "the only entry");
    seen.push_back(os + "/" + arch);
  }
  std::string all;
  for (const auto& s : seen) all += (all.empty() ? "" : ", ") + s;
  return Error{"pick platform: the image has no linux/amd64 variant (it has: " +
               (all.empty() ? std::string("none") : all) + ")"};
}

Result<Manifest> parse_manifest(const std::string& body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Error{"read manifest: not a JSON object"};
  if (doc.value("schemaVersion", 0) != 2) {
    return Error{"read manifest: schema version is not 2 (Docker schema1 is not supported)"};
  }
  auto config = descriptor(doc.value("config", json()), "the config");
  if (!config) return config.error();
  Manifest m{*config, {}};
  if (!doc.contains("layers") || !doc["layers"].is_array()) {
    return Error{"read manifest: no layer list"};
  }
  for (const auto& l : doc["layers"]) {
    auto d = descriptor(l, "a layer");
    if (!d) return d.error();
    if (!supported_layer(d->media_type)) {
      return Error{"read manifest: layer " + d->digest + " has unsupported type " + d->media_type};
    }
    m.layers.push_back(*d);
  }
  return m;
}

}  // namespace bbox::image
