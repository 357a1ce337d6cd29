package dev.plinth.text.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The functions, filters and tags Hugging Face's chat-template environment adds to Jinja, made
 * for Jinjava: {@code raise_exception}, {@code strftime_now}, {@code tojson} (Python
 * {@code json.dumps} layout), {@code items}, and the {@code {% generation %}} block.
 */
final class TemplateExtensions {
    /** The clock {@code strftime_now} reads, set for the duration of one render. */
    static final ThreadLocal<Clock> CLOCK = ThreadLocal.withInitial(Clock::systemDefaultZone);

    private TemplateExtensions() {
    }

    static List<ELFunctionDefinition> functions() {
        return List.of(
                new ELFunctionDefinition("", "raise_exception", TemplateExtensions.class, "raiseException", Object.class),
                new ELFunctionDefinition("", "strftime_now", TemplateExtensions.class, "strftimeNow", String.class));
    }

    static List<Filter> filters() {
        return List.of(new ToJson(), new Items());
    }

    static List<Tag> tags() {
        return List.of(new Generation());
    }

    /** {@code raise_exception(message)}: aborts rendering with the template's message. */
    public static Object raiseException(Object message) {
        throw new RaisedByTemplate(PythonValues.str(message));
    }

    /** {@code strftime_now(format)}: the current local time in Python strftime format. */
    public static String strftimeNow(String format) {
        return StrftimeFormatter.format(ZonedDateTime.now(CLOCK.get()), format, Locale.US);
    }

    /** {@code value|tojson} and {@code value|tojson(indent=2)}. */
    static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            for (String key : kwargs.keySet()) {
                if (!key.equals("indent")) {
                    throw new UnsupportedConstruct("tojson argument '" + key + "'");
                }
            }
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            if (args.length > 1) {
                throw new UnsupportedConstruct("tojson with " + args.length + " arguments");
            }
            return PythonValues.toJson(var, indent == null ? -1 : indentOf(indent));
        }

        private static int indentOf(Object indent) {
            if (indent instanceof Number n && n.longValue() >= 0 && n.longValue() <= 64) {
                return n.intValue();
            }
            if (indent instanceof String s && s.matches("[0-9]{1,2}")) {
                return Integer.parseInt(s);
            }
            throw new UnsupportedConstruct("tojson indent " + indent);
        }
    }

    /** {@code mapping|items}: the (key, value) pairs, as Jinja 3.1's filter gives them. */
    static final class Items implements Filter {
        @Override
        public String getName() {
            return "items";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var == null) {
                return List.of();
            }
            if (!(var instanceof Map<?, ?> map)) {
                throw new UnsupportedConstruct("items filter on a " + PythonStrings.typeName(var));
            }
            return new ArrayList<>(map.entrySet());
        }
    }

    /**
     * {@code {% generation %}...{% endgeneration %}}: Hugging Face marks the assistant's tokens
     * with it for training masks; for rendering it outputs its body unchanged.
     */
    static final class Generation implements Tag {
        private static final long serialVersionUID = 1L;

        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String getEndTagName() {
            return "endgeneration";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder out = new StringBuilder();
            for (Node child : tagNode.getChildren()) {
                out.append(child.render(interpreter).getValue());
            }
            return out.toString();
        }
    }
}
