#!/usr/bin/env bash
# Installs the real peers some tests talk to: curl (HTTP lessons), Debian's
# chromium (the book's and the chat's browser tests) and tshark (lesson 03
# compares its packet decoder with Wireshark's). Optional for learners:
# without them those tests skip with a message; in CI (CI set) they are required.
set -euo pipefail
need=()
command -v curl >/dev/null || need+=(curl)
command -v chromium >/dev/null || need+=(chromium)
command -v tshark >/dev/null || need+=(tshark)
if [ ${#need[@]} -eq 0 ]; then
	echo "test peers present: $(curl --version | head -1 | cut -d' ' -f1-2), $(chromium --version 2>/dev/null), $(tshark --version 2>/dev/null | head -1)"
	exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${need[*]} with apt-get"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
echo "installed: ${need[*]}"
