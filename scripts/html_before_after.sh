#!/bin/bash
# The issue's sentence through `serve`'s format html: what the model received
# (segments) and what came back. Usage: scripts/html_before_after.sh ENTENTE_BINARY MODEL_DIR
bin=$1
$bin serve --model "$2" --port 5077 --beams 1 --max-new-tokens 12 2>/dev/null &
pid=$!
for i in $(seq 1 50); do curl -s localhost:5077/health >/dev/null && break; sleep 0.2; done
curl -s localhost:5077/v1/translate -H 'Content-Type: application/json' \
  -d '{"text": "<p>Le <b>président</b> a annoncé une <a href=\"/r\">réforme</a> mardi.</p>", "format": "html"}' \
  | python3 -c 'import json,sys; a=json.load(sys.stdin)["translations"][0]; print("model inputs:", [s["src"] for s in a["segments"]]); print("output:", a["text"])'
kill $pid; wait $pid 2>/dev/null
