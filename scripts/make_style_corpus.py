#!/usr/bin/env python3
"""Writes a second fine-tuning corpus in one distinctive style, for scripts/lora_vs_vera.py.

The style: short sea stories about Captain Moss, a cat who sails a tiny green boat, told with a fixed rhythm (an
opening line, a problem at sea, Moss's catch-phrase, a fix, a closing line) and a small vocabulary that stories260K
(trained on TinyStories) rarely produces. Deterministic (seeded), plain text with stories separated by a blank line,
as testdata/finetune/pip-stories.*.txt.

Usage: python3 scripts/make_style_corpus.py OUT_DIR [--train 500] [--valid 100] [--seed 7]
       -> OUT_DIR/moss-stories.train.txt, OUT_DIR/moss-stories.valid.txt
"""
import argparse
import os
import random

FRIENDS = ["a small crab", "an old turtle", "a lost seagull", "a shy fish", "a young whale", "a tired pelican",
           "a curious seal", "a little octopus"]
PLACES = ["the windy bay", "the quiet harbor", "the foggy cape", "the blue lagoon", "the rocky island",
          "the warm reef", "the far lighthouse", "the sandy shore"]
PROBLEMS = [("its shell was stuck in a net", "cut the net with a sharp shell"),
            ("it could not find its way home", "read the stars and drew a map"),
            ("a big wave took its hat", "sailed after the hat and caught it with a hook"),
            ("the fog hid the rocks", "rang the ship bell so all could hear"),
            ("its friends had gone to sea without it", "raised the green sail and followed them"),
            ("the wind was too strong to swim", "tied a rope and pulled it aboard"),
            ("it was hungry and cold", "shared warm soup and a dry blanket"),
            ("a storm was coming", "steered the boat into a safe cove")]
WEATHER = ["The sky was grey.", "The sun was bright.", "The wind sang in the ropes.", "Rain tapped on the deck.",
           "The moon shone on the waves."]
ENDINGS = ["And the sea was calm again.", "Then they sailed home together.", "From that day on, they were friends.",
           "Moss smiled and fixed his hat."]


def story(rng):
    friend = rng.choice(FRIENDS)
    place = rng.choice(PLACES)
    problem, fix = rng.choice(PROBLEMS)
    lines = [
        f"Ahoy! Captain Moss the cat sailed his tiny green boat to {place}.",
        rng.choice(WEATHER),
        f"There he met {friend}. The {friend.split()[-1]} was sad, because {problem}.",
        '"Steady paws, steady sails!" said Captain Moss.',
        f"Moss {fix}.",
        f"The {friend.split()[-1]} said, \"Thank you, Captain!\"",
        rng.choice(ENDINGS),
    ]
    return " ".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--train", type=int, default=500)
    ap.add_argument("--valid", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    for name, n in (("train", args.train), ("valid", args.valid)):
        with open(os.path.join(args.out, f"moss-stories.{name}.txt"), "w") as f:
            f.write("\n\n".join(story(rng) for _ in range(n)) + "\n")


if __name__ == "__main__":
    main()
