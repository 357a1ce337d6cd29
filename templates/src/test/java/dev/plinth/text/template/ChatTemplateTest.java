package dev.plinth.text.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.text.ChatMessage;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Jinja semantics as transformers renders chat templates, on small templates written here. */
class ChatTemplateTest {
    private static final List<ChatMessage> CHAT = List.of(
            ChatMessage.system(" Be brief. "), ChatMessage.user("a.b.c"), ChatMessage.assistant("ok"));

    private static String render(String template) {
        return render(template, Map.of());
    }

    private static String render(String template, Map<String, Object> extra) {
        return ChatTemplate.of(template, "<s>", "</s>").render(CHAT, true, extra);
    }

    private static ChatTemplateException failure(String template) {
        return assertThrows(ChatTemplateException.class, () -> render(template));
    }

    @Test
    void whitespaceControlTrimAndLstripBlocks() {
        assertEquals("ab", render("a  \n  {{- 'b' -}}  \n"));
        assertEquals("x\n", render("{% if true %}\nx\n{% endif %}\n"));
        assertEquals("x\ny", render("    {% if true %}\nx\n    {% endif %}\ny\n"));
        assertEquals("<s>A", render("{{- bos_token }}\n{%- if true %}\n    {{- 'A' }}\n{%- endif %}\n"));
        assertEquals("1\n2\n", render("{% for x in [1, 2] %}\n        {{- x }}\n{% endfor %}"));
        assertEquals("ab", render("a{# note #}\n{#- note -#}  b"));
        // one trailing newline of the source goes, as in Jinja2; a second one stays
        assertEquals("x", render("x\n"));
        assertEquals("x\n", render("x\n\n"));
    }

    @Test
    void variablesAsTransformersPassesThem() {
        assertEquals("<s>|</s>|True|3|system|ok|None|None",
                render("{{ bos_token }}|{{ eos_token }}|{{ 'True' if add_generation_prompt else 'False' }}|"
                        + "{{ messages|length }}|{{ messages[0].role }}|{{ messages[-1]['content'] }}|"
                        + "{{ 'None' if tools is none }}|{{ 'None' if documents is none }}"));
        assertEquals("on", render("{{ 'on' if enable_thinking else 'off' }}", Map.of("enable_thinking", true)));
        assertEquals("off", render("{{ 'on' if enable_thinking is defined and enable_thinking else 'off' }}"));
        assertEquals("<X>", render("{{ bos_token }}", Map.of("bos_token", "<X>")));
    }

    @Test
    void notBindsLooserThanTestsAndComparisons() {
        assertEquals("False", render("{{ 'True' if not bos_token is defined else 'False' }}"));
        assertEquals("True", render("{{ 'True' if not 'a' == 'b' else 'False' }}"));
        assertEquals("True", render("{{ 'True' if not messages|length > 5 else 'False' }}"));
        assertEquals("True", render("{{ 'True' if not (1 == 2) and not false else 'False' }}"));
        assertEquals("True", render("{{ 'True' if 'z' not in 'abc' else 'False' }}"));
        assertEquals("True", render("{{ 'True' if bos_token is not none else 'False' }}"));
    }

    @Test
    void pythonStringMethods() {
        assertEquals("[Be brief.]", render("[{{ messages[0].content.strip() }}]"));
        assertEquals("[Be brief. ][ Be brief.]", render("[{{ messages[0].content.lstrip() }}][{{ messages[0].content.rstrip() }}]"));
        assertEquals("a|b|c", render("{{ messages[1].content.split('.')|join('|') }}"));
        assertEquals("a|b.c", render("{{ messages[1].content.split('.', 1)|join('|') }}"));
        assertEquals("c", render("{{ messages[1].content.split('.')[-1] }}"));
        assertEquals("TrueFalseTrue", render("{{ 'True' if 'abc'.startswith('ab') else 'False' }}"
                + "{{ 'True' if 'abc'.endswith('b') else 'False' }}{{ 'True' if 'abc'.endswith(('x', 'c')) else 'False' }}"));
        assertEquals("ABC|abc|a-b-c|xyz", render("{{ 'abc'.upper() }}|{{ 'ABC'.lower() }}|"
                + "{{ messages[1].content.replace('.', '-') }}|{{ '\\n\\nxyz'.lstrip('\\n') }}"));
        assertEquals("<a:1>", render("{{ '<{}:{}>'.format('a', 1) }}"));
        assertEquals("c|cba|bc", render("{{ 'abc'[-1] }}|{{ 'abc'[::-1] }}|{{ 'abc'[1:] }}"));
        ChatTemplateException e = failure("\n{{ 'abc'.zfill(5) }}");
        assertEquals(ChatTemplateException.Kind.UNSUPPORTED, e.kind());
        assertEquals("string method 'zfill'", e.detail());
        assertEquals(2, e.line());
    }

    @Test
    void collectionsLoopsAndNamespaces() {
        assertEquals("user,assistant", render("{{ messages[1:]|map(attribute='role')|join(',') }}"));
        assertEquals("assistant,user,system", render("{{ messages[::-1]|map(attribute='role')|join(',') }}"));
        assertEquals("F.L", render("{% for m in messages %}{% if loop.first %}F{% elif loop.last %}L{% else %}.{% endif %}{% endfor %}"));
        assertEquals("2", render("{% set ns = namespace(n=0) %}{% for m in messages if m.role != 'system' %}"
                + "{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}"));
        assertEquals("2", render("{% set ns = namespace(last=messages|length - 1) %}{{ ns.last }}"));
        assertEquals("a=1;b=2;", render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}"));
        assertEquals("a=1;", render("{% for k, v in {'a': 1}|items %}{{ k }}={{ v }};{% endfor %}"));
        assertEquals("1", render("{{ [3, 1, 2]|min }}"));
        assertEquals("0", render("{% for i in range(3) %}{% if i == 1 %}{% break %}{% endif %}{{ i }}{% endfor %}"));
        assertEquals("body", render("{%- filter trim -%}\n  body  \n{%- endfilter -%}"));
        assertEquals("text", render("{% generation %}text{% endgeneration %}"));
    }

    @Test
    void stringFilterIsPythonStr() {
        assertEquals("{'a': True, 'b': None, 'c': [1, 'x']}|3|x|", render(
                "{{ {'a': true, 'b': none, 'c': [1, 'x']}|string }}|{{ 3|string }}|{{ 'x'|string }}|{{ nosuch|string }}"));
    }

    @Test
    void loopAttributesJinjavaLacksAreRefusedByName() {
        ChatTemplateException e = failure("{% for m in messages %}{% if loop.previtem %}P{% endif %}{% endfor %}");
        assertEquals(ChatTemplateException.Kind.UNSUPPORTED, e.kind());
        assertEquals("loop.previtem", e.detail());
    }

    @Test
    void tojsonIsPythonJsonDumps() {
        assertEquals("{\"name\": \"f\", \"args\": [1, 2.5, true, null, \"q\\\"\\n\"]}",
                render("{{ {'name': 'f', 'args': [1, 2.5, true, none, 'q\"\\n']}|tojson }}"));
        assertEquals("{\n    \"a\": [\n        1\n    ],\n    \"b\": {}\n}", render("{{ {'a': [1], 'b': {} }|tojson(indent=4) }}"));
        assertEquals("\"é✓\"", render("{{ 'é✓'|tojson }}"));
    }

    @Test
    void strftimeNowReadsTheClock() {
        Clock clock = Clock.fixed(Instant.parse("2025-03-04T05:06:07Z"), ZoneOffset.UTC);
        ChatTemplate t = ChatTemplate.of("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d') }}", "", "").withClock(clock);
        assertEquals("04 Mar 2025|2025-03-04", t.render(CHAT, false));
    }

    @Test
    void raiseExceptionAbortsWithTheTemplatesMessage() {
        ChatTemplateException e = failure("before{{ raise_exception('no ' ~ messages[0].role ~ ' here') }}after");
        assertEquals(ChatTemplateException.Kind.RAISED, e.kind());
        assertEquals("no system here", e.detail());
        assertTrue(e.getMessage().contains("no system here"), e.getMessage());
    }

    @Test
    void unknownConstructsAreNamedWithTheirLine() {
        ChatTemplateException filter = failure("a\nb\n{{ messages|frobnicate }}");
        assertEquals(ChatTemplateException.Kind.UNSUPPORTED, filter.kind());
        assertEquals("filter 'frobnicate'", filter.detail());
        assertEquals(3, filter.line());

        ChatTemplateException test = failure("{% if messages is frobbable %}x{% endif %}");
        assertEquals("test 'frobbable'", test.detail());

        ChatTemplateException function = failure("\n{{ frobnicate(1) }}");
        assertEquals(ChatTemplateException.Kind.UNSUPPORTED, function.kind());
        assertEquals("function 'frobnicate'", function.detail());
        assertEquals(2, function.line());

        ChatTemplateException tag = failure("{% frobnicate %}");
        assertEquals(ChatTemplateException.Kind.UNSUPPORTED, tag.kind());
        assertEquals("tag 'frobnicate'", tag.detail());

        ChatTemplateException step = failure("{{ messages[::2] }}");
        assertEquals(ChatTemplateException.Kind.UNSUPPORTED, step.kind());
        assertTrue(step.detail().startsWith("expression syntax"), step.detail());
    }

    @Test
    void brokenTemplatesFailInsteadOfRenderingPartially() {
        assertThrows(ChatTemplateException.class, () -> render("{% if true %}unclosed"));
        assertThrows(ChatTemplateException.class, () -> render("{{ 1 + }}"));
        assertThrows(ChatTemplateException.class, () -> render("{{ '%s' % 'x' }}"));
    }

    @Test
    void plusWithAnUndefinedOperandFailsAsInJinja2() {
        for (String template : List.of("{{ 'a' + nosuch }}", "{{ nosuch + 'a' }}", "{{ 'a' + messages[0].nokey + 'b' }}",
                "{% set x = 'p' + messages[0]['nokey'] %}{{ x }}", "{{ 'a' + none }}")) {
            ChatTemplateException e = failure(template);
            assertTrue(e.detail().contains("undefined or none operand of '+'"), template + ": " + e);
        }
        assertEquals("da|ab|2|a.b.cx", render("{{ nosuch|default('d') + 'a' }}|{{ 'a' + (nosuch or 'b') }}|"
                + "{{ messages|length - 1 + 0 }}|{{ messages[1].content + 'x' }}"));
    }

    @Test
    void missingAttributesAreUndefinedAsInJinja2() {
        assertEquals("[][no calls]", render("[{{ messages[0].tool_calls }}]"
                + "[{{ 'calls' if messages[0].tool_calls is defined and messages[0].tool_calls else 'no calls' }}]"));
    }

    @Test
    void fallbackIsChatMlAndSaysSo() {
        ChatTemplate t = ChatTemplate.orDefault(null, "<s>", "</s>");
        assertTrue(t.isFallback());
        assertEquals("<|im_start|>system\n Be brief. <|im_end|>\n<|im_start|>user\na.b.c<|im_end|>\n"
                + "<|im_start|>assistant\nok<|im_end|>\n<|im_start|>assistant\n", t.render(CHAT, true));
        assertTrue(ChatTemplate.orDefault("  ", "", "").isFallback());
        assertFalse(ChatTemplate.orDefault("{{ 'x' }}", "", "").isFallback());
    }

    @Test
    void namedTemplateListsPickDefault() {
        List<Map<String, Object>> named = List.of(
                Map.of("name", "tool_use", "template", "TOOLS"),
                Map.of("name", "default", "template", "DEFAULT"));
        assertEquals("DEFAULT", ChatTemplate.fromConfigValue(named, "", "").render(CHAT, false));
        assertEquals("PLAIN", ChatTemplate.fromConfigValue("PLAIN", "", "").render(CHAT, false));
        assertTrue(ChatTemplate.fromConfigValue(null, "", "").isFallback());
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.fromConfigValue(List.of(Map.of("name", "rag", "template", "R")), "", ""));
        assertTrue(e.getMessage().contains("default"), e.getMessage());
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromConfigValue(42, "", ""));
    }
}
