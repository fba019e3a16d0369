#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests need and the machine lacks (as root, via apt-get):
# redis-server, ffmpeg, espeak-ng, chromium, fonts-noto-cjk, postgresql and nginx (the cluster tests start their own
# servers on free loopback ports; the packages' own services are not used). Then builds and runs every test project.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
[ -x /usr/bin/chromium ] || missing+=(chromium)
ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "The tests need: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

results=$(mktemp -d)
status=0
dotnet test StageStream.sln -c Release --logger "console;verbosity=normal" --logger "trx" --results-directory "$results" "$@" || status=$?

# One plain closing line for CI: 'N passed, N failed'.
python3 - "$results" <<'PY' || true
import sys, glob, re
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/*.trx"):
    text = open(f, encoding="utf-8").read()
    m = re.search(r'<Counters [^>]*', text)
    if m:
        c = dict(re.findall(r'(\w+)="(\d+)"', m.group(0)))
        passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)); skipped += int(c.get("notExecuted", 0))
    # Name each failed test and the start of its message last, where a CI log's tail shows it.
    for r in re.finditer(r'<UnitTestResult [^>]*testName="([^"]*)"[^>]*outcome="Failed"[^>]*>(.*?)</UnitTestResult>', text, re.S):
        msg = re.search(r'<Message>(.*?)</Message>', r.group(2), re.S)
        first = (msg.group(1) if msg else "").strip().replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
        print(f"FAILED {r.group(1)}: {first[:600]}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
rm -rf "$results"
exit $status
