#!/usr/bin/env python3
"""The VeRA-vs-LoRA trade-off on our own runs: trains stories260K with `vera4j train` on two style corpora (the shared
Pip stories and the Captain Moss stories of make_style_corpus.py), VeRA at r in {64, 256, 1024} and LoRA at r in
{1, 2, 4, 8, 16}, all on the same targets, data, steps, batch, seed and learning rate, and prints a Markdown table:
trainable parameters, adapter file size, final validation loss, training tokens/s and peak resident memory (GNU time's
maximum RSS of the training process).

Usage (after `mvn -B -DskipTests package`; JDK 25 as `java`):
  python3 scripts/lora_vs_vera.py [--jar tools/target/vera4j.jar] [--shared ../shared] [--steps 40] [--threads 1]
      [--work /tmp/lora-vs-vera] [--batch 8] [--valid-stories N] > table.md
Only the Python standard library and GNU time (/usr/bin/time) are needed.
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VERA_RANKS = [64, 256, 1024]
LORA_RANKS = [1, 2, 4, 8, 16]
TARGETS = "q,k,v,o,gate,up,down"


def train(args, method, rank, data, valid, out, lr, steps):
    cmd = ["/usr/bin/time", "-f", "maxrss_kb=%M", "java", "--add-modules", "jdk.incubator.vector",
           "--enable-native-access=ALL-UNNAMED", "-cp", args.jar, "dev.vera4j.tools.Main", "train", "-m", args.model, "--data", data,
           "--valid", valid, "-o", out, "--method", method, "--rank", str(rank), "--targets", TARGETS, "--lr", str(lr),
           "--seq", str(args.seq), "--batch", str(args.batch), "--steps", str(steps), "--seed", "0",
           "-t", str(args.threads), "--log-every", "1"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stdout}")
    text = p.stdout
    params = int(re.search(r"\(([\d,]+) trainable values\)", text).group(1).replace(",", ""))
    loss = float(re.search(r"validation loss ([0-9.]+)", text).group(1))
    tok = [float(x) for x in re.findall(r"([0-9.]+) tok/s", text)]
    rss = int(re.search(r"maxrss_kb=(\d+)", text).group(1))
    return {"params": params, "size": os.path.getsize(out), "loss": loss, "tok_s": tok[-1], "rss_mib": rss / 1024}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jar", default=os.path.join(HERE, "..", "tools", "target", "vera4j.jar"))
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "shared"))
    ap.add_argument("--work", default="/tmp/lora-vs-vera")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--valid-stories", type=int, default=0, help="validate on the first N stories only (0: all)")
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--vera-lr", type=float, default=None, help="VeRA's learning rate (default --lr; the paper uses larger ones for VeRA)")
    ap.add_argument("--methods", default="vera,lora", help="which methods to run, e.g. vera")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    args.model = os.path.join(args.shared, "models", "stories260K.gguf")
    os.makedirs(args.work, exist_ok=True)
    subprocess.run([sys.executable, os.path.join(HERE, "make_style_corpus.py"), args.work], check=True)
    ft = os.path.join(args.shared, "testdata", "finetune")
    corpora = [("pip", os.path.join(ft, "pip-stories.train.txt"), os.path.join(ft, "pip-stories.valid.txt")),
               ("moss", os.path.join(args.work, "moss-stories.train.txt"), os.path.join(args.work, "moss-stories.valid.txt"))]
    if args.valid_stories > 0:
        cut = []
        for name, data, valid in corpora:
            stories = open(valid).read().strip().split("\n\n")[:args.valid_stories]
            path = os.path.join(args.work, f"{name}.valid-{args.valid_stories}.txt")
            open(path, "w").write("\n\n".join(stories) + "\n")
            cut.append((name, data, path))
        corpora = cut
    print(f"stories260K, targets {TARGETS}, {args.steps} steps of {args.batch} x seq {args.seq}, AdamW lr {args.lr} (VeRA {args.vera_lr or args.lr}), "
          f"seed 0, {args.threads} thread(s), validation on "
          f"{args.valid_stories if args.valid_stories else 'all'} stories per corpus\n")
    print("| corpus | method | r | trainable params | adapter file | base valid loss | final valid loss | train tok/s | peak RSS |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, data, valid in corpora:
        # the base model's loss: a VeRA run with learning rate 0 leaves λ_b = 0, so the adapter changes nothing
        base = train(args, "vera", 64, data, valid, os.path.join(args.work, f"{name}-base.gguf"), 0.0, 1)["loss"]
        for method, ranks in (("vera", VERA_RANKS), ("lora", LORA_RANKS)):
            if method not in args.methods.split(","):
                continue
            lr = args.vera_lr if method == "vera" and args.vera_lr is not None else args.lr
            for r in ranks:
                out = os.path.join(args.work, f"{name}-{method}-r{r}.gguf")
                m = train(args, method, r, data, valid, out, lr, args.steps)
                print(f"| {name} | {'VeRA' if method == 'vera' else 'LoRA'} (lr {lr:g}) | {r} | {m['params']:,} | {m['size'] / 1024:.1f} KiB | "
                      f"{base:.4f} | {m['loss']:.4f} | {m['tok_s']:.0f} | {m['rss_mib']:.0f} MiB |", flush=True)


if __name__ == "__main__":
    main()
