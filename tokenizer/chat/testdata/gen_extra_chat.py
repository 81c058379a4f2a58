"""Renders extra chat cases with the official EXAONE 4 template, the way
transformers' apply_chat_template does (jinja2 sandbox with trim_blocks and
lstrip_blocks, and its tojson = json.dumps(ensure_ascii=False)).

Inputs are kept as raw JSON text so that the Go side parses the very same
literals (e.g. 1E5, 2.50, -0) that Python did.

Run: python3 gen_extra_chat.py > extra_chat.json
"""
import json
import sys

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATE = "../../../testdata/tokenizer/chat_template.jinja"


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
template = env.from_string(open(TEMPLATE, encoding="utf-8").read())

WEATHER = '{"type": "function", "function": {"name": "get_weather", "description": "Wetter für eine Stadt \\"heute\\"\\n(한국어 OK)", "parameters": {"type": "object", "properties": {"location": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 1E1, "default": -0}}, "required": ["location"], "additionalProperties": false}}}'
CALC = '{"type": "function", "function": {"name": "calc", "description": "x\\u00e9\\t\\u0001\\\\", "parameters": {"type": "object", "properties": {"a": {"type": "number", "examples": [2.50, 1e16, 1e15, 0.0001, 0.00001, 1.5e-7, 123.456, -0.0, 1E5, 12345678901234567890, 3.141592653589793, null, true]}}}}}'

CASES = [
    ("two_tools_numbers_and_escapes", '[{"role": "system", "content": "  Be brief.\\n"}, {"role": "user", "content": "Weather in Seoul for 3 days?"}]', f"[{WEATHER}, {CALC}]", None, True),
    ("content_and_two_tool_calls", '[{"role": "user", "content": "Do both"}, {"role": "assistant", "content": "<think>plan</think>\\n\\nCalling tools.", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"location": "Seoul", "days": 2}}}, {"name": "calc", "arguments": "{\\"a\\": 1}"}]}, {"role": "tool", "content": "Sunny, 25°C"}, {"role": "tool", "content": " {\\"x\\": \\"quote\\\\\\"\\"}\\n"}, {"role": "user", "content": "Thanks"}]', f"[{WEATHER}]", None, True),
    ("system_later_and_trimming", '[{"role": "user", "content": "\\u3000 hi \\u001c\\t"}, {"role": "system", "content": "\\n New rules \\u00a0"}, {"role": "user", "content": "again"}]', "null", True, True),
    ("think_only_assistant_and_empty", '[{"role": "user", "content": "a"}, {"role": "assistant", "content": "<think>only thoughts</think>"}, {"role": "user", "content": "b"}, {"role": "assistant", "content": ""}, {"role": "user", "content": "c"}, {"role": "assistant", "content": "x</think>y</think>  z  "}]', "[]", None, False),
    ("tool_first_with_tools", '[{"role": "tool", "content": "result one"}, {"role": "tool", "content": "result two"}, {"role": "assistant", "content": null, "tool_calls": [{"type": "function", "function": {"name": "calc", "arguments": {"nested": {"list": [1, 2.0, {"k": "v"}], "empty": {}, "none": []}}}}]}]', f"[{CALC}]", False, True),
    ("no_generation_prompt_thinking", '[{"role": "user", "content": "[|endofturn|] inside text"}]', "null", True, False),
]


def main():
    out = []
    for name, msgs_raw, tools_raw, thinking, gen in CASES:
        kwargs = dict(messages=json.loads(msgs_raw), tools=json.loads(tools_raw), add_generation_prompt=gen)
        if thinking is not None:
            kwargs["enable_thinking"] = thinking
        text = template.render(**kwargs)
        out.append(
            '{"name": %s, "messages": %s, "tools": %s, "enable_thinking": %s, "add_generation_prompt": %s, "text": %s}'
            % (json.dumps(name), msgs_raw, tools_raw, json.dumps(thinking), json.dumps(gen), json.dumps(text, ensure_ascii=False))
        )
    sys.stdout.write('{"generator": "gen_extra_chat.py, jinja2 %s", "chat": [\n%s\n]}\n' % (jinja2.__version__, ",\n".join(out)))


main()
