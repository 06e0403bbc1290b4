// Putting one agent into a config text: spliced in when the layout allows, so
// the user's comments and formatting survive, and checked by parsing the
// result before anyone writes it.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <optional>
#include <vector>

#include "bbox/common/message.h"
#include "bbox/config/agent_file.h"

namespace bbox::config {
namespace {

using YAML::Node;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  if (!lines.empty() && lines.back().back() != '\n') lines.back() += '\n';
  return lines;
}

std::string indented(const std::string& text, int by) {
  std::string out;
  for (const std::string& line : split_lines(text)) {
    out += line == "\n" ? line : std::string(static_cast<size_t>(by), ' ') + line;
  }
  return out;
}

// "NAME:\n  key: value\n...": the emitter quotes a name YAML would misread.
std::string entry_text(const std::string& name, const Node& body) {
  Node entry(YAML::NodeType::Map);
  entry[name] = body;
  YAML::Emitter out;
  out << entry;
  return std::string(out.c_str()) + "\n";
}

// A line that ends an agent's entry without belonging to it: blank, or a
// comment no deeper than the entry's key (a comment deeper in is the entry's).
bool outside_entry(const std::string& line, int column) {
  size_t i = line.find_first_not_of(" \t\r\n");
  return i == std::string::npos || (line[i] == '#' && i <= static_cast<size_t>(column));
}

// The line after the last line of the entry spanning [from, to).
size_t entry_end(const std::vector<std::string>& lines, size_t from, size_t to, int column) {
  while (to > from + 1 && outside_entry(lines[to - 1], column)) --to;
  return to;
}

std::string join(const std::vector<std::string>& lines, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) out += lines[i];
  return out;
}

std::string dump(const Node& n) { return YAML::Dump(n); }

// map[key], or a null node when the key is absent (yaml-cpp throws when an
// absent key's node is asked anything but IsDefined).
Node child(const Node& map, const std::string& key) {
  if (!map.IsMap()) return Node();
  const Node& m = map;
  Node c = m[key];
  return c.IsDefined() ? c : Node();
}

// The text with the entry spliced into an existing block-style agents
// mapping, or nothing when the layout is not one this handles.
std::optional<std::string> splice_into_agents(const std::vector<std::string>& lines,
                                              const Node& root, const std::string& name,
                                              const std::string& entry_block) {
  size_t agents_line = 0, block_end = lines.size();
  for (const auto& kv : root) {
    size_t line = static_cast<size_t>(kv.first.Mark().line);
    if (kv.first.Scalar() == "agents") agents_line = line;
  }
  for (const auto& kv : root) {
    size_t line = static_cast<size_t>(kv.first.Mark().line);
    if (line > agents_line && line < block_end) block_end = line;
  }
  const Node agents = child(root, "agents");
  if (agents.IsNull()) {  // "agents:" with nothing under it
    std::string entry = indented(entry_block, 2);
    return join(lines, 0, agents_line + 1) + entry + join(lines, agents_line + 1, lines.size());
  }
  if (!agents.IsMap() || agents.Style() == YAML::EmitterStyle::Flow || agents.size() == 0) {
    return std::nullopt;
  }
  std::vector<std::pair<std::string, size_t>> entries;
  int column = -1;
  for (const auto& kv : agents) {
    entries.emplace_back(kv.first.Scalar(), static_cast<size_t>(kv.first.Mark().line));
    column = kv.first.Mark().column;
  }
  if (column <= 0) return std::nullopt;
  std::string entry = indented(entry_block, column);

  size_t at = entry_end(lines, entries.back().second, block_end, column), resume = at;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].first != name) continue;
    size_t next = i + 1 < entries.size() ? entries[i + 1].second : block_end;
    at = entries[i].second;
    resume = entry_end(lines, at, next, column);
  }
  return join(lines, 0, at) + entry + join(lines, resume, lines.size());
}

// `text` with the line endings of `like` (CR LF when its first line has them).
std::string with_line_ends_of(const std::string& like, const std::string& text) {
  size_t nl = like.find('\n');
  if (nl == std::string::npos || nl == 0 || like[nl - 1] != '\r') return text;
  std::string out;
  for (char c : text) out += c == '\n' ? std::string("\r\n") : std::string(1, c);
  return out;
}

std::optional<std::string> splice(const std::string& text, const Node& root,
                                  const std::string& name, const Node& body) {
  if (!root.IsNull() && (!root.IsMap() || root.Style() == YAML::EmitterStyle::Flow)) {
    return std::nullopt;
  }
  std::string entry = with_line_ends_of(text, entry_text(name, body));
  std::vector<std::string> lines = split_lines(text);
  if (root.IsNull() || !root["agents"].IsDefined()) {
    return join(lines, 0, lines.size()) + with_line_ends_of(text, "agents:\n") + indented(entry, 2);
  }
  return splice_into_agents(lines, root, name, entry);
}

bool same(const Node& map, const std::string& key, const Node& want) {
  return map.IsMap() && static_cast<const Node&>(map)[key].IsDefined() &&
         dump(child(map, key)) == dump(want);
}

// True when `after` holds what `before` held, with agents.<name> = body.
bool only_agent_changed(const Node& before, const Node& after, const std::string& name,
                        const Node& body) {
  if (!after.IsMap()) return false;
  size_t keys = before.IsMap() ? before.size() : 0;
  bool had_agents = before.IsMap() && static_cast<const Node&>(before)["agents"].IsDefined();
  if (after.size() != keys + (had_agents ? 0 : 1)) return false;
  for (const auto& kv : before) {
    std::string key = kv.first.Scalar();
    if (key != "agents" && !same(after, key, kv.second)) return false;
  }
  const Node old_agents = child(before, "agents");
  const Node new_agents = child(after, "agents");
  if (!new_agents.IsMap()) return false;
  bool had_name = old_agents.IsMap() && static_cast<const Node&>(old_agents)[name].IsDefined();
  size_t old_count = old_agents.IsMap() ? old_agents.size() : 0;
  if (new_agents.size() != old_count + (had_name ? 0 : 1)) return false;
  for (const auto& kv : old_agents) {
    std::string key = kv.first.Scalar();
    if (key != name && !same(new_agents, key, kv.second)) return false;
  }
  return same(new_agents, name, body);
}

std::string reemit(const Node& root, const std::string& name, const Node& body) {
  Node copy = root.IsMap() ? YAML::Clone(root) : Node(YAML::NodeType::Map);
  if (!copy["agents"].IsMap()) copy["agents"] = Node(YAML::NodeType::Map);
  copy["agents"][name] = body;
  copy.SetStyle(YAML::EmitterStyle::Block);  // the entries keep their own styles
  copy["agents"].SetStyle(YAML::EmitterStyle::Block);
  return dump(copy) + "\n";
}

// True when the spliced text loads as the old tree plus the one entry.
bool splice_holds(const std::optional<std::string>& spliced, const Node& root,
                  const std::string& name, const Node& body) {
  if (!spliced) return false;
  try {
    return only_agent_changed(root, YAML::Load(*spliced), name, body);
  } catch (const YAML::Exception&) {
    return false;  // e.g. "agents: ~" with the entry put under it
  }
}

}  // namespace

Result<AgentEdit> put_agent(const std::string& config_text, const std::string& file,
                            const std::string& name, const std::string& body_yaml, bool replace) {
  bool blank = config_text.find_first_not_of(" \t\r\n") == std::string::npos;
  if (!blank) {
    Result<FileConfig> parsed = parse_config_text(config_text, file);
    if (!parsed) return parsed.error().wrap("refuse to change a config that does not load");
  }
  try {
    const Node root = blank ? Node() : YAML::Load(config_text);
    const Node body = YAML::Load(body_yaml);
    AgentEdit edit;
    const Node agents = child(root, "agents");
    edit.replaced = agents.IsMap() && static_cast<const Node&>(agents)[name].IsDefined();
    if (edit.replaced && !replace) {
      return Error{fmt::format("agent {} is already declared in {}", ui::quoted(name), file)};
    }
    std::optional<std::string> spliced =
        blank ? std::optional<std::string>("agents:\n" + indented(entry_text(name, body), 2))
              : splice(config_text, root, name, body);
    if (splice_holds(spliced, root, name, body)) {
      edit.text = *spliced;
    } else {
      edit.text = reemit(root, name, body);
      edit.comments_dropped = config_text.find('#') != std::string::npos;
    }
    Result<FileConfig> check = parse_config_text(edit.text, file);
    if (!check) return check.error().wrap("the changed config does not load");
    return edit;
  } catch (const YAML::Exception& e) {
    return Error{fmt::format("{}: not valid YAML: {}", file, e.msg)};
  }
}

}  // namespace bbox::config
