#!/usr/bin/env bash
# Installs the one pulumi CLI version every workflow uses (.github/pulumi-version, the version the
# test stand-in is held to), verified against the release's published SHA-256 checksums before it is
# unpacked, and puts it on the job's PATH.
set -euo pipefail
version=$(tr -d '[:space:]' < "$(dirname "$0")/../pulumi-version")
base="https://github.com/pulumi/pulumi/releases/download/v${version}"
archive="pulumi-v${version}-linux-x64.tar.gz"
work=$(mktemp -d)
curl -fsSL -o "$work/$archive" "$base/$archive"
curl -fsSL -o "$work/checksums.txt" "$base/pulumi-${version}-checksums.txt"
(cd "$work" && grep " ${archive}\$" checksums.txt | sha256sum -c -)
mkdir -p "$HOME/.pulumi-cli"
tar -xzf "$work/$archive" -C "$HOME/.pulumi-cli"
echo "$HOME/.pulumi-cli/pulumi" >> "$GITHUB_PATH"
"$HOME/.pulumi-cli/pulumi/pulumi" version
