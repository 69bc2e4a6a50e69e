#!/usr/bin/env bash
# Drives N concurrent streaming requests against any OpenAI-compatible server (vera4j serve, llama-server, ...) and prints
# aggregate generation tok/s and p50/p95 time to first token. Python 3 standard library only.
#
#   scripts/bench-serve.sh --url http://127.0.0.1:8080 --model llama-1b -c 8 -n 32 --max-tokens 128
#   scripts/bench-serve.sh --url http://127.0.0.1:8080 --models "$(ls adapters | sed 's/\.gguf$//' | paste -sd,)" -c 8 -n 64
#
# Options: --url URL (default http://127.0.0.1:8080)  --model ID  --models ID,ID,... (requests spread over them)
#          -c CONCURRENCY (default 1)  -n REQUESTS (default 4 x concurrency)  --max-tokens N (default 128)
#          --prompt TEXT | --prompt-file FILE  --api-key KEY  --chat (use /v1/chat/completions)  --json (one JSON line)
#          --distinct (each prompt starts with a number of its own, "R-i. " with R random per run, so no two requests,
#          in this run or an earlier one, share more than the first token and a server's prompt cache cannot skip one)
# Every request sets "ignore_eos": true (llama-server and vera4j honour it) and temperature 0, so each generates exactly
# --max-tokens tokens; tokens are counted from the server's usage, else one per streamed chunk.
set -euo pipefail
exec python3 - "$@" <<'PY'
import argparse, http.client, json, random, statistics, sys, threading, time, urllib.parse

p = argparse.ArgumentParser(prog="bench-serve.sh")
p.add_argument("--url", default="http://127.0.0.1:8080")
p.add_argument("--model")
p.add_argument("--models")
p.add_argument("-c", "--concurrency", type=int, default=1)
p.add_argument("-n", "--requests", type=int)
p.add_argument("--max-tokens", type=int, default=128)
p.add_argument("--prompt", default="Once upon a time, in a small village by the sea, there lived")
p.add_argument("--prompt-file")
p.add_argument("--api-key")
p.add_argument("--chat", action="store_true")
p.add_argument("--json", action="store_true")
p.add_argument("--distinct", action="store_true")
a = p.parse_args()
models = a.models.split(",") if a.models else [a.model] if a.model else None
if not models:
    sys.exit("error: --model or --models is required")
prompt = open(a.prompt_file, encoding="utf-8").read() if a.prompt_file else a.prompt
total = a.requests or 4 * a.concurrency
u = urllib.parse.urlparse(a.url)
path = "/v1/chat/completions" if a.chat else "/v1/completions"
headers = {"Content-Type": "application/json"}
if a.api_key:
    headers["Authorization"] = "Bearer " + a.api_key

results, errors, lock = [], [], threading.Lock()
run_id = random.randrange(1000, 100000)
next_index = [0]

def one(i):
    text = ("%d-%d. " % (run_id, i)) + prompt if a.distinct else prompt
    body = {"model": models[i % len(models)], "max_tokens": a.max_tokens, "temperature": 0, "ignore_eos": True,
            "stream": True, "stream_options": {"include_usage": True}}
    if a.chat:
        body["messages"] = [{"role": "user", "content": text}]
    else:
        body["prompt"] = text
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=600)
    start = time.perf_counter()
    conn.request("POST", path, json.dumps(body), headers)
    r = conn.getresponse()
    if r.status != 200:
        raise RuntimeError("HTTP %d: %s" % (r.status, r.read()[:300]))
    first, chunks, usage = None, 0, None
    for raw in r:
        line = raw.decode("utf-8").strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        ev = json.loads(line[6:])
        if ev.get("usage"):
            usage = ev["usage"].get("completion_tokens")
        for c in ev.get("choices") or []:
            text = c.get("text") if not a.chat else (c.get("delta") or {}).get("content")
            if text:
                chunks += 1
                if first is None:
                    first = time.perf_counter()
    end = time.perf_counter()
    conn.close()
    tokens = usage if usage is not None else chunks
    return {"ttft": (first or end) - start, "tokens": tokens, "time": end - start, "gen_time": end - (first or end)}

def worker():
    while True:
        with lock:
            i = next_index[0]
            if i >= total:
                return
            next_index[0] += 1
        try:
            res = one(i)
            with lock:
                results.append(res)
        except Exception as e:  # noqa: BLE001 - reported below
            with lock:
                errors.append(str(e))

t0 = time.perf_counter()
threads = [threading.Thread(target=worker) for _ in range(a.concurrency)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.perf_counter() - t0
if not results:
    sys.exit("error: no request succeeded: " + (errors[0] if errors else "none sent"))
ttft = sorted(r["ttft"] for r in results)
def pct(q):
    return ttft[min(len(ttft) - 1, int(round(q * (len(ttft) - 1))))]
tokens = sum(r["tokens"] for r in results)
per_stream = [r["tokens"] / r["gen_time"] for r in results if r["gen_time"] > 0]
out = {"url": a.url, "concurrency": a.concurrency, "requests": len(results), "errors": len(errors), "max_tokens": a.max_tokens,
       "wall_s": round(wall, 3), "generated_tokens": tokens, "aggregate_tok_s": round(tokens / wall, 2),
       "ttft_p50_ms": round(pct(0.5) * 1000, 1), "ttft_p95_ms": round(pct(0.95) * 1000, 1),
       "stream_tok_s_median": round(statistics.median(per_stream), 2) if per_stream else 0}
if a.json:
    print(json.dumps(out))
else:
    print("%s  c=%d  requests=%d (errors %d)  %d tokens in %.2f s" % (a.url, a.concurrency, len(results), len(errors), tokens, wall))
    print("aggregate generation: %.2f tok/s   per stream (median): %.2f tok/s" % (out["aggregate_tok_s"], out["stream_tok_s_median"]))
    print("time to first token: p50 %.1f ms   p95 %.1f ms" % (out["ttft_p50_ms"], out["ttft_p95_ms"]))
    for e in errors[:3]:
        print("error: " + e, file=sys.stderr)
PY
