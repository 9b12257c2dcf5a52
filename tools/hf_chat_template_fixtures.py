#!/usr/bin/env python3
"""Render chat templates with Hugging Face transformers' apply_chat_template and write the results as fixtures.

Needs transformers and tokenizers (not run in CI). The templates are ours, written in the styles checkpoints use
(ChatML, Llama-3 headers with a system-message default, and a block style that relies on trim_blocks/lstrip_blocks).
For every template and conversation, with add_generation_prompt false and true, it records the rendered prompt or
the error message. Nestor's template renderer must reproduce expected.json exactly.

    python tools/hf_chat_template_fixtures.py TEMPLATES_DIR TOKENIZER_JSON OUT_DIR
TEMPLATES_DIR holds <name>.jinja files; TOKENIZER_JSON is any tokenizer.json (the fixtures' gpt2-style one).
"""
import json
import pathlib
import sys

import transformers
from transformers import PreTrainedTokenizerFast

CONVERSATIONS = {
    "user-only": [{"role": "user", "content": "a=17;b=a+5;c=b-9;c?"}],
    "system-user": [
        {"role": "system", "content": "You solve arithmetic chains."},
        {"role": "user", "content": "a=3;b=a*4;b?"},
    ],
    "multi-turn": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi!"},
        {"role": "assistant", "content": "Hello. How can I help?"},
        {"role": "user", "content": "  Größe: 日本語 🙂  \n"},
    ],
    "assistant-first-user": [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "  spaced answer  "},
        {"role": "user", "content": "second"},
    ],
    "tool-role": [
        {"role": "user", "content": "call it"},
        {"role": "tool", "content": "42"},
    ],
}


def main() -> int:
    templates, tokenizer_json, out = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3])
    expected = {"transformers_version": transformers.__version__, "cases": []}
    for path in sorted(templates.glob("*.jinja")):
        tok = PreTrainedTokenizerFast(tokenizer_file=tokenizer_json, bos_token="<|begin_of_text|>", eos_token="<|end_of_text|>")
        tok.chat_template = path.read_text()
        for name, messages in CONVERSATIONS.items():
            for generation in (False, True):
                case = {"template": path.name, "conversation": name, "messages": messages, "add_generation_prompt": generation,
                        "bos_token": tok.bos_token, "eos_token": tok.eos_token}
                try:
                    case["rendered"] = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation)
                except Exception as e:  # the template's own raise_exception, or a jinja error
                    case["error"] = str(e)
                expected["cases"].append(case)
                print(path.name, name, generation, repr(case.get("rendered", case.get("error")))[:100], flush=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
