#!/usr/bin/env bash
# Installs what podbug needs to build and test, from Debian packages and npm only.
# Fast when everything is present: it installs nothing and prints nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential pkg-config clang libclang-rt-14-dev gdb iproute2
          libwebsockets-dev libcjson-dev libunwind-dev libdwarf-dev libelf-dev libzydis-dev
          libcriterion-dev libssl-dev openssl)
# Node.js may come from another Debian-format source whose nodejs bundles npm: only ask apt for
# it when node or npm is absent.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The JavaScript DAP test client and the schema validator (tests/integration, demo/).
if [ ! -d tests/integration/node_modules/@vscode/debugadapter-testsupport ] ||
   [ tests/integration/package.json -nt tests/integration/node_modules ]; then
    echo "installing npm packages for tests/integration"
    (cd tests/integration && npm ci --no-audit --no-fund --loglevel=error)
fi
