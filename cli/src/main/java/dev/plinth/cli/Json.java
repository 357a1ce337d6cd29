package dev.plinth.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JSON output of the commands: one pretty-printed document, keys in a fixed order. */
final class Json {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

    private Json() {
    }

    static void write(PrintStream out, Object document) throws IOException {
        MAPPER.writeValue(out, document);
        out.println();
    }

    static Map<String, Object> inspect(ModelSummary s) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("file", s.file().toString());
        doc.put("format", s.format());
        doc.put("architecture", s.architecture());
        doc.put("parameterCount", s.parameterCount());
        doc.put("tensorCount", s.tensors().size());
        doc.put("tensorBytes", s.tensorBytes());
        doc.put("metadata", s.metadata());
        List<Map<String, Object>> tensors = new ArrayList<>(s.tensors().size());
        for (ModelSummary.TensorRow t : s.tensors()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", t.name());
            row.put("dtype", t.dtype());
            row.put("shape", t.shape());
            row.put("bytes", t.bytes());
            tensors.add(row);
        }
        doc.put("tensors", tensors);
        return doc;
    }
}
