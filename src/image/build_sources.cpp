// Reading the host's Debian archive entries from /etc/apt, so that base
// images come from the mirror the host already uses.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "image/build_steps.h"

namespace bbox::image::build {
namespace {

struct Entry {
  std::string uri;
  std::vector<std::string> suites;
  std::string components;
};

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string join(const std::vector<std::string>& parts, size_t from) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) out += (out.empty() ? "" : " ") + parts[i];
  return out;
}

// "deb [options] URI SUITE COMPONENT..." lines.
void parse_one_line(std::istream& in, std::vector<Entry>& out) {
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find('#'));
    auto w = words(line);
    if (w.size() < 4 || w[0] != "deb") continue;
    size_t i = 1;
    if (w[i].front() == '[') {
      while (i < w.size() && w[i].back() != ']') ++i;
      ++i;
    }
    if (i + 2 >= w.size()) continue;
    out.push_back(Entry{w[i], {w[i + 1]}, join(w, i + 2)});
  }
}

// deb822 stanzas: "Types:", "URIs:", "Suites:", "Components:", separated by
// blank lines; "Enabled: no" turns a stanza off.
void parse_deb822(std::istream& in, std::vector<Entry>& out) {
  std::map<std::string, std::string> fields;
  auto flush = [&] {
    auto enabled_words = words(fields["enabled"]);
    bool enabled = enabled_words.empty() || enabled_words[0] != "no";
    auto types = words(fields["types"]);
    bool deb = std::find(types.begin(), types.end(), "deb") != types.end();
    if (enabled && deb && !fields["components"].empty()) {
      for (const auto& uri : words(fields["uris"])) {
        out.push_back(Entry{uri, words(fields["suites"]), join(words(fields["components"]), 0)});
      }
    }
    fields.clear();
  };
  std::string key;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] == '#') continue;
    if (line.find_first_not_of(" \t") == std::string::npos) {
      flush();
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') {  // continuation line
      fields[key] += " " + line;
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    key = line.substr(0, colon);
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    fields[key] = line.substr(colon + 1);
  }
  flush();
}

bool wanted_suite(const std::string& s, const std::string& suite) {
  return s == suite || s == suite + "-updates" || s == suite + "-security";
}

}  // namespace

Result<std::vector<std::string>> host_debian_sources(const fs::path& etc_apt,
                                                     const std::string& suite) {
  std::vector<fs::path> files;
  if (fs::exists(etc_apt / "sources.list")) files.push_back(etc_apt / "sources.list");
  std::error_code ec;
  std::vector<fs::path> parts;
  for (const auto& e : fs::directory_iterator(etc_apt / "sources.list.d", ec)) {
    auto ext = e.path().extension();
    if (ext == ".list" || ext == ".sources") parts.push_back(e.path());
  }
  std::sort(parts.begin(), parts.end());
  files.insert(files.end(), parts.begin(), parts.end());

  std::vector<Entry> entries;
  for (const auto& f : files) {
    std::ifstream in(f);
    if (f.extension() == ".sources")
      parse_deb822(in, entries);
    else
      parse_one_line(in, entries);
  }

  std::vector<std::string> lines;
  std::set<std::string> seen;
  for (const auto& e : entries) {
    for (const auto& s : e.suites) {
      if (!wanted_suite(s, suite)) continue;
      std::string line = "deb " + e.uri + " " + s + " " + e.components;
      if (seen.insert(line).second) lines.push_back(line);
    }
  }
  if (lines.empty()) {
    return Error{"find a Debian mirror: no '" + suite + "' entry in " +
                 (etc_apt / "sources.list").string() + " or " +
                 (etc_apt / "sources.list.d").string()};
  }
  return lines;
}

}  // namespace bbox::image::build
