#!/usr/bin/env bash
# Installs the peers of the interop tests: Node.js with the ws package (from
# package-lock.json) and Python 3 with Debian's python3-websockets. Safe to
# run again: it installs only what is missing, and fails if anything cannot
# be installed, so the tests never skip where this script ran.
set -euo pipefail
cd "$(dirname "$0")"

# Debian's python3-websockets installs for Debian's own interpreter, which
# may come after another python3 (pyenv, a virtualenv) in PATH.
have_websockets() {
	python3 -c 'import websockets' 2>/dev/null || /usr/bin/python3 -c 'import websockets' 2>/dev/null
}

packages=()
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
have_websockets || packages+=(python3-websockets)

if ((${#packages[@]} > 0)); then
	echo "interop/setup.sh: installing ${packages[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Wait for another apt-get (another setup script) rather than fail.
	apt-get -o DPkg::Lock::Timeout=600 update -qq
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${packages[@]}"
fi

npm ci --no-audit --no-fund --loglevel=error

# Check what the tests will use.
node -e "require('ws')"
have_websockets
echo "interop/setup.sh: node $(node --version), ws $(node -p "require('ws/package.json').version")," \
	"python websockets $(python3 -c 'import websockets; print(websockets.__version__)' 2>/dev/null ||
		/usr/bin/python3 -c 'import websockets; print(websockets.__version__)')"
