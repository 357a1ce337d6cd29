package dev.plinth.text.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.util.ObjectTruthValue;
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

    /** The filter that {@code x[::-1]} is rewritten to (see {@link TemplateSource}). */
    static final String REVERSED = "py_reversed";

    /** The filter that {@code for x in items if cond} is rewritten to (see {@link TemplateSource}). */
    static final String LOOP_FILTER = "py_loop_filter";

    /** The function every plain operand of '+' is wrapped in (see {@link TemplateSource}). */
    static final String OPERAND_CHECK = "py_operand";

    /** The filter that an unknown filter is rewritten to (see {@link TemplateSource}). */
    static final String UNKNOWN_FILTER = "py_unknown_filter";

    private TemplateExtensions() {
    }

    static List<ELFunctionDefinition> functions() {
        return List.of(
                new ELFunctionDefinition("", "raise_exception", TemplateExtensions.class, "raiseException", Object.class),
                new ELFunctionDefinition("", "strftime_now", TemplateExtensions.class, "strftimeNow", String.class),
                new ELFunctionDefinition("", OPERAND_CHECK, TemplateExtensions.class, "operand", Object.class));
    }

    static List<Filter> filters() {
        return List.of(new ToJson(), new Items(), new Extreme("min"), new Extreme("max"), new Reversed(), new LoopFilter(), new Str(), new UnknownFilter());
    }

    static List<Tag> tags() {
        return List.of(new Generation(), new FilterBlock());
    }

    /** {@code raise_exception(message)}: aborts rendering with the template's message. */
    public static Object raiseException(Object message) {
        throw new RaisedByTemplate(PythonValues.str(message));
    }

    /** An operand of '+': Jinja2 raises on an undefined or none one, Jinjava would print "null". */
    public static Object operand(Object value) {
        if (value == null) {
            throw new UndefinedOperand();
        }
        return value;
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

    /** {@code {% filter name %}...{% endfilter %}}: the body passed through filters without arguments. */
    static final class FilterBlock implements Tag {
        private static final long serialVersionUID = 1L;

        @Override
        public String getName() {
            return "filter";
        }

        @Override
        public String getEndTagName() {
            return "endfilter";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            Object value = new Generation().interpret(tagNode, interpreter);
            for (String name : tagNode.getHelpers().trim().split("\\s*\\|\\s*")) {
                Filter filter = interpreter.getContext().getFilter(name);
                if (!name.matches("[A-Za-z_][A-Za-z0-9_]*") || filter == null) {
                    throw new UnsupportedConstruct("filter block '" + tagNode.getHelpers().trim() + "'");
                }
                value = filter.filter(value, interpreter);
            }
            return PythonValues.str(value);
        }
    }

    /** {@code items|py_loop_filter("k, v", "cond")}: the items for which cond holds with the loop target bound. */
    static final class LoopFilter implements Filter {
        @Override
        public String getName() {
            return LOOP_FILTER;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (args.length != 2) {
                throw new UnsupportedConstruct("loop filter with " + args.length + " arguments");
            }
            String[] names = args[0].split("\\s*,\\s*");
            List<Object> kept = new ArrayList<>();
            for (Object item : iterate(var)) {
                interpreter.enterScope();
                try {
                    bind(interpreter, names, item);
                    Object holds = interpreter.resolveELExpression(args[1], interpreter.getLineNumber());
                    if (ObjectTruthValue.evaluate(holds)) {
                        kept.add(item);
                    }
                } finally {
                    interpreter.leaveScope();
                }
            }
            return kept;
        }

        private static Iterable<?> iterate(Object var) {
            return switch (var) {
                case null -> List.of();
                case Map<?, ?> map -> map.keySet();
                case Iterable<?> items -> items;
                default -> throw new UnsupportedConstruct("for ... if over a " + PythonStrings.typeName(var));
            };
        }

        private static void bind(JinjavaInterpreter interpreter, String[] names, Object item) {
            if (names.length == 1) {
                interpreter.getContext().put(names[0], item);
                return;
            }
            List<?> values = switch (item) {
                case Map.Entry<?, ?> e -> java.util.Arrays.asList(e.getKey(), e.getValue());
                case List<?> list -> list;
                default -> throw new UnsupportedConstruct("unpacking a " + PythonStrings.typeName(item) + " in a for loop");
            };
            if (values.size() != names.length) {
                throw new UnsupportedConstruct("unpacking " + values.size() + " values into " + names.length + " names");
            }
            for (int i = 0; i < names.length; i++) {
                interpreter.getContext().put(names[i], values.get(i));
            }
        }
    }

    /** Stands for a filter that does not exist: applying it fails, naming it. */
    static final class UnknownFilter implements Filter {
        @Override
        public String getName() {
            return UNKNOWN_FILTER;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            throw new UnsupportedConstruct("filter '" + (args.length > 0 ? args[0] : "?") + "'");
        }
    }

    /** {@code value|string}: Python's {@code str()} ({@code {'a': True}}, not Java's {@code {a=true}}). */
    static final class Str implements Filter {
        @Override
        public String getName() {
            return "string";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            // Jinjava cannot tell undefined from none; undefined (str() == "") is the usual case.
            return var == null ? "" : PythonValues.str(var);
        }
    }

    /** {@code x[::-1]}: a reversed copy of a list, or a reversed string. */
    static final class Reversed implements Filter {
        @Override
        public String getName() {
            return REVERSED;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var instanceof String s) {
                return new StringBuilder(s).reverse().toString();
            }
            if (var instanceof List<?> list) {
                return new ArrayList<>(list.reversed());
            }
            throw new UnsupportedConstruct("[::-1] of a " + PythonStrings.typeName(var));
        }
    }

    /** {@code list|min} and {@code list|max} over numbers or strings (no attribute or case options). */
    static final class Extreme implements Filter {
        private final String name;

        Extreme(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (args.length > 0) {
                throw new UnsupportedConstruct(name + " filter with arguments");
            }
            if (!(var instanceof Iterable<?> items)) {
                throw new UnsupportedConstruct(name + " filter on a " + PythonStrings.typeName(var));
            }
            Object best = null;
            for (Object item : items) {
                if (best == null || (compare(item, best) < 0) == name.equals("min") && compare(item, best) != 0) {
                    best = item;
                }
            }
            return best;
        }

        private int compare(Object a, Object b) {
            if (a instanceof Number x && b instanceof Number y) {
                return Double.compare(x.doubleValue(), y.doubleValue());
            }
            if (a instanceof String x && b instanceof String y) {
                return x.compareToIgnoreCase(y);
            }
            throw new UnsupportedConstruct(name + " filter over " + PythonStrings.typeName(a) + " and " + PythonStrings.typeName(b));
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
