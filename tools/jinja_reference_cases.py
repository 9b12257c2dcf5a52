#!/usr/bin/env python3
"""Render template snippets with Jinja2 in the environment transformers' apply_chat_template uses; write fixtures.

Needs only jinja2 (not run in CI). transformers compiles chat templates in an ImmutableSandboxedEnvironment with
trim_blocks, lstrip_blocks and the loopcontrols extension, replaces tojson by json.dumps(ensure_ascii=False, ...) and
adds raise_exception and strftime_now. This script does the same, renders every snippet of CASES_TXT (separated by a
line holding only =====) with the variables below, and records the text or the error. Nestor's renderer must match
(JinjaReferenceTests).

    python tools/jinja_reference_cases.py tests/Fixtures/chat-templates/jinja-cases.txt tests/Fixtures/chat-templates/jinja-cases.json
"""
import json
import sys
from datetime import datetime

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

VARIABLES = {
    "messages": [
        {"role": "system", "content": "  You are helpful.\n"},
        {"role": "user", "content": "Größe 🙂 'quoted' \"dq\" \\ back"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "add", "arguments": {"a": 1, "b": 2.5, "c": [True, None]}}}]},
        {"role": "tool", "content": "3.5", "tool_call_id": "call_1"},
        {"role": "user", "content": ""},
    ],
    "tools": [{"type": "function", "function": {"name": "add", "description": "Adds <two> & more",
                                                "parameters": {"type": "object", "properties": {"a": {"type": "number"}}}}}],
    "add_generation_prompt": True,
    "bos_token": "<s>",
    "eos_token": "</s>",
    "documents": None,
}


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def main(cases_txt, out_json):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    with open(cases_txt, encoding="utf-8") as f:
        templates = f.read().split("\n=====\n")
    cases = []
    for template in templates:
        try:
            cases.append({"template": template, "rendered": env.from_string(template).render(**VARIABLES)})
        except Exception as e:  # the error is the expected outcome
            cases.append({"template": template, "error": str(e), "error_type": type(e).__name__})
    with open(out_json, "w", encoding="utf-8") as f:
        json.dump({"jinja2_version": jinja2.__version__, "variables": VARIABLES, "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases, {sum('error' in c for c in cases)} errors")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
