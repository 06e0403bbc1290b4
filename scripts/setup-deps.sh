#!/usr/bin/env bash
# Installs every package bbox needs to build, test and run, with apt-get.
# Idempotent: installs only what is missing. Non-interactive.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ ccache pkg-config make git
  libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libcurl4-openssl-dev
  libarchive-dev libssl-dev libspdlog-dev libfmt-dev libzstd-dev
  libslirp-dev libglib2.0-dev zlib1g-dev libgtest-dev libgmock-dev clang libcpptoml-dev
  # run: the VM, the workspace share, root images, rootless namespaces
  qemu-system-x86 qemu-system-common e2fsprogs erofs-utils uidmap
  # tests: guest root file systems, a real registry, terminals, reflink fs
  busybox-static docker-registry skopeo zstd tmux less xfsprogs iproute2 python3
  mmdebstrap util-linux openssh-client
)

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "bbox: error: this set-up script needs apt-get (Debian 12); install these packages yourself:" >&2
  echo "  ${PACKAGES[*]}" >&2
  exit 1
fi

# The agent images are built from npm packages: any npm will do (Debian's, or
# one that came with another Node.js install).
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != "installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "bbox: error: missing packages and no sudo to install them: ${missing[*]}" >&2
    exit 1
  fi
  SUDO=(sudo)
fi

echo "bbox: installing ${#missing[@]} packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
