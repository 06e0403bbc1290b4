// Internal steps of the local image builds (build.h). Each step is small and
// testable on its own: reading the host's Debian sources, running a tool with
// its output logged, writing deterministic layer tars, an OCI image layout,
// fetching npm tarballs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"

struct archive;

namespace bbox::image::build {

namespace fs = std::filesystem;

// Every file in a built layer carries this modification time, so that the
// same inputs give the same layer digest.
inline constexpr int64_t kEpoch = 1704067200;  // 2024-01-01T00:00:00Z

// ---- Debian sources (build_sources.cpp) ---------------------------------

// The host's Debian archive entries for `suite` and its -updates and
// -security suites, read from <etc_apt>/sources.list and sources.list.d/
// (*.list one-line and *.sources deb822 files), as one-line "deb URI SUITE
// COMPONENTS" strings mmdebstrap accepts as mirrors. Errors when none.
Result<std::vector<std::string>> host_debian_sources(const fs::path& etc_apt,
                                                     const std::string& suite);

// ---- processes and files (build_run.cpp) ---------------------------------

// Runs argv (looked up in PATH, never through a shell) with extra environment
// entries. Its stdout and stderr go to `log` (appended), or to bbox's stderr
// when `log` is empty. A non-zero exit is an Error naming the program and
// quoting the log's last line.
// With `stdout_file`, the program's stdout goes there instead (truncated).
Status run_logged(const std::vector<std::string>& argv, const fs::path& log,
                  const std::vector<std::string>& extra_env = {}, const fs::path& stdout_file = {});

// Quotes text for a POSIX shell ('...'), for the hooks mmdebstrap runs.
std::string shell_quote(const std::string& text);

// "sha256:<hex>" of a file's bytes, and of a string.
Result<std::string> sha256_file(const fs::path& file);
std::string sha256_text(const std::string& text);

// "sha512-<base64>" (npm's integrity form) of a file's bytes.
Result<std::string> sha512_integrity(const fs::path& file);

// Writes text to a temporary file beside path and renames it into place.
Status write_file_atomic(const fs::path& path, const std::string& text);

// An exclusive flock on a lock file, held until destruction.
class FileLock {
 public:
  static Result<FileLock> acquire(const fs::path& path);

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// A directory removed with everything in it on destruction.
class TempDir {
 public:
  static Result<TempDir> create(const fs::path& parent, const std::string& prefix);
  TempDir(TempDir&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir();
  const fs::path& path() const { return path_; }

 private:
  explicit TempDir(fs::path p) : path_(std::move(p)) {}
  fs::path path_;
};

// ---- OCI image layout (build_layout.cpp) ----------------------------------

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  uint64_t size = 0;
};

// An OCI image layout directory (oci-layout, index.json, blobs/sha256/).
// Blobs are content-addressed and written by rename; index.json is rewritten
// atomically under index.lock, so readers never see a partial file.
class OciLayout {
 public:
  static Result<OciLayout> open(const fs::path& dir);

  const fs::path& dir() const { return dir_; }
  fs::path blob_path(const std::string& digest) const;

  // Moves `file` (on the same file system) into the blob store. `digest`
  // may be given when the caller computed it while writing the file.
  Result<Descriptor> add_blob_file(const fs::path& file, const std::string& media_type,
                                   std::optional<std::string> digest = std::nullopt);
  Result<Descriptor> add_blob_text(const std::string& text, const std::string& media_type);
  Result<std::string> read_blob(const std::string& digest) const;

  // Points the tag (org.opencontainers.image.ref.name) at a manifest.
  Status tag(const std::string& name, const Descriptor& manifest);
  // The manifest a tag names, if any.
  std::optional<Descriptor> find(const std::string& name) const;

 private:
  explicit OciLayout(fs::path dir) : dir_(std::move(dir)) {}
  fs::path dir_;
};

// What one image is made of, for write_image.
struct ImagePlan {
  std::vector<Descriptor> layers;    // uncompressed tar layers, bottom first
  std::vector<std::string> history;  // one "created_by" line per layer
  std::vector<std::string> env;      // "NAME=value"
  std::map<std::string, std::string> labels;
};

// Writes the image config and manifest blobs; returns the manifest.
Result<Descriptor> write_image(OciLayout& layout, const ImagePlan& plan);

// The config of the image a tag names (parsed JSON).
Result<nlohmann::json> read_image_config(const OciLayout& layout, const std::string& name);
// The layers of the image a tag names, bottom first.
Result<std::vector<Descriptor>> read_image_layers(const OciLayout& layout, const std::string& name);

// ---- layer tars (build_layer.cpp) -------------------------------------------

// Writes a tar layer whose entries are all owned by 0:0, dated kEpoch, in
// the order added, hashing the bytes as they are written.
class LayerWriter {
 public:
  static Result<LayerWriter> create(const fs::path& out);
  LayerWriter(LayerWriter&&) noexcept;
  LayerWriter& operator=(LayerWriter&&) = delete;
  ~LayerWriter();

  // Paths are relative to the root ("usr/local/bin/claude"). Missing parent
  // directories are added first (0755).
  Status add_directory(const std::string& path, unsigned mode = 0755);
  Status add_symlink(const std::string& path, const std::string& target);
  Status add_file(const std::string& path, const std::string& content, unsigned mode);
  // Copies members of a .tgz (an npm package): each member whose path
  // starts with `from` lands under `to` with the rest of its path; regular
  // files keep only their executable bits' presence (0755 or 0644),
  // directories and symlinks are kept, anything else is refused. Returns how
  // many files were copied.
  Result<size_t> add_from_tgz(const fs::path& tgz, const std::string& from, const std::string& to);

  // Closes the tar; returns "sha256:<hex>" and the size.
  Result<Descriptor> finish();

  struct State;

 private:
  explicit LayerWriter(State* s) : s_(s) {}
  Status add_parents(const std::string& path);
  State* s_;
};

// ---- npm (build_npm.cpp) ----------------------------------------------------

struct NpmTarball {
  std::string name;
  std::string version;
  std::string integrity;  // "sha512-..." as the registry states it
  fs::path file;
};

// `npm view --json SPEC FIELDS...`: the package metadata fields asked for.
Result<nlohmann::json> npm_view(const std::string& spec, const std::vector<std::string>& fields,
                                const fs::path& log);

// `npm pack --ignore-scripts --json` of one spec into dest; the tarball's
// sha512 is checked against the integrity npm reports.
Result<NpmTarball> npm_pack(const std::string& spec, const fs::path& dest, const fs::path& log);

// The npm registry URL npm is configured with, for messages.
std::string npm_registry(const fs::path& log);

// ---- the images (build_base.cpp, build_agents.cpp) -------------------------

// What every build step shares.
struct Context {
  OciLayout layout;
  fs::path work;                  // cache_dir()/build: locks, logs, temporary directories
  fs::path log;                   // the tools' output; empty: straight to stderr (--verbose)
  fs::path etc_apt = "/etc/apt";  // where the Debian sources are read from
};

// Label keys recording what went into an image.
inline constexpr const char* kRecipeLabel = "dev.bbox.build.recipe";

// The base image's recipe key: a hash over everything that decides its
// contents (suite, packages, sources, options). Same key, same image.
std::string base_recipe_key(const std::vector<std::string>& sources);

// Returns the "base" image's manifest, building it with mmdebstrap unless
// an image with the same recipe key is already tagged.
Result<Descriptor> ensure_base(Context& ctx);

// Builds (or reuses) the agent image `name` on top of base.
Result<Descriptor> build_agent(Context& ctx, const std::string& name);

// True for names build_agent knows.
bool is_agent(const std::string& name);

}  // namespace bbox::image::build
