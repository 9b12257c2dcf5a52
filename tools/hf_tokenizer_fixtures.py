#!/usr/bin/env python3
"""Write Hugging Face tokenizer.json fixtures and the ids Hugging Face `tokenizers` gives for fixed texts.

Needs the `tokenizers` package (not run in CI). Trains two small byte-level BPE tokenizers on a corpus built here
(the built-in arithmetic task's traces and some multilingual text), in the two layouts checkpoints use:
  gpt2-style:   pre_tokenizer ByteLevel (its own GPT-2 split regex), decoder ByteLevel
  llama3-style: pre_tokenizer Sequence[Split(tiktoken-style regex, isolated), ByteLevel(use_regex=false)]
Each gets special tokens <|begin_of_text|>, <|end_of_text|>, <|pad|>. Writes, in the output folder:
  <name>/tokenizer.json, and expected.json: {name: [{"text", "ids", "decoded"}...], "tokenizers_version"}.
tests/Nestor.Tokenization.Tests checks Nestor's loader against expected.json.

    python tools/hf_tokenizer_fixtures.py OUT_DIR
"""
import json
import pathlib
import random
import sys

import tokenizers
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|pad|>"]
LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

TEXTS = [
    "a=17;b=a+5;c=b-9;c?",
    "a=17; b=a*3=51; c=b-9=42; answer 42",
    "Hello, world! It's a test: don't panic, we'll see.",
    "  leading spaces,\ttabs\tand\nnew lines\r\n\n  trailing  ",
    "Zahlen 1234567 und Umlaute: äöü ß, café naïve résumé",
    "日本語のテキストと中文文本",
    "emoji 🙂🚀 and symbols ∑ ≤ ≥ → ©",
    "<|begin_of_text|>special tokens<|end_of_text|> in text",
    "",
    " ",
    "x" * 50,
    "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX!",
]


def corpus() -> list[str]:
    rng = random.Random(7)
    lines = []
    for _ in range(3000):
        a, b = rng.randint(0, 99), rng.randint(1, 9)
        c = a + b
        lines.append(f"a={a}; b=a+{b}={c}; c=b-{b}={a}; answer {a}")
    prose = (
        "Elastic models hold nested budgets in one checkpoint. Each budget is a prefix of the weights: the first "
        "channels, heads and neurons by importance. The operator serves every budget from the same volume. "
        "Ein Modell, viele Größen. Un modèle, plusieurs tailles. Un modelo, muchos tamaños. 一つのモデル。 "
    )
    lines.extend([prose] * 50)
    lines.extend(TEXTS)
    return lines


def build(name: str) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    if name == "gpt2-style":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator(corpus(), trainer=trainer)
    return tok


def main() -> int:
    out = pathlib.Path(sys.argv[1])
    expected = {"tokenizers_version": tokenizers.__version__}
    for name in ["gpt2-style", "llama3-style"]:
        tok = build(name)
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        tok.save(str(folder / "tokenizer.json"))
        rows = []
        for text in TEXTS:
            enc = tok.encode(text, add_special_tokens=False)
            rows.append({"text": text, "ids": enc.ids, "decoded": tok.decode(enc.ids, skip_special_tokens=False)})
        expected[name] = rows
        print(name, "vocab", tok.get_vocab_size(), "ids of text 0:", rows[0]["ids"], flush=True)
    (out / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
