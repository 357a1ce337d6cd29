"""Renders chat templates with Python's Jinja2 set up the way Hugging Face transformers sets it up
(sandboxed environment, trim_blocks, lstrip_blocks, loop controls, a generation block, tojson as
json.dumps with ensure_ascii=False, raise_exception, strftime_now), as a reference for the Java
renderer's tests.

stdin: JSON {"now": ISO time, "cases": [{"name", "template", "bos_token", "eos_token",
"messages", "add_generation_prompt"}]}; stdout: JSON {name: {"text": ...} | {"error": ...}}.
"""
import datetime
import json
import sys

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment


class GenerationBlock(Extension):
    """{% generation %}...{% endgeneration %} renders its body (transformers uses it for masks)."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def main():
    request = json.load(sys.stdin)
    now = datetime.datetime.fromisoformat(request["now"])

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationBlock, "jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: now.strftime(fmt)

    results = {}
    compiled = {}  # compiling dominates the run time; each template is compiled once
    for case in request["cases"]:
        try:
            if case["template"] not in compiled:
                compiled[case["template"]] = env.from_string(case["template"])
            template = compiled[case["template"]]
            text = template.render(messages=case["messages"], tools=None, documents=None,
                                   add_generation_prompt=case["add_generation_prompt"],
                                   bos_token=case["bos_token"], eos_token=case["eos_token"])
            results[case["name"]] = {"text": text}
        except Exception as e:  # the reference's refusal, whatever its type
            results[case["name"]] = {"error": type(e).__name__ + ": " + str(e)}
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
