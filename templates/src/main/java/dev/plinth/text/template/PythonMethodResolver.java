package dev.plinth.text.template;

import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.objects.SafeString;
import java.beans.FeatureDescriptor;
import java.util.Iterator;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Answers method calls on strings with Python semantics ({@link PythonStrings}) before Jinjava's
 * bean resolver could call a Java method of the same name ({@code "a.b".split(".")} would be a
 * regex split in Java). Everything else goes to Jinjava's default resolvers.
 */
final class PythonMethodResolver extends ELResolver {

    /** This resolver first, then Jinjava's own read-only chain. */
    static ELResolver chain() {
        CompositeELResolver chain = new CompositeELResolver();
        chain.add(new PythonMethodResolver());
        chain.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        return chain;
    }

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        String text = base instanceof String s ? s : base instanceof SafeString safe ? safe.toString() : null;
        if (text == null || method == null) {
            return null;
        }
        Object result = PythonStrings.invoke(text, method.toString(), params);
        context.setPropertyResolved(true);
        return result;
    }

    /** Jinja2 loop attributes Jinjava's loop object lacks: refused by name rather than left undefined. */
    private static final java.util.Set<String> MISSING_LOOP_ATTRIBUTES =
            java.util.Set.of("previtem", "nextitem", "changed", "depth", "depth0");

    /** {@code text[i]}, with Python's negative indices; Jinjava has no indexing of strings. */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (base instanceof com.hubspot.jinjava.util.ForLoop && property != null
                && MISSING_LOOP_ATTRIBUTES.contains(property.toString())) {
            throw new UnsupportedConstruct("loop." + property);
        }
        if (!(base instanceof String text) || property == null || !property.toString().matches("-?[0-9]{1,9}")) {
            return null;
        }
        int index = Integer.parseInt(property.toString());
        int at = index < 0 ? text.length() + index : index;
        if (at < 0 || at >= text.length()) {
            throw new UnsupportedConstruct("string index " + index + " out of range (IndexError in Python)");
        }
        context.setPropertyResolved(true);
        return String.valueOf(text.charAt(at));
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // not ours: leaves the property unresolved for the next resolver
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
