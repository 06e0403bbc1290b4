// The built-in agents, with the commands, environment, resources, provider
// hosts and state folders Brood Box gives them.
#include <fmt/format.h>

#include "bbox/config/agent.h"

namespace bbox::config {
namespace {

std::vector<AllowedHost> https(std::initializer_list<const char*> names) {
  std::vector<AllowedHost> out;
  for (const char* n : names) out.push_back(AllowedHost{n, 443});
  return out;
}

struct BuiltinSpec {
  const char* name;
  const char* description;
  const char* command;
  std::vector<std::string> env_forward;
  std::vector<AllowedHost> provider;
  const char* state_dir;
  // Login state kept outside state_dir, relative to the guest home.
  std::vector<std::string> more_credentials = {};
};

Agent make_builtin(const BuiltinSpec& s) {
  Agent a;
  a.name = s.name;
  a.builtin = true;
  a.state_dir = s.state_dir;
  a.description.value = s.description;
  a.image.value = fmt::format("bbox-local/{}:latest", s.name);
  a.command.value = {s.command};
  a.env_forward.value = s.env_forward;
  a.cpus.value = 2;
  a.memory_mib.value = 4096;
  a.tmp_size_mib.value = 2048;
  a.egress_profile.value = EgressProfile::kPermissive;
  std::vector<AllowedHost> standard = s.provider;
  for (AllowedHost& h : standard_dev_hosts()) standard.push_back(std::move(h));
  a.egress_hosts.value = {{EgressProfile::kLocked, s.provider},
                          {EgressProfile::kStandard, std::move(standard)}};
  a.credential_paths = {std::string(s.state_dir) + "/"};
  for (const std::string& p : s.more_credentials) a.credential_paths.push_back(p);
  return a;
}

std::vector<Agent> make_builtins() {
  const std::vector<BuiltinSpec> specs = {
      {"claude-code",
       "Anthropic's Claude Code",
       "claude",
       {"ANTHROPIC_API_KEY", "CLAUDE_*", "NODE_OPTIONS"},
       https({"api.anthropic.com", "*.anthropic.com", "claude.com", "*.claude.com"}),
       ".claude",
       // Claude Code keeps its account and onboarding state in ~/.claude.json
       // and warns when .claude/ comes back without it.
       {".claude.json"}},
      {"codex",
       "OpenAI's Codex CLI",
       "codex",
       {"OPENAI_API_KEY", "CODEX_*"},
       https({"api.openai.com", "*.openai.com"}),
       ".codex"},
      {"opencode",
       "OpenCode",
       "opencode",
       {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY", "OPENCODE_*"},
       https({"api.anthropic.com", "*.anthropic.com", "claude.com", "*.claude.com",
              "api.openai.com", "*.openai.com", "openrouter.ai", "*.openrouter.ai"}),
       ".config/opencode"},
      {"gemini",
       "Google's Gemini CLI",
       "gemini",
       {"GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION",
        "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_APPLICATION_CREDENTIALS", "GEMINI_*"},
       https({"generativelanguage.googleapis.com", "aiplatform.googleapis.com",
              "cloudaicompanion.googleapis.com", "oauth2.googleapis.com", "accounts.google.com"}),
       ".gemini"},
      {"hermes",
       "Nous Research's Hermes agent",
       "hermes",
       {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY", "GEMINI_API_KEY",
        "GOOGLE_API_KEY", "HF_TOKEN", "HERMES_*"},
       https({"api.anthropic.com", "*.anthropic.com", "api.openai.com", "*.openai.com",
              "openrouter.ai", "*.openrouter.ai", "generativelanguage.googleapis.com",
              "router.huggingface.co", "*.nousresearch.com"}),
       ".hermes"},
  };
  std::vector<Agent> out;
  for (const BuiltinSpec& s : specs) out.push_back(make_builtin(s));
  return out;
}

}  // namespace

const char* source_name(Source source) {
  switch (source) {
    case Source::kBuiltin:
      return "built-in";
    case Source::kGlobal:
      return "global";
    case Source::kWorkspace:
      return "workspace";
    case Source::kFlag:
      return "flag";
  }
  return "?";
}

std::vector<AllowedHost> standard_dev_hosts() {
  std::vector<AllowedHost> out = {{"github.com", 443}, {"github.com", 22}};
  for (AllowedHost& h : https({"api.github.com", "*.githubusercontent.com", "registry.npmjs.org",
                               "pypi.org", "*.pypi.org", "files.pythonhosted.org",
                               "proxy.golang.org", "sum.golang.org", "*.docker.io", "ghcr.io"})) {
    out.push_back(std::move(h));
  }
  return out;
}

const std::vector<Agent>& builtin_agents() {
  static const std::vector<Agent> agents = make_builtins();
  return agents;
}

const Agent* find_builtin(const std::string& name) {
  for (const Agent& a : builtin_agents()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

bool is_builtin(const std::string& name) { return find_builtin(name) != nullptr; }

std::vector<AllowedHost> expand_hosts(const std::vector<HostEntry>& entries) {
  std::vector<AllowedHost> out;
  for (const HostEntry& e : entries) {
    if (e.ports.empty()) out.push_back(AllowedHost{e.name, 0});
    for (uint16_t p : e.ports) out.push_back(AllowedHost{e.name, p});
  }
  return out;
}

}  // namespace bbox::config
