#!/usr/bin/env bash
# Prints the directory where setup.sh caches tools it builds (geckodriver): $SWITCHYARD_TOOLS, or
# ~/.cache/switchyard (outside the repository, so `make clean` and a fresh clone keep it).
echo "${SWITCHYARD_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard}"
