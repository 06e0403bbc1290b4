#include "image/config.h"

namespace bbox::image {
namespace {

using nlohmann::json;

Status read_strings(const json& section, const char* key, std::vector<std::string>& out) {
  auto it = section.find(key);
  if (it == section.end() || it->is_null()) return ok_status();
  if (!it->is_array()) return Error{std::string("read image config: ") + key + " is not a list"};
  for (const auto& v : *it) {
    if (!v.is_string())
      return Error{std::string("read image config: ") + key + " holds a non-string"};
    out.push_back(v.get<std::string>());
  }
  return ok_status();
}

Status read_string(const json& section, const char* key, std::string& out) {
  auto it = section.find(key);
  if (it == section.end() || it->is_null()) return ok_status();
  if (!it->is_string()) return Error{std::string("read image config: ") + key + " is not a string"};
  out = it->get<std::string>();
  return ok_status();
}

}  // namespace

Result<ImageConfig> config_from_json(const json& section) {
  ImageConfig c;
  if (section.is_null()) return c;
  if (!section.is_object()) return Error{"read image config: config is not an object"};
  for (Status s :
       {read_strings(section, "Env", c.env), read_strings(section, "Entrypoint", c.entrypoint),
        read_strings(section, "Cmd", c.cmd), read_string(section, "WorkingDir", c.working_dir),
        read_string(section, "User", c.user)}) {
    if (!s.ok()) return s.error();
  }
  auto labels = section.find("Labels");
  if (labels != section.end() && labels->is_object()) {
    for (const auto& [k, v] : labels->items()) {
      if (v.is_string()) c.labels[k] = v.get<std::string>();
    }
  }
  return c;
}

Result<ImageConfig> parse_image_config_blob(const std::string& blob) {
  json doc = json::parse(blob, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Error{"read image config: not a JSON object"};
  auto os = doc.find("os");
  if (os != doc.end() && os->is_string() && *os != "linux") {
    return Error{"read image config: the image is for " + os->get<std::string>() + ", not linux"};
  }
  auto section = doc.find("config");
  if (section == doc.end()) return ImageConfig{};
  return config_from_json(*section);
}

json config_to_json(const ImageConfig& c) {
  json j = json::object();
  if (!c.env.empty()) j["Env"] = c.env;
  if (!c.entrypoint.empty()) j["Entrypoint"] = c.entrypoint;
  if (!c.cmd.empty()) j["Cmd"] = c.cmd;
  if (!c.working_dir.empty()) j["WorkingDir"] = c.working_dir;
  if (!c.user.empty()) j["User"] = c.user;
  if (!c.labels.empty()) j["Labels"] = c.labels;
  return j;
}

}  // namespace bbox::image
