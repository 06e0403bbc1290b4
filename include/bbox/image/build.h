// Building the agent images locally, without Docker.
//
// `bbox image build NAME` makes bbox-local/NAME:latest for NAME in base,
// claude-code, codex, opencode, gemini, hermes:
//   base   a Debian root file system made by mmdebstrap from the host's
//          Debian mirror (as read from /etc/apt), with the agents' everyday
//          tools and the `sandbox` user (uid 1000, home /home/sandbox);
//   agents one layer on top of base holding the agent's files, taken from
//          its npm package tarballs (fetched on the host with `npm pack`,
//          which runs no package code; none of the agents needs an install
//          script: each ships a native binary or a bundled script).
// Images are written as OCI image layouts under paths::cache_dir()/build/oci
// (one layout, one tag per image name) with labels recording what went in:
// Debian sources and package versions, npm package versions and integrity.
//
// Builds are cached: an image whose recipe (package lists, sources, versions
// and the base it sits on) is unchanged is reused as it is. Every step writes
// into a temporary directory and renames its result into place under a lock,
// so two bbox processes may build at once and nothing half-written is used.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "bbox/common/result.h"

namespace bbox::image {

struct BuildOptions {
  bool verbose = false;  // pass the tools' own output (mmdebstrap, npm) through to stderr
};

// The names build_agent_image accepts, base first.
const std::vector<std::string>& buildable_images();

// Builds bbox-local/<name>:latest (base, claude-code, codex, opencode, gemini,
// hermes) into the image store; progress on stderr. Looks up the newest agent
// version (npm) and rebuilds only what changed. Returns the image reference
// resolve_image() accepts for the result.
Result<std::string> build_agent_image(const std::string& name, const BuildOptions& opts = {});

// Returns the reference of the locally built image <name>, building it first
// (with progress) only when none was built yet. Makes no network access when
// the image exists.
Result<std::string> ensure_agent_image(const std::string& name, const BuildOptions& opts = {});

// Where the build results live: the OCI image layout holding every locally
// built image, tagged by name ("base", "claude-code", ...).
std::filesystem::path build_layout_dir();

// "oci:<build_layout_dir()>:<name>".
std::string built_image_reference(const std::string& name);

}  // namespace bbox::image
