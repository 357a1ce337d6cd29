package dev.plinth.train;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** The properties text of a run's configuration, as pretraining and fine-tuning read it. */
final class ConfigText {

    private ConfigText() {
    }

    /** Every key with its value, trimmed. */
    static Map<String, String> load(Reader r) throws IOException {
        Properties p = new Properties();
        p.load(r);
        Map<String, String> m = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k).trim()));
        return m;
    }

    static Map<String, String> load(String properties) {
        try {
            return load(new StringReader(properties));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code values} with {@code overrides} put over them; an unknown key names {@code source} and the known ones. */
    static Map<String, String> override(Map<String, String> values, Map<String, String> overrides, String source,
                                        List<String> keys) {
        overrides.forEach((k, v) -> {
            if (!values.containsKey(k)) {
                throw new IllegalArgumentException(source + ": unknown key '" + k + "'; known keys: " + String.join(", ", keys));
            }
            values.put(k, v);
        });
        return values;
    }
}
