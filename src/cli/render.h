// Rendering agents and the effective config as text and JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "bbox/config/config.h"

namespace bbox::cli {

// {"value": ..., "source": "global"}
template <typename T>
nlohmann::json sourced_json(const config::Sourced<T>& s) {
  return {{"value", s.value}, {"source", config::source_name(s.source)}};
}

// "host:port" strings.
nlohmann::json hosts_json(const std::vector<session::AllowedHost>& hosts);

// One agent: every field with its source, and the hosts of each profile.
nlohmann::json agent_json(const config::Agent& a);
// The whole effective config (settings, agents, invalid agents, notices).
nlohmann::json config_json(const config::EffectiveConfig& cfg);

// Human-readable "inspect" text for one agent.
std::string agent_text(const config::Agent& a);

}  // namespace bbox::cli
