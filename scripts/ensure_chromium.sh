#!/usr/bin/env bash
# The browser tests need Chromium (Debian's `chromium` package). Install it when it is missing and
# this machine can (root or passwordless sudo, with apt-get); otherwise say why, and the tests that
# need it are skipped with that reason. Never fails the build by itself.
set -u
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "${ARCHWISE_CHROMIUM:-}" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure_chromium: no chromium and no apt-get here: the browser tests will be skipped (install chromium, or set ARCHWISE_CHROMIUM)"
  exit 0
fi
if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "ensure_chromium: chromium is missing and installing it needs root: the browser tests will be skipped (sudo apt-get install chromium)"
  exit 0
fi
echo "ensure_chromium: installing Debian's chromium package for the browser tests (about 20 s)"
if ! { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium >/tmp/archwise-apt.log 2>&1 \
       || { $SUDO apt-get update -q >>/tmp/archwise-apt.log 2>&1 \
            && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium >>/tmp/archwise-apt.log 2>&1; }; }; then
  echo "ensure_chromium: apt-get could not install chromium (log: /tmp/archwise-apt.log): the browser tests will be skipped"
fi
exit 0
