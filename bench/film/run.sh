#!/usr/bin/env bash
# Film benchmark: POST a story to a fresh server (offline providers, text streamed without delay), run
# the pipeline, and time it to a playable film. Prints the time per stage, the total, and what ffprobe
# says of the film. Usage: bench/film/run.sh [--dll PATH] [--story FILE] [--aspect 16:9] [-- server args...]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dll="$root/StageStream.Web/bin/Release/net10.0/StageStream.Web.dll"
story="$root/bench/film/story-zh.txt"
aspect=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dll) dll="$2"; shift 2 ;;
    --story) story="$2"; shift 2 ;;
    --aspect) aspect="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
load=$(cut -d' ' -f1-3 /proc/loadavg)
data=$(mktemp -d /tmp/stagestream-film-XXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
ASPNETCORE_ENVIRONMENT=Production dotnet "$dll" --urls "$url" --Storage:DataPath="$data" \
  --Providers:Offline:TokensPerSecond=0 --Serilog:MinimumLevel:Default=Warning "$@" >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -sf "$url/health/live" >/dev/null 2>&1 && break; sleep 0.2; done

body=$(jq -n --rawfile text "$story" --arg aspect "$aspect" \
  '{name: "film bench", original_text: $text} + (if $aspect == "" then {} else {aspect_ratio: $aspect} end)')
id=$(curl -sf -X POST "$url/api/v1/projects" -H 'Content-Type: application/json' -d "$body" | jq -r .id)
# CPU seconds of the server and the ffmpeg/espeak-ng processes it has waited for (utime+stime+cutime+cstime).
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15 + $16 + $17) / hz }' "/proc/$server/stat"; }
start=$(date +%s.%N)
curl -sf -X POST "$url/api/v1/projects/$id/pipeline/run" >/dev/null
video_cpu_start=""
while true; do
  project=$(curl -sf "$url/api/v1/projects/$id")
  status=$(jq -r .status <<<"$project")
  if [ -z "$video_cpu_start" ] && [ "$(jq -r '.stages[] | select(.stage == "video_generation") | .status' <<<"$project")" != pending ]; then
    video_cpu_start=$(cpu)
  fi
  [ "$status" = completed ] || [ "$status" = failed ] && break
  sleep 0.25
done
end=$(date +%s.%N)
video_cpu_end=$(cpu)
echo "story: $(basename "$story"), $(python3 -c "import sys; print(len(open(sys.argv[1], encoding='utf-8').read().strip()))" "$story") characters; status: $status"
jq -r '"shots: \(.shots | length)"' <<<"$project"
python3 - "$project" <<'PY'
import json, sys
from datetime import datetime
p = json.loads(sys.argv[1])
for s in p["stages"]:
    if s.get("started_at") and s.get("finished_at"):
        d = datetime.fromisoformat(s["finished_at"]) - datetime.fromisoformat(s["started_at"])
        print(f"  {s['stage']:17} {d.total_seconds():7.1f} s")
PY
printf 'POST to playable film: %.1f s\n' "$(echo "$end - $start" | bc)"
printf 'video_generation CPU: %.1f s (server and its ffmpeg/espeak-ng processes, all cores); load average before: %s\n' \
  "$(echo "$video_cpu_end - ${video_cpu_start:-0}" | bc)" "$load"
film=$(jq -r .final_video_url <<<"$project")
if [ "$film" != null ]; then
  ffprobe -v error -show_entries stream=codec_type,codec_name,width,height:format=duration -of compact "$data/media${film#/media}"
fi
