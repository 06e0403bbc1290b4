#include "workspace/gitconfig.h"

#include <algorithm>
#include <set>
#include <vector>

namespace bbox::workspace {
namespace {

struct Entry {
  std::string section, subsection, key, value;
  bool has_value = true;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Keys kept, as "section.key" (subsection-free) or "section.*.key".
bool allowed(const Entry& e) {
  static const std::set<std::string> kKeys = {"core.repositoryformatversion",
                                              "core.filemode",
                                              "core.bare",
                                              "core.logallrefupdates",
                                              "core.ignorecase",
                                              "core.precomposeunicode",
                                              "core.symlinks",
                                              "core.autocrlf",
                                              "core.eol",
                                              "core.safecrlf",
                                              "core.abbrev",
                                              "core.quotepath",
                                              "core.checkstat",
                                              "core.trustctime",
                                              "core.untrackedcache",
                                              "core.splitindex",
                                              "core.commitgraph",
                                              "core.multipackindex",
                                              "extensions.objectformat",
                                              "extensions.worktreeconfig",
                                              "extensions.preciousobjects",
                                              "extensions.partialclone",
                                              "user.name",
                                              "user.email",
                                              "init.defaultbranch",
                                              "pull.rebase",
                                              "pull.ff",
                                              "push.default",
                                              "fetch.prune",
                                              "merge.ff",
                                              "merge.conflictstyle",
                                              "rebase.autosquash",
                                              "rebase.autostash",
                                              "index.version",
                                              "feature.manyfiles",
                                              "remote.*.url",
                                              "remote.*.pushurl",
                                              "remote.*.fetch",
                                              "remote.*.push",
                                              "remote.*.tagopt",
                                              "remote.*.prune",
                                              "remote.*.mirror",
                                              "remote.*.promisor",
                                              "remote.*.partialclonefilter",
                                              "branch.*.remote",
                                              "branch.*.merge",
                                              "branch.*.rebase",
                                              "branch.*.pushremote",
                                              "submodule.*.url",
                                              "submodule.*.path",
                                              "submodule.*.branch",
                                              "submodule.*.active"};
  std::string name = e.subsection.empty() && e.section.find('.') == std::string::npos
                         ? e.section + "." + e.key
                         : e.section + ".*." + e.key;
  return kKeys.count(name) > 0;
}

bool is_url_key(const Entry& e) { return e.key == "url" || e.key == "pushurl"; }

// Parses one value: quotes, escapes and trailing comments, as git does.
std::string parse_value(std::string_view v) {
  std::string out;
  bool quoted = false;
  size_t pending_space = 0;
  size_t i = 0;
  while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (!quoted && (c == '#' || c == ';')) break;
    if (!quoted && (c == ' ' || c == '\t')) {
      ++pending_space;
      continue;
    }
    out.append(pending_space, ' ');
    pending_space = 0;
    if (c == '"') {
      quoted = !quoted;
    } else if (c == '\\' && i + 1 < v.size()) {
      char n = v[++i];
      out += n == 'n' ? '\n' : n == 't' ? '\t' : n == 'b' ? '\b' : n;
    } else {
      out += c;
    }
  }
  return out;
}

// Parses "[section]", "[section \"sub\"]" and the legacy "[section.sub]".
bool parse_header(std::string_view line, std::string& section, std::string& sub) {
  size_t close = line.rfind(']');
  if (line.empty() || line[0] != '[' || close == std::string_view::npos) return false;
  std::string_view inner = line.substr(1, close - 1);
  size_t quote = inner.find('"');
  sub.clear();
  if (quote != std::string_view::npos) {
    section = lower(std::string(inner.substr(0, quote)));
    while (!section.empty() && section.back() == ' ') section.pop_back();
    for (size_t i = quote + 1; i < inner.size() && inner[i] != '"'; ++i) {
      if (inner[i] == '\\' && i + 1 < inner.size()) ++i;
      sub += inner[i];
    }
    if (sub.empty()) sub = " ";  // an empty subsection still is one
    return true;
  }
  std::string s = lower(std::string(inner));
  size_t dot = s.find('.');
  section = s.substr(0, dot);
  if (dot != std::string::npos) sub = s.substr(dot + 1);
  return true;
}

// Joins continuation lines (a backslash at the end of a line).
std::vector<std::string> logical_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::string cur;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(start, end - start);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (!l.empty() && l.back() == '\\') {
      cur += l.substr(0, l.size() - 1);
    } else {
      cur += l;
      lines.push_back(std::move(cur));
      cur.clear();
    }
    start = end + 1;
  }
  if (!cur.empty()) lines.push_back(cur);
  return lines;
}

std::vector<Entry> parse_config(std::string_view text) {
  std::vector<Entry> entries;
  std::string section, sub;
  for (const std::string& raw : logical_lines(text)) {
    std::string_view line = raw;
    while (!line.empty() && (line[0] == ' ' || line[0] == '\t')) line.remove_prefix(1);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      if (!parse_header(line, section, sub)) section.clear();
      continue;
    }
    if (section.empty()) continue;
    size_t eq = line.find('=');
    Entry e{section, sub, lower(std::string(line.substr(0, eq)))};
    while (!e.key.empty() && (e.key.back() == ' ' || e.key.back() == '\t')) e.key.pop_back();
    e.has_value = eq != std::string_view::npos;
    if (e.has_value) e.value = parse_value(line.substr(eq + 1));
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string quote_value(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\t') {
      out += "\\t";
      continue;
    }
    if (c == '\b') {
      out += "\\b";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string quote_subsection(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n' || c == '\0') continue;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string strip_url_credentials(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  size_t host_start = scheme + 3;
  size_t path = url.find('/', host_start);
  std::string_view authority =
      url.substr(host_start, path == url.npos ? url.npos : path - host_start);
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  std::string scheme_name = lower(std::string(url.substr(0, scheme)));
  // ssh://git@host keeps its login name: it is not a secret. Everything else
  // (https tokens, passwords) goes.
  if (scheme_name == "ssh" || scheme_name == "git+ssh") {
    if (authority.substr(0, at).find(':') == std::string_view::npos) return std::string(url);
  }
  return std::string(url.substr(0, host_start)) + std::string(url.substr(host_start + at + 1));
}

std::string sanitise_git_config(std::string_view text) {
  std::string out = "# Rewritten by bbox: only allowlisted keys are kept.\n";
  std::string cur_header;
  for (Entry& e : parse_config(text)) {
    if (!allowed(e) || !e.has_value) continue;
    if (e.subsection.find_first_of("\n") != std::string::npos) continue;
    if (is_url_key(e)) e.value = strip_url_credentials(e.value);
    std::string header = "[" + e.section;
    if (!e.subsection.empty()) header += " " + quote_subsection(e.subsection);
    header += "]\n";
    if (header != cur_header) {
      out += header;
      cur_header = header;
    }
    out += "\t" + e.key + " = " + quote_value(e.value) + "\n";
  }
  return out;
}

}  // namespace bbox::workspace
